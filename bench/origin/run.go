// Package origin benchmarks Strata's origin against nginx serving the same
// files from the same directory, with wrk as the load generator: hot 4 KiB
// and 64 KiB GETs and random 64 KiB ranges inside a 20 MiB GLB.
//
// The machine it runs on is shared and noisy, so no single number is trusted:
// each scenario runs as rounds of back-to-back pairs (Strata then nginx, then
// nginx then Strata, …), and the result is the median of the per-pair ratios.
// Both servers run all the time on the same cores as wrk; only the one under
// load is busy. wrk is a closed-loop generator, so its latencies understate
// queueing under overload; at the same concurrency they still compare fairly.
package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Run builds the data set, starts nginx and Strata, checks that both answer
// every scenario with the right bytes, and measures each scenario in
// alternating rounds. Progress lines go to progress (may be io.Discard).
// Both servers are stopped before Run returns, also on error or when ctx ends.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Report, error) {
	rep, err := run(ctx, cfg, progress, startStrata)
	if rep != nil {
		rep.Environment.StrataVersion = strataVersion(ctx, cfg.StrataBin)
	}
	return rep, err
}

// strataStarter starts the server labelled "strata". Tests of the harness
// itself pass a starter that runs a second nginx when no Strata binary exists.
type strataStarter func(ctx context.Context, bin string, extra []string, dir, assetsDir string) (*server, error)

func run(ctx context.Context, cfg Config, progress io.Writer, startA strataStarter) (rep *Report, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	if cfg.StrataBin, err = resolveBin("StrataBin", cfg.StrataBin); err != nil {
		return nil, err
	}
	if cfg.NginxBin, err = resolveBin("NginxBin", cfg.NginxBin); err != nil {
		return nil, err
	}
	if cfg.WrkBin, err = resolveBin("WrkBin", cfg.WrkBin); err != nil {
		return nil, err
	}

	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "strata-bench-origin-"); err != nil {
			return nil, fmt.Errorf("origin: work dir: %w", err)
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("origin: work dir: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}

	rep = &Report{
		Started: time.Now(),
		Settings: Settings{
			Duration: cfg.Duration, Warmup: cfg.Warmup, Rounds: cfg.Rounds,
			Connections: cfg.Connections, Threads: cfg.Threads, StrataArgs: cfg.StrataArgs,
		},
		Environment: collectEnvironment(ctx, cfg.NginxBin, cfg.WrkBin),
		Notes: []string{
			"Both servers serve the same files from the same directory on 127.0.0.1, under /assets/.",
			NginxStaticNote,
			"Strata: `strata serve --store fs --demo=false` with its defaults: JSON access log on stdout (to a file; Strata buffers it in 64 KiB blocks per connection shard, written by a goroutine of its own when full and at least every second, as nginx buffers 64k and flushes every second) and Prometheus metrics on.",
			"Each server answered every scenario once with the file's exact bytes (status, length, Content-Range, body) before any load.",
		},
	}
	if cfg.Dir != "" {
		rep.Notes = append(rep.Notes, "Raw wrk outputs, logs and configs are kept in "+dir+".")
	}

	fmt.Fprintf(progress, "origin: writing the data set to %s\n", dir)
	assetsDir := filepath.Join(dir, "assets")
	if err := writeAssets(assetsDir); err != nil {
		return nil, err
	}
	scripts := map[string]string{}
	for _, name := range cfg.Scenarios {
		sc := scenarios[name]
		path := filepath.Join(dir, "wrk", name+".lua")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("origin: wrk dir: %w", err)
		}
		if err := os.WriteFile(path, []byte(sc.script), 0o644); err != nil {
			return nil, fmt.Errorf("origin: wrk script: %w", err)
		}
		scripts[name] = path
	}

	nginx, err := startNginx(ctx, cfg.NginxBin, dir, assetsDir, "")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, nginx.stop()) }()
	strata, err := startA(ctx, cfg.StrataBin, cfg.StrataArgs, dir, assetsDir)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, strata.stop()) }()
	fmt.Fprintf(progress, "origin: strata at %s, nginx at %s\n", strata.baseURL, nginx.baseURL)

	for _, name := range cfg.Scenarios {
		sc := scenarios[name]
		for _, s := range []*server{strata, nginx} {
			if err := sc.verify(ctx, s, assetsDir); err != nil {
				return nil, fmt.Errorf("%w (%s)", err, s.name)
			}
		}
		sr := ScenarioReport{Name: name, Description: sc.about, URLPath: sc.urlPath()}
		load := func(s *server, d time.Duration, seed int, label string) (WrkResult, error) {
			sizes := logSizes(s)
			res, err := wrkRun{
				bin: cfg.WrkBin, script: scripts[name], url: s.baseURL + sc.urlPath(), seed: seed,
				duration: d, threads: cfg.Threads, connections: cfg.Connections,
				output: filepath.Join(dir, "wrk", "out", fmt.Sprintf("%s-%s-%s.txt", name, label, s.name)),
			}.run(ctx)
			res.LogBytes = truncateLogs(s, sizes)
			return res, err
		}
		if cfg.Warmup > 0 {
			for _, s := range []*server{strata, nginx} {
				fmt.Fprintf(progress, "origin: %s warm-up %s (%v)\n", name, s.name, cfg.Warmup)
				if _, err := load(s, cfg.Warmup, 0, "warmup"); err != nil {
					return nil, err
				}
			}
		}
		for i := range cfg.Rounds {
			round := Round{Round: i + 1, First: strata.name}
			order := []*server{strata, nginx}
			if i%2 == 1 {
				order[0], order[1] = nginx, strata
				round.First = nginx.name
			}
			for _, s := range order {
				res, err := load(s, cfg.Duration, i+1, fmt.Sprintf("r%d", i+1))
				if err != nil {
					return nil, err
				}
				fmt.Fprintf(progress, "origin: %s round %d/%d %-6s %10.0f req/s  p99 %-9s p99.9 %-9s errors %d\n",
					name, i+1, cfg.Rounds, s.name, res.RequestsPerSec, fmtLatency(res.Latency.P99), fmtLatency(res.Latency.P999), res.Errors)
				if s == strata {
					round.Strata = res
				} else {
					round.Nginx = res
				}
			}
			sr.Rounds = append(sr.Rounds, round)
		}
		sr.summarize()
		fmt.Fprintf(progress, "origin: %s median ratio %.2f×, p99 ratio %.2f\n", name, sr.Ratio, sr.P99Ratio)
		rep.Scenarios = append(rep.Scenarios, sr)
	}
	return rep, nil
}

// resolveBin turns a name or relative path into an absolute executable path,
// so it still works after the children change directory, and fails early
// with the config field's name.
func resolveBin(field, bin string) (string, error) {
	p, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("origin: %s: %w", field, err)
	}
	return filepath.Abs(p)
}

func logSizes(s *server) []int64 {
	sizes := make([]int64, len(s.growing))
	for i, p := range s.growing {
		if st, err := os.Stat(p); err == nil {
			sizes[i] = st.Size()
		}
	}
	return sizes
}

// truncateLogs returns how much the server's logs grew since sizes were
// taken, and empties them: a default run writes gigabytes of access log.
// The servers append (O_APPEND), so their next write lands at the new end.
func truncateLogs(s *server, sizes []int64) int64 {
	var grown int64
	for i, p := range s.growing {
		if st, err := os.Stat(p); err == nil {
			grown += st.Size() - sizes[i]
		}
		_ = os.Truncate(p, 0)
	}
	return grown
}
