package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/fsstore"
	"github.com/strata3d/strata/server"
)

// comparable is what must not differ between two answers to the same request:
// status, body and every header but Date and X-Request-Id.
func comparable(r response) string {
	h := r.Header.Clone()
	h.Del("Date")
	h.Del("X-Request-Id")
	body := r.Body
	if ct := h.Get("Content-Type"); strings.HasPrefix(ct, "multipart/byteranges") {
		// The boundary is new on every answer; compare the parts' layout.
		boundary := strings.TrimPrefix(ct, "multipart/byteranges; boundary=")
		h.Set("Content-Type", "multipart/byteranges")
		body = bytes.ReplaceAll(body, []byte(boundary), []byte("BOUNDARY"))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n", r.StatusCode)
	for _, k := range slices.Sorted(maps.Keys(h)) {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(h[k], ", "))
	}
	fmt.Fprintf(&b, "body %d bytes %s", len(body), etagOf(body))
	return b.String()
}

// TestHotPathAnswersLikeTheFullPath asks the same requests three times: the
// first answer comes from the full path with a metadata miss, the second from
// the full path with a hit (which prepares the hot entry), the third from the
// hot table. All three must be identical, whatever the request's shape.
func TestHotPathAnswersLikeTheFullPath(t *testing.T) {
	big := randomBytes(5<<20, 31) // streamed: above the inline limit
	files := map[string][]byte{
		"m.glb":         randomBytes(300_000, 30),
		"big.glb":       big,
		"scene.gltf":    bytes.Repeat([]byte(`{"asset":{"version":"2.0"},"nodes":[]}`), 100),
		"models/x.json": []byte(`{"levels":[1,2,3]}`),
	}
	cases := []struct {
		name, path string
		method     string
		headers    map[string]string
		status     int
	}{
		{"get", "/assets/m.glb", "GET", nil, 200},
		{"head", "/assets/m.glb", "HEAD", nil, 200},
		{"range", "/assets/m.glb", "GET", map[string]string{"Range": "bytes=1000-70999"}, 206},
		{"suffix range", "/assets/m.glb", "GET", map[string]string{"Range": "bytes=-500"}, 206},
		{"range head", "/assets/m.glb", "HEAD", map[string]string{"Range": "bytes=10-19"}, 206},
		{"unsatisfiable", "/assets/m.glb", "GET", map[string]string{"Range": "bytes=900000-"}, 416},
		{"two ranges", "/assets/m.glb", "GET", map[string]string{"Range": "bytes=0-9,100-109"}, 206},
		{"malformed range", "/assets/m.glb", "GET", map[string]string{"Range": "bytes=a-b"}, 200},
		{"streamed", "/assets/big.glb", "GET", nil, 200},
		{"streamed range", "/assets/big.glb", "GET", map[string]string{"Range": "bytes=100-4999999"}, 206},
		{"identity of compressible", "/assets/scene.gltf", "GET", nil, 200},
		{"gzip of compressible", "/assets/scene.gltf", "GET", map[string]string{"Accept-Encoding": "gzip"}, 200},
		{"range of compressible", "/assets/scene.gltf", "GET", map[string]string{"Range": "bytes=0-9", "Accept-Encoding": "br"}, 206},
		{"cross-origin", "/assets/m.glb", "GET", map[string]string{"Origin": "https://viewer.example"}, 200},
		{"models route", "/models/x.json", "GET", nil, 200},
		{"same object by assets", "/assets/models/x.json", "GET", nil, 200},
	}
	for _, origins := range [][]string{nil, {"https://viewer.example"}} {
		o := startOrigin(t, "", files, func(c *server.Config) { c.CORSOrigins = origins })
		for _, c := range cases {
			t.Run(fmt.Sprintf("cors=%v/%s", origins, c.name), func(t *testing.T) {
				var answers []string
				for range 3 {
					r := do(t, c.method, o.URL+c.path, c.headers)
					if r.StatusCode != c.status {
						t.Fatalf("status %d, want %d", r.StatusCode, c.status)
					}
					answers = append(answers, comparable(r))
				}
				if answers[0] != answers[1] || answers[1] != answers[2] {
					t.Errorf("answers differ:\nfirst:\n%s\nsecond:\n%s\nthird:\n%s", answers[0], answers[1], answers[2])
				}
			})
		}
		// One entry per object (models/x.json has one key by both routes),
		// fewer only when two paths share a slot of the direct-mapped table.
		want := server.HotSlots(o.Server, "m.glb", "big.glb", "scene.gltf", "models/x.json")
		if n := server.HotEntries(o.Server); n != want {
			t.Errorf("hot entries = %d, want %d (m.glb, big.glb, scene.gltf, models/x.json in distinct slots)", n, want)
		}
	}
}

