package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "br, gzip;q=0.5", "gzip;q=0", "GZIP", "identity", "", "gzip ; q=0.000", ",,gzip,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if acceptsGzip(v) && !strings.Contains(strings.ToLower(v), "gzip") {
			t.Errorf("acceptsGzip(%q) without gzip in it", v)
		}
	})
}

// FuzzServePath sends any path to the handler: it answers a page, a file or
// a problem, never a server error, and never a file outside static/.
func FuzzServePath(f *testing.F) {
	for _, s := range []string{"/", "/products/x", "/static/app.css", "/static/../web.go", "/static/dist/app.js", "/api/v1/x", "/static/", "/3d/a%2Fb"} {
		f.Add(s)
	}
	h, err := New(Config{Files: fstest.MapFS{"app.css": {Data: []byte("body{}")}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string) {
		req, err := http.NewRequest("GET", "http://strata.test"+path, nil)
		if err != nil || req.URL.Path == "" {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 404, 503:
		default:
			t.Fatalf("%q answered %d", path, rec.Code)
		}
		if rec.Code == 200 && strings.HasPrefix(req.URL.Path, "/static/") && req.URL.Path != "/static/app.css" {
			t.Fatalf("%q served a file that does not exist", path)
		}
	})
}
