package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/lod/publish"
)

// browserRun is what testdata/browser/stream.mjs reports.
type browserRun struct {
	Requests []struct {
		Method        string  `json:"method"`
		Range         string  `json:"range"`
		Status        int     `json:"status"`
		ContentLength int64   `json:"contentLength"`
		ContentRange  string  `json:"contentRange"`
		StartMS       float64 `json:"startMs"`
		EndMS         float64 `json:"endMs"`
		Failed        string  `json:"failed"`
	} `json:"requests"`
	Events []struct {
		Kind      string  `json:"kind"`
		Index     int     `json:"index"`
		Triangles int     `json:"triangles"`
		MS        float64 `json:"ms"`
	} `json:"events"`
	Screenshots []struct {
		Level int     `json:"level"`
		File  string  `json:"file"`
		MS    float64 `json:"ms"`
	} `json:"screenshots"`
	Console  []string `json:"console"`
	LaunchMS float64  `json:"launchMs"`
	CloseMS  float64  `json:"closeMs"`
	Error    string   `json:"error"`
	Complete bool     `json:"complete"`
}

// requireEnv returns an environment variable the test needs, failing (or
// skipping with -short) when it is unset.
func requireEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		msg := name + " is not set: run the tests via `scripts/testenv.sh run go test ./...` or `make test`"
		if testing.Short() {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	return v
}

