package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/fsstore"
	"github.com/strata3d/strata/server"
)

// origin is a running Strata origin on a loopback port over a temp directory.
type origin struct {
	URL    string
	Dir    string
	Server *server.Server
	logs   *syncBuffer
	done   chan error
}

type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	delay time.Duration // each Write takes this long: a slow log shipper
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	time.Sleep(s.delay)
	return s.b.Write(p)
}

func (s *syncBuffer) slow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startOrigin serves files (key -> bytes) written into dir (a new temp dir when
// empty) with cfg adjusted by mutate.
func startOrigin(tb testing.TB, dir string, files map[string][]byte, mutate func(*server.Config)) *origin {
	tb.Helper()
	return startOriginDeps(tb, dir, files, mutate, server.Deps{})
}

// startOriginDeps is startOrigin with mounted handlers (API, Admin, Web) taken
// from deps; the tier, logger and access log are always the test's own.
func startOriginDeps(tb testing.TB, dir string, files map[string][]byte, mutate func(*server.Config), deps server.Deps) *origin {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	for k, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	store, err := fsstore.New(dir)
	if err != nil {
		tb.Fatal(err)
	}
	ccfg := cache.DefaultConfig()
	ccfg.MaxBytes = 256 << 20
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	tier, err := cache.New(store, ccfg, logger, nil)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.ShutdownTimeout = 5 * time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	logs := &syncBuffer{}
	deps.Tier, deps.Logger, deps.AccessLog = tier, logger, logs
	srv, err := server.New(cfg, deps)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	o := &origin{URL: "http://" + ln.Addr().String(), Dir: dir, Server: srv, logs: logs, done: make(chan error, 1)}
	go func() { o.done <- srv.Serve(ln) }()
	tb.Cleanup(func() {
		_ = srv.Shutdown(context.Background())
		<-o.done
		tier.Close()
	})
	return o
}

// serveTier serves a server over tier on a loopback port until the test ends
// and returns its base URL; accessLog may be nil.
func serveTier(tb testing.TB, tier *cache.Tier, logger *slog.Logger, accessLog io.Writer) (*server.Server, string) {
	tb.Helper()
	if accessLog == nil {
		accessLog = io.Discard
	}
	srv, err := server.New(server.DefaultConfig(), server.Deps{Tier: tier, Logger: logger, AccessLog: accessLog})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(done) }()
	tb.Cleanup(func() {
		_ = srv.Shutdown(context.Background())
		<-done
	})
	return srv, "http://" + ln.Addr().String()
}

// client is a plain net/http client that does not add or undo Accept-Encoding.
var client = &http.Client{
	Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
	Timeout:   30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

type response struct {
	*http.Response
	Body []byte
}

func do(tb testing.TB, method, url string, headers map[string]string) response {
	tb.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return response{resp, body}
}

// rawRequest sends bytes on a TCP connection and returns the status line and
// the raw response; for requests net/http refuses to send.
func rawRequest(tb testing.TB, base, request string) string {
	tb.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		tb.Fatal(err)
	}
	out, _ := io.ReadAll(conn)
	return string(out)
}

func randomBytes(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + cache.ContentHash(sum[:]) + `"`
}

func TestContentTypeByExtension(t *testing.T) {
	files := map[string][]byte{}
	cases := []struct{ name, key, want string }{
		{"glb", "m/a.glb", "model/gltf-binary"},
		{"gltf", "m/a.gltf", "model/gltf+json"},
		{"bin", "m/a.bin", "application/octet-stream"},
		{"ktx2", "m/a.ktx2", "image/ktx2"},
		{"png", "m/a.png", "image/png"},
		{"jpg", "m/a.jpg", "image/jpeg"},
		{"jpeg", "m/a.jpeg", "image/jpeg"},
		{"webp", "m/a.webp", "image/webp"},
		{"json", "m/a.json", "application/json"},
		{"js", "m/a.js", "text/javascript; charset=utf-8"},
		{"css", "m/a.css", "text/css; charset=utf-8"},
		{"html", "m/a.html", "text/html; charset=utf-8"},
		{"wasm", "m/a.wasm", "application/wasm"},
		{"svg", "m/a.svg", "image/svg+xml"},
		{"unknown extension is not sniffed", "m/a.xyz", "application/octet-stream"},
		{"html bytes under an unknown extension stay opaque", "m/page.data", "application/octet-stream"},
	}
	for _, c := range cases {
		files[c.key] = []byte("<!doctype html><html><body>not sniffed</body></html>")
	}
	o := startOrigin(t, "", files, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, "GET", o.URL+"/assets/"+c.key, nil)
			if r.StatusCode != 200 {
				t.Fatalf("status %d", r.StatusCode)
			}
			if got := r.Header.Get("Content-Type"); got != c.want {
				t.Errorf("Content-Type = %q, want %q", got, c.want)
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", r.Header.Get("X-Content-Type-Options"))
			}
		})
	}
}

