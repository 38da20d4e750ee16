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

// RSSReport is the RSS phase: Strata reads more than its cache budget, and
// its resident memory is compared with the budget plus slack.
type RSSReport struct {
	CacheBytes int64 `json:"cache_bytes"`
	Slack      int64 `json:"slack"`
	// Limit is CacheBytes + Slack: the target for the settled RSS.
	Limit      int64 `json:"limit"`
	ObjectSize int64 `json:"object_size"`
	// FullRead is how long the one full read of the object took.
	FullRead time.Duration `json:"full_read_ns"`
	// Ranges is the wrk run of random 64 KiB ranges after the full read.
	Ranges origin.WrkResult `json:"ranges"`
	// Store is what Strata fetched from the gateway over the whole phase:
	// more bytes than CacheBytes proves the working set exceeded the budget.
	Store StoreTraffic `json:"store"`
	// AfterLoad is read right after the load, Settled after Idle.
	AfterLoad MemStatus     `json:"after_load"`
	Settled   MemStatus     `json:"settled"`
	Idle      time.Duration `json:"idle_ns"`
	// Strata is /metrics after the idle time.
	Strata StrataMetrics `json:"strata_metrics"`
	// MeetsTarget is Settled.RSS ≤ Limit; PeakWithinLimit is Settled.HWM ≤ Limit.
	MeetsTarget     bool `json:"meets_target"`
	PeakWithinLimit bool `json:"peak_within_limit"`
}

// runRSS measures the RSS phase; the object is in the bucket at hotKey.
func runRSS(ctx context.Context, cfg Config, dir string, gw *gateway, object []byte, progress io.Writer) (_ *RSSReport, err error) {
	rep := &RSSReport{
		CacheBytes: cfg.RSSCacheBytes, Slack: cfg.RSSSlack, Limit: cfg.RSSCacheBytes + cfg.RSSSlack,
		ObjectSize: int64(len(object)), Idle: cfg.RSSIdle,
	}
	counter, err := startStoreCounter(gw.endpoint)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, counter.Close()) }()
	strata, err := startStrata(ctx, strataSpec{
		bin: cfg.StrataBin, extra: cfg.StrataArgs, dir: dir, storeURL: counter.URL(),
		cacheBytes: cfg.RSSCacheBytes, chunkSize: cfg.ChunkSize, env: gw.strataEnv(),
	})
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, strata.Stop()) }()
	url := strata.BaseURL() + "/assets/" + hotKey

	before := counter.Snapshot()
	if rep.FullRead, err = checkWhole(ctx, url, object); err != nil {
		return nil, fmt.Errorf("%w (strata)", err)
	}
	fmt.Fprintf(progress, "tier: rss: read the %s object through a %s cache in %s\n",
		formatBytes(int64(len(object))), formatBytes(cfg.RSSCacheBytes), origin.FormatLatency(rep.FullRead))
	script := filepath.Join(dir, "range.lua")
	if err := os.WriteFile(script, []byte(origin.RangeScript(int64(len(object)), RangeWindow)), 0o644); err != nil {
		return nil, fmt.Errorf("tier: wrk script: %w", err)
	}
	sizes := strata.LogSizes()
	rep.Ranges, err = origin.WrkRun{
		Bin: cfg.WrkBin, Script: script, URL: url, Seed: 1, Duration: cfg.RSSDuration,
		Threads: cfg.Threads, Connections: cfg.Connections, Output: filepath.Join(dir, "wrk-ranges.txt"),
	}.Run(ctx)
	rep.Ranges.LogBytes = strata.TruncateLogs(sizes)
	if err != nil {
		return nil, err
	}
	if err := counter.WaitIdle(ctx); err != nil {
		return nil, err
	}
	rep.Store = counter.Snapshot().Sub(before)
	if rep.AfterLoad, err = readMemStatus(strata.PID()); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "tier: rss: %.0f req/s of ranges, %s fetched from S3; VmRSS %s, VmHWM %s; idle %v\n",
		rep.Ranges.RequestsPerSec, formatBytes(rep.Store.GETBytes), formatBytes(rep.AfterLoad.RSS), formatBytes(rep.AfterLoad.HWM), cfg.RSSIdle)
	// The idle time is part of the measurement: nothing is triggered in the
	// server, this only gives its runtime time to return memory.
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(cfg.RSSIdle):
	}
	if rep.Settled, err = readMemStatus(strata.PID()); err != nil {
		return nil, err
	}
	if rep.Strata, err = scrapeStrata(ctx, strata.BaseURL()); err != nil {
		return nil, err
	}
	rep.MeetsTarget = rep.Settled.RSS <= rep.Limit
	rep.PeakWithinLimit = rep.Settled.HWM <= rep.Limit
	fmt.Fprintf(progress, "tier: rss: settled VmRSS %s (limit %s), cache holds %s, %d evictions\n",
		formatBytes(rep.Settled.RSS), formatBytes(rep.Limit), formatBytes(rep.Strata.CacheBytes), rep.Strata.Evictions)
	return rep, nil
}
