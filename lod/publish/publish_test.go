package publish_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/lod/publish"
)

func TestPublishStoresOriginalArtifactsAndPointer(t *testing.T) {
	store := MustFSStore(t)
	p := MustPublisher(t, store, testConfig())
	ctx := context.Background()
	glb := demoGLB(t, "stoneware-vase")

	j, err := p.Submit(ctx, publish.Request{ID: "stoneware-vase", Upload: publish.Upload{Name: "vase.glb", Data: glb}})
	if err != nil {
		t.Fatal(err)
	}
	if j.State != publish.Queued || !publish.ValidJobID(j.ID) {
		t.Fatalf("submitted job %+v", j)
	}
	// The original is stored before Submit returns, under the private prefix.
	if got := read(t, store, publish.OriginalKey(j.ID, "vase.glb")); len(got) != len(glb) {
		t.Fatalf("stored original has %d bytes, want %d", len(got), len(glb))
	}
	done := mustWait(t, p, j.ID)
	if done.Version == "" || done.Manifest != "/models/stoneware-vase/manifest.json" || done.Levels < 2 || done.Finished == nil || done.Attempts != 1 {
		t.Fatalf("done job %+v", done)
	}
	ptr := checkPublished(t, store, "stoneware-vase")
	if ptr.Published.Job != j.ID || ptr.Published.Version != done.Version || ptr.Source.Name != "vase.glb" {
		t.Fatalf("pointer names %+v, source %q", ptr.Published, ptr.Source.Name)
	}
	// The stored job record is what Job returns once the job is retired.
	again, err := p.Job(ctx, j.ID)
	if err != nil || again.State != publish.Done || again.Version != done.Version {
		t.Fatalf("job from the store: %+v %v", again, err)
	}

	// The public view serves the model, never the private records.
	view := publish.PublicView(store)
	if _, err := view.Stat(ctx, publish.PointerKey("stoneware-vase")); err != nil {
		t.Errorf("public view hides the pointer: %v", err)
	}
	for _, k := range keys(t, store, publish.PrivatePrefix) {
		if _, err := view.Stat(ctx, k); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("public view shows private %s: %v", k, err)
		}
		if _, err := view.Get(ctx, k, cache.All, cache.GetOptions{}); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("public view serves private %s: %v", k, err)
		}
	}
	if hasPrefix(keys(t, view, ""), publish.PrivatePrefix) {
		t.Errorf("public view lists private keys")
	}
	if _, err := view.Put(ctx, publish.PrivatePrefix+"x", strings.NewReader("x"), 1, cache.PutOptions{}); !errors.Is(err, cache.ErrInvalidKey) {
		t.Errorf("public view writes private keys: %v", err)
	}
}

func TestSubmitRefusesBadIDs(t *testing.T) {
	p := MustPublisher(t, MustFSStore(t), testConfig())
	for _, id := range []string{"", "../x", "..", "a/b", "A", "chair.", "-chair", "a..b", "chair%2f", "sofa 1", strings.Repeat("a", 101), "model-0123456789abcdef01", "caf\u00e9"} {
		_, err := p.Submit(context.Background(), publish.Request{ID: id, Upload: publish.Upload{Data: smallGLB(t, 16)}})
		if pe := publish.AsError(err); err == nil || pe.Status != http.StatusBadRequest || !errors.Is(err, publish.ErrInvalidID) {
			t.Errorf("id %q: %v", id, err)
		}
	}
	for _, id := range []string{"tufted-armchair", "a", "chair_2.v3", "0", "deadbeef-cafe"} {
		if err := publish.ValidID(id); err != nil {
			t.Errorf("id %q refused: %v", id, err)
		}
	}
}