func TestValidatorsAndLengths(t *testing.T) {
	body := randomBytes(100_000, 1)
	dir := t.TempDir()
	o := startOrigin(t, dir, map[string][]byte{"models/chair.glb": body}, nil)
	r := do(t, "GET", o.URL+"/assets/models/chair.glb", nil)
	if r.StatusCode != 200 || !bytes.Equal(r.Body, body) {
		t.Fatalf("status %d, %d bytes; want 200 with the object", r.StatusCode, len(r.Body))
	}
	if got, want := r.Header.Get("ETag"), etagOf(body); got != want {
		t.Errorf("ETag = %q, want the content hash %q", got, want)
	}
	if r.ContentLength != int64(len(body)) || len(r.TransferEncoding) != 0 {
		t.Errorf("Content-Length %d, Transfer-Encoding %v; want %d and none", r.ContentLength, r.TransferEncoding, len(body))
	}
	if r.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("Accept-Ranges = %q", r.Header.Get("Accept-Ranges"))
	}
	st, _ := os.Stat(filepath.Join(dir, "models/chair.glb"))
	if got, want := r.Header.Get("Last-Modified"), st.ModTime().UTC().Format(http.TimeFormat); got != want {
		t.Errorf("Last-Modified = %q, want %q", got, want)
	}

	t.Run("same bytes give the same ETag on another instance", func(t *testing.T) {
		other := startOrigin(t, "", map[string][]byte{"elsewhere/x.glb": body}, nil)
		r2 := do(t, "GET", other.URL+"/assets/elsewhere/x.glb", nil)
		if r2.Header.Get("ETag") != r.Header.Get("ETag") {
			t.Errorf("ETag differs across instances: %q vs %q", r2.Header.Get("ETag"), r.Header.Get("ETag"))
		}
	})
	t.Run("HEAD has GET's headers and no body", func(t *testing.T) {
		h := do(t, "HEAD", o.URL+"/assets/models/chair.glb", nil)
		if h.StatusCode != 200 || len(h.Body) != 0 {
			t.Fatalf("status %d, %d body bytes", h.StatusCode, len(h.Body))
		}
		for _, name := range []string{"ETag", "Last-Modified", "Content-Type", "Cache-Control", "Accept-Ranges", "Content-Length"} {
			if h.Header.Get(name) != r.Header.Get(name) {
				t.Errorf("HEAD %s = %q, GET had %q", name, h.Header.Get(name), r.Header.Get(name))
			}
		}
	})
	t.Run("an empty object", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(dir, "empty.bin"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		e := do(t, "GET", o.URL+"/assets/empty.bin", nil)
		if e.StatusCode != 200 || e.ContentLength != 0 || len(e.Body) != 0 {
			t.Errorf("status %d, Content-Length %d, body %d", e.StatusCode, e.ContentLength, len(e.Body))
		}
	})
}

func TestRanges(t *testing.T) {
	body := randomBytes(10_000, 2)
	big := randomBytes(6<<20+123, 3) // streams: larger than the inline limit
	o := startOrigin(t, "", map[string][]byte{"a.glb": body, "big.glb": big}, func(c *server.Config) { c.MaxRanges = 4 })
	cases := []struct {
		name         string
		key          string
		rng          string
		status       int
		contentRange string
		want         []byte // for 206 single / 200
	}{
		{"first bytes", "a.glb", "bytes=0-99", 206, "bytes 0-99/10000", body[:100]},
		{"middle", "a.glb", "bytes=5000-5019", 206, "bytes 5000-5019/10000", body[5000:5020]},
		{"open ended", "a.glb", "bytes=9990-", 206, "bytes 9990-9999/10000", body[9990:]},
		{"suffix", "a.glb", "bytes=-16", 206, "bytes 9984-9999/10000", body[9984:]},
		{"end clamped", "a.glb", "bytes=9000-20000", 206, "bytes 9000-9999/10000", body[9000:]},
		{"suffix longer than object", "a.glb", "bytes=-20000", 206, "bytes 0-9999/10000", body},
		{"unit is case-insensitive", "a.glb", "Bytes=0-0", 206, "bytes 0-0/10000", body[:1]},
		{"start past end", "a.glb", "bytes=10000-", 416, "bytes */10000", nil},
		{"zero suffix", "a.glb", "bytes=-0", 416, "bytes */10000", nil},
		{"malformed is ignored", "a.glb", "bytes=abc", 200, "", body},
		{"reversed is ignored", "a.glb", "bytes=50-10", 200, "", body},
		{"other unit is ignored", "a.glb", "items=0-5", 200, "", body},
		{"overlapping ranges get the whole object", "a.glb", "bytes=0-100,50-150", 200, "", body},
		{"too many ranges get the whole object", "a.glb", "bytes=0-1,10-11,20-21,30-31,40-41", 200, "", body},
		{"streamed range across chunks", "big.glb", "bytes=1048000-3146000", 206, fmt.Sprintf("bytes 1048000-3146000/%d", len(big)), big[1048000:3146001]},
		{"streamed whole", "big.glb", "", 200, "", big},
		{"streamed tail", "big.glb", "bytes=-100", 206, fmt.Sprintf("bytes %d-%d/%d", len(big)-100, len(big)-1, len(big)), big[len(big)-100:]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.rng != "" {
				h["Range"] = c.rng
			}
			r := do(t, "GET", o.URL+"/assets/"+c.key, h)
			if r.StatusCode != c.status {
				t.Fatalf("status %d, want %d", r.StatusCode, c.status)
			}
			if got := r.Header.Get("Content-Range"); got != c.contentRange {
				t.Errorf("Content-Range = %q, want %q", got, c.contentRange)
			}
			if c.want != nil && !bytes.Equal(r.Body, c.want) {
				t.Errorf("body: %d bytes, want %d (content differs)", len(r.Body), len(c.want))
			}
			if c.status != 416 && r.ContentLength != int64(len(r.Body)) {
				t.Errorf("Content-Length %d for %d body bytes", r.ContentLength, len(r.Body))
			}
		})
	}
}

