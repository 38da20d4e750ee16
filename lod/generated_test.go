package lod_test

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/strata3d/strata/lod"
	"github.com/strata3d/strata/lod/meshgen"
)

// generatedGLB encodes one generated mesh as a single-part model.
func generatedGLB(tb testing.TB, name string, m meshgen.Mesh) []byte {
	tb.Helper()
	glb, err := meshgen.EncodeGLB(&meshgen.Model{Name: name, Parts: []meshgen.Part{{
		Name: name, Mesh: m,
		Material: meshgen.Material{Name: "grey", BaseColor: [4]float32{0.5, 0.5, 0.5, 1}, Roughness: 0.5},
	}}})
	if err != nil {
		tb.Fatal(err)
	}
	return glb
}

// generatedCases are high-poly meshes with the features a simplifier must
// respect: UV seams and poles (Sphere), open borders (Terrain), two seams
// and no border (TorusKnot), and a plain closed surface (Displaced).
func generatedCases(short bool) []struct {
	name string
	mesh func() meshgen.Mesh
} {
	scale := 1
	if short {
		scale = 2 // a quarter of the triangles; the coarsest levels keep a few hundred
	}
	return []struct {
		name string
		mesh func() meshgen.Mesh
	}{
		{"sphere", func() meshgen.Mesh { return meshgen.Sphere(256/scale, 128/scale) }},
		{"terrain", func() meshgen.Mesh { return meshgen.Terrain(200/scale, 7) }},
		{"torus-knot", func() meshgen.Mesh { return meshgen.TorusKnot(2, 3, 512/scale, 48/scale) }},
		{"displaced", func() meshgen.Mesh { return meshgen.Displaced(100_000/scale/scale, 3) }},
	}
}

func TestBakeGeneratedMeshesHitTargets(t *testing.T) {
	for _, tc := range generatedCases(testing.Short()) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := lod.DefaultConfig()
			cfg.MaxError = 1 // the ratios are under test here, not the error cap
			res := mustBake(t, tc.name, generatedGLB(t, tc.name, tc.mesh()), cfg)
			levels := res.Manifest.Levels
			if len(levels) != 4 {
				t.Errorf("%d levels, want the 4 default ratios", len(levels))
			}
			for _, l := range levels {
				t.Logf("level %d: %d triangles (target %d), error %.3g (relative %.3g)", l.Level, l.Triangles, l.TargetTriangles, l.Error, l.RelativeError)
				if d := math.Abs(float64(l.Triangles-l.TargetTriangles)) / float64(l.TargetTriangles); d > 0.05 {
					t.Errorf("level %d: %d triangles, %.1f%% off the target %d", l.Level, l.Triangles, 100*d, l.TargetTriangles)
				}
				if l.Level > 0 && !(l.RelativeError > levels[l.Level-1].RelativeError) {
					t.Errorf("level %d: relative error %v does not grow from %v", l.Level, l.RelativeError, levels[l.Level-1].RelativeError)
				}
			}
			checkProgressive(t, res)
			mustBeValid(t, glbFiles(tc.name+"/", res))
		})
	}
}

func TestBakeErrorCapKeepsSmallParts(t *testing.T) {
	model := meshgen.Model{Name: "sphere-and-quad", Parts: []meshgen.Part{
		{Name: "sphere", Mesh: meshgen.Sphere(128, 64)},
		{Name: "quad", Mesh: meshgen.Terrain(1, 1), Translation: [3]float32{2, 0, 0}},
	}}
	glb, err := meshgen.EncodeGLB(&model)
	if err != nil {
		t.Fatal(err)
	}
	quadTriangles := func(res *lod.Result) int {
		coarsest := res.Manifest.Levels[len(res.Manifest.Levels)-1]
		b, _ := res.File(coarsest.File)
		g := mustDecodeGLB(t, b)
		return g.doc.Accessors[*g.doc.Meshes[1].Primitives[0].Indices].Count / 3
	}
	cases := []struct {
		name     string
		maxError float64
		want     int
	}{
		{"default cap keeps the quad", lod.DefaultConfig().MaxError, 2},
		{"no cap crushes it to the ratio", 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := lod.DefaultConfig()
			cfg.MaxError = tc.maxError
			res := mustBake(t, model.Name, glb, cfg)
			if len(res.Manifest.Levels) != 4 {
				t.Fatalf("%d levels, want 4", len(res.Manifest.Levels))
			}
			if got := quadTriangles(res); got != tc.want {
				t.Errorf("the quad has %d triangles on the coarsest level, want %d", got, tc.want)
			}
		})
	}
}

func TestBakeIsDeterministic(t *testing.T) {
	demo := meshgen.Demo()[3] // armchair: several parts and materials
	glb, err := meshgen.EncodeGLB(&demo)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"armchair", glb},
		{"Fox.glb", mustReadModel(t, "Fox.glb")},
		{"cat.glb", mustReadModel(t, "cat.glb")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			one, many := lod.DefaultConfig(), lod.DefaultConfig()
			one.Workers, many.Workers = 1, 4
			a := mustBake(t, tc.name, tc.data, one)
			b := mustBake(t, tc.name, tc.data, many)
			if len(a.Files) != len(b.Files) {
				t.Fatalf("%d files with 1 worker, %d with 4", len(a.Files), len(b.Files))
			}
			for i := range a.Files {
				if a.Files[i].Name != b.Files[i].Name || !bytes.Equal(a.Files[i].Data, b.Files[i].Data) {
					t.Errorf("%s differs between 1 and 4 workers", a.Files[i].Name)
				}
			}
		})
	}
}

func TestBakeDemoCatalogue(t *testing.T) {
	if testing.Short() {
		t.Skip("bakes the whole demo catalogue (about 1M triangles)")
	}
	files := map[string][]byte{}
	for _, m := range meshgen.Demo() {
		glb, err := meshgen.EncodeGLB(&m)
		if err != nil {
			t.Fatal(err)
		}
		res := mustBake(t, m.Name, glb, lod.DefaultConfig())
		for _, l := range res.Manifest.Levels {
			t.Logf("%s level %d: %d triangles (target %d), relative error %.3g, %d bytes", m.Name, l.Level, l.Triangles, l.TargetTriangles, l.RelativeError, l.Bytes)
		}
		if len(res.Manifest.Levels) < 3 {
			t.Errorf("%s: %d levels, want at least 3", m.Name, len(res.Manifest.Levels))
		}
		checkProgressive(t, res)
		for name, b := range glbFiles(m.Name+"/", res) {
			files[name] = b
		}
	}
	mustBeValid(t, files)
}

func TestBakeStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := lod.Bake(ctx, lod.Input{Data: generatedGLB(t, "sphere", meshgen.Sphere(64, 32))}, lod.DefaultConfig())
	if err != context.Canceled {
		t.Errorf("Bake with a cancelled context: %v, want context.Canceled", err)
	}
}