// TestHostileUploads: every bad upload is refused with a 4xx that says what
// is wrong, and leaves nothing in the store.
func TestHostileUploads(t *testing.T) {
	store := MustFSStore(t)
	cfg := testConfig()
	cfg.Bake.MaxTexturePixels = 4096 * 4096
	cfg.Bake.MaxTriangles = 1_000_000
	p := MustPublisher(t, store, cfg)
	glb := smallGLB(t, 32)

	// A PNG header that claims 60000×60000 pixels: decoding it would take
	// 14 GB.
	bomb := pngHeader(60000, 60000)
	withImage := func(img []byte) []byte {
		js, bin := splitGLB(t, glb)
		off := len(bin)
		for off%4 != 0 {
			off++
		}
		padded := append(append([]byte{}, bin...), make([]byte, off-len(bin))...)
		padded = append(padded, img...)
		return mutateGLB(t, makeGLB(js, padded), func(doc map[string]any) {
			doc["buffers"].([]any)[0].(map[string]any)["byteLength"] = len(padded)
			views := doc["bufferViews"].([]any)
			doc["bufferViews"] = append(views, map[string]any{"buffer": 0, "byteOffset": off, "byteLength": len(img)})
			doc["images"] = []any{map[string]any{"bufferView": len(views), "mimeType": "image/png"}}
			doc["textures"] = []any{map[string]any{"source": 0}}
			mat := doc["materials"].([]any)[0].(map[string]any)
			pbr, _ := mat["pbrMetallicRoughness"].(map[string]any)
			if pbr == nil {
				pbr = map[string]any{}
				mat["pbrMetallicRoughness"] = pbr
			}
			pbr["baseColorTexture"] = map[string]any{"index": 0}
		})
	}
	lying := mutateGLB(t, glb, func(doc map[string]any) {
		doc["accessors"].([]any)[0].(map[string]any)["count"] = 4_000_000_000
	})
	nested := []byte(`{"asset":{"version":"2.0"},"extras":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`)

	cases := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		detail      string
	}{
		{"truncated GLB", "model/gltf-binary", glb[:len(glb)/2], 422, "GLB"},
		{"GLB header only", "model/gltf-binary", glb[:12], 422, "GLB"},
		{"lying accessor count", "model/gltf-binary", lying, 422, "/accessors/0"},
		{"image decompression bomb", "model/gltf-binary", withImage(bomb), 413, "MaxTexturePixels"},
		{"deeply nested JSON", "model/gltf+json", nested, 422, "JSON"},
		{"not JSON at all", "model/gltf+json", []byte("<html>"), 422, "JSON"},
		{"text as GLB", "model/gltf-binary", []byte("hello world"), 422, "glTF magic"},
		{"GLB sent as JSON", "model/gltf+json", glb, 422, "GLB"},
		{"empty body", "model/gltf-binary", nil, 422, "empty"},
		{"image type", "image/png", bomb, 415, "image/png"},
		{"no type", "", glb, 415, "Content-Type"},
		{"over the upload limit", "model/gltf-binary", make([]byte, 2<<20), 413, "larger"},
		{"external file missing", "model/gltf+json", []byte(`{"asset":{"version":"2.0"},"buffers":[{"uri":"../../etc/passwd","byteLength":4}],"bufferViews":[{"buffer":0,"byteLength":4}],"accessors":[{"bufferView":0,"componentType":5125,"count":1,"type":"SCALAR"}]}`), 422, "passwd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up, err := publish.ReadUpload(tc.contentType, "m.glb", strings.NewReader(string(tc.body)), 1<<20, 16)
			if err == nil {
				_, err = p.Submit(context.Background(), publish.Request{ID: "hostile", Upload: up})
			}
			pe := publish.AsError(err)
			if err == nil || pe.Status != tc.status || !strings.Contains(pe.Detail, tc.detail) {
				t.Fatalf("got %v (status %d, detail %q), want %d mentioning %q", err, pe.Status, pe.Detail, tc.status, tc.detail)
			}
		})
	}
	if k := keys(t, store, ""); len(k) != 0 {
		t.Errorf("refused uploads left %d objects: %v", len(k), k)
	}
}