func TestMultipartRanges(t *testing.T) {
	body := randomBytes(5000, 4)
	o := startOrigin(t, "", map[string][]byte{"m.bin": body}, nil)
	r := do(t, "GET", o.URL+"/assets/m.bin", map[string]string{"Range": "bytes=0-9, 100-199, -5"})
	if r.StatusCode != 206 {
		t.Fatalf("status %d", r.StatusCode)
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/byteranges" {
		t.Fatalf("Content-Type %q: %v", r.Header.Get("Content-Type"), err)
	}
	if r.ContentLength != int64(len(r.Body)) {
		t.Errorf("Content-Length %d, body %d", r.ContentLength, len(r.Body))
	}
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	want := []struct {
		cr   string
		data []byte
	}{
		{"bytes 0-9/5000", body[:10]},
		{"bytes 100-199/5000", body[100:200]},
		{"bytes 4995-4999/5000", body[4995:]},
	}
	for i, w := range want {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if p.Header.Get("Content-Range") != w.cr || p.Header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("part %d headers %v", i, p.Header)
		}
		got, _ := io.ReadAll(p)
		if !bytes.Equal(got, w.data) {
			t.Errorf("part %d bytes differ", i)
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("after the last part: %v, want EOF", err)
	}
	h := do(t, "HEAD", o.URL+"/assets/m.bin", map[string]string{"Range": "bytes=0-9, 100-199, -5"})
	if h.StatusCode != 206 || h.ContentLength <= 0 || len(h.Body) != 0 {
		t.Errorf("HEAD: status %d, Content-Length %d, body %d", h.StatusCode, h.ContentLength, len(h.Body))
	}
}

