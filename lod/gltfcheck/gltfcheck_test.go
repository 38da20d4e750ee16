package gltfcheck_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qmuntal/gltf"

	"github.com/strata3d/strata/lod/gltfcheck"
)

// triangle is a hand-built, minimal valid asset: one triangle, u16 indices.
// Each field can be broken independently by the cases below.
type triangle struct {
	indices     [3]uint16
	indexCount  int     // accessor count for the indices
	posMaxX     float64 // POSITION max[0]
	externalBin string  // when set, the buffer lives in this file next to a .gltf
}

func validTriangle() triangle {
	return triangle{indices: [3]uint16{0, 1, 2}, indexCount: 3, posMaxX: 1}
}

func (tr triangle) document() *gltf.Document {
	var bin bytes.Buffer
	for _, p := range [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}} {
		_ = binary.Write(&bin, binary.LittleEndian, p)
	}
	_ = binary.Write(&bin, binary.LittleEndian, tr.indices)
	bin.Write([]byte{0, 0}) // pad to 4 bytes
	buf := &gltf.Buffer{ByteLength: bin.Len(), Data: bin.Bytes(), URI: tr.externalBin}
	return &gltf.Document{
		Asset:   gltf.Asset{Version: "2.0", Generator: "gltfcheck test"},
		Buffers: []*gltf.Buffer{buf},
		BufferViews: []*gltf.BufferView{
			{Buffer: 0, ByteOffset: 0, ByteLength: 36, Target: gltf.TargetArrayBuffer},
			{Buffer: 0, ByteOffset: 36, ByteLength: 6, Target: gltf.TargetElementArrayBuffer},
		},
		Accessors: []*gltf.Accessor{
			{BufferView: gltf.Index(0), ComponentType: gltf.ComponentFloat, Count: 3, Type: gltf.AccessorVec3,
				Min: []float64{0, 0, 0}, Max: []float64{tr.posMaxX, 1, 0}},
			{BufferView: gltf.Index(1), ComponentType: gltf.ComponentUshort, Count: tr.indexCount, Type: gltf.AccessorScalar},
		},
		Meshes: []*gltf.Mesh{{Primitives: []*gltf.Primitive{{
			Attributes: gltf.PrimitiveAttributes{gltf.POSITION: 0},
			Indices:    gltf.Index(1),
		}}}},
		Nodes:  []*gltf.Node{{Mesh: gltf.Index(0)}},
		Scenes: []*gltf.Scene{{Nodes: []int{0}}},
		Scene:  gltf.Index(0),
	}
}

