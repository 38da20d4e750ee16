package report

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CompareCommand is `strata bench compare [flags] OLD.json NEW.json`: it
// prints the differences and returns ErrRegression (exit status 1) when a
// gated metric regressed past the threshold. Flags are also settable as
// STRATA_BENCH_<NAME>; the command line wins. lookupEnv is os.LookupEnv
// outside tests.
func CompareCommand(args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	o := DefaultCompareOptions()
	fs := flag.NewFlagSet("strata bench compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(percentFlag{&o.Threshold}, "threshold", "relative change that counts as a regression, e.g. 10% (or 0.1)")
	fs.Var(listFlag{&o.Percentiles}, "percentiles", "percentiles that can regress, comma-separated: "+strings.Join(AllPercentiles, ","))
	fs.DurationVar(&o.LatencyFloor, "latency-floor", o.LatencyFloor, "latency increases smaller than this never regress")
	fs.Var(percentFlag{&o.ErrorRateIncrease}, "max-error-increase", "largest rise of the error rate that is not a regression, e.g. 0.1%")
	fs.StringVar(&o.Basis, "basis", o.Basis, "absolute (Strata's own figures) or peer (Strata's ratios to its peers)")
	fs.StringVar(&o.Target, "target", o.Target, "whose figures to compare")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: strata bench compare [flags] OLD.json NEW.json\n\n"+
			"Compares two result files of strata bench run, scenario by scenario, and exits 1\n"+
			"when a gated percentile, the throughput or the error rate regressed past the\n"+
			"threshold. Every flag is also settable as STRATA_BENCH_<NAME>.\n\n")
		fs.PrintDefaults()
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := "STRATA_BENCH_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := lookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("compare: %s=%q: %w", name, v, err))
			}
		}
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		errs = append(errs, fmt.Errorf("compare: want OLD.json NEW.json, got %d arguments", fs.NArg()))
	}
	if err := errors.Join(append(errs, o.Validate())...); err != nil {
		return err
	}
	old, err := Read(fs.Arg(0))
	if err != nil {
		return err
	}
	cur, err := Read(fs.Arg(1))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OLD %s (%s, %s)\nNEW %s (%s, %s)\n\n", fs.Arg(0), old.Environment.GitCommit, old.Started.Format("2006-01-02 15:04"),
		fs.Arg(1), cur.Environment.GitCommit, cur.Started.Format("2006-01-02 15:04"))
	c, err := Compare(old, cur, o)
	if err != nil {
		return err
	}
	if err := c.Print(stdout, o); err != nil {
		return err
	}
	if n := c.Regressions(); n > 0 {
		return fmt.Errorf("%w: %d metric(s)", ErrRegression, n)
	}
	return nil
}

// percentFlag reads "10%" as 0.10 and a bare number as the fraction itself.
type percentFlag struct{ p *float64 }

func (f percentFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strconv.FormatFloat(*f.p*100, 'f', -1, 64) + "%"
}

func (f percentFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || v < 0 {
		return errors.New("want a percentage such as 10% or a fraction such as 0.1")
	}
	if pct {
		v /= 100
	}
	*f.p = v
	return nil
}

// listFlag is a comma-separated list; setting it replaces the default.
type listFlag struct{ p *[]string }

func (f listFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strings.Join(*f.p, ",")
}

func (f listFlag) Set(s string) error {
	*f.p = nil
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*f.p = append(*f.p, v)
		}
	}
	return nil
}