func TestPreconditions(t *testing.T) {
	body := randomBytes(2000, 5)
	dir := t.TempDir()
	o := startOrigin(t, dir, map[string][]byte{"p.glb": body}, nil)
	url := o.URL + "/assets/p.glb"
	first := do(t, "GET", url, nil)
	etag, lm := first.Header.Get("ETag"), first.Header.Get("Last-Modified")
	mod, _ := http.ParseTime(lm)
	before := mod.Add(-time.Hour).Format(http.TimeFormat)
	after := mod.Add(time.Hour).Format(http.TimeFormat)
	cases := []struct {
		name    string
		method  string
		headers map[string]string
		status  int
	}{
		{"If-Match matches", "GET", map[string]string{"If-Match": etag}, 200},
		{"If-Match star", "GET", map[string]string{"If-Match": "*"}, 200},
		{"If-Match in a list", "GET", map[string]string{"If-Match": `"nope", ` + etag}, 200},
		{"If-Match differs", "GET", map[string]string{"If-Match": `"nope"`}, 412},
		{"If-Match weak never matches", "GET", map[string]string{"If-Match": "W/" + etag}, 412},
		{"If-Unmodified-Since before", "GET", map[string]string{"If-Unmodified-Since": before}, 412},
		{"If-Unmodified-Since after", "GET", map[string]string{"If-Unmodified-Since": after}, 200},
		{"If-Match wins over If-Unmodified-Since", "GET", map[string]string{"If-Match": etag, "If-Unmodified-Since": before}, 200},
		{"If-None-Match matches", "GET", map[string]string{"If-None-Match": etag}, 304},
		{"If-None-Match weak matches", "GET", map[string]string{"If-None-Match": "W/" + etag}, 304},
		{"If-None-Match star", "GET", map[string]string{"If-None-Match": "*"}, 304},
		{"If-None-Match differs", "GET", map[string]string{"If-None-Match": `"other"`}, 200},
		{"If-None-Match on HEAD", "HEAD", map[string]string{"If-None-Match": etag}, 304},
		{"If-Modified-Since equal", "GET", map[string]string{"If-Modified-Since": lm}, 304},
		{"If-Modified-Since before", "GET", map[string]string{"If-Modified-Since": before}, 200},
		{"If-None-Match wins over If-Modified-Since", "GET", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": lm}, 200},
		{"invalid If-Modified-Since is ignored", "GET", map[string]string{"If-Modified-Since": "yesterday"}, 200},
		{"If-Match fails before If-None-Match", "GET", map[string]string{"If-Match": `"x"`, "If-None-Match": etag}, 412},
		{"If-Range matches: 206", "GET", map[string]string{"Range": "bytes=0-9", "If-Range": etag}, 206},
		{"If-Range differs: whole", "GET", map[string]string{"Range": "bytes=0-9", "If-Range": `"old"`}, 200},
		{"If-Range weak: whole", "GET", map[string]string{"Range": "bytes=0-9", "If-Range": "W/" + etag}, 200},
		{"If-Range date equal: 206", "GET", map[string]string{"Range": "bytes=0-9", "If-Range": lm}, 206},
		{"If-Range date older: whole", "GET", map[string]string{"Range": "bytes=0-9", "If-Range": before}, 200},
		{"304 beats Range", "GET", map[string]string{"Range": "bytes=0-9", "If-None-Match": etag}, 304},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, c.method, url, c.headers)
			if r.StatusCode != c.status {
				t.Fatalf("status %d, want %d", r.StatusCode, c.status)
			}
			switch c.status {
			case 304:
				if len(r.Body) != 0 {
					t.Errorf("304 with a %d-byte body", len(r.Body))
				}
				for _, h := range []string{"ETag", "Cache-Control"} {
					if r.Header.Get(h) == "" {
						t.Errorf("304 lacks %s", h)
					}
				}
				if r.Header.Get("ETag") != etag {
					t.Errorf("304 ETag %q, want %q", r.Header.Get("ETag"), etag)
				}
				if cl := r.Header.Get("Content-Length"); cl != "" && cl != fmt.Sprint(len(body)) {
					t.Errorf("304 Content-Length %q: must be absent or the 200's length", cl)
				}
			case 200:
				if c.method == "GET" && !bytes.Equal(r.Body, body) {
					t.Errorf("200 body differs")
				}
			case 206:
				if !bytes.Equal(r.Body, body[:10]) {
					t.Errorf("206 body differs")
				}
			}
		})
	}
}

func TestCacheControlPolicy(t *testing.T) {
	files := map[string][]byte{
		"models/chair/3f9a6c0d2b4e8f10a1b2c3d4e5f60718/progressive.glb": []byte("glb"),
		"app.3f9a1b2c4d5e6f70.js":    []byte("js"),
		"models/chair/manifest.json": []byte("{}"),
	}
	o := startOrigin(t, "", files, func(c *server.Config) {
		c.MaxAge, c.SMaxAge, c.StaleWhileRevalidate, c.StaleIfError = 30*time.Second, 120*time.Second, 15*time.Second, time.Hour
	})
	cases := []struct{ name, key, want string }{
		{"hash directory is immutable", "models/chair/3f9a6c0d2b4e8f10a1b2c3d4e5f60718/progressive.glb", "public, max-age=31536000, immutable"},
		{"hashed file name is immutable", "app.3f9a1b2c4d5e6f70.js", "public, max-age=31536000, immutable"},
		{"pointer gets the short policy", "models/chair/manifest.json", "public, max-age=30, s-maxage=120, stale-while-revalidate=15, stale-if-error=3600"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, "GET", o.URL+"/assets/"+c.key, nil)
			if got := r.Header.Get("Cache-Control"); got != c.want {
				t.Errorf("Cache-Control = %q, want %q", got, c.want)
			}
		})
	}
}

