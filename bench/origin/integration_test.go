package origin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestIntegrationRun runs the whole comparison briefly against real nginx
// and wrk, and Strata built from this module (or $STRATA_TEST_STRATA_BIN).
func TestIntegrationRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nginx, Strata and wrk; skipped in -short mode")
	}
	nginxBin, wrkBin := MustTestTool(t, "STRATA_TEST_NGINX"), MustTestTool(t, "STRATA_TEST_WRK")
	strataBin := os.Getenv("STRATA_TEST_STRATA_BIN")
	if strataBin == "" {
		strataBin = filepath.Join(t.TempDir(), "strata")
		build := exec.Command("go", "build", "-o", strataBin, "./cmd/strata")
		build.Dir = moduleRoot(t)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/strata: %v\n%s", err, out)
		}
	}
	checkShortRun(t, nginxBin, wrkBin, strataBin, startStrata)
}

// TestIntegrationHarness measures nginx against a second nginx in Strata's
// place: the harness itself must work (and report ratios near 1) whatever
// state Strata is in.
func TestIntegrationHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nginx and wrk; skipped in -short mode")
	}
	nginxBin, wrkBin := MustTestTool(t, "STRATA_TEST_NGINX"), MustTestTool(t, "STRATA_TEST_WRK")
	checkShortRun(t, nginxBin, wrkBin, nginxBin, nginxAsStrata(nginxBin))
}

// checkShortRun runs every scenario for one 1-second round and checks the
// report's shape; it asserts nothing about speed.
func checkShortRun(t *testing.T, nginxBin, wrkBin, strataBin string, start strataStarter) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.StrataBin, cfg.NginxBin, cfg.WrkBin = strataBin, nginxBin, wrkBin
	cfg.Dir = t.TempDir()
	cfg.Duration, cfg.Warmup, cfg.Rounds = time.Second, 0, 1
	cfg.Connections, cfg.Threads = 8, 1
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	rep, err := run(ctx, cfg, &progress, start)
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got, want := len(rep.Scenarios), len(AllScenarios()); got != want {
		t.Fatalf("got %d scenarios, want %d", got, want)
	}
	for _, sc := range rep.Scenarios {
		if len(sc.Rounds) != 1 {
			t.Errorf("%s: %d rounds, want 1", sc.Name, len(sc.Rounds))
			continue
		}
		for name, r := range map[string]WrkResult{"strata": sc.Rounds[0].Strata, "nginx": sc.Rounds[0].Nginx} {
			if r.Requests == 0 || r.RequestsPerSec <= 0 {
				t.Errorf("%s/%s: no requests measured: %+v", sc.Name, name, r)
			}
			if r.Errors != 0 {
				t.Errorf("%s/%s: %d errors: %+v", sc.Name, name, r.Errors, r)
			}
			if r.Latency.P99 <= 0 || r.Latency.P999 < r.Latency.P99 {
				t.Errorf("%s/%s: latency p99 %v, p99.9 %v: want 0 < p99 ≤ p99.9", sc.Name, name, r.Latency.P99, r.Latency.P999)
			}
			if r.LogBytes <= 0 {
				t.Errorf("%s/%s: the access log did not grow during the run", sc.Name, name)
			}
		}
		if sc.Ratio <= 0 {
			t.Errorf("%s: ratio %v", sc.Name, sc.Ratio)
		}
	}
	md := rep.Markdown()
	for _, want := range []string{"| scenario | Strata req/s | nginx req/s | ratio | Strata p99 | nginx p99 |", "| get-4k |", "| range-64k-in-20m |"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if _, err := rep.JSON(); err != nil {
		t.Errorf("JSON: %v", err)
	}
	t.Logf("report:\n%s", md)
}

// nginxAsStrata starts a second nginx labelled "strata", for testing the
// harness where no Strata binary exists.
func nginxAsStrata(nginxBin string) strataStarter {
	return func(ctx context.Context, _ string, _ []string, dir, assetsDir string) (*server, error) {
		sub := filepath.Join(dir, "as-strata")
		s, err := startNginx(ctx, nginxBin, sub, assetsDir, "")
		if err != nil {
			return nil, err
		}
		s.name = "strata"
		return s, nil
	}
}

// MustTestTool returns the path in the environment variable name, or fails
// the test saying how to get it set.
func MustTestTool(tb testing.TB, name string) string {
	tb.Helper()
	p := os.Getenv(name)
	if p == "" {
		tb.Fatalf("%s is not set: run via `scripts/testenv.sh run go test ./bench/origin/...` or `make test` (or use -short)", name)
	}
	return p
}

// moduleRoot finds the directory holding go.mod above the test's directory.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// cancelOnStart cancels the run as soon as both servers are up, after
// noting their master pids.
type cancelOnStart struct {
	cancel context.CancelFunc
	dir    string
	pids   []int
}

func (c *cancelOnStart) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "strata at ") {
		for _, f := range []string{filepath.Join(c.dir, "nginx", "nginx.pid"), filepath.Join(c.dir, "as-strata", "nginx", "nginx.pid")} {
			if b, err := os.ReadFile(f); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					c.pids = append(c.pids, pid)
				}
			}
		}
		c.cancel()
	}
	return len(p), nil
}

func TestIntegrationCancelStopsServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nginx and wrk; skipped in -short mode")
	}
	nginxBin, wrkBin := MustTestTool(t, "STRATA_TEST_NGINX"), MustTestTool(t, "STRATA_TEST_WRK")
	cfg := DefaultConfig()
	cfg.StrataBin, cfg.NginxBin, cfg.WrkBin = nginxBin, nginxBin, wrkBin
	cfg.Dir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &cancelOnStart{cancel: cancel, dir: cfg.Dir}
	_, err := run(ctx, cfg, progress, nginxAsStrata(nginxBin))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("run after cancel = %v, want context.Canceled", err)
	}
	if len(progress.pids) != 2 {
		t.Fatalf("found %d nginx pids, want 2", len(progress.pids))
	}
	for _, pid := range progress.pids {
		// run reaps its children before returning, so the pid is free now.
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("nginx master %d still exists after run returned (kill -0: %v)", pid, err)
		}
	}
}

// A server that answers fast with the wrong bytes must not be measured.
func TestIntegrationWrongBytesRejected(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nginx; skipped in -short mode")
	}
	nginxBin, wrkBin := MustTestTool(t, "STRATA_TEST_NGINX"), MustTestTool(t, "STRATA_TEST_WRK")
	wrong := t.TempDir()
	for _, a := range assets {
		name := filepath.Join(wrong, filepath.FromSlash(a.path))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		// Same sizes, other bytes: only a body comparison tells.
		if err := os.WriteFile(name, make([]byte, a.size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := func(ctx context.Context, _ string, _ []string, dir, _ string) (*server, error) {
		s, err := startNginx(ctx, nginxBin, filepath.Join(dir, "as-strata"), wrong, "")
		if s != nil {
			s.name = "strata"
		}
		return s, err
	}
	cfg := DefaultConfig()
	cfg.StrataBin, cfg.NginxBin, cfg.WrkBin = nginxBin, nginxBin, wrkBin
	cfg.Dir = t.TempDir()
	for _, sc := range AllScenarios() {
		t.Run(sc, func(t *testing.T) {
			cfg := cfg
			cfg.Scenarios = []string{sc}
			_, err := run(context.Background(), cfg, nil, start)
			if err == nil || !strings.Contains(err.Error(), "body differs") || !strings.Contains(err.Error(), "(strata)") {
				t.Errorf("run = %v, want a body mismatch blamed on strata", err)
			}
		})
	}
}