// artifactsDir is where test artifacts go: $STRATA_TEST_ARTIFACTS, else
// <repo>/test-artifacts.
func artifactsDir(t *testing.T, sub string) string {
	t.Helper()
	dir := os.Getenv("STRATA_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "test-artifacts")
	}
	dir, err := filepath.Abs(filepath.Join(dir, sub))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowserStreamsProgressiveLOD publishes a model through the admin API
// of a real `strata serve`, then loads its progressive.glb in Babylon.js
// (range requests, MSFT_lod) in headless Chromium, over an emulated
// 4 Mbit/s link with 60 ms latency, and checks from the network log and Babylon's LOD events
// that the model streams coarsest-first by small ranges.
func TestBrowserStreamsProgressiveLOD(t *testing.T) {
	nodeModules := requireEnv(t, "STRATA_TEST_NODE_MODULES")
	requireEnv(t, "STRATA_TEST_CHROMIUM")
	const token = "browser-test-token-0123456789abcdef"
	testStart := time.Now()

	cfg := defaultServeConfig()
	cfg.AssetsDir = t.TempDir()
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Server.AccessLog = false
	cfg.Cache.MaxBytes = 128 << 20
	cfg.Demo = false
	cfg.Publish.AdminToken = token
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, err := newServeApp(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	defer func() { cancel(); <-done }()
	origin := "http://" + app.Addr()

	// Publish the armchair (118k triangles) through the admin API.
	var glb []byte
	for _, m := range meshgen.Demo() {
		if m.Name == "tufted-armchair" {
			if glb, err = meshgen.EncodeGLB(&m); err != nil {
				t.Fatal(err)
			}
		}
	}
	job := adminDo(t, "POST", origin+"/admin/models/tufted-armchair", token, "model/gltf-binary", glb, 202)
	job = adminDo(t, "GET", origin+"/admin/jobs/"+job.ID+"?wait=60s", token, "", nil, 200)
	if job.State != publish.Done {
		t.Fatalf("publish job: %+v", job)
	}
	var ptr publish.Pointer
	if err := json.Unmarshal(mustGet(t, origin+"/models/tufted-armchair/manifest.json", "application/json"), &ptr); err != nil {
		t.Fatal(err)
	}
	modelURL := origin + "/models/tufted-armchair/" + ptr.Published.Progressive
	levels := ptr.Levels
	n := len(levels)
	coarsest := levels[n-1]
	t.Logf("progressive.glb: %d bytes, header %d, coarsest level %d: %v (%d triangles), finest: %v (%d triangles)",
		ptr.Progressive.Bytes, ptr.Progressive.HeaderBytes, n-1, coarsest.ProgressiveRange, coarsest.Triangles, levels[0].ProgressiveRange, levels[0].Triangles)

	// The viewer page and Babylon come from a second local server, so the
	// model is fetched cross-origin as from a CDN (CORS included).
	page, err := os.ReadFile("testdata/browser/viewer.html")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /viewer.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("GET /babylon.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(nodeModules, "babylonjs", "babylon.js"))
	})
	mux.HandleFunc("GET /babylonjs.loaders.min.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(nodeModules, "babylonjs-loaders", "babylonjs.loaders.min.js"))
	})
	web := httptest.NewServer(mux)
	defer web.Close()

	outDir := artifactsDir(t, "browser-lod")
	cmdCtx, stop := context.WithTimeout(ctx, 3*time.Minute)
	defer stop()
	cmd := exec.CommandContext(cmdCtx, "node", "testdata/browser/stream.mjs")
	cmd.Env = append(os.Environ(),
		"VIEWER_URL="+web.URL+"/viewer.html?model="+modelURL,
		"MODEL_URL="+modelURL,
		"OUT_DIR="+outDir,
		"LEVELS="+strconv.Itoa(n),
		"LEVEL_STARTS="+levelStarts(ptr),
		"THROTTLE_BPS=4000000",
		"LATENCY_MS=60",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	nodeStart := time.Now()
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var run browserRun
	if err := json.Unmarshal(stdout, &run); err != nil {
		t.Fatalf("driver output: %v\n%s\n%s", err, stdout, stderr.String())
	}
	t.Logf("node driver took %v (chromium launch %.0f ms, close %.0f ms); publishing took %v", time.Since(nodeStart), run.LaunchMS, run.CloseMS, nodeStart.Sub(testStart))
	if run.Error != "" || !run.Complete {
		t.Fatalf("viewer failed (complete=%v): %s\nconsole: %q", run.Complete, run.Error, run.Console)
	}

	// Network: every request for the model is a range, answered 206, and
	// none carries the whole file; the first are the GLB header, the JSON,
	// then the coarsest level's span.
	size := int64(ptr.Progressive.Bytes)
	var total int64
	re := regexp.MustCompile(`^bytes=(\d+)-(\d+)$`)
	type span struct{ start, end int64 }
	var spans []span
	for i, r := range run.Requests {
		t.Logf("request %d: %s %s → %d %s (%d bytes) %0.f–%0.f ms", i, r.Method, r.Range, r.Status, r.ContentRange, r.ContentLength, r.StartMS, r.EndMS)
		m := re.FindStringSubmatch(r.Range)
		if r.Method != "GET" || m == nil || r.Status != 206 || r.Failed != "" {
			t.Fatalf("request %d for the model is not a single range answered 206: %+v", i, r)
		}
		if r.ContentLength >= size {
			t.Fatalf("request %d downloads the whole file (%d bytes)", i, r.ContentLength)
		}
		start, _ := strconv.ParseInt(m[1], 10, 64)
		end, _ := strconv.ParseInt(m[2], 10, 64)
		spans = append(spans, span{start, end + 1})
		total += r.ContentLength
	}
	if len(spans) < 3 {
		t.Fatalf("%d requests for the model, want the header, the JSON and at least one level", len(spans))
	}
	header := int64(ptr.Progressive.HeaderBytes)
	if spans[0].start != 0 || spans[0].end > 64 {
		t.Errorf("first request %v, want the few bytes of the GLB header", spans[0])
	}
	if spans[1].start != spans[0].end || spans[1].end > header {
		t.Errorf("second request %v, want the JSON chunk within the first %d bytes", spans[1], header)
	}
	if c := coarsest.ProgressiveRange; spans[2].start < int64(c[0])-8 || spans[2].end > int64(c[1]) {
		t.Errorf("third request %v, want the coarsest level's span %v", spans[2], c)
	}
	if total > size+int64(n)*64 {
		t.Errorf("the viewer fetched %d bytes of a %d-byte file: some were fetched twice", total, size)
	}

	// Babylon showed the coarsest level first, the finest last, and the
	// first frame came before the finest level's bytes arrived.
	var nodeEvents []int
	var coarseMS, finestMS float64
	for _, e := range run.Events {
		if e.Kind != "node" {
			continue
		}
		nodeEvents = append(nodeEvents, e.Index)
		// The frame reported with the event drew exactly that level.
		if level := n - 1 - e.Index; level >= 0 && level < n && e.Triangles != levels[level].Triangles {
			t.Errorf("the frame of Babylon's LOD %d drew %d triangles, level %d has %d", e.Index, e.Triangles, level, levels[level].Triangles)
		}
		if e.Index == 0 {
			coarseMS = e.MS
		}
		if e.Index == n-1 {
			finestMS = e.MS
		}
	}
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if fmt.Sprint(nodeEvents) != fmt.Sprint(want) {
		t.Fatalf("LOD events %v, want %v (coarsest first)", nodeEvents, want)
	}
	lastEnd := run.Requests[len(run.Requests)-1].EndMS
	if !(coarseMS < finestMS) || !(coarseMS < lastEnd) {
		t.Errorf("coarsest frame at %.0f ms, finest at %.0f ms, last byte at %.0f ms", coarseMS, finestMS, lastEnd)
	}
	first := run.Requests[0].StartMS
	t.Logf("from the first request for the model: first coarse frame after %.0f ms (level %d, %d triangles, %d bytes); finest level after %.0f ms (%d triangles, %d bytes)",
		coarseMS-first, n-1, coarsest.Triangles, coarsest.ProgressivePrefix, finestMS-first, levels[0].Triangles, ptr.Progressive.Bytes)

	// A screenshot per level, none blank.
	if len(run.Screenshots) != n {
		t.Fatalf("%d screenshots, want one per level (%d)", len(run.Screenshots), n)
	}
	for _, s := range run.Screenshots {
		frac := inkFraction(t, s.File)
		t.Logf("screenshot of level %d: %s (%.1f%% of pixels not background)", s.Level, s.File, 100*frac)
		if frac < 0.01 {
			t.Errorf("level %d's frame is blank (%.3f%% drawn): %s", s.Level, 100*frac, s.File)
		}
	}
}

// inkFraction is the share of a PNG's pixels that differ from its top-left
// (background) pixel.
func inkFraction(t *testing.T, file string) float64 {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	b := img.Bounds()
	bg := colorOf(img, b.Min.X, b.Min.Y)
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := colorOf(img, x, y)
			d := 0
			for i := range c {
				d += abs(c[i] - bg[i])
			}
			if d > 24 {
				ink++
			}
		}
	}
	return float64(ink) / float64(b.Dx()*b.Dy())
}

func colorOf(img image.Image, x, y int) [3]int {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// adminDo calls the admin API and decodes the job it answers.
func adminDo(t *testing.T, method, url, token, ctype string, body []byte, status int) publish.Job {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	var j publish.Job
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s %s: %v: %s", method, url, err, b)
	}
	return j
}

// levelStarts is where each level's span of progressive.glb starts, finest
// first, as JSON.
func levelStarts(ptr publish.Pointer) string {
	starts := make([]int, len(ptr.Levels))
	for i, l := range ptr.Levels {
		starts[i] = l.ProgressiveRange[0]
	}
	b, _ := json.Marshal(starts)
	return string(b)
}