func TestPrecompressedVariants(t *testing.T) {
	doc := bytes.Repeat([]byte(`{"asset":{"version":"2.0"},"nodes":[{"name":"chair","mesh":0}],"padding":"aaaaaaaaaaaaaaaa"}`+"\n"), 200)
	o := startOrigin(t, "", map[string][]byte{"scene.gltf": doc, "model.glb": doc, "tiny.json": []byte(`{}`)}, nil)
	url := o.URL + "/assets/scene.gltf"
	identity := do(t, "GET", url, nil)
	decoders := map[string]func([]byte) ([]byte, error){
		"br": func(b []byte) ([]byte, error) { return io.ReadAll(brotli.NewReader(bytes.NewReader(b))) },
		"gzip": func(b []byte) ([]byte, error) {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(zr)
		},
	}
	cases := []struct{ name, accept, want string }{
		{"brotli preferred", "gzip, deflate, br", "br"},
		{"gzip only", "gzip", "gzip"},
		{"q-values respected", "br;q=0.5, gzip;q=0.9", "gzip"},
		{"br forbidden", "br;q=0, gzip", "gzip"},
		{"none acceptable but identity", "deflate", ""},
		{"no header", "", ""},
	}
	etags := map[string]string{"": identity.Header.Get("ETag")}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.accept != "" {
				h["Accept-Encoding"] = c.accept
			}
			r := do(t, "GET", url, h)
			if got := r.Header.Get("Content-Encoding"); got != c.want {
				t.Fatalf("Content-Encoding = %q, want %q", got, c.want)
			}
			if r.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary = %q", r.Header.Get("Vary"))
			}
			body := r.Body
			if c.want != "" {
				if len(body) >= len(doc) {
					t.Errorf("%s variant is %d bytes, identity %d", c.want, len(body), len(doc))
				}
				var err error
				if body, err = decoders[c.want](body); err != nil {
					t.Fatalf("decode %s: %v", c.want, err)
				}
				if r.ContentLength != int64(len(r.Body)) {
					t.Errorf("Content-Length %d for %d bytes", r.ContentLength, len(r.Body))
				}
			}
			if !bytes.Equal(body, doc) {
				t.Errorf("decoded body differs from the object")
			}
			if prev, ok := etags[c.want]; ok && prev != r.Header.Get("ETag") {
				t.Errorf("ETag of %q changed: %q then %q", c.want, prev, r.Header.Get("ETag"))
			}
			etags[c.want] = r.Header.Get("ETag")
		})
	}
	if etags["br"] == etags["gzip"] || etags["br"] == etags[""] || etags["gzip"] == etags[""] {
		t.Errorf("each encoding needs its own ETag: %v", etags)
	}
	t.Run("range requests get identity bytes", func(t *testing.T) {
		r := do(t, "GET", url, map[string]string{"Accept-Encoding": "br", "Range": "bytes=10-19"})
		if r.StatusCode != 206 || r.Header.Get("Content-Encoding") != "" || !bytes.Equal(r.Body, doc[10:20]) {
			t.Errorf("status %d, encoding %q", r.StatusCode, r.Header.Get("Content-Encoding"))
		}
		if r.Header.Get("ETag") != etags[""] {
			t.Errorf("206 ETag %q, want identity's %q", r.Header.Get("ETag"), etags[""])
		}
	})
	t.Run("304 against the variant's ETag", func(t *testing.T) {
		r := do(t, "GET", url, map[string]string{"Accept-Encoding": "br", "If-None-Match": etags["br"]})
		if r.StatusCode != 304 || r.Header.Get("ETag") != etags["br"] {
			t.Errorf("status %d ETag %q", r.StatusCode, r.Header.Get("ETag"))
		}
	})
	t.Run("HEAD reports the variant's length", func(t *testing.T) {
		g := do(t, "GET", url, map[string]string{"Accept-Encoding": "br"})
		h := do(t, "HEAD", url, map[string]string{"Accept-Encoding": "br"})
		if h.Header.Get("Content-Length") != fmt.Sprint(len(g.Body)) || h.Header.Get("Content-Encoding") != "br" {
			t.Errorf("HEAD Content-Length %q encoding %q, GET sent %d", h.Header.Get("Content-Length"), h.Header.Get("Content-Encoding"), len(g.Body))
		}
	})
	t.Run("GLB is never compressed", func(t *testing.T) {
		r := do(t, "GET", o.URL+"/assets/model.glb", map[string]string{"Accept-Encoding": "br, gzip"})
		if r.Header.Get("Content-Encoding") != "" || r.Header.Get("Vary") != "" {
			t.Errorf("encoding %q vary %q", r.Header.Get("Content-Encoding"), r.Header.Get("Vary"))
		}
	})
	t.Run("tiny objects stay identity", func(t *testing.T) {
		r := do(t, "GET", o.URL+"/assets/tiny.json", map[string]string{"Accept-Encoding": "br, gzip"})
		if r.Header.Get("Content-Encoding") != "" {
			t.Errorf("encoding %q", r.Header.Get("Content-Encoding"))
		}
	})
}

