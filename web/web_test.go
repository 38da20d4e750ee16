package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/strata3d/strata/web"
)

var testFiles = fstest.MapFS{
	"app.css":      {Data: []byte(strings.Repeat("body { color: #111; }\n", 200))},
	"favicon.svg":  {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	"fallback.svg": {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	"dist/app.js":  {Data: []byte(strings.Repeat("console.log('strata');\n", 200))},
}

func withoutBundle() fstest.MapFS {
	fs := fstest.MapFS{}
	for k, v := range testFiles {
		if k != "dist/app.js" {
			fs[k] = v
		}
	}
	return fs
}

func mustServe(t *testing.T, files fstest.MapFS) string {
	t.Helper()
	h, err := web.New(web.Config{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url string, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// The transport would add and undo gzip itself; these tests look at the wire.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, body}
}

func checkProblem(t *testing.T, r reply, status int, mention string) {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d type %q, want %d problem+json (%s)", r.status, r.header.Get("Content-Type"), status, r.body)
	}
	var p struct {
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil || p.Status != status || p.Title == "" {
		t.Fatalf("problem %s (%v)", r.body, err)
	}
	if !strings.Contains(p.Detail, mention) {
		t.Errorf("problem detail %q does not mention %q", p.Detail, mention)
	}
}

func TestPages(t *testing.T) {
	base := mustServe(t, testFiles)
	cases := []struct {
		name, path string
		status     int
	}{
		{"catalog", "/", 200},
		{"catalog with filters", "/?q=sofa&category=seating", 200},
		{"product", "/products/tufted-armchair", 200},
		{"cart", "/cart", 200},
		{"checkout", "/checkout", 200},
		{"login", "/login", 200},
		{"signup", "/signup", 200},
		{"orders", "/orders", 200},
		{"order", "/orders/0123abcd", 200},
		{"model viewer", "/3d/oak-bookshelf", 200},
		{"unknown page", "/nowhere", 404},
		{"too deep", "/products/a/b", 404},
		{"empty product", "/products/", 404},
	}
	script := regexp.MustCompile(`<script type="module" src="/static/dist/app\.js\?v=[0-9a-f]{12}"></script>`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "GET", base+tc.path, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP %q", csp)
			}
			if r.header.Get("Cache-Control") != "no-cache" || r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", r.header)
			}
			if !script.Match(r.body) || !bytes.Contains(r.body, []byte(`<main id="main"`)) {
				t.Errorf("the shell does not load the bundle:\n%s", r.body)
			}
		})
	}
	t.Run("HEAD has the headers and no body", func(t *testing.T) {
		r := do(t, "HEAD", base+"/cart", nil)
		if r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Length") == "" {
			t.Errorf("HEAD: %d %q %v", r.status, r.body, r.header)
		}
	})
	t.Run("writes are refused", func(t *testing.T) {
		r := do(t, "POST", base+"/cart", nil)
		checkProblem(t, r, 405, "GET")
		if r.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("Allow %q", r.header.Get("Allow"))
		}
	})
}

