package origin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// envPrefix prefixes the environment variable of every flag: --rounds is
// also STRATA_BENCH_ROUNDS. A flag given on the command line wins.
const envPrefix = "STRATA_BENCH_"

// Command is `strata bench origin`: it parses args (without the command
// names), runs the comparison with progress on stderr, prints the Markdown
// report on stdout and, with --json, writes the JSON report to a file.
// --help prints the flags and returns nil.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, opts, err := parseCommand(args, os.LookupEnv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := Run(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	return WriteReport(rep, stdout, opts.jsonPath)
}

// Reporter is a benchmark report that renders as Markdown and JSON.
type Reporter interface {
	Markdown() string
	JSON() ([]byte, error)
}

// WriteReport prints rep's Markdown on stdout and, when jsonPath is set,
// writes its JSON there: the output step every bench command shares.
func WriteReport(rep Reporter, stdout io.Writer, jsonPath string) error {
	if jsonPath != "" {
		b, err := rep.JSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: --json: %w", err)
		}
	}
	_, err := io.WriteString(stdout, rep.Markdown())
	return err
}

// commandOptions are the flags that are about output, not the run.
type commandOptions struct {
	jsonPath string
}

// parseCommand turns flags and STRATA_BENCH_* variables into a validated
// Config. lookupEnv is os.LookupEnv outside tests.
func parseCommand(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (Config, commandOptions, error) {
	cfg := DefaultConfig()
	var opts commandOptions
	fs := flag.NewFlagSet("strata bench origin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "length of one measured wrk run, whole seconds")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "load per server and scenario before measuring, whole seconds; 0 skips")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "alternating (Strata, nginx) pairs per scenario")
	fs.IntVar(&cfg.Connections, "connections", cfg.Connections, "wrk -c: keep-alive connections")
	fs.IntVar(&cfg.Threads, "threads", cfg.Threads, "wrk -t: load generator threads")
	fs.Var((*listFlag)(&cfg.Scenarios), "scenarios", "comma-separated scenarios: "+strings.Join(AllScenarios(), ","))
	fs.StringVar(&cfg.StrataBin, "strata-bin", cfg.StrataBin, "path of the strata binary")
	fs.Var((*wordsFlag)(&cfg.StrataArgs), "strata-args", "extra flags for `strata serve`, space-separated")
	fs.StringVar(&cfg.NginxBin, "nginx-bin", cfg.NginxBin, "path of the nginx binary (default $STRATA_TEST_NGINX or /usr/sbin/nginx)")
	fs.StringVar(&cfg.WrkBin, "wrk-bin", cfg.WrkBin, "path of the wrk binary (default $STRATA_TEST_WRK or wrk on $PATH)")
	fs.StringVar(&cfg.Dir, "dir", cfg.Dir, "work dir, kept afterwards (default a temporary dir, removed)")
	fs.StringVar(&opts.jsonPath, "json", "", "also write the full report as JSON to this file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: strata bench origin [flags]\n\n"+
			"Starts nginx and Strata on the same generated files and compares them with wrk,\n"+
			"alternating the two; prints a Markdown report. Every flag is also settable as\n"+
			"%s<NAME> (e.g. %sROUNDS=5); a flag on the command line wins.\n\n", envPrefix, envPrefix)
		fs.PrintDefaults()
	}

	if err := ParseFlags(fs, args, lookupEnv, "origin"); err != nil {
		return cfg, opts, err
	}
	return cfg, opts, cfg.Validate()
}

// ParseFlags fills every flag of fs from its STRATA_BENCH_* variable, then
// parses args over them (the command line wins). Errors name the variable
// or the stray argument, prefixed with the command's name.
func ParseFlags(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool), command string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if v, ok := lookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s=%q: %w", command, name, v, err))
			}
		}
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("%s: unexpected arguments %q", command, fs.Args()))
	}
	return errors.Join(errs...)
}

// envName maps a flag name to its variable: strata-bin → STRATA_BENCH_STRATA_BIN.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// listFlag is a comma-separated list; setting it replaces the default.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = nil
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// wordsFlag is a space-separated argument list (no quoting: flag values
// for `strata serve` need none).
type wordsFlag []string

func (w *wordsFlag) String() string { return strings.Join(*w, " ") }

func (w *wordsFlag) Set(v string) error {
	*w = strings.Fields(v)
	return nil
}

// Interface checks: both list types are flag values.
var (
	_ flag.Value = (*listFlag)(nil)
	_ flag.Value = (*wordsFlag)(nil)
)