func TestCORS(t *testing.T) {
	files := map[string][]byte{"m.glb": []byte("0123456789")}
	t.Run("any origin by default", func(t *testing.T) {
		o := startOrigin(t, "", files, nil)
		r := do(t, "GET", o.URL+"/assets/m.glb", map[string]string{"Origin": "https://shop.example"})
		if r.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("ACAO = %q", r.Header.Get("Access-Control-Allow-Origin"))
		}
		exposed := r.Header.Get("Access-Control-Expose-Headers")
		for _, h := range []string{"Content-Range", "Content-Length", "Accept-Ranges", "ETag"} {
			if !strings.Contains(exposed, h) {
				t.Errorf("Expose-Headers %q lacks %s", exposed, h)
			}
		}
		p := do(t, "OPTIONS", o.URL+"/assets/m.glb", map[string]string{
			"Origin": "https://shop.example", "Access-Control-Request-Method": "GET",
			"Access-Control-Request-Headers": "range, if-none-match",
		})
		if p.StatusCode != 204 || p.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("preflight status %d ACAO %q", p.StatusCode, p.Header.Get("Access-Control-Allow-Origin"))
		}
		allowed := strings.ToLower(p.Header.Get("Access-Control-Allow-Headers"))
		for _, h := range []string{"range", "if-none-match"} {
			if !strings.Contains(allowed, h) {
				t.Errorf("Allow-Headers %q lacks %s", allowed, h)
			}
		}
		if !strings.Contains(p.Header.Get("Access-Control-Allow-Methods"), "GET") {
			t.Errorf("Allow-Methods %q", p.Header.Get("Access-Control-Allow-Methods"))
		}
	})
	t.Run("a list restricts origins", func(t *testing.T) {
		// m4k.glb is answered from the hot table by zero copy after its first
		// request: the per-request CORS headers must survive the prepared lines.
		files := map[string][]byte{"m.glb": files["m.glb"], "m4k.glb": randomBytes(4<<10, 11)}
		o := startOrigin(t, "", files, func(c *server.Config) { c.CORSOrigins = []string{"https://shop.example"} })
		for _, path := range []string{"/assets/m.glb", "/assets/m4k.glb"} {
			for round := range 3 {
				ok := do(t, "GET", o.URL+path, map[string]string{"Origin": "https://shop.example"})
				if len(ok.Header.Values("Access-Control-Allow-Origin")) != 1 || ok.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" || !strings.Contains(ok.Header.Get("Vary"), "Origin") {
					t.Errorf("%s round %d, allowed origin: ACAO %q Vary %q", path, round, ok.Header.Values("Access-Control-Allow-Origin"), ok.Header.Values("Vary"))
				}
				no := do(t, "GET", o.URL+path, map[string]string{"Origin": "https://evil.example"})
				if no.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(no.Header.Get("Vary"), "Origin") {
					t.Errorf("%s round %d, other origin: ACAO %q Vary %q", path, round, no.Header.Get("Access-Control-Allow-Origin"), no.Header.Get("Vary"))
				}
			}
		}
		p := do(t, "OPTIONS", o.URL+"/assets/m.glb", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
		if p.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight granted to another origin")
		}
	})
}

