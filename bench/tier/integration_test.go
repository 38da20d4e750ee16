package tier

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// integrationConfig is a run small enough for a test: a 2 MiB cold object
// read by 4 clients in 1 round, 1-second wrk runs, a 4 MiB hot object.
func integrationConfig(t *testing.T) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.NginxBin, cfg.WrkBin = mustTool(t, "STRATA_TEST_NGINX"), mustTool(t, "STRATA_TEST_WRK")
	cfg.VersitygwBin = mustTool(t, "STRATA_TEST_VERSITYGW")
	cfg.StrataBin = strataBinary(t)
	cfg.Dir = t.TempDir()
	cfg.ColdObjectSize, cfg.Clients, cfg.ColdRounds = 2<<20, 4, 1
	cfg.HotObjectSize, cfg.HotCacheBytes, cfg.RSSCacheBytes = 4<<20, 8<<20, 1<<20
	cfg.Duration, cfg.Warmup, cfg.HotRounds, cfg.RSSDuration, cfg.RSSIdle = time.Second, 0, 1, time.Second, 0
	cfg.Connections, cfg.Threads = 8, 1
	return cfg
}

// TestIntegrationRun runs every phase briefly against real versitygw,
// nginx, wrk and Strata built from this module, and checks that the report
// is sane; it asserts nothing about speed.
func TestIntegrationRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw, nginx, Strata and wrk; skipped in -short mode")
	}
	cfg := integrationConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	rep, err := Run(ctx, cfg, &progress)
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	c := rep.Cold
	if c == nil || len(c.Rounds) != 1 || len(c.Rounds[0].Results) != 3 || c.ChunksTouched != 2 {
		t.Fatalf("cold report has the wrong shape: %+v", c)
	}
	for _, r := range c.Rounds[0].Results {
		if r.Failed != 0 {
			t.Errorf("cold %s: %d clients failed: %s", r.Server, r.Failed, r.FirstError)
		}
		if r.TTLBMedian <= 0 || r.TTLBMax < r.TTLBMedian || r.TTFBMedian > r.TTLBMedian {
			t.Errorf("cold %s: want 0 < TTFB median ≤ TTLB median ≤ TTLB max, got %v, %v, %v", r.Server, r.TTFBMedian, r.TTLBMedian, r.TTLBMax)
		}
		if r.Store.ObjectGETs < c.ChunksTouched || r.Store.GETBytes < c.ObjectSize {
			t.Errorf("cold %s: %d GETs of %d bytes cannot have served a %d-byte object", r.Server, r.Store.ObjectGETs, r.Store.GETBytes, c.ObjectSize)
		}
		if (r.Strata != nil) != (r.Server == ServerStrata) {
			t.Errorf("cold %s: Strata metrics %v", r.Server, r.Strata)
		}
	}
	if !c.StrataGETsMatch || !c.MetricsAgree {
		t.Errorf("cold: Strata GETs match %v, metrics agree %v: %+v", c.StrataGETsMatch, c.MetricsAgree, c.Rounds[0].Results[0])
	}

	h := rep.Hot
	if h == nil || len(h.Scenario.Rounds) != 1 {
		t.Fatalf("hot report has the wrong shape: %+v", h)
	}
	for name, r := range map[string]int64{"strata": h.Scenario.Rounds[0].Strata.Requests, "nginx": h.Scenario.Rounds[0].Nginx.Requests} {
		if r == 0 {
			t.Errorf("hot %s: no requests measured", name)
		}
	}
	if h.Scenario.StrataErrors != 0 || h.Scenario.NginxErrors != 0 || h.Scenario.Ratio <= 0 || h.WarmRead <= 0 {
		t.Errorf("hot: errors %d / %d, ratio %v, warm read %v", h.Scenario.StrataErrors, h.Scenario.NginxErrors, h.Scenario.Ratio, h.WarmRead)
	}
	t.Logf("hot: Strata's store traffic during the rounds: %+v", h.StoreDuringRounds)

	m := rep.RSS
	if m == nil {
		t.Fatal("no RSS report")
	}
	if m.AfterLoad.RSS <= 0 || m.Settled.RSS <= 0 || m.Settled.HWM < m.Settled.RSS || m.Limit != cfg.RSSCacheBytes+cfg.RSSSlack {
		t.Errorf("rss: implausible memory readings %+v", m)
	}
	if m.Store.GETBytes <= cfg.RSSCacheBytes || m.Strata.Evictions == 0 {
		t.Errorf("rss: fetched %d bytes with %d evictions: the phase must touch more than the %d-byte budget", m.Store.GETBytes, m.Strata.Evictions, cfg.RSSCacheBytes)
	}
	if m.Strata.CacheBytes > cfg.RSSCacheBytes {
		t.Errorf("rss: the cache holds %d bytes, over its %d-byte budget", m.Strata.CacheBytes, cfg.RSSCacheBytes)
	}
	if m.Ranges.Requests == 0 || m.Ranges.Errors != 0 {
		t.Errorf("rss: wrk ranges %+v", m.Ranges)
	}

	md := rep.Markdown()
	for _, want := range []string{"### Cold path:", "| strata |", "| nginx proxy_cache + slice |", "### Hot ranges:", "| range-64k-in-hot |", "### RSS:"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if _, err := rep.JSON(); err != nil {
		t.Errorf("JSON: %v", err)
	}
	t.Logf("report:\n%s", md)
}