func TestMultipartGLTFWithExternalFiles(t *testing.T) {
	store := MustFSStore(t)
	p := MustPublisher(t, store, testConfig())
	js, bin := splitGLB(t, smallGLB(t, 24))
	gltf := strings.Replace(string(js), `"buffers":[{`, `"buffers":[{"uri":"bin/scene%20data.bin",`, 1)
	if gltf == string(js) {
		t.Fatal("the test GLB's JSON has no buffers array to point at a file")
	}
	body, ctype := multipartBody(t, map[string]string{
		"chair/scene.gltf":           gltf,
		"chair/bin/scene data.bin":   string(bin),
		"":                           "a plain form field is ignored",
		"chair/textures/unused.webp": "RIFF",
	})
	up, err := publish.ReadUpload(ctype, "", strings.NewReader(body), 1<<20, 8)
	if err != nil {
		t.Fatal(err)
	}
	if up.Name != "scene.gltf" || len(up.Files) != 2 || up.Files["bin/scene data.bin"] == nil {
		t.Fatalf("upload %q with files %v", up.Name, len(up.Files))
	}
	j, err := p.Submit(context.Background(), publish.Request{ID: "chair", Upload: up})
	if err != nil {
		t.Fatal(err)
	}
	mustWait(t, p, j.ID)
	ptr := checkPublished(t, store, "chair")
	if ptr.Source.Name != "scene.gltf" {
		t.Errorf("source name %q", ptr.Source.Name)
	}
	if got := read(t, store, publish.OriginalKey(j.ID, "bin/scene data.bin")); len(got) != len(bin) {
		t.Errorf("stored resource has %d bytes, want %d", len(got), len(bin))
	}
}

