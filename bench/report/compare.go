package report

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/strata3d/strata/bench/load"
)

// CompareOptions say what counts as a regression.
type CompareOptions struct {
	// Threshold is the relative change past which a metric regresses:
	// 0.10 flags a percentile 10 % higher or a throughput 10 % lower.
	Threshold float64
	// Percentiles are the latency percentiles that can regress: any of
	// p50, p90, p99, p99.9, max. The others are printed only.
	Percentiles []string
	// LatencyFloor is the smallest latency increase that can regress: a
	// p50 going from 0.10 to 0.12 ms is 20 % but no news.
	LatencyFloor time.Duration
	// ErrorRateIncrease is the largest rise of the error rate (errors per
	// request, 0.001 = 0.1 percentage point) that is not a regression.
	ErrorRateIncrease float64
	// Basis is "absolute" (Strata's own figures, default) or "peer"
	// (Strata's ratios to its peers, which cancel a noisy machine's drift;
	// scenarios without a peer fall back to absolute figures).
	Basis string
	// Target is whose figures are compared. Default "strata".
	Target string
}

// DefaultCompareOptions returns what `strata bench compare` uses without flags.
func DefaultCompareOptions() CompareOptions {
	return CompareOptions{
		Threshold:         0.10,
		Percentiles:       []string{"p50", "p90", "p99"},
		LatencyFloor:      100 * time.Microsecond,
		ErrorRateIncrease: 0.001,
		Basis:             "absolute",
		Target:            TargetStrata,
	}
}

// AllPercentiles lists the percentile names Compare knows.
var AllPercentiles = []string{"p50", "p90", "p99", "p99.9", "max"}

// Validate reports every problem with o.
func (o CompareOptions) Validate() error {
	var errs []error
	if !(o.Threshold > 0 && o.Threshold < 100) {
		errs = append(errs, fmt.Errorf("compare: threshold %v must be positive", o.Threshold))
	}
	for _, p := range o.Percentiles {
		if !slices.Contains(AllPercentiles, p) {
			errs = append(errs, fmt.Errorf("compare: unknown percentile %q (known: %s)", p, strings.Join(AllPercentiles, ", ")))
		}
	}
	if o.LatencyFloor < 0 || o.ErrorRateIncrease < 0 {
		errs = append(errs, errors.New("compare: latency floor and error-rate increase must not be negative"))
	}
	if o.Basis != "absolute" && o.Basis != "peer" {
		errs = append(errs, fmt.Errorf("compare: basis %q: want absolute or peer", o.Basis))
	}
	if o.Target == "" {
		errs = append(errs, errors.New("compare: empty target"))
	}
	return errors.Join(errs...)
}

// Change is one compared metric.
type Change struct {
	Scenario string
	Metric   string // "p99", "throughput", "errors", "p99 ratio to nginx"
	Old, New float64
	Unit     string // "ms", "req/s", "%", "×"
	// Gated says whether the metric can regress (a percentile not in
	// CompareOptions.Percentiles is printed only).
	Gated      bool
	Regression bool
	Improved   bool
}

// Comparison is the outcome of Compare.
type Comparison struct {
	Changes []Change
	// Missing names scenarios in only one file, or skipped in one.
	Missing []string
}

// Regressions counts the changes past the threshold.
func (c *Comparison) Regressions() int {
	n := 0
	for _, ch := range c.Changes {
		if ch.Regression {
			n++
		}
	}
	return n
}

// ErrRegression is returned by the compare command when a metric regressed.
var ErrRegression = errors.New("performance regressed past the threshold")

// Compare sets NEW against OLD scenario by scenario.
func Compare(old, new *File, o CompareOptions) (*Comparison, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c := &Comparison{}
	for _, ns := range new.Scenarios {
		name := ns.Spec.Name
		os := old.Lookup(name)
		switch {
		case os == nil:
			c.Missing = append(c.Missing, name+" (not in OLD)")
			continue
		case os.Skipped != "" || ns.Skipped != "":
			c.Missing = append(c.Missing, name+" (skipped)")
			continue
		}
		oSum, nSum := os.SummaryOf(o.Target), ns.SummaryOf(o.Target)
		if oSum == nil || nSum == nil {
			c.Missing = append(c.Missing, name+" (no "+o.Target+" results)")
			continue
		}
		if o.Basis == "peer" && len(ns.Ratios) > 0 {
			c.comparePeer(name, os, ns, o)
		} else {
			c.compareAbsolute(name, oSum, nSum, o)
		}
		// Errors always count absolutely: a ratio of error counts means nothing.
		oe, ne := oSum.ErrorRate(), nSum.ErrorRate()
		c.Changes = append(c.Changes, Change{
			Scenario: name, Metric: "errors", Old: oe * 100, New: ne * 100, Unit: "%", Gated: true,
			Regression: ne-oe > o.ErrorRateIncrease, Improved: oe-ne > o.ErrorRateIncrease,
		})
	}
	for _, os := range old.Scenarios {
		if new.Lookup(os.Spec.Name) == nil {
			c.Missing = append(c.Missing, os.Spec.Name+" (not in NEW)")
		}
	}
	return c, nil
}