// TestIntegrationStrataFetchesEachChunkOnce is a correctness property, not
// a speed target: however many clients miss on a cold object at once,
// Strata sends the store one GET per chunk touched, never more, and fetches
// each byte once. Counted at the gateway side and in Strata's own metrics.
func TestIntegrationStrataFetchesEachChunkOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw, nginx and Strata; skipped in -short mode")
	}
	tests := []struct {
		name       string
		objectSize int64
		chunkSize  int64
		wantChunks int64
	}{
		{name: "aligned: 4 MiB in 256 KiB chunks", objectSize: 4 << 20, chunkSize: 256 << 10, wantChunks: 16},
		{name: "unaligned: a short last chunk", objectSize: 4<<20 + 4<<10, chunkSize: 256 << 10, wantChunks: 17},
		{name: "one chunk larger than the object", objectSize: 64 << 10, chunkSize: 1 << 20, wantChunks: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := integrationConfig(t)
			cfg.Phases = []string{PhaseCold}
			cfg.ColdObjectSize, cfg.ChunkSize, cfg.Clients, cfg.ColdRounds, cfg.NginxCacheLock = tt.objectSize, tt.chunkSize, 16, 2, false
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			rep, err := Run(ctx, cfg, nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if rep.Cold.ChunksTouched != tt.wantChunks {
				t.Fatalf("ChunksTouched = %d, want %d", rep.Cold.ChunksTouched, tt.wantChunks)
			}
			for _, rd := range rep.Cold.Rounds {
				for _, r := range rd.Results {
					if r.Server != ServerStrata {
						continue
					}
					if r.Failed != 0 {
						t.Errorf("round %d: %d of %d clients failed: %s", rd.Round, r.Failed, cfg.Clients, r.FirstError)
					}
					if r.Store.ObjectGETs != tt.wantChunks || r.Store.GETBytes != tt.objectSize {
						t.Errorf("round %d: the gateway saw %d GETs for %d bytes, want %d GETs for the object's %d bytes",
							rd.Round, r.Store.ObjectGETs, r.Store.GETBytes, tt.wantChunks, tt.objectSize)
					}
					if r.Strata.StoreGets != tt.wantChunks || r.Strata.FetchedBytes != tt.objectSize || r.Strata.StoreGetsFailed != 0 {
						t.Errorf("round %d: Strata's metrics say %d GETs (%d failed) for %d bytes, want %d for %d",
							rd.Round, r.Strata.StoreGets, r.Strata.StoreGetsFailed, r.Strata.FetchedBytes, tt.wantChunks, tt.objectSize)
					}
					if r.Store.ObjectHEADs > 1 {
						t.Errorf("round %d: %d metadata HEADs for one object, want at most 1", rd.Round, r.Store.ObjectHEADs)
					}
				}
			}
			if !rep.Cold.StrataGETsMatch || !rep.Cold.MetricsAgree {
				t.Errorf("verdicts: GETs match %v, metrics agree %v", rep.Cold.StrataGETsMatch, rep.Cold.MetricsAgree)
			}
		})
	}
}

// cancelOn cancels the run when a progress line contains marker.
type cancelOn struct {
	marker string
	cancel context.CancelFunc
	seen   bool
}

func (c *cancelOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.marker) {
		c.seen = true
		c.cancel()
	}
	return len(p), nil
}

// processesUsing lists the processes whose command line or open files
// mention dir: versitygw and nginx name it in their arguments, Strata
// writes its log there.
func processesUsing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		base := filepath.Join("/proc", e.Name())
		cmdline, _ := os.ReadFile(filepath.Join(base, "cmdline"))
		if strings.Contains(string(cmdline), dir) {
			found = append(found, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
			continue
		}
		fds, _ := os.ReadDir(filepath.Join(base, "fd"))
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join(base, "fd", fd.Name())); err == nil && strings.HasPrefix(target, dir) {
				found = append(found, e.Name()+": has "+target+" open")
				break
			}
		}
	}
	return found
}

// Cancelling a run in the middle of a wrk run must stop every process it
// started: the gateway, nginx, Strata and wrk.
func TestIntegrationCancelStopsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw, nginx, Strata and wrk; skipped in -short mode")
	}
	cfg := integrationConfig(t)
	cfg.Phases = []string{PhaseHot}
	cfg.Warmup = 30 * time.Second // cancelled long before it ends
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &cancelOn{marker: "hot warm-up strata", cancel: cancel}
	start := time.Now()
	_, err := Run(ctx, cfg, progress)
	if !progress.seen {
		t.Fatalf("the run never reached the warm-up: %v", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel = %v, want context.Canceled", err)
	}
	t.Logf("Run returned %v after it started, cancelled during a 30 s warm-up", time.Since(start).Round(time.Millisecond))
	if left := processesUsing(t, cfg.Dir); len(left) > 0 {
		t.Errorf("processes left behind after Run returned:\n%s", strings.Join(left, "\n"))
	}
}