func TestOriginSecret(t *testing.T) {
	const current, next = "current-secret-0123456789", "next-secret-0123456789ab"
	o := startOrigin(t, "", map[string][]byte{"m.glb": []byte("x")}, func(c *server.Config) {
		c.OriginSecrets = []string{current, next}
		c.OriginSecretHeader = "X-Strata-Origin"
	})
	cases := []struct {
		name, path, secret string
		status             int
	}{
		{"no secret", "/assets/m.glb", "", 403},
		{"wrong secret", "/assets/m.glb", "current-secret-012345678X", 403},
		{"current secret", "/assets/m.glb", current, 200},
		{"next secret during rotation", "/assets/m.glb", next, 200},
		{"metrics need it too", "/metrics", "", 403},
		{"liveness is open", "/healthz", "", 200},
		{"readiness is open", "/readyz", "", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.secret != "" {
				h["X-Strata-Origin"] = c.secret
			}
			if r := do(t, "GET", o.URL+c.path, h); r.StatusCode != c.status {
				t.Errorf("status %d, want %d", r.StatusCode, c.status)
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	o := startOrigin(t, "", map[string][]byte{"ok.glb": []byte("fine"), "dir/ok.glb": []byte("fine")}, nil)
	outside := filepath.Join(filepath.Dir(o.Dir), "secret.txt")
	_ = os.WriteFile(outside, []byte("secret"), 0o644)
	cases := []struct {
		name   string
		path   string
		status int
	}{
		{"dot-dot", "/assets/../secret.txt", 400},
		{"dot-dot inside", "/assets/dir/../../secret.txt", 400},
		{"encoded dot-dot", "/assets/%2e%2e/secret.txt", 400},
		{"mixed-case encoded dot-dot", "/assets/dir/%2E%2e/ok.glb", 400},
		{"encoded slash", "/assets/dir%2fok.glb", 400},
		{"encoded backslash", "/assets/dir%5cok.glb", 400},
		{"encoded NUL", "/assets/ok.glb%00.png", 400},
		{"empty segment", "/assets/dir//ok.glb", 400},
		{"missing", "/assets/none.glb", 404},
		{"unknown route", "/nope", 404},
		{"query is not part of the key", "/assets/ok.glb?v=1", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, "GET", o.URL+c.path, nil)
			if r.StatusCode != c.status {
				t.Fatalf("status %d, want %d (body %q)", r.StatusCode, c.status, r.Body)
			}
			if bytes.Contains(r.Body, []byte("secret")) {
				t.Fatalf("body leaks the outside file")
			}
			if c.status >= 400 {
				checkProblem(t, r, c.status)
			}
		})
	}
	rawCases := []struct {
		name, request, status string
	}{
		{"bad escape", "GET /assets/ok%zz.glb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", " 400 "},
		{"raw NUL", "GET /assets/ok\x00.glb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", " 400 "},
		{"raw backslash", "GET /assets/dir\\ok.glb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", " 400 "},
		{"raw dot-dot", "GET /assets/dir/../../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", " 400 "},
		{"URI too long", "GET /assets/" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", " 414 "},
		{"headers too large", "GET /assets/ok.glb HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 20000) + "\r\nConnection: close\r\n\r\n", " 431 "},
	}
	for _, c := range rawCases {
		t.Run(c.name, func(t *testing.T) {
			out := rawRequest(t, o.URL, c.request)
			line, _, _ := strings.Cut(out, "\r\n")
			if !strings.Contains(line, c.status) {
				t.Fatalf("status line %q, want %q", line, strings.TrimSpace(c.status))
			}
			if strings.Contains(out, "secret") && !strings.Contains(out, "origin secret") {
				t.Fatalf("response leaks the outside file")
			}
		})
	}
	t.Run("other methods", func(t *testing.T) {
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
			r := do(t, m, o.URL+"/assets/ok.glb", nil)
			if r.StatusCode != 405 || r.Header.Get("Allow") != "GET, HEAD, OPTIONS" {
				t.Errorf("%s: status %d Allow %q", m, r.StatusCode, r.Header.Get("Allow"))
			}
		}
	})
}

// checkProblem asserts an RFC 9457 body that is short and says nothing internal.
func checkProblem(tb testing.TB, r response, status int) {
	tb.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Errorf("error Content-Type %q", ct)
	}
	var p struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		tb.Fatalf("error body %q: %v", r.Body, err)
	}
	if p.Status != status || len(r.Body) > 300 {
		tb.Errorf("problem %+v (%d bytes)", p, len(r.Body))
	}
	for _, leak := range []string{"/tmp", "open ", "no such file", "goroutine", ".go:"} {
		if bytes.Contains(r.Body, []byte(leak)) {
			tb.Errorf("error body leaks %q: %s", leak, r.Body)
		}
	}
}

