package suite

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/strata3d/strata/bench/origin"
	"github.com/strata3d/strata/bench/report"
)

// Command is `strata bench run`: it parses args (without the command
// names), runs the suite with progress on stderr, writes the JSON result
// file and the HTML report under --out, and prints a Markdown summary on
// stdout. --help prints the flags and returns nil.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseCommand(args, os.LookupEnv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	f, err := Run(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	jsonPath, htmlPath, err := Write(f, cfg.Out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "suite: wrote %s and %s\n", jsonPath, htmlPath)
	return report.Markdown(stdout, f)
}

// Write stores f as OUT/<start>-<commit>.json and .html and returns both paths.
func Write(f *report.File, out string) (string, string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", "", fmt.Errorf("suite: %w", err)
	}
	commit := strings.ReplaceAll(f.Environment.GitCommit, "+", "-")
	if commit == "" {
		commit = "unknown"
	}
	base := filepath.Join(out, f.Started.UTC().Format("20060102-150405")+"-"+f.Suite+"-"+commit)
	if err := f.Write(base + ".json"); err != nil {
		return "", "", err
	}
	h, err := os.Create(base + ".html")
	if err != nil {
		return "", "", fmt.Errorf("suite: %w", err)
	}
	if err := report.HTML(h, f); err != nil {
		h.Close()
		return "", "", err
	}
	return base + ".json", base + ".html", h.Close()
}

// parseCommand turns flags and STRATA_BENCH_* variables into a validated
// Config. lookupEnv is os.LookupEnv outside tests.
func parseCommand(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (Config, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("strata bench run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.ScenarioFile, "scenarios", "", "scenario file (JSON, see docs/bench.md); default the standard suite")
	fs.Var((*origin.ListFlag)(&cfg.Only), "only", "comma-separated scenario names to run; default all")
	fs.Var((*origin.ListFlag)(&cfg.Vs), "vs", "peers to start and measure beside Strata, comma-separated: nginx")
	fs.StringVar(&cfg.Target, "target", "", "base URL to measure instead of starting Strata (e.g. https://dxxxx.cloudfront.net)")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a target outside the loopback range (without it, only 127.0.0.0/8, ::1 and localhost)")
	fs.Var(headerFlag{&cfg.Headers}, "header", "header sent with every request, \"Name: value\"; repeatable")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "runs of each scenario on each target, the order rotating")
	fs.DurationVar(&cfg.Duration, "duration", 0, "measured time of every run, replacing the scenarios' own")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "warm-up of every run, replacing the scenarios' own")
	fs.StringVar(&cfg.StrataBin, "strata-bin", cfg.StrataBin, "path of the strata binary to start")
	fs.Var((*origin.WordsFlag)(&cfg.StrataArgs), "strata-args", "extra flags for every `strata serve`, space-separated")
	fs.StringVar(&cfg.NginxBin, "nginx-bin", cfg.NginxBin, "path of nginx (default $STRATA_TEST_NGINX or /usr/sbin/nginx)")
	fs.StringVar(&cfg.VersitygwBin, "versitygw-bin", cfg.VersitygwBin, "path of versitygw, the S3 gateway of cold scenarios")
	fs.Int64Var(&cfg.ColdObjectBytes, "cold-object-size", cfg.ColdObjectBytes, "bytes per object of S3 scenarios")
	fs.StringVar(&cfg.Dir, "dir", "", "work dir, kept afterwards (default a temporary dir, removed)")
	fs.StringVar(&cfg.Out, "out", cfg.Out, "directory for the JSON result file and the HTML report")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: strata bench run [flags]\n\n"+
			"Plays the scenarios of a scenario file against Strata (and, with --vs nginx,\n"+
			"against nginx over the same files and the same S3 bucket) in rotating rounds,\n"+
			"or against any --target URL. Writes a JSON result file and an HTML report\n"+
			"under --out and prints a summary. Every flag is also settable as\n"+
			"STRATA_BENCH_<NAME> (e.g. STRATA_BENCH_ROUNDS=5); the command line wins.\n\n")
		fs.PrintDefaults()
	}
	if err := origin.ParseFlags(fs, args, lookupEnv, "run"); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// headerFlag collects "Name: value" headers.
type headerFlag struct{ m *map[string]string }

func (h headerFlag) String() string {
	if h.m == nil {
		return ""
	}
	var s []string
	for k, v := range *h.m {
		s = append(s, k+": "+v)
	}
	return strings.Join(s, ", ")
}

func (h headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return errors.New(`want "Name: value"`)
	}
	if *h.m == nil {
		*h.m = map[string]string{}
	}
	(*h.m)[name] = strings.TrimSpace(value)
	return nil
}
