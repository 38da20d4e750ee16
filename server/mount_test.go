package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/strata3d/strata/server"
)

// echoHandler answers with the route it was mounted as, the method, the path
// and the size of the body it received, so a test sees what reached it.
func echoHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s %s %d", name, r.Method, r.URL.Path, len(body))
	})
}

func TestMountedHandlers(t *testing.T) {
	files := map[string][]byte{
		"models/chair/manifest.json":                             []byte(`{"levels":[]}`),
		"models/chair/0123456789abcdef0123456789abcdef/lod0.glb": []byte("glTF-bytes"),
	}
	o := startOriginDeps(t, "", files, func(c *server.Config) {
		c.MaxBodyBytes = 4 << 10
		c.MaxUploadBytes = 64 << 10
	}, server.Deps{API: echoHandler("api"), Admin: echoHandler("admin"), Web: echoHandler("web")})

	send := func(method, path string, body []byte) response {
		t.Helper()
		req, err := http.NewRequest(method, o.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{resp, b}
	}
	cases := []struct {
		name, method, path string
		body               int
		status             int
		want               string // body prefix; empty: a problem document
	}{
		{"api gets its requests", "POST", "/api/v1/cart/items", 100, 200, "api POST /api/v1/cart/items 100"},
		{"api body at its bound", "POST", "/api/v1/x", 4 << 10, 200, "api POST /api/v1/x 4096"},
		{"api body over its bound", "POST", "/api/v1/x", 4<<10 + 1, 413, ""},
		{"admin takes upload-sized bodies", "POST", "/admin/models/chair", 32 << 10, 200, "admin POST /admin/models/chair 32768"},
		{"admin body over the upload bound", "POST", "/admin/models/chair", 64<<10 + 1, 413, ""},
		{"web answers unrouted pages", "GET", "/products/oak-chair", 0, 200, "web GET /products/oak-chair 0"},
		{"web answers the root", "GET", "/", 0, 200, "web GET / 0"},
		{"web takes no writes", "POST", "/products/oak-chair", 0, 404, ""},
		{"models pointer from the store", "GET", "/models/chair/manifest.json", 0, 200, `{"levels":[]}`},
		{"models artifact from the store", "GET", "/models/chair/0123456789abcdef0123456789abcdef/lod0.glb", 0, 200, "glTF-bytes"},
		{"models missing", "GET", "/models/table/manifest.json", 0, 404, ""},
		{"models traversal", "GET", "/models/..%2fsecret", 0, 400, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := send(tc.method, tc.path, bytes.Repeat([]byte{'x'}, tc.body))
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %.200q)", r.StatusCode, tc.status, r.Body)
			}
			if tc.want == "" {
				checkProblem(t, r, tc.status)
				return
			}
			if !strings.HasPrefix(string(r.Body), tc.want) {
				t.Fatalf("body %q, want %q", r.Body, tc.want)
			}
		})
	}

	// Artifacts under a content hash are immutable; the pointer is short-lived.
	art := send("GET", "/models/chair/0123456789abcdef0123456789abcdef/lod0.glb", nil)
	if cc := art.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("artifact Cache-Control %q, want immutable", cc)
	}
	ptr := send("GET", "/models/chair/manifest.json", nil)
	if cc := ptr.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=60") {
		t.Errorf("pointer Cache-Control %q, want the short TTL", cc)
	}
}

func TestMountsRequireTheOriginSecret(t *testing.T) {
	o := startOriginDeps(t, "", nil, func(c *server.Config) {
		c.OriginSecrets = []string{"s3cret-0123456789abcdef"}
	}, server.Deps{API: echoHandler("api"), Admin: echoHandler("admin"), Web: echoHandler("web")})
	for _, path := range []string{"/api/v1/products", "/admin/jobs/1", "/products/x", "/models/a/manifest.json"} {
		r := do(t, "GET", o.URL+path, nil)
		if r.StatusCode != 403 {
			t.Errorf("%s without the secret: status %d, want 403", path, r.StatusCode)
		}
		r = do(t, "GET", o.URL+path, map[string]string{"X-Origin-Secret": "s3cret-0123456789abcdef"})
		if r.StatusCode == 403 {
			t.Errorf("%s with the secret: 403", path)
		}
	}
}

func TestWithoutMountsRoutesStayClosed(t *testing.T) {
	o := startOrigin(t, "", nil, nil)
	for _, path := range []string{"/api/v1/products", "/admin/jobs/1", "/products/x"} {
		r := do(t, "GET", o.URL+path, nil)
		checkProblem(t, r, 404)
	}
	if r := do(t, "GET", o.URL+"/", nil); r.StatusCode != 302 {
		t.Errorf("/ without a web handler: status %d, want 302", r.StatusCode)
	}
}
