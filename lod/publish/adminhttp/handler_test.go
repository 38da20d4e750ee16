package adminhttp_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/fsstore"
	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/lod/publish"
	"github.com/strata3d/strata/lod/publish/adminhttp"
)

const token = "0123456789abcdef0123456789abcdef-admin"

type problem struct {
	Type, Title, Code, Detail string
	Status                    int
}

func startAdmin(t *testing.T) (*httptest.Server, *fsstore.Store) {
	t.Helper()
	store, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := publish.DefaultConfig()
	cfg.Bake.Workers = 2
	p, err := publish.New(cfg, publish.Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	h, err := adminhttp.New(p, adminhttp.Config{Token: token, MaxUploadBytes: 4 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); p.Close(); store.Close() })
	return srv, store
}

func sphereGLB(t *testing.T) []byte {
	t.Helper()
	m := meshgen.Model{Name: "ball", Parts: []meshgen.Part{{Name: "ball", Mesh: meshgen.Sphere(40, 20), Material: meshgen.Material{Name: "m", BaseColor: [4]float32{1, 1, 1, 1}}}}}
	glb, err := meshgen.EncodeGLB(&m)
	if err != nil {
		t.Fatal(err)
	}
	return glb
}

func send(t *testing.T, method, url, auth, ctype string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestUploadAndJob(t *testing.T) {
	srv, store := startAdmin(t)
	resp, body := send(t, "POST", srv.URL+"/admin/models/ball", "Bearer "+token, "model/gltf-binary", sphereGLB(t))
	if resp.StatusCode != 202 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	var job publish.Job
	if err := json.Unmarshal(body, &job); err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Location") != "/admin/jobs/"+job.ID || job.Model != "ball" || job.Source.Name != "ball.glb" {
		t.Fatalf("Location %q, job %+v", resp.Header.Get("Location"), job)
	}
	resp, body = send(t, "GET", srv.URL+"/admin/jobs/"+job.ID+"?wait=50s", "Bearer "+token, "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("job: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if err := json.Unmarshal(body, &job); err != nil {
		t.Fatal(err)
	}
	if job.State != publish.Done || job.Manifest != "/models/ball/manifest.json" || job.Timings.BakeMS < 0 || job.Started == nil || job.Finished == nil {
		t.Fatalf("job after wait: %s", body)
	}
	if _, err := store.Stat(t.Context(), publish.PointerKey("ball")); err != nil {
		t.Fatalf("pointer: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	srv, store := startAdmin(t)
	glb := sphereGLB(t)
	auth := "Bearer " + token
	cases := []struct {
		name, method, path, auth, ctype string
		body                            []byte
		status                          int
		detail                          string
	}{
		{"no token", "POST", "/admin/models/ball", "", "model/gltf-binary", glb, 401, "bearer token"},
		{"wrong token", "POST", "/admin/models/ball", "Bearer " + strings.Repeat("x", len(token)), "model/gltf-binary", glb, 401, "bearer token"},
		{"token prefix", "POST", "/admin/models/ball", "Bearer " + token[:10], "model/gltf-binary", glb, 401, "bearer token"},
		{"basic auth", "POST", "/admin/models/ball", "Basic " + token, "model/gltf-binary", glb, 401, "bearer token"},
		{"jobs need the token too", "GET", "/admin/jobs/0123456789abcdef01234567", "", "", nil, 401, "bearer token"},
		{"wrong type", "POST", "/admin/models/ball", auth, "application/zip", glb, 415, "application/zip"},
		{"too large", "POST", "/admin/models/ball", auth, "model/gltf-binary", make([]byte, 4<<20+1), 413, "larger"},
		{"truncated", "POST", "/admin/models/ball", auth, "model/gltf-binary", glb[:100], 422, "GLB"},
		{"dot-dot id", "POST", "/admin/models/..%2fx", auth, "model/gltf-binary", glb, 400, "model id"},
		{"encoded dots", "POST", "/admin/models/%2e%2e", auth, "model/gltf-binary", glb, 400, "model id"},
		{"uppercase id", "POST", "/admin/models/Ball", auth, "model/gltf-binary", glb, 400, "model id"},
		{"nested path", "POST", "/admin/models/a/b", auth, "model/gltf-binary", glb, 404, "admin route"},
		{"GET a model", "GET", "/admin/models/ball", auth, "", nil, 405, "POST"},
		{"unknown job", "GET", "/admin/jobs/0123456789abcdef01234567", auth, "", nil, 404, "no job"},
		{"malformed job", "GET", "/admin/jobs/..", auth, "", nil, 404, "no job"},
		{"bad wait", "GET", "/admin/jobs/0123456789abcdef01234567?wait=soon", auth, "", nil, 400, "duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(t, tc.method, srv.URL+tc.path, tc.auth, tc.ctype, tc.body)
			var p problem
			if err := json.Unmarshal(body, &p); err != nil || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d %q: not a problem document: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if resp.StatusCode != tc.status || p.Status != tc.status || !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("%d %+v, want %d mentioning %q", resp.StatusCode, p, tc.status, tc.detail)
			}
			if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tc.status == 415 && resp.Header.Get("Accept-Post") == "" {
				t.Error("415 without Accept-Post")
			}
		})
	}
	var left []string
	store.List(t.Context(), "", func(i cache.ObjectInfo) error { left = append(left, i.Key); return nil })
	if len(left) != 0 {
		t.Errorf("refused requests left objects: %v", left)
	}
}

func TestNewRefusesShortTokens(t *testing.T) {
	store, _ := fsstore.New(t.TempDir())
	p, _ := publish.New(publish.DefaultConfig(), publish.Deps{Store: store})
	if _, err := adminhttp.New(p, adminhttp.Config{Token: "short"}, nil); err == nil {
		t.Fatal("a 5-byte token was accepted")
	}
}