func percentileOf(p load.Percentiles, name string) float64 {
	switch name {
	case "p50":
		return p.P50
	case "p90":
		return p.P90
	case "p99":
		return p.P99
	case "p99.9":
		return p.P999
	default:
		return p.Max
	}
}

func (c *Comparison) compareAbsolute(name string, o, n *Summary, opt CompareOptions) {
	floor := float64(opt.LatencyFloor) / float64(time.Millisecond)
	for _, p := range AllPercentiles {
		ov, nv := percentileOf(o.Latency, p), percentileOf(n.Latency, p)
		gated := slices.Contains(opt.Percentiles, p)
		c.Changes = append(c.Changes, Change{
			Scenario: name, Metric: p, Old: ov, New: nv, Unit: "ms", Gated: gated,
			Regression: gated && nv > ov*(1+opt.Threshold) && nv-ov > floor,
			Improved:   nv < ov*(1-opt.Threshold) && ov-nv > floor,
		})
	}
	c.Changes = append(c.Changes, Change{
		Scenario: name, Metric: "throughput", Old: o.RequestsPerSec, New: n.RequestsPerSec, Unit: "req/s", Gated: true,
		Regression: n.RequestsPerSec < o.RequestsPerSec*(1-opt.Threshold),
		Improved:   n.RequestsPerSec > o.RequestsPerSec*(1+opt.Threshold),
	})
}

func (c *Comparison) comparePeer(name string, os, ns *Scenario, opt CompareOptions) {
	for _, nr := range ns.Ratios {
		or := os.RatioTo(nr.Peer)
		if or == nil {
			c.Missing = append(c.Missing, name+" (no "+nr.Peer+" in OLD)")
			continue
		}
		for _, p := range []struct {
			name     string
			old, new float64
		}{{"p50", or.P50, nr.P50}, {"p90", or.P90, nr.P90}, {"p99", or.P99, nr.P99}, {"p99.9", or.P999, nr.P999}} {
			gated := slices.Contains(opt.Percentiles, p.name)
			c.Changes = append(c.Changes, Change{
				Scenario: name, Metric: p.name + " ratio to " + nr.Peer, Old: p.old, New: p.new, Unit: "×", Gated: gated,
				Regression: gated && p.new > p.old*(1+opt.Threshold),
				Improved:   p.new < p.old*(1-opt.Threshold),
			})
		}
		c.Changes = append(c.Changes, Change{
			Scenario: name, Metric: "throughput ratio to " + nr.Peer, Old: or.Throughput, New: nr.Throughput, Unit: "×", Gated: true,
			Regression: nr.Throughput < or.Throughput*(1-opt.Threshold),
			Improved:   nr.Throughput > or.Throughput*(1+opt.Threshold),
		})
	}
}

// Print writes the comparison as a table, regressions marked.
func (c *Comparison) Print(w io.Writer, o CompareOptions) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tmetric\told\tnew\tchange\tverdict\t")
	for _, ch := range c.Changes {
		verdict := ""
		switch {
		case ch.Regression:
			verdict = "REGRESSION"
		case ch.Improved:
			verdict = "better"
		case !ch.Gated:
			verdict = "(not gated)"
		}
		change := "—"
		if ch.Old != 0 {
			change = fmt.Sprintf("%+.1f%%", (ch.New/ch.Old-1)*100)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", ch.Scenario, ch.Metric, formatValue(ch.Old, ch.Unit), formatValue(ch.New, ch.Unit), change, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range c.Missing {
		fmt.Fprintf(w, "not compared: %s\n", m)
	}
	fmt.Fprintf(w, "%d regression(s) past %.0f%% (percentiles %s, latency floor %v, basis %s)\n",
		c.Regressions(), o.Threshold*100, strings.Join(o.Percentiles, ","), o.LatencyFloor, o.Basis)
	return nil
}

func formatValue(v float64, unit string) string {
	switch unit {
	case "ms":
		return load.FormatMillis(v)
	case "req/s":
		return fmt.Sprintf("%.0f req/s", v)
	case "%":
		return fmt.Sprintf("%.3f%%", v)
	default:
		return fmt.Sprintf("%.2f×", v)
	}
}
