package simplify_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/lod/simplify"
)

// BenchmarkSimplify times the Go simplifier alone on the default test
// meshes (see BenchmarkCompareMeshopt for the comparison).
func BenchmarkSimplify(b *testing.B) {
	for i, tm := range testMeshes {
		g := fullTestMesh(i)
		for _, attrs := range []bool{false, true} {
			m := positionsOnly(g)
			suffix := ""
			if attrs {
				m = withAttributes(g)
				suffix = "+attrs"
			}
			for _, div := range ratios {
				b.Run(fmt.Sprintf("%s%s/1:%d", tm.name, suffix, div), func(b *testing.B) {
					opts := simplify.Options{TargetTriangles: g.TriangleCount() / div}
					for b.Loop() {
						if _, err := simplify.Simplify(context.Background(), m, opts); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(g.TriangleCount())*float64(b.N)/b.Elapsed().Seconds(), "tris/s")
				})
			}
		}
	}
}

// compareMeshes are the meshes of the meshoptimizer comparison.
var compareMeshes = []struct {
	name  string
	attrs bool
	gen   func() meshgen.Mesh
}{
	{"displaced1M", false, func() meshgen.Mesh { return meshgen.Displaced(1_000_000, 1) }},
	{"terrain500k", false, func() meshgen.Mesh { return meshgen.Terrain(500, 2) }},
	{"torusknot200k", false, func() meshgen.Mesh { return meshgen.TorusKnot(2, 3, 1000, 100) }},
	{"sphere250k", false, func() meshgen.Mesh { return meshgen.Sphere(500, 250) }},
	{"sphere250k+attrs", true, func() meshgen.Mesh { return meshgen.Sphere(500, 250) }},
}

// hausdorffSamples is the number of area samples per surface (on top of
// every vertex) for the comparison's Hausdorff distance.
const hausdorffSamples = 200_000

// BenchmarkCompareMeshopt runs the Go simplifier and meshoptimizer (WASM, in
// Node) on the same meshes and targets and reports speed in input triangles
// per second and the symmetric Hausdorff distance of both results to the
// input, relative to its bounding box diagonal. Targets: speed_ratio >= 1,
// error_ratio <= 1.1.
//
// The machine may be busy with other work, so the two alternate: each of
// the b.N iterations times one Go run and one meshoptimizer call (in a
// fresh Node process, warmed up by one untimed call), and the reported
// rates come from the medians. cpu_speed_ratio is the same comparison in
// CPU time (user+system of each process), which a busy machine disturbs
// less than wall-clock time.
func BenchmarkCompareMeshopt(b *testing.B) {
	requireNodeModules(b)
	for _, cm := range compareMeshes {
		for _, div := range ratios {
			b.Run(fmt.Sprintf("%s/1:%d", cm.name, div), func(b *testing.B) {
				g := cachedMesh(strings.TrimSuffix(cm.name, "+attrs"), cm.gen)
				m := positionsOnly(g)
				if cm.attrs {
					m = withAttributes(g)
				}
				opts := simplify.Options{TargetTriangles: g.TriangleCount() / div}
				in := writeMeshFile(b, m, opts, 2) // the first call warms up
				var times, cpuTimes, moTimes, moCPUTimes []float64
				var r simplify.Result
				var mo meshoptRun
				b.ResetTimer()
				for range b.N {
					b.StartTimer()
					start, cpuStart := time.Now(), processCPUTime()
					var err error
					if r, err = simplify.Simplify(context.Background(), m, opts); err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(start).Seconds())
					cpuTimes = append(cpuTimes, (processCPUTime() - cpuStart).Seconds())
					b.StopTimer()
					mo = runMeshoptFile(b, in)
					moTimes = append(moTimes, mo.TimesMs[1]/1000)
					moCPUTimes = append(moCPUTimes, mo.CPUTimesMs[1]/1000)
				}
				geo := simplify.Mesh{Positions: m.Positions, Indices: m.Indices}
				hg := simplify.Hausdorff(geo, simplify.Mesh{Positions: m.Positions, Indices: r.Indices}, hausdorffSamples, 1)
				hm := simplify.Hausdorff(geo, simplify.Mesh{Positions: m.Positions, Indices: mo.Indices}, hausdorffSamples, 1)
				tris := float64(g.TriangleCount())
				goRate, moRate := tris/median(times), tris/median(moTimes)
				b.ReportMetric(goRate, "go_tris/s")
				b.ReportMetric(moRate, "meshopt_tris/s")
				b.ReportMetric(goRate/moRate, "speed_ratio")
				b.ReportMetric(median(moCPUTimes)/median(cpuTimes), "cpu_speed_ratio")
				b.ReportMetric(hg, "go_hausdorff")
				b.ReportMetric(hm, "meshopt_hausdorff")
				b.ReportMetric(hg/hm, "error_ratio")
				b.ReportMetric(float64(len(r.Indices)/3), "go_tris")
				b.ReportMetric(float64(mo.Triangles), "meshopt_tris")
			})
		}
	}
}

// processCPUTime is the user+system CPU time of the whole process, so that
// the Go garbage collector's background work counts against Simplify just
// as V8's does against meshoptimizer.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
