package suite

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata3d/strata/bench/load"
	"github.com/strata3d/strata/bench/report"
)

func TestParseCommand(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	cfg, err := parseCommand([]string{"--vs", "nginx", "--rounds", "2", "--only", "hot-small, cold-s3", "--header", "X-Origin-Secret: s3cret"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Rounds != 2 || len(cfg.Vs) != 1 || len(cfg.Only) != 2 || cfg.Only[1] != "cold-s3" || cfg.Headers["X-Origin-Secret"] != "s3cret" {
		t.Errorf("config %+v", cfg)
	}
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"STRATA_BENCH_ROUNDS": "5", "STRATA_BENCH_TARGET": "http://127.0.0.1:9"}[k]
		return v, ok
	}
	if cfg, err = parseCommand(nil, env, io.Discard); err != nil || cfg.Rounds != 5 || cfg.Target != "http://127.0.0.1:9" {
		t.Errorf("from the environment: %v %+v", err, cfg)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		// None of these sends anything: the guard refuses before any dial.
		{"remote target without --allow-remote", []string{"--target", "http://192.0.2.10"}, "allow-remote"},
		{"host name without --allow-remote", []string{"--target", "https://d111111abcdef8.cloudfront.net"}, "allow-remote"},
		{"target and peers", []string{"--target", "http://127.0.0.1:9", "--vs", "nginx"}, "cannot be combined"},
		{"unknown peer", []string{"--vs", "apache"}, "only peer"},
		{"no rounds", []string{"--rounds", "0"}, "rounds 0"},
		{"bad header", []string{"--header", "nocolon"}, "Name: value"},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCommand(tc.args, noEnv, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := parseCommand([]string{"--target", "http://192.0.2.10", "--allow-remote"}, noEnv, io.Discard); err != nil {
		t.Errorf("--allow-remote: %v", err)
	}
	if _, err := parseCommand([]string{"--target", "http://192.0.2.10"}, noEnv, io.Discard); !errors.Is(err, load.ErrRemote) {
		t.Errorf("error %v is not load.ErrRemote", err)
	}
}

func TestLoadScenarios(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Only, cfg.Duration, cfg.Warmup = []string{"cold-s3", "hot-small"}, 2*time.Second, 500*time.Millisecond
	sc, name, err := loadScenarios(cfg)
	if err != nil || name != "standard" || len(sc) != 2 || sc[0].Name != "hot-small" {
		t.Fatalf("%v %q %v", err, name, sc)
	}
	if time.Duration(sc[1].Duration) != 2*time.Second || time.Duration(sc[1].Warmup) != 500*time.Millisecond {
		t.Errorf("overrides not applied: %+v", sc[1])
	}
	cfg.Only = []string{"nope"}
	if _, _, err := loadScenarios(cfg); err == nil || !strings.Contains(err.Error(), "hot-small") {
		t.Errorf("unknown --only: %v", err)
	}
}

func TestS3Keys(t *testing.T) {
	f, err := load.ParseFile(StandardScenarios())
	if err != nil {
		t.Fatal(err)
	}
	cold := f.Lookup("cold-s3")
	keys, err := s3Keys(cold, 6)
	// 50 sessions/s over 1 s warm-up + 5 s, plus one, per run.
	if err != nil || len(keys) != 6*301 || keys[0].key != "cold/0.bin" || keys[len(keys)-1].key != "cold/1805.bin" {
		t.Fatalf("%v: %d keys, first %v", err, len(keys), keys[:1])
	}
	closed := *cold
	closed.Mode, closed.Rate = load.ModeClosed, 0
	if _, err := s3Keys(&closed, 1); err == nil || !strings.Contains(err.Error(), "open loop") {
		t.Errorf("closed sequential S3 scenario: %v", err)
	}
	small := *cold
	k := *cold.Keys
	k.Count = 100
	small.Keys = &k
	if _, err := s3Keys(&small, 6); err == nil || !strings.Contains(err.Error(), "distinct keys") {
		t.Errorf("too few keys: %v", err)
	}
}

// TestDatasetServesTheViewer lays out the baked demo models and plays the
// standard viewer scenario over them with a plain file server: every
// manifest parses and every span is answered, so the data set and the
// progressive step agree on the layout.
func TestDatasetServesTheViewer(t *testing.T) {
	dir := t.TempDir()
	ids, err := publishDemoModels(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ranges := 0
	fs := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.StripPrefix("/models", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") != "" {
			mu.Lock()
			ranges++
			mu.Unlock()
		}
		fs.ServeHTTP(w, r)
	})))
	defer srv.Close()
	f, err := load.ParseFile(StandardScenarios())
	if err != nil {
		t.Fatal(err)
	}
	sc := f.Lookup("viewer-progressive")
	if len(ids) != len(sc.Keys.List) {
		t.Errorf("data set has models %v, the scenario lists %v", ids, sc.Keys.List)
	}
	sc.Warmup, sc.Duration = 0, load.Duration(time.Second)
	res, err := load.Run(context.Background(), sc, load.Target{Name: "files", BaseURL: srv.URL}, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 40 sessions, each a manifest and at least two spans.
	if res.Errors != 0 || res.Sessions != 40 || res.Requests < 40*3 || int64(ranges) != res.Requests-40 {
		t.Errorf("sessions %d, requests %d (%d ranges), errors %v", res.Sessions, res.Requests, ranges, res.ErrorsByKind)
	}
}

