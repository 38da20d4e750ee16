package tier

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/strata3d/strata/bench/origin"
)

// envPrefix prefixes the environment variable of every flag: --clients is
// also STRATA_BENCH_CLIENTS. A flag given on the command line wins.
const envPrefix = "STRATA_BENCH_"

// Command is `strata bench tier`: it parses args (without the command
// names), runs the phases with progress on stderr, prints the Markdown
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
	return origin.WriteReport(rep, stdout, opts.jsonPath)
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
	fs := flag.NewFlagSet("strata bench tier", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var((*origin.ListFlag)(&cfg.Phases), "phases", "comma-separated phases: "+strings.Join(AllPhases(), ","))
	fs.StringVar(&cfg.StrataBin, "strata-bin", cfg.StrataBin, "path of the strata binary")
	fs.Var((*origin.WordsFlag)(&cfg.StrataArgs), "strata-args", "extra flags for every `strata serve`, space-separated")
	fs.StringVar(&cfg.NginxBin, "nginx-bin", cfg.NginxBin, "path of the nginx binary, with the slice module (default $STRATA_TEST_NGINX or /usr/sbin/nginx)")
	fs.StringVar(&cfg.WrkBin, "wrk-bin", cfg.WrkBin, "path of the wrk binary (default $STRATA_TEST_WRK or wrk on $PATH)")
	fs.StringVar(&cfg.VersitygwBin, "versitygw-bin", cfg.VersitygwBin, "path of the versitygw binary (default $STRATA_TEST_VERSITYGW, .tools/bin/versitygw or versitygw on $PATH)")
	fs.StringVar(&cfg.Dir, "dir", cfg.Dir, "work dir, kept afterwards (default a temporary dir, removed)")
	fs.StringVar(&opts.jsonPath, "json", "", "also write the full report as JSON to this file")

	fs.Var(byteFlag{&cfg.ColdObjectSize}, "cold-object-size", "size of the cold object, e.g. 16MiB")
	fs.Var(byteFlag{&cfg.ChunkSize}, "chunk-size", "Strata's --cache-chunk-size and nginx's slice size")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "concurrent clients reading the cold object")
	fs.IntVar(&cfg.ColdRounds, "cold-rounds", cfg.ColdRounds, "cold reads per server, each with fresh servers")
	fs.BoolVar(&cfg.NginxCacheLock, "nginx-cache-lock", cfg.NginxCacheLock, "also measure nginx with proxy_cache_lock on in the cold phase")

	fs.Var(byteFlag{&cfg.HotObjectSize}, "hot-object-size", "size of the object of the hot and rss phases")
	fs.Var(byteFlag{&cfg.HotCacheBytes}, "hot-cache-bytes", "Strata's --cache-bytes in the cold and hot phases")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "length of one measured wrk run of the hot phase, whole seconds")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "wrk load per server before the hot rounds, whole seconds; 0 skips")
	fs.IntVar(&cfg.HotRounds, "hot-rounds", cfg.HotRounds, "alternating (Strata, nginx) pairs of the hot phase")
	fs.IntVar(&cfg.Connections, "connections", cfg.Connections, "wrk -c: keep-alive connections")
	fs.IntVar(&cfg.Threads, "threads", cfg.Threads, "wrk -t: load generator threads")

	fs.Var(byteFlag{&cfg.RSSCacheBytes}, "rss-cache-bytes", "Strata's --cache-bytes in the rss phase, less than the object")
	fs.Var(byteFlag{&cfg.RSSSlack}, "rss-slack", "RSS allowed beyond --cache-bytes")
	fs.DurationVar(&cfg.RSSDuration, "rss-duration", cfg.RSSDuration, "how long wrk reads random ranges in the rss phase, whole seconds")
	fs.DurationVar(&cfg.RSSIdle, "rss-idle", cfg.RSSIdle, "idle time before the settled RSS is read")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: strata bench tier [flags]\n\n"+
			"Starts versitygw, then measures Strata's cache tier over S3 against nginx\n"+
			"(proxy_cache + slice for the cold path, a file on disk for hot ranges) and\n"+
			"Strata's resident memory against its cache budget; prints a Markdown report.\n"+
			"Every flag is also settable as %s<NAME> (e.g. %sCLIENTS=64); a flag on the\n"+
			"command line wins.\n\n", envPrefix, envPrefix)
		fs.PrintDefaults()
	}

	if err := origin.ParseFlags(fs, args, lookupEnv, "tier"); err != nil {
		return cfg, opts, err
	}
	return cfg, opts, cfg.Validate()
}

// byteFlag is a byte count: 1048576, 512KiB, 16MiB, 2GiB (binary units), or
// 200MB, 1GB (decimal units).
type byteFlag struct{ p *int64 }

func (b byteFlag) String() string {
	if b.p == nil {
		return ""
	}
	return formatBytes(*b.p)
}

func (b byteFlag) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*b.p = n
	return nil
}

var errByteSize = errors.New("not a byte size: want a non-negative integer with an optional unit (KiB, MiB, GiB, KB, MB, GB)")

// parseBytes reads a byte count with an optional unit.
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errByteSize
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%w: too large", errByteSize)
	}
	return n * mult, nil
}

var _ flag.Value = byteFlag{}
