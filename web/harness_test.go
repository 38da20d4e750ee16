package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/strata3d/strata/cache/fsstore"
	"github.com/strata3d/strata/lod"
	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/lod/publish"
)

// The browser tests run the real binary: `go build ./cmd/strata` once per
// test process (the bundle it embeds is whatever make web last built), then
// `strata serve` on a loopback port for each scenario.

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// repoRoot is the module root: the test runs in web/.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

// browserEnv returns the node_modules folder and the chromium path the
// scenarios need, or ends the test: skipped under -short, failed otherwise.
func browserEnv(tb testing.TB) (nodeModules, chromium string) {
	tb.Helper()
	nodeModules, chromium = os.Getenv("STRATA_TEST_NODE_MODULES"), os.Getenv("STRATA_TEST_CHROMIUM")
	if nodeModules == "" || chromium == "" {
		if testing.Short() {
			tb.Skip("browser tests need STRATA_TEST_NODE_MODULES and STRATA_TEST_CHROMIUM")
		}
		tb.Fatal("STRATA_TEST_NODE_MODULES and STRATA_TEST_CHROMIUM are not set: run the tests under scripts/testenv.sh run")
	}
	if _, err := os.Stat(filepath.Join(nodeModules, "playwright-core")); err != nil {
		tb.Fatalf("playwright-core is not installed in %s: run scripts/testenv.sh install", nodeModules)
	}
	if _, err := os.Stat(filepath.Join("static", "dist", "app.js")); err != nil {
		tb.Fatal("web/static/dist/app.js is missing: build the client bundle with make web")
	}
	return nodeModules, chromium
}

// strataBinary builds cmd/strata once for the whole test process.
func strataBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "strata-web-test-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "strata")
		cmd := exec.Command("go", "build", "-o", buildBin, "./cmd/strata")
		cmd.Dir = repoRoot(tb)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/strata: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildBin
}

// strataServer is a running `strata serve`.
type strataServer struct {
	URL    string
	Assets string
	out    *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before strata binds it; on this machine's loopback that is rare,
// and a clash fails the start with a clear message rather than a wrong result.
func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startStrata runs `strata serve` over the assets directory and waits until
// it answers /readyz. It is stopped with SIGTERM when the test ends.
func startStrata(tb testing.TB, assets string, args ...string) *strataServer {
	tb.Helper()
	bin := strataBinary(tb)
	addr := freePort(tb)
	full := append([]string{"serve", "--addr", addr, "--store", "fs", "--assets-dir", assets,
		"--access-log=false", "--cache-bytes", "128MiB", "--log-level", "warn"}, args...)
	cmd := exec.Command(bin, full...)
	cmd.Dir = tb.TempDir()
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if tb.Failed() {
			tb.Logf("strata output:\n%s", out.String())
		}
	})
	s := &strataServer{URL: "http://" + addr, Assets: assets, out: out}
	// The process is starting up: poll its readiness probe, bounded.
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-exited:
			tb.Fatalf("strata serve exited during start: %v\n%s", err, out.String())
		default:
		}
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("strata serve did not become ready on %s:\n%s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runScenario runs testdata/browser/NAME.mjs against the server with params
// and decodes the JSON report it prints last into report.
func runScenario(tb testing.TB, name, baseURL string, params, report any) {
	tb.Helper()
	nodeModules, chromium := browserEnv(tb)
	p, err := json.Marshal(params)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("testdata", "browser", name+".mjs"))
	cmd.Env = append(os.Environ(),
		"STRATA_URL="+baseURL,
		"STRATA_BROWSER_PARAMS="+string(p),
		"STRATA_ARTIFACTS="+artifactsDir(tb),
		"STRATA_TEST_NODE_MODULES="+nodeModules,
		"STRATA_TEST_CHROMIUM="+chromium,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("browser scenario %s: %v\n%s\n%s", name, err, stderr.String(), tail(stdout.String(), 4000))
	}
	var last string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			last = line
		}
	}
	if err := json.Unmarshal([]byte(last), report); err != nil {
		tb.Fatalf("browser scenario %s: report: %v\n%s", name, err, tail(last, 2000))
	}
	if s := stderr.String(); s != "" {
		tb.Logf("scenario %s stderr:\n%s", name, tail(s, 4000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// artifactsDir is where screenshots go: $STRATA_TEST_ARTIFACTS/web, or
// test-artifacts/web in the repository (ignored by git).
func artifactsDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("STRATA_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(tb), "test-artifacts")
	}
	dir = filepath.Join(dir, "web")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// publishDemo publishes demo models through lod/publish into an fs store
// directory, as `strata serve` does for uploads, and returns each model's
// manifest. names maps the published id to a meshgen demo model name.
func publishDemo(tb testing.TB, assets string, names map[string]string) map[string]lod.Manifest {
	tb.Helper()
	store, err := fsstore.New(assets)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := publish.New(publish.DefaultConfig(), publish.Deps{Store: store})
	if err != nil {
		tb.Fatal(err)
	}
	defer p.Close()
	demo := map[string]meshgen.Model{}
	for _, m := range meshgen.Demo() {
		demo[m.Name] = m
	}
	out := map[string]lod.Manifest{}
	for id, name := range names {
		m, ok := demo[name]
		if !ok {
			tb.Fatalf("no demo model %q", name)
		}
		glb, err := meshgen.EncodeGLB(&m)
		if err != nil {
			tb.Fatal(err)
		}
		job, err := p.Publish(context.Background(), publish.Request{ID: id, Upload: publish.Upload{Name: name + ".glb", Data: glb}})
		if err != nil {
			tb.Fatalf("publish %s: %v", id, err)
		}
		if job.Error != nil {
			tb.Fatalf("publish %s: job failed: %+v", id, job.Error)
		}
		ptr, err := p.Current(context.Background(), id)
		if err != nil {
			tb.Fatalf("pointer of %s: %v", id, err)
		}
		out[id] = ptr.Manifest
	}
	return out
}

// damageModel overwrites a published model's progressive.glb with bytes of
// the same length that are not a GLB: ranges still work, parsing fails.
func damageModel(tb testing.TB, assets, id string) {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(assets, "models", id, "*", lod.ProgressiveFile))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no published progressive.glb of %s (%v)", id, err)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(f, bytes.Repeat([]byte("not a model "), int(st.Size())/12+1)[:st.Size()], 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}
