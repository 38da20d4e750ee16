package tier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/strata3d/strata/bench/origin"
)

// hotKey is where the hot object lives in the bucket, and under the assets
// dir nginx serves from disk; both servers answer it at /assets/ + hotKey.
// It is under big/, where bench/origin's nginx turns tcp_nopush off.
const hotKey = "big/hot.glb"

// HotReport is the hot phase: random ranges of an object Strata holds in its
// cache against nginx serving the same bytes from a file.
type HotReport struct {
	ObjectSize int64 `json:"object_size"`
	CacheBytes int64 `json:"cache_bytes"`
	// WarmRead is how long the one full read that filled Strata's cache took.
	WarmRead time.Duration `json:"warm_read_ns"`
	// Scenario holds the rounds, medians and ratios, as in bench/origin.
	Scenario origin.ScenarioReport `json:"scenario"`
	// StoreDuringRounds is what Strata asked the gateway for during the
	// warm-up and measured rounds: GETs mean the cache did not hold the
	// object; HEADs are metadata revalidations (--cache-meta-ttl).
	StoreDuringRounds StoreTraffic `json:"store_during_rounds"`
	// MeetsTarget is Strata's req/s at least nginx's (median of the per-round
	// ratios ≥ 1) without errors.
	MeetsTarget bool `json:"meets_target"`
}

// writeHotFile puts the hot object where nginx serves it from disk.
func writeHotFile(assetsDir string, object []byte) error {
	name := filepath.Join(assetsDir, filepath.FromSlash(hotKey))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("tier: assets dir: %w", err)
	}
	// 0644: nginx workers may run as another user.
	if err := os.WriteFile(name, object, 0o644); err != nil {
		return fmt.Errorf("tier: write %s: %w", hotKey, err)
	}
	return nil
}

// runHot measures the hot phase. The object is in the bucket and on disk
// under assetsDir.
func runHot(ctx context.Context, cfg Config, dir, assetsDir string, gw *gateway, object []byte, progress io.Writer) (_ *HotReport, err error) {
	rep := &HotReport{ObjectSize: int64(len(object)), CacheBytes: cfg.HotCacheBytes}
	urlPath := "/assets/" + hotKey
	rep.Scenario = origin.ScenarioReport{
		Name: "range-64k-in-hot",
		Description: fmt.Sprintf("Range: bytes=a-(a+65535) at a random offset of a %s GLB, Strata from its cache (filled over S3), nginx from the file; same seeded sequence for both; any status but 206 or a body not 64 KiB counts as an error",
			formatBytes(int64(len(object)))),
		URLPath: urlPath,
	}

	nginx, err := origin.StartNginx(ctx, cfg.NginxBin, dir, assetsDir)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, nginx.Stop()) }()
	counter, err := startStoreCounter(gw.endpoint)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, counter.Close()) }()
	strata, err := startStrata(ctx, strataSpec{
		bin: cfg.StrataBin, extra: cfg.StrataArgs, dir: filepath.Join(dir, "strata"), storeURL: counter.URL(),
		cacheBytes: cfg.HotCacheBytes, chunkSize: cfg.ChunkSize, env: gw.strataEnv(),
	})
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, strata.Stop()) }()
	fmt.Fprintf(progress, "tier: hot: strata at %s, nginx at %s\n", strata.BaseURL(), nginx.BaseURL())

	// Fill Strata's cache with one full read, and check both servers' bytes.
	if rep.WarmRead, err = checkWhole(ctx, strata.BaseURL()+urlPath, object); err != nil {
		return nil, fmt.Errorf("%w (strata)", err)
	}
	fmt.Fprintf(progress, "tier: hot: strata read the %s object from S3 in %s\n", formatBytes(int64(len(object))), origin.FormatLatency(rep.WarmRead))
	if _, err := checkWhole(ctx, nginx.BaseURL()+urlPath, object); err != nil {
		return nil, fmt.Errorf("%w (nginx)", err)
	}
	for _, p := range []*origin.Process{strata, nginx} {
		if err := checkWindows(ctx, p.BaseURL()+urlPath, object); err != nil {
			return nil, fmt.Errorf("%w (%s)", err, p.Name())
		}
	}

	script := filepath.Join(dir, "wrk", "range.lua")
	if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
		return nil, fmt.Errorf("tier: wrk dir: %w", err)
	}
	if err := os.WriteFile(script, []byte(origin.RangeScript(int64(len(object)), RangeWindow)), 0o644); err != nil {
		return nil, fmt.Errorf("tier: wrk script: %w", err)
	}
	load := func(p *origin.Process, d time.Duration, seed int, label string) (origin.WrkResult, error) {
		sizes := p.LogSizes()
		res, err := origin.WrkRun{
			Bin: cfg.WrkBin, Script: script, URL: p.BaseURL() + urlPath, Seed: seed, Duration: d,
			Threads: cfg.Threads, Connections: cfg.Connections,
			Output: filepath.Join(dir, "wrk", "out", fmt.Sprintf("%s-%s.txt", label, p.Name())),
		}.Run(ctx)
		res.LogBytes = p.TruncateLogs(sizes)
		return res, err
	}

	before := counter.Snapshot()
	if cfg.Warmup > 0 {
		for _, p := range []*origin.Process{strata, nginx} {
			fmt.Fprintf(progress, "tier: hot warm-up %s (%v)\n", p.Name(), cfg.Warmup)
			if _, err := load(p, cfg.Warmup, 0, "warmup"); err != nil {
				return nil, err
			}
		}
	}
	for i := range cfg.HotRounds {
		round := origin.Round{Round: i + 1, First: strata.Name()}
		order := []*origin.Process{strata, nginx}
		if i%2 == 1 {
			order[0], order[1] = nginx, strata
			round.First = nginx.Name()
		}
		for _, p := range order {
			res, err := load(p, cfg.Duration, i+1, fmt.Sprintf("r%d", i+1))
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(progress, "tier: hot round %d/%d %-6s %10.0f req/s  p99 %-9s p99.9 %-9s errors %d\n",
				i+1, cfg.HotRounds, p.Name(), res.RequestsPerSec, origin.FormatLatency(res.Latency.P99), origin.FormatLatency(res.Latency.P999), res.Errors)
			if p == strata {
				round.Strata = res
			} else {
				round.Nginx = res
			}
		}
		rep.Scenario.Rounds = append(rep.Scenario.Rounds, round)
	}
	rep.StoreDuringRounds = counter.Snapshot().Sub(before)
	rep.Scenario.Summarize()
	rep.MeetsTarget = rep.Scenario.Ratio >= 1 && rep.Scenario.StrataErrors == 0
	fmt.Fprintf(progress, "tier: hot median ratio %.2f×, p99 ratio %.2f; strata store GETs during the rounds: %d\n",
		rep.Scenario.Ratio, rep.Scenario.P99Ratio, rep.StoreDuringRounds.ObjectGETs)
	return rep, nil
}