func TestStaticFiles(t *testing.T) {
	base := mustServe(t, testFiles)
	css := do(t, "GET", base+"/static/app.css", nil)
	if css.status != 200 || css.header.Get("Content-Type") != "text/css; charset=utf-8" || !bytes.Equal(css.body, testFiles["app.css"].Data) {
		t.Fatalf("app.css: %d %v", css.status, css.header)
	}
	etag := css.header.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(etag) || css.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("unversioned: ETag %q Cache-Control %q", etag, css.header.Get("Cache-Control"))
	}
	shell := do(t, "GET", base+"/", nil)
	version := regexp.MustCompile(`/static/app\.css\?v=([0-9a-f]+)`).FindSubmatch(shell.body)
	if version == nil {
		t.Fatalf("the shell links no versioned stylesheet:\n%s", shell.body)
	}

	cases := []struct {
		name   string
		path   string
		header map[string]string
		check  func(t *testing.T, r reply)
	}{
		{"the versioned URL is immutable", "/static/app.css?v=" + string(version[1]), nil, func(t *testing.T, r reply) {
			if r.status != 200 || r.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Errorf("%d %q", r.status, r.header.Get("Cache-Control"))
			}
		}},
		{"a stale version is only revalidated", "/static/app.css?v=000000000000", nil, func(t *testing.T, r reply) {
			if r.header.Get("Cache-Control") != "no-cache" {
				t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
			}
		}},
		{"If-None-Match gets 304", "/static/app.css", map[string]string{"If-None-Match": etag}, func(t *testing.T, r reply) {
			if r.status != 304 || len(r.body) != 0 {
				t.Errorf("%d %q", r.status, r.body)
			}
		}},
		{"gzip when accepted, with its own ETag", "/static/app.css", map[string]string{"Accept-Encoding": "br, gzip"}, func(t *testing.T, r reply) {
			if r.header.Get("Content-Encoding") != "gzip" || r.header.Get("Vary") != "Accept-Encoding" || r.header.Get("ETag") == etag {
				t.Fatalf("%v", r.header)
			}
			zr, err := gzip.NewReader(bytes.NewReader(r.body))
			if err != nil {
				t.Fatal(err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(plain, testFiles["app.css"].Data) {
				t.Errorf("gzip body does not decode to the file (%v)", err)
			}
		}},
		{"gzip;q=0 is identity", "/static/app.css", map[string]string{"Accept-Encoding": "gzip;q=0"}, func(t *testing.T, r reply) {
			if r.header.Get("Content-Encoding") != "" || !bytes.Equal(r.body, testFiles["app.css"].Data) {
				t.Errorf("%v", r.header)
			}
		}},
		{"a range is served from identity bytes", "/static/app.css", map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-3"}, func(t *testing.T, r reply) {
			if r.status != 206 || string(r.body) != "body" || r.header.Get("Content-Encoding") != "" {
				t.Errorf("%d %q %v", r.status, r.body, r.header)
			}
		}},
		{"the bundle is JavaScript", "/static/dist/app.js", nil, func(t *testing.T, r reply) {
			if r.status != 200 || r.header.Get("Content-Type") != "text/javascript; charset=utf-8" {
				t.Errorf("%d %v", r.status, r.header)
			}
		}},
		{"svg", "/static/fallback.svg", nil, func(t *testing.T, r reply) {
			if r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" {
				t.Errorf("%d %v", r.status, r.header)
			}
		}},
		{"missing file", "/static/nothing.css", nil, func(t *testing.T, r reply) { checkProblem(t, r, 404, "no such file") }},
		{"no escaping the folder", "/static/%2e%2e/web.go", nil, func(t *testing.T, r reply) { checkProblem(t, r, 404, "no such file") }},
		{"no directory listing", "/static/dist", nil, func(t *testing.T, r reply) { checkProblem(t, r, 404, "no such file") }},
		{"the API's paths are never pages", "/api/v1/products", nil, func(t *testing.T, r reply) { checkProblem(t, r, 404, "storefront API") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, do(t, "GET", base+tc.path, tc.header)) })
	}
}

func TestBundleMissing(t *testing.T) {
	h, err := web.New(web.Config{Files: withoutBundle()})
	if err != nil {
		t.Fatal(err)
	}
	if h.Built() {
		t.Error("Built() with no bundle")
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	r := do(t, "GET", srv.URL+"/static/dist/app.js", nil)
	checkProblem(t, r, 503, "make web")
	page := do(t, "GET", srv.URL+"/products/x", nil)
	if page.status != 200 || bytes.Contains(page.body, []byte("<script")) || !bytes.Contains(page.body, []byte("make web")) {
		t.Errorf("the page without a bundle should say how to build it:\n%s", page.body)
	}
}

func TestNewRefusesIncompleteFiles(t *testing.T) {
	if _, err := web.New(web.Config{Files: fstest.MapFS{"dist/app.js": {Data: []byte("x")}}}); err == nil || !strings.Contains(err.Error(), "app.css") {
		t.Errorf("New without app.css: %v", err)
	}
}

func TestEmbeddedFiles(t *testing.T) {
	h, err := web.New(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, name := range []string{"app.css", "favicon.svg", "fallback.svg"} {
		if r := do(t, "GET", srv.URL+"/static/"+name, nil); r.status != 200 || len(r.body) == 0 {
			t.Errorf("embedded %s: %d", name, r.status)
		}
	}
	r := do(t, "GET", srv.URL+"/static/dist/app.js", nil)
	if h.Built() != (r.status == 200) {
		t.Errorf("Built() = %v but the bundle answers %d", h.Built(), r.status)
	}
}