func (tr triangle) glb(tb testing.TB) []byte {
	tb.Helper()
	var out bytes.Buffer
	if err := gltf.NewEncoder(&out).Encode(tr.document()); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// gltfFiles writes the asset as .gltf + external .bin and returns the .gltf path.
func (tr triangle) gltfFiles(tb testing.TB, dir string, writeBin bool) string {
	tb.Helper()
	doc := tr.document()
	var js bytes.Buffer
	enc := gltf.NewEncoder(&js)
	enc.AsBinary = false
	if err := enc.Encode(doc); err != nil {
		tb.Fatal(err)
	}
	name := filepath.Join(dir, strings.TrimSuffix(tr.externalBin, ".bin")+".gltf")
	if err := os.WriteFile(name, js.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	if writeBin {
		if err := os.WriteFile(filepath.Join(dir, tr.externalBin), doc.Buffers[0].Data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return name
}

func requireEnv(t *testing.T) {
	t.Helper()
	if os.Getenv(gltfcheck.EnvNodeModules) == "" {
		if testing.Short() {
			t.Skip(gltfcheck.ErrNoValidator)
		}
		t.Fatal(gltfcheck.ErrNoValidator)
	}
}

func sharedModel(t *testing.T, name string) string {
	t.Helper()
	root, err := gltfcheck.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "..", "shared", "models", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared model missing: %v", err)
	}
	return p
}

// TestValidate checks that the harness reports clean assets as clean and, just
// as important, that it demonstrably fails broken ones.
func TestValidate(t *testing.T) {
	requireEnv(t)
	dir := t.TempDir()
	valid := validTriangle().glb(t)

	type tc struct {
		name     string
		data     []byte // written to dir/name.glb unless path is set
		path     string
		wantErrs bool
		wantCode string // a code that must be among the errors
	}
	cases := []tc{
		{name: "valid triangle", data: valid},
		{name: "Khronos Box", path: sharedModel(t, "Box.glb")},
		{name: "index accessor count lies", data: func() []byte {
			tr := validTriangle()
			tr.indexCount = 300
			return tr.glb(t)
		}(), wantErrs: true, wantCode: "ACCESSOR_TOO_LONG"},
		{name: "index out of range", data: func() []byte {
			tr := validTriangle()
			tr.indices = [3]uint16{0, 1, 7}
			return tr.glb(t)
		}(), wantErrs: true, wantCode: "ACCESSOR_INDEX_OOB"},
		{name: "position max wrong", data: func() []byte {
			tr := validTriangle()
			tr.posMaxX = 2
			return tr.glb(t)
		}(), wantErrs: true, wantCode: "ACCESSOR_MAX_MISMATCH"},
		{name: "truncated", data: valid[:len(valid)-20], wantErrs: true},
		{name: "header only", data: valid[:12], wantErrs: true},
		{name: "not a glb", data: []byte("definitely not glTF"), wantErrs: true},
		{name: "external bin", path: func() string {
			tr := validTriangle()
			tr.externalBin = "tri.bin"
			return tr.gltfFiles(t, dir, true)
		}()},
		{name: "external bin missing", path: func() string {
			tr := validTriangle()
			tr.externalBin = "lost.bin"
			return tr.gltfFiles(t, dir, false)
		}(), wantErrs: true},
	}

	files := make([]string, len(cases))
	for i, c := range cases {
		files[i] = c.path
		if files[i] == "" {
			files[i] = filepath.Join(dir, fmt.Sprintf("case%02d.glb", i))
			if err := os.WriteFile(files[i], c.data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One batch for all cases: this also checks reports come back in order.
	reports, err := gltfcheck.Validate(context.Background(), files...)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != len(cases) {
		t.Fatalf("got %d reports for %d files", len(reports), len(cases))
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reports[i]
			if r.File != files[i] {
				t.Errorf("report file = %q, want %q", r.File, files[i])
			}
			if got := r.NumErrors > 0; got != c.wantErrs {
				t.Errorf("errors = %v (%d), want errors %v; messages: %v", got, r.NumErrors, c.wantErrs, r.Messages)
			}
			if len(r.Errors()) != r.NumErrors {
				t.Errorf("listed %d errors, counted %d", len(r.Errors()), r.NumErrors)
			}
			if c.wantCode != "" && !r.HasCode(c.wantCode) {
				t.Errorf("missing %s among %v", c.wantCode, r.Messages)
			}
		})
	}
}

func TestValidateHarnessErrors(t *testing.T) {
	requireEnv(t)
	t.Run("missing file", func(t *testing.T) {
		_, err := gltfcheck.Validate(context.Background(), filepath.Join(t.TempDir(), "nope.glb"))
		if err == nil || !strings.Contains(err.Error(), "nope.glb") {
			t.Fatalf("err = %v, want one naming the missing file", err)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := gltfcheck.Validate(ctx, sharedModel(t, "Box.glb"))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("no files", func(t *testing.T) {
		r, err := gltfcheck.Validate(context.Background())
		if err != nil || len(r) != 0 {
			t.Fatalf("got %v, %v; want nothing", r, err)
		}
	})
	t.Run("validator not configured", func(t *testing.T) {
		t.Setenv(gltfcheck.EnvNodeModules, "")
		_, err := gltfcheck.Validate(context.Background(), sharedModel(t, "Box.glb"))
		if !errors.Is(err, gltfcheck.ErrNoValidator) {
			t.Fatalf("err = %v, want ErrNoValidator", err)
		}
	})
}

// recorder captures failures instead of failing the real test, so the test can
// assert that MustBeValid fails when it should.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Error(args ...any) { r.errors = append(r.errors, fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); r.fatal = true }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.fatal = true }
func (r *recorder) Failed() bool                      { return len(r.errors) > 0 }

func TestMustBeValid(t *testing.T) {
	requireEnv(t)
	broken := validTriangle()
	broken.indices = [3]uint16{0, 1, 9}

	cases := []struct {
		name      string
		glbs      map[string][]byte
		wantFail  bool
		wantInMsg []string
	}{
		{name: "valid", glbs: map[string][]byte{"tri": validTriangle().glb(t)}},
		{name: "one broken among valid", glbs: map[string][]byte{
			"good":   validTriangle().glb(t),
			"broken": broken.glb(t),
		}, wantFail: true, wantInMsg: []string{"broken", "ACCESSOR_INDEX_OOB"}},
		{name: "truncated", glbs: map[string][]byte{"cut": validTriangle().glb(t)[:40]}, wantFail: true, wantInMsg: []string{"cut"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			gltfcheck.MustBeValidGLBs(rec, c.glbs)
			if rec.Failed() != c.wantFail {
				t.Fatalf("failed = %v, want %v; errors: %q", rec.Failed(), c.wantFail, rec.errors)
			}
			if rec.fatal {
				t.Fatalf("harness failure instead of a validation failure: %q", rec.errors)
			}
			msg := strings.Join(rec.errors, "\n")
			for _, want := range c.wantInMsg {
				if !strings.Contains(msg, want) {
					t.Errorf("failure message lacks %q:\n%s", want, msg)
				}
			}
		})
	}

	t.Run("single", func(t *testing.T) {
		rec := &recorder{TB: t}
		gltfcheck.MustBeValid(rec, broken.glb(t))
		if !rec.Failed() {
			t.Fatal("MustBeValid passed a GLB with an out-of-range index")
		}
		gltfcheck.MustBeValid(t, validTriangle().glb(t))
	})
	t.Run("files", func(t *testing.T) {
		gltfcheck.MustBeValidFiles(t, sharedModel(t, "Box.glb"), sharedModel(t, "BoxTextured.glb"))
	})
	t.Run("not configured fails outside -short", func(t *testing.T) {
		if testing.Short() {
			t.Skip("in -short mode the helper skips instead")
		}
		t.Setenv(gltfcheck.EnvNodeModules, "")
		rec := &recorder{TB: t}
		gltfcheck.MustBeValid(rec, validTriangle().glb(t))
		if !rec.fatal || !strings.Contains(strings.Join(rec.errors, ""), "scripts/testenv.sh run") {
			t.Fatalf("want a fatal failure pointing at scripts/testenv.sh, got %q", rec.errors)
		}
	})
}
