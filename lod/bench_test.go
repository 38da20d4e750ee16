package lod_test

import (
	"context"
	"testing"

	"github.com/strata3d/strata/lod"
	"github.com/strata3d/strata/lod/meshgen"
)

// BenchmarkBake measures the whole pipeline on generated meshes and reports
// input triangles per second (simplification dominates; the rest is reading,
// welding and writing five files).
func BenchmarkBake(b *testing.B) {
	cases := []struct {
		name string
		mesh func() meshgen.Mesh
	}{
		{"displaced-250k", func() meshgen.Mesh { return meshgen.Displaced(250_000, 5) }},
		{"displaced-1M", func() meshgen.Mesh { return meshgen.Displaced(1_000_000, 5) }},
		{"sphere-soup-260k", func() meshgen.Mesh { return meshgen.Soup(meshgen.Sphere(512, 256)) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			m := tc.mesh()
			glb := generatedGLB(b, tc.name, m)
			cfg := lod.DefaultConfig()
			b.SetBytes(int64(len(glb)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := lod.Bake(context.Background(), lod.Input{Data: glb}, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(m.TriangleCount())*float64(b.N)/b.Elapsed().Seconds(), "triangles/s")
		})
	}
}

// BenchmarkBakeDemo bakes the demo catalogue's largest model, several
// meshes and materials baked in parallel.
func BenchmarkBakeDemo(b *testing.B) {
	demo := meshgen.Demo()
	sofa := demo[len(demo)-1]
	glb, err := meshgen.EncodeGLB(&sofa)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(glb)))
	for b.Loop() {
		if _, err := lod.Bake(context.Background(), lod.Input{Data: glb}, lod.DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sofa.TriangleCount())*float64(b.N)/b.Elapsed().Seconds(), "triangles/s")
}