// TestResumeAfterRestart: jobs an instance accepted (or was running) when
// it stopped are run by the next publisher over the same store.
func TestResumeAfterRestart(t *testing.T) {
	store := MustFSStore(t)
	ctx := context.Background()
	first, err := publish.New(testConfig(), publish.Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	queued, err := publish.Accept(ctx, first, publish.Request{ID: "ball", Upload: publish.Upload{Data: smallGLB(t, 20)}})
	if err != nil {
		t.Fatal(err)
	}
	running, err := publish.Accept(ctx, first, publish.Request{ID: "knob", Upload: publish.Upload{Data: smallGLB(t, 22)}})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now().UTC()
	running.State, running.Started, running.Attempts = publish.Running, &started, 1
	publish.SaveJob(ctx, first, running)
	first.Close()

	second := MustPublisher(t, store, testConfig())
	if err := second.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, j := range []publish.Job{queued, running} {
		got, err := second.Job(ctx, j.ID)
		if err != nil || got.State != publish.Done {
			t.Fatalf("job %s after restart: %+v %v", j.ID, got, err)
		}
		checkPublished(t, store, j.Model)
	}
	if got, _ := second.Job(ctx, running.ID); got.Attempts != 2 {
		t.Errorf("interrupted job ran %d times in all, want 2", got.Attempts)
	}
}

// TestConcurrentPublishesOfOneID: two instances over one store publish the
// same id many times at once; the pointer ends naming the newest upload,
// complete.
func TestConcurrentPublishesOfOneID(t *testing.T) {
	store := MustFSStore(t)
	cfg := testConfig()
	cfg.Workers = 2
	cfg.Retention = 2
	a := MustPublisher(t, store, cfg)
	b := MustPublisher(t, store, cfg)
	ctx := context.Background()
	base := time.Now().UTC()
	const n = 6
	jobs := make([]publish.Job, n)
	var wg sync.WaitGroup
	for i := range n {
		p := a
		if i%2 == 1 {
			p = b
		}
		wg.Go(func() {
			// Upload times interleave with submission order, so the
			// newest upload is not the last one submitted.
			j, err := p.Submit(ctx, publish.Request{ID: "lamp", Upload: publish.Upload{Data: smallGLB(t, 32+2*i)}, Uploaded: base.Add(time.Duration((i*5)%n) * time.Millisecond)})
			if err != nil {
				t.Error(err)
				return
			}
			jobs[i] = j
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	newest := jobs[0]
	for _, j := range jobs {
		if j.Uploaded.After(newest.Uploaded) {
			newest = j
		}
	}
	for _, p := range []*publish.Publisher{a, b} {
		if err := p.Idle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ptr := checkPublished(t, store, "lamp")
	if ptr.Published.Job != newest.ID {
		t.Fatalf("pointer names job %s (uploaded %v), the newest upload is job %s (%v)", ptr.Published.Job, ptr.Published.Uploaded, newest.ID, newest.Uploaded)
	}
	// Pruning went on concurrently; every kept version is complete.
	for _, k := range keys(t, store, "models/lamp/") {
		rest := strings.TrimPrefix(k, "models/lamp/")
		if v, _, ok := strings.Cut(rest, "/"); ok {
			if _, err := store.Stat(ctx, publish.ArtifactKey("lamp", v, "manifest.json")); err != nil {
				t.Errorf("version %s holds %s but no manifest", v, k)
			}
		}
	}
}

// TestRetention keeps the newest versions and the pointer's, and deletes
// older ones with their originals, once they are old enough.
func TestRetention(t *testing.T) {
	store := MustFSStore(t)
	cfg := testConfig()
	cfg.Retention = 2
	cfg.RetentionAge = time.Hour
	p := MustPublisher(t, store, cfg)
	ctx := context.Background()
	var jobs []publish.Job
	for i := range 4 {
		j, err := p.Submit(ctx, publish.Request{ID: "vase", Upload: publish.Upload{Data: smallGLB(t, 32+2*i)}})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, mustWait(t, p, j.ID))
	}
	// Superseded less than RetentionAge ago: everything stays.
	for _, j := range jobs {
		if _, err := store.Stat(ctx, publish.ArtifactKey("vase", j.Version, "progressive.glb")); err != nil {
			t.Fatalf("version of job %s pruned within RetentionAge: %v", j.ID, err)
		}
	}
	// Two hours later, the two oldest go, with their originals and records.
	publish.SetClock(p, func() time.Time { return time.Now().UTC().Add(2 * time.Hour) })
	if err := publish.Prune(ctx, p, "vase"); err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		_, err := store.Stat(ctx, publish.ArtifactKey("vase", j.Version, "progressive.glb"))
		_, oerr := store.Stat(ctx, publish.OriginalKey(j.ID, "vase.glb"))
		if kept := i >= 2; kept != (err == nil) || kept != (oerr == nil) {
			t.Errorf("version %d: artifact err %v, original err %v; want kept=%v", i, err, oerr, kept)
		}
	}
	ptr := checkPublished(t, store, "vase")
	if ptr.Published.Job != jobs[3].ID {
		t.Errorf("pointer names %s, want the last job %s", ptr.Published.Job, jobs[3].ID)
	}
}

func TestJobNotFound(t *testing.T) {
	p := MustPublisher(t, MustFSStore(t), testConfig())
	for _, id := range []string{"0123456789abcdef01234567", "../../etc", ""} {
		_, err := p.Job(context.Background(), id)
		if !errors.Is(err, publish.ErrJobNotFound) || publish.AsError(err).Status != 404 {
			t.Errorf("job %q: %v", id, err)
		}
	}
}

func TestQueueFull(t *testing.T) {
	cfg := testConfig()
	cfg.MaxQueued = 1
	cfg.Workers = 1
	store := MustFSStore(t)
	p, err := publish.New(cfg, publish.Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	// Not started: nothing is accepted.
	if _, err := p.Submit(context.Background(), publish.Request{ID: "x", Upload: publish.Upload{Data: smallGLB(t, 8)}}); publish.AsError(err).Status != 503 {
		t.Fatalf("submit before Start: %v", err)
	}
	p.Close()
}

// multipartBody builds a multipart/form-data body; the key "" is a plain
// field.
func multipartBody(t *testing.T, files map[string]string) (body, contentType string) {
	t.Helper()
	const boundary = "strata-test-boundary"
	var b strings.Builder
	for name, data := range files {
		fmt.Fprintf(&b, "--%s\r\n", boundary)
		if name == "" {
			fmt.Fprintf(&b, "Content-Disposition: form-data; name=\"note\"\r\n\r\n")
		} else {
			fmt.Fprintf(&b, "Content-Disposition: form-data; name=\"file\"; filename=%q\r\nContent-Type: application/octet-stream\r\n\r\n", name)
		}
		b.WriteString(data)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.String(), "multipart/form-data; boundary=" + boundary
}

// pngHeader is the start of a PNG that claims w×h RGBA pixels: enough for
// a decoder to learn the size (and allocate for it), with no pixel data.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}
