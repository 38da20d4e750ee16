package publish_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/fsstore"
	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/lod/publish"
)

// testLogger shows the publisher's logs with -v.
func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// MustFSStore opens a store over a fresh temporary directory.
func MustFSStore(tb testing.TB) *fsstore.Store {
	tb.Helper()
	s, err := fsstore.New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// testConfig is a fast configuration for tests: no retry waits, no
// retention grace.
func testConfig() publish.Config {
	cfg := publish.DefaultConfig()
	cfg.RetryBackoff = 0
	cfg.RetentionAge = 0
	cfg.Bake.Workers = 2
	return cfg
}

// MustPublisher builds and starts a publisher over store.
func MustPublisher(tb testing.TB, store cache.Store, cfg publish.Config, inv ...publish.Invalidator) *publish.Publisher {
	tb.Helper()
	p, err := publish.New(cfg, publish.Deps{Store: store, Invalidators: inv, Logger: testLogger(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

var (
	demoOnce sync.Once
	demoGLBs map[string][]byte
)

// demoGLB returns the GLB of a demo model by name (stoneware-vase is the
// smallest, 22k triangles).
func demoGLB(tb testing.TB, name string) []byte {
	tb.Helper()
	demoOnce.Do(func() {
		demoGLBs = map[string][]byte{}
		for _, m := range meshgen.Demo() {
			glb, err := meshgen.EncodeGLB(&m)
			if err != nil {
				panic(err)
			}
			demoGLBs[m.Name] = glb
		}
	})
	glb, ok := demoGLBs[name]
	if !ok {
		tb.Fatalf("no demo model %q", name)
	}
	return glb
}

// smallGLB is a sphere of about 2k triangles: quick to bake, and every
// call with another segment count gives other bytes (another version).
func smallGLB(tb testing.TB, segments int) []byte {
	tb.Helper()
	m := meshgen.Model{Name: "sphere", Title: "Sphere", Parts: []meshgen.Part{{
		Name: "ball", Mesh: meshgen.Sphere(segments, segments/2),
		Material: meshgen.Material{Name: "clay", BaseColor: [4]float32{0.8, 0.4, 0.3, 1}, Roughness: 0.8},
	}}}
	glb, err := meshgen.EncodeGLB(&m)
	if err != nil {
		tb.Fatal(err)
	}
	return glb
}

// splitGLB returns a GLB's JSON and BIN chunks.
func splitGLB(tb testing.TB, glb []byte) (jsonChunk, bin []byte) {
	tb.Helper()
	jl := binary.LittleEndian.Uint32(glb[12:])
	jsonChunk = glb[20 : 20+jl]
	rest := glb[20+jl:]
	if len(rest) >= 8 {
		bl := binary.LittleEndian.Uint32(rest)
		bin = rest[8 : 8+bl]
	}
	return jsonChunk, bin
}

// mutateGLB decodes a GLB's JSON, lets edit change it and re-encodes the
// GLB with the same BIN chunk.
func mutateGLB(tb testing.TB, glb []byte, edit func(doc map[string]any)) []byte {
	tb.Helper()
	js, bin := splitGLB(tb, glb)
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil {
		tb.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return makeGLB(out, bin)
}

// makeGLB frames a JSON and a BIN chunk as a GLB, padding both.
func makeGLB(js, bin []byte) []byte {
	for len(js)%4 != 0 {
		js = append(js, ' ')
	}
	for len(bin)%4 != 0 {
		bin = append(bin, 0)
	}
	total := 12 + 8 + len(js)
	if bin != nil {
		total += 8 + len(bin)
	}
	out := make([]byte, 0, total)
	out = binary.LittleEndian.AppendUint32(out, 0x46546C67)
	out = binary.LittleEndian.AppendUint32(out, 2)
	out = binary.LittleEndian.AppendUint32(out, uint32(total))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(js)))
	out = binary.LittleEndian.AppendUint32(out, 0x4E4F534A)
	out = append(out, js...)
	if bin != nil {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(bin)))
		out = binary.LittleEndian.AppendUint32(out, 0x004E4942)
		out = append(out, bin...)
	}
	return out
}

// keys lists every key of store under prefix.
func keys(tb testing.TB, store cache.Store, prefix string) []string {
	tb.Helper()
	var out []string
	if err := store.List(context.Background(), prefix, func(i cache.ObjectInfo) error {
		out = append(out, i.Key)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// read returns a whole object.
func read(tb testing.TB, store cache.Store, key string) []byte {
	tb.Helper()
	obj, err := store.Get(context.Background(), key, cache.All, cache.GetOptions{})
	if err != nil {
		tb.Fatalf("get %s: %v", key, err)
	}
	defer obj.Body.Close()
	b, err := io.ReadAll(obj.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustWait waits for a job to end and fails unless it is done.
func mustWait(tb testing.TB, p *publish.Publisher, jobID string) publish.Job {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j, err := p.Wait(ctx, jobID)
	if err != nil {
		tb.Fatal(err)
	}
	if j.State != publish.Done {
		tb.Fatalf("job %s is %s: %+v", jobID, j.State, j.Error)
	}
	return j
}

// checkPublished checks that model id's pointer names a complete version:
// every file of its manifest is stored with the size and hash it lists.
func checkPublished(tb testing.TB, store cache.Store, id string) publish.Pointer {
	tb.Helper()
	var ptr publish.Pointer
	if err := json.Unmarshal(read(tb, store, publish.PointerKey(id)), &ptr); err != nil {
		tb.Fatalf("pointer of %s: %v", id, err)
	}
	pub := ptr.Published
	if pub.ID != id || len(pub.Version) != 32 || pub.Base != pub.Version+"/" || pub.Progressive != pub.Version+"/progressive.glb" {
		tb.Fatalf("pointer's publication %+v", pub)
	}
	if len(ptr.Levels) < 2 || len(ptr.Files) < 3 {
		tb.Fatalf("pointer has %d levels, %d files", len(ptr.Levels), len(ptr.Files))
	}
	for _, f := range ptr.Files {
		info, err := store.Stat(context.Background(), publish.ArtifactKey(id, pub.Version, f.Name))
		if err != nil {
			tb.Fatalf("file %s of the pointer's version: %v", f.Name, err)
		}
		if info.Size != int64(f.Bytes) || info.ETag != f.SHA256[:32] {
			tb.Fatalf("file %s: stored %d bytes etag %s, manifest says %d bytes sha256 %s", f.Name, info.Size, info.ETag, f.Bytes, f.SHA256)
		}
	}
	man := read(tb, store, publish.ArtifactKey(id, pub.Version, "manifest.json"))
	if publish.VersionOf(man) != pub.Version {
		tb.Fatalf("version %s is not the hash of its manifest", pub.Version)
	}
	return ptr
}

func hasPrefix(keys []string, prefix string) bool {
	return slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, prefix) })
}