// TestHotPathPreconditions checks that conditional requests for a hot object
// still get their 304, 412 and If-Range answers (they take the full path).
func TestHotPathPreconditions(t *testing.T) {
	body := randomBytes(10_000, 32)
	o := startOrigin(t, "", map[string][]byte{"m.glb": body}, nil)
	for range 3 {
		do(t, "GET", o.URL+"/assets/m.glb", nil)
	}
	etag := etagOf(body)
	lastModified := do(t, "HEAD", o.URL+"/assets/m.glb", nil).Header.Get("Last-Modified")
	checks := []struct {
		headers map[string]string
		status  int
		length  int
	}{
		{map[string]string{"If-None-Match": etag}, 304, 0},
		{map[string]string{"If-Match": `"other"`}, 412, -1},
		{map[string]string{"If-Range": etag, "Range": "bytes=0-9"}, 206, 10},
		{map[string]string{"If-Range": `"other"`, "Range": "bytes=0-9"}, 200, len(body)},
		{map[string]string{"If-Modified-Since": lastModified}, 304, 0},
		{map[string]string{"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 412, -1},
	}
	for _, c := range checks {
		r := do(t, "GET", o.URL+"/assets/m.glb", c.headers)
		if r.StatusCode != c.status || (c.length >= 0 && len(r.Body) != c.length) {
			t.Errorf("%v: status %d with %d bytes, want %d with %d", c.headers, r.StatusCode, len(r.Body), c.status, c.length)
		}
	}
}

// TestHotPathFollowsChanges replaces a hot object: within MetaTTL the old
// version may still be served (the tier's contract), after it the new one
// is, whole and with its own ETag, and an invalidation takes effect at once.
func TestHotPathFollowsChanges(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.glb")
	v1, v2, v3 := randomBytes(50_000, 33), randomBytes(60_000, 34), randomBytes(70_000, 35)
	if err := os.WriteFile(path, v1, 0o644); err != nil {
		t.Fatal(err)
	}
	const metaTTL = 300 * time.Millisecond
	srv, base, tier := serveDir(t, dir, metaTTL)
	url := base + "/assets/m.glb"

	expect := func(want []byte, what string) {
		t.Helper()
		r := do(t, "GET", url, nil)
		if r.StatusCode != 200 || !bytes.Equal(r.Body, want) || r.Header.Get("ETag") != etagOf(want) {
			t.Fatalf("%s: status %d, %d bytes, ETag %s; want %d bytes with ETag %s", what, r.StatusCode, len(r.Body), r.Header.Get("ETag"), len(want), etagOf(want))
		}
		rr := do(t, "GET", url, map[string]string{"Range": "bytes=100-199"})
		if rr.StatusCode != 206 || !bytes.Equal(rr.Body, want[100:200]) || rr.Header.Get("ETag") != etagOf(want) {
			t.Fatalf("%s: range status %d, ETag %s, bytes match %v", what, rr.StatusCode, rr.Header.Get("ETag"), bytes.Equal(rr.Body, want[100:200]))
		}
	}
	for range 3 {
		expect(v1, "v1")
	}
	if server.HotEntries(srv) != 1 {
		t.Fatalf("the object is not hot")
	}
	replaceFile(t, path, v2)
	time.Sleep(metaTTL + 100*time.Millisecond)
	for range 3 {
		expect(v2, "v2 after MetaTTL")
	}
	replaceFile(t, path, v3)
	tier.Invalidate("m.glb")
	for range 3 {
		expect(v3, "v3 after Invalidate")
	}
}

// TestAccessLogShardsKeepLinesWhole sends requests on many connections at
// once; every line must arrive whole and parse, none lost.
func TestAccessLogShardsKeepLinesWhole(t *testing.T) {
	o := startOrigin(t, "", map[string][]byte{"m.glb": randomBytes(2000, 36)}, nil)
	const conns, each = 24, 50
	var wg sync.WaitGroup
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{DisableCompression: true}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			for i := range each {
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/assets/m.glb?c=%d&i=%d&pad=%s", o.URL, c, i, strings.Repeat("x", 40*i)), nil)
				resp, err := cl.Do(req)
				if !discardResponse(t, resp, err) {
					return
				}
			}
		}()
	}
	wg.Wait()
	_ = o.Server.Shutdown(context.Background())
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(o.logs.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("line %.200q: %v", line, err)
		}
		seen[fmt.Sprint(v["path"])] = true
	}
	if len(seen) != conns*each {
		t.Errorf("%d distinct request lines, want %d", len(seen), conns*each)
	}
}