// TestIntegrationRun runs three scenarios briefly against real Strata,
// nginx (static and proxy_cache + slice) and versitygw, and checks the
// result file and report; it asserts nothing about speed.
func TestIntegrationRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Strata, nginx and versitygw; skipped in -short mode")
	}
	cfg := DefaultConfig()
	cfg.NginxBin, cfg.VersitygwBin = mustTool(t, "STRATA_TEST_NGINX"), mustTool(t, "STRATA_TEST_VERSITYGW")
	cfg.StrataBin = strataBinary(t)
	cfg.Vs = []string{PeerNginx}
	cfg.Only = []string{"hot-small", "cold-s3", "viewer-progressive", "storefront-browse"}
	cfg.Rounds, cfg.Duration, cfg.Warmup = 1, time.Second, 200*time.Millisecond
	cfg.Dir, cfg.Out = t.TempDir(), t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var progress strings.Builder
	f, err := Run(ctx, cfg, &progress)
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Scenarios) != 4 {
		t.Fatalf("%d scenarios", len(f.Scenarios))
	}
	for _, s := range f.Scenarios[:3] {
		if s.Skipped != "" || len(s.Summary) != 2 || len(s.Ratios) != 1 {
			t.Fatalf("%s: skipped %q, %d summaries, %d ratios", s.Spec.Name, s.Skipped, len(s.Summary), len(s.Ratios))
		}
		for _, sum := range s.Summary {
			if sum.Requests == 0 || sum.Errors != 0 || sum.Latency.P50 <= 0 {
				t.Errorf("%s %s: %d requests, errors %v, p50 %v", s.Spec.Name, sum.Target, sum.Requests, sum.ErrorsByKind, sum.Latency.P50)
			}
		}
	}
	// The storefront runs on Strata alone, against its seeded demo catalog.
	if sf := f.Scenarios[3]; sf.Skipped == "" {
		if len(sf.Summary) != 1 || sf.Summary[0].Requests == 0 || sf.Summary[0].Errors != 0 || len(sf.Ratios) != 0 {
			t.Errorf("storefront-browse: %+v", sf.Summary)
		}
	}
	// Every cold request was a miss on both servers: keys never repeat.
	for _, r := range f.Scenarios[1].Rounds[0].Results {
		if r.KeysReused != 0 {
			t.Errorf("cold-s3 %s reused %d keys", r.Target, r.KeysReused)
		}
	}
	if f.Environment.GitCommit == "" || f.Environment.NginxVersion == "" || !strings.Contains(f.Environment.Generator, "fasthttp") {
		t.Errorf("environment %+v", f.Environment)
	}
	jsonPath, htmlPath, err := Write(f, cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	back, err := report.Read(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := report.Compare(back, f, report.DefaultCompareOptions()); err != nil || c.Regressions() != 0 {
		t.Errorf("a file compared with itself: %v, %d regressions", err, c.Regressions())
	}
	if st, err := os.Stat(htmlPath); err != nil || st.Size() < 10_000 {
		t.Errorf("HTML report: %v", err)
	}
}

// mustTool returns the path in the environment variable name, or fails the
// test saying how to get it set.
func mustTool(tb testing.TB, name string) string {
	tb.Helper()
	p := os.Getenv(name)
	if p == "" {
		tb.Fatalf("%s is not set: run via `scripts/testenv.sh run go test ./bench/suite/...` or `make test` (or use -short)", name)
	}
	return p
}

// strataBinary returns $STRATA_TEST_STRATA_BIN, or strata built from this
// module into the test's temporary directory.
func strataBinary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("STRATA_TEST_STRATA_BIN"); p != "" {
		return p
	}
	bin := filepath.Join(tb.TempDir(), "strata")
	build := exec.Command("go", "build", "-o", bin, "./cmd/strata")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/strata: %v\n%s", err, out)
	}
	return bin
}
