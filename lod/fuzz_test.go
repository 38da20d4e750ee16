package lod_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata3d/strata/lod"
	"github.com/strata3d/strata/lod/meshgen"
)

// FuzzBake feeds arbitrary bytes to the whole pipeline as a GLB or .gltf.
// Whatever the input, Bake must either succeed or return an *InputError
// saying what is wrong; a panic (reported by Bake as an internal error) or
// any other error fails. The seed corpus in testdata/fuzz/FuzzBake holds
// small valid GLBs and .gltf files and mutations of them (truncations,
// lying counts and offsets, broken JSON).
func FuzzBake(f *testing.F) {
	glb, err := meshgen.EncodeGLB(&meshgen.Model{Name: "s", Parts: []meshgen.Part{{Name: "s", Mesh: meshgen.Sphere(6, 4)}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(glb)
	cfg := lod.DefaultConfig()
	// Small limits keep every iteration fast and its memory bounded.
	cfg.MaxInputBytes = 1 << 20
	cfg.MaxVertices = 1 << 16
	cfg.MaxTriangles = 1 << 16
	cfg.MaxTexturePixels = 1 << 16
	cfg.MinTriangles = 4
	cfg.Workers = 1
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := lod.Bake(context.Background(), lod.Input{Name: "fuzz", Data: data}, cfg)
		if err == nil {
			if len(res.Files) < 3 {
				t.Fatalf("%d files", len(res.Files))
			}
			return
		}
		var ie *lod.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("error is not an *InputError: %v", err)
		}
		if ie.What == "" {
			t.Fatalf("error says nothing: %v", err)
		}
	})
}