// TestAccessLogKeepsOrderBehindASlowOutput logs far more than the log's
// blocks hold into an output that takes 20 ms a write, so requests must wait
// for free blocks, for about three seconds: the writer's once-a-second
// collection then meets shards whose requests wait for it, and must not wait
// for them in turn. No line may be lost, and each connection's lines (one
// shard) must keep their order.
func TestAccessLogKeepsOrderBehindASlowOutput(t *testing.T) {
	o := startOrigin(t, "", map[string][]byte{"m.glb": randomBytes(100, 37)}, nil)
	o.logs.slow(20 * time.Millisecond)
	const conns, each = 12, 1200
	pad := strings.Repeat("p", 600)
	var wg sync.WaitGroup
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", strings.TrimPrefix(o.URL, "http://"))
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			for i := range each {
				fmt.Fprintf(conn, "GET /assets/m.glb?c=%d&i=%d&pad=%s HTTP/1.1\r\nHost: x\r\n\r\n", c, i, pad)
				resp, err := http.ReadResponse(br, nil)
				if !discardResponse(t, resp, err) {
					return
				}
			}
		}()
	}
	wg.Wait()
	_ = o.Server.Shutdown(context.Background())
	next := make([]int, conns)
	lines := strings.Split(strings.TrimSpace(o.logs.String()), "\n")
	for _, line := range lines {
		var v struct{ Path string }
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("line %.200q: %v", line, err)
		}
		var c, i int
		if _, err := fmt.Sscanf(v.Path, "/assets/m.glb?c=%d&i=%d&", &c, &i); err != nil {
			t.Fatalf("path %.80q: %v", v.Path, err)
		}
		if i != next[c] {
			t.Fatalf("connection %d: line for request %d, want %d", c, i, next[c])
		}
		next[c]++
	}
	if len(lines) != conns*each {
		t.Errorf("%d lines, want %d", len(lines), conns*each)
	}
}

// discardResponse reads and closes resp's body, or reports err, the error
// that came instead; it reports whether there was a response.
func discardResponse(t *testing.T, resp *http.Response, err error) bool {
	if err != nil {
		t.Error(err)
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return true
}

// serveDir serves dir's files through a tier whose metadata is trusted for
// metaTTL, until the test ends; it returns the server, its base URL and the
// tier.
func serveDir(t *testing.T, dir string, metaTTL time.Duration) (*server.Server, string, *cache.Tier) {
	t.Helper()
	store, err := fsstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ccfg := cache.DefaultConfig()
	ccfg.MaxBytes = 64 << 20
	ccfg.MetaTTL = metaTTL
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	tier, err := cache.New(store, ccfg, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tier.Close) // after the server's shutdown, registered below
	srv, base := serveTier(t, tier, logger, nil)
	return srv, base, tier
}

// replaceFile replaces path by b the way stores do: a new file renamed over it.
func replaceFile(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