func TestProbesAndMetrics(t *testing.T) {
	o := startOrigin(t, "", map[string][]byte{"m.glb": []byte("x")}, nil)
	if r := do(t, "GET", o.URL+"/healthz", nil); r.StatusCode != 200 {
		t.Errorf("healthz %d", r.StatusCode)
	}
	if r := do(t, "GET", o.URL+"/readyz", nil); r.StatusCode != 200 {
		t.Errorf("readyz %d", r.StatusCode)
	}
	do(t, "GET", o.URL+"/assets/m.glb", nil)
	do(t, "GET", o.URL+"/assets/missing.glb", nil)
	m := do(t, "GET", o.URL+"/metrics", nil)
	for _, want := range []string{
		`strata_http_requests_total{code="200",route="assets"} 1`,
		`strata_http_requests_total{code="404",route="assets"} 1`,
		`strata_http_request_duration_seconds_bucket{class="2xx",route="assets"`,
		`strata_http_response_bytes_total{route="assets"} 1`,
		`strata_http_requests_in_flight`,
	} {
		if !strings.Contains(string(m.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestAccessLog(t *testing.T) {
	o := startOrigin(t, "", map[string][]byte{"m.glb": randomBytes(3000, 9)}, nil)
	do(t, "GET", o.URL+"/assets/m.glb", map[string]string{"Range": "bytes=0-99", "X-Request-Id": "req-123"})
	do(t, "GET", o.URL+"/assets/m.glb", nil)
	_ = o.Server.Shutdown(context.Background()) // flushes the log
	lines := strings.Split(strings.TrimSpace(o.logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d access log lines, want 2:\n%s", len(lines), o.logs.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatalf("line %q: %v", lines[0], err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatalf("line %q: %v", lines[1], err)
	}
	want := map[string]any{"msg": "access", "method": "GET", "path": "/assets/m.glb", "status": 206.0, "bytes": 100.0, "req_id": "req-123", "cache": "miss", "range": "bytes=0-99", "remote": "127.0.0.1"}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("first line %s = %v, want %v", k, first[k], v)
		}
	}
	if second["cache"] != "hit" || second["status"] != 200.0 || second["req_id"] == "" || second["req_id"] == nil || second["remote"] != "127.0.0.1" {
		t.Errorf("second line %v", second)
	}
	if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(first["time"])); err != nil {
		t.Errorf("time %v: %v", first["time"], err)
	}
}

func TestGracefulShutdown(t *testing.T) {
	big := randomBytes(8<<20, 10)
	o := startOrigin(t, "", map[string][]byte{"big.glb": big}, nil)
	// Start a request, read its first bytes, then shut down while it is in flight.
	resp, err := client.Get(o.URL + "/assets/big.glb")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 1024)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	shut := make(chan error, 1)
	go func() { shut <- o.Server.Shutdown(context.Background()) }()
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("in-flight body cut: %v", err)
	}
	if !bytes.Equal(append(head, rest...), big) {
		t.Fatalf("in-flight body differs")
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(o.URL, "http://"), time.Second); err == nil {
		t.Errorf("listener still accepts after shutdown")
	}
}

func TestDrainingReadiness(t *testing.T) {
	o := startOrigin(t, "", map[string][]byte{"m.glb": []byte("x")}, func(c *server.Config) { c.DrainDelay = 2 * time.Second })
	if r := do(t, "GET", o.URL+"/readyz", nil); r.StatusCode != 200 {
		t.Fatalf("readyz before shutdown: %d", r.StatusCode)
	}
	shut := make(chan error, 1)
	go func() { shut <- o.Server.Shutdown(context.Background()) }()
	// During the drain delay the listener still accepts, readiness says 503 so
	// the load balancer moves away, and assets are still served.
	waitStatus(t, o.URL+"/readyz", 503)
	r := do(t, "GET", o.URL+"/readyz", nil)
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("draining 503 without Retry-After")
	}
	if r := do(t, "GET", o.URL+"/assets/m.glb", nil); r.StatusCode != 200 {
		t.Errorf("asset during drain: %d", r.StatusCode)
	}
	if r := do(t, "GET", o.URL+"/healthz", nil); r.StatusCode != 200 {
		t.Errorf("liveness during drain: %d", r.StatusCode)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
}

// TestShutdownRacingServe stops servers before and while they start serving:
// Serve must return, and its listener must be closed, however the two
// interleave (a process stopped while starting must not hang).
func TestShutdownRacingServe(t *testing.T) {
	store, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tier, err := cache.New(store, cache.DefaultConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tier.Close()
	for i := range 40 {
		srv, err := server.New(server.DefaultConfig(), server.Deps{Tier: tier, Logger: slog.New(slog.DiscardHandler), AccessLog: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		start := func() { go func() { done <- srv.Serve(ln) }() }
		if i%2 == 0 {
			start() // racing: Serve may or may not have registered ln yet
			_ = srv.Shutdown(context.Background())
		} else {
			_ = srv.Shutdown(context.Background()) // strictly before
			start()
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: Serve returned %v, want nil after Shutdown", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Serve still running 10 s after Shutdown", i)
		}
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Close()
			t.Fatalf("round %d: the listener still accepts after Shutdown", i)
		}
	}
}

// Request ids are unique per request across connections, and share the
// process's prefix.
func TestRequestIDsAreUnique(t *testing.T) {
	o := startOrigin(t, "", map[string][]byte{"a.bin": []byte("abc")}, nil)
	seen := map[string]bool{}
	prefix := ""
	for c := range 3 {
		cl := &http.Client{Transport: &http.Transport{}} // a connection of its own
		for range 3 {
			resp, err := cl.Get(o.URL + "/assets/a.bin")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			id := resp.Header.Get("X-Request-Id")
			p, _, ok := strings.Cut(id, "-")
			if !ok || id == "" {
				t.Fatalf("connection %d: request id %q", c, id)
			}
			if prefix == "" {
				prefix = p
			}
			if p != prefix || seen[id] {
				t.Fatalf("request id %q: repeated, or its prefix is not %q", id, prefix)
			}
			seen[id] = true
		}
		cl.CloseIdleConnections()
	}
}
