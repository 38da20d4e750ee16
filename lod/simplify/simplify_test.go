package simplify_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/lod/simplify"
)

// testMeshes are the 100k–125k triangle meshes of the default test run; the
// 1M-triangle ones live in the benchmarks. With -short (as under the race
// detector) the same shapes come with about 1/8 of the triangles.
var testMeshes = []struct {
	name   string
	closed bool // no open borders once seams are welded
	gen    func(short bool) meshgen.Mesh
}{
	{"displaced", true, func(short bool) meshgen.Mesh { return meshgen.Displaced(pick(short, 120_000, 15_000), 1) }},
	{"terrain", false, func(short bool) meshgen.Mesh { return meshgen.Terrain(pick(short, 250, 88), 2) }},
	{"torusknot", true, func(short bool) meshgen.Mesh {
		return meshgen.TorusKnot(2, 3, pick(short, 500, 176), pick(short, 100, 36))
	}},
	{"sphere", true, func(short bool) meshgen.Mesh { return meshgen.Sphere(pick(short, 320, 112), pick(short, 160, 56)) }},
}

func pick(short bool, full, reduced int) int {
	if short {
		return reduced
	}
	return full
}

// testMesh returns the i-th test mesh at the size the test mode asks for.
func testMesh(i int) meshgen.Mesh {
	tm := testMeshes[i]
	return cachedMesh(fmt.Sprintf("%s-short=%v", tm.name, testing.Short()), func() meshgen.Mesh { return tm.gen(testing.Short()) })
}

// fullTestMesh returns the i-th test mesh at full size even with -short:
// the parallel phases only start above ~30k triangles and need covering
// under the race detector.
func fullTestMesh(i int) meshgen.Mesh {
	tm := testMeshes[i]
	return cachedMesh(fmt.Sprintf("%s-short=false", tm.name), func() meshgen.Mesh { return tm.gen(false) })
}

var ratios = []int{4, 16, 64}

// testRatios are the reductions the tests check: the small -short meshes
// cannot reach 1/64 (a sphere's poles alone hold more triangles).
func testRatios() []int {
	if testing.Short() {
		return ratios[:2]
	}
	return ratios
}

func TestSimplifyReachesTarget(t *testing.T) {
	for i, tm := range testMeshes {
		g := testMesh(i)
		for _, attrs := range []bool{false, true} {
			m := positionsOnly(g)
			name := tm.name
			if attrs {
				m = withAttributes(g)
				name += "+attrs"
			}
			var prevError float32
			for _, div := range testRatios() {
				target := g.TriangleCount() / div
				r := mustSimplify(t, m, simplify.Options{TargetTriangles: target})
				got := len(r.Indices) / 3
				if got > target || float64(got) < 0.95*float64(target) {
					t.Errorf("%s 1/%d: %d triangles, want %d..%d", name, div, got, int(math.Ceil(0.95*float64(target))), target)
				}
				checkIndices(t, m, r.Indices)
				// Errors are reported, finite, and grow as the target shrinks.
				if !(r.RelativeError >= prevError) || math.IsInf(float64(r.RelativeError), 0) {
					t.Errorf("%s 1/%d: relative error %g after %g at a larger target", name, div, r.RelativeError, prevError)
				}
				prevError = r.RelativeError
				if want := r.RelativeError * extent(m); math.Abs(float64(r.Error-want)) > 1e-6*float64(want)+1e-12 {
					t.Errorf("%s 1/%d: Error %g, want RelativeError × extent = %g", name, div, r.Error, want)
				}
				if tm.closed {
					if open := openEdges(m, r.Indices); len(open) > 0 {
						t.Errorf("%s 1/%d: closed mesh has %d open edges after simplification", name, div, len(open))
					}
				}
			}
		}
	}
}

func extent(m simplify.Mesh) float32 {
	all := make([]uint32, m.VertexCount())
	for i := range all {
		all[i] = uint32(i)
	}
	lo, hi := bbox(m, all)
	return float32(max(hi[0]-lo[0], hi[1]-lo[1], hi[2]-lo[2]))
}

func TestSimplifyKeepsOrientation(t *testing.T) {
	for i, tm := range testMeshes {
		g := testMesh(i)
		m := positionsOnly(g)
		normals := vertexNormals(m)
		for _, div := range testRatios() {
			r := mustSimplify(t, m, simplify.Options{TargetTriangles: g.TriangleCount() / div})
			flipped := 0
			for i := 0; i < len(r.Indices); i += 3 {
				a, b, c := r.Indices[i], r.Indices[i+1], r.Indices[i+2]
				local := add(add(normals[a], normals[b]), normals[c])
				if dot(triangleNormal(m, a, b, c), local) <= 0 {
					flipped++
				}
			}
			if flipped > 0 {
				t.Errorf("%s 1/%d: %d of %d triangles face against the original surface", tm.name, div, flipped, len(r.Indices)/3)
			}
		}
	}
}

func TestSimplifyBorders(t *testing.T) {
	g := testMesh(1)
	m := positionsOnly(g)
	inputOpen := openEdges(m, m.Indices)
	onBorder := map[pkey]bool{}
	for e := range inputOpen {
		onBorder[e[0]], onBorder[e[1]] = true, true
	}
	lo, hi := bbox(m, m.Indices)

	t.Run("locked", func(t *testing.T) {
		r := mustSimplify(t, m, simplify.Options{TargetTriangles: g.TriangleCount() / 16, LockBorder: true})
		if got := len(r.Indices) / 3; got > g.TriangleCount()/16 {
			t.Errorf("%d triangles, want <= %d", got, g.TriangleCount()/16)
		}
		open := openEdges(m, r.Indices)
		if len(open) != len(inputOpen) {
			t.Fatalf("%d border edges, want the original %d", len(open), len(inputOpen))
		}
		for e := range inputOpen {
			if open[e] != 1 {
				t.Fatalf("border edge %v lost", e)
			}
		}
	})
	t.Run("free", func(t *testing.T) {
		for _, div := range testRatios() {
			r := mustSimplify(t, m, simplify.Options{TargetTriangles: g.TriangleCount() / div})
			for e := range openEdges(m, r.Indices) {
				if !onBorder[e[0]] || !onBorder[e[1]] {
					t.Fatalf("1/%d: open edge %v leaves the original border", div, e)
				}
			}
			// Border vertices slide only along the border, so the outline —
			// here a square — keeps its corners.
			rlo, rhi := bbox(m, r.Indices)
			for j := 0; j < 3; j += 2 {
				if rlo[j] != lo[j] || rhi[j] != hi[j] {
					t.Errorf("1/%d: footprint %v..%v, want %v..%v", div, rlo, rhi, lo, hi)
				}
			}
		}
	})
}

func TestSimplifyKeepsSeams(t *testing.T) {
	g := testMesh(3)
	for _, attrs := range []bool{false, true} {
		m := positionsOnly(g)
		if attrs {
			m = withAttributes(g)
		}
		for _, div := range testRatios() {
			r := mustSimplify(t, m, simplify.Options{TargetTriangles: g.TriangleCount() / div})
			// A triangle that took a wedge from the other side of the u=0/u=1
			// seam would stretch the whole texture across itself.
			for i := 0; i < len(r.Indices); i += 3 {
				umin, umax := math.Inf(1), math.Inf(-1)
				for _, v := range r.Indices[i : i+3] {
					u := float64(g.UVs[2*v])
					umin, umax = math.Min(umin, u), math.Max(umax, u)
				}
				if umax-umin > 0.5 {
					t.Fatalf("attrs=%v 1/%d: triangle %v spans u %.3f..%.3f across the seam", attrs, div, r.Indices[i:i+3], umin, umax)
				}
			}
			// Both sides of the seam still meet edge to edge: in index space
			// the seam is open, in position space the surface is closed.
			if open := openEdges(m, r.Indices); len(open) > 0 {
				t.Errorf("attrs=%v 1/%d: %d open edges (cracks) in a closed sphere", attrs, div, len(open))
			}
			seamEdges := 0
			for i := 0; i < len(r.Indices); i += 3 {
				for e := 0; e < 3; e++ {
					a, b := r.Indices[i+e], r.Indices[i+(e+1)%3]
					if g.UVs[2*a] == 0 && g.UVs[2*b] == 0 || g.UVs[2*a] == 1 && g.UVs[2*b] == 1 {
						seamEdges++
					}
				}
			}
			if seamEdges < 4 {
				t.Errorf("attrs=%v 1/%d: only %d edges left along the seam", attrs, div, seamEdges)
			}
		}
	}
}

func TestSimplifyAttributesSteerCollapses(t *testing.T) {
	// A flat grid with a colour step across x = 0.5 on shared vertices: the
	// geometry alone allows collapsing everything, the colour does not.
	const n = 64
	var m simplify.Mesh
	for j := 0; j <= n; j++ {
		for i := 0; i <= n; i++ {
			x, y := float32(i)/n, float32(j)/n
			m.Positions = append(m.Positions, x, y, 0)
			c := float32(0)
			if i > n/2 {
				c = 1
			}
			m.Attributes = append(m.Attributes, c)
		}
	}
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			v := uint32(j*(n+1) + i)
			m.Indices = append(m.Indices, v, v+1, v+n+1, v+1, v+n+2, v+n+1)
		}
	}
	m.AttrStride = 1
	colourError := func(indices []uint32) float64 {
		// Mean absolute colour error of the linear interpolation at the
		// original vertices, located by barycentric search.
		total := 0.0
		for v := 0; v < m.VertexCount(); v++ {
			p := [2]float64{float64(m.Positions[3*v]), float64(m.Positions[3*v+1])}
			for i := 0; i < len(indices); i += 3 {
				if c, ok := interpolate2D(m, indices[i:i+3], p); ok {
					total += math.Abs(c - float64(m.Attributes[v]))
					break
				}
			}
		}
		return total / float64(m.VertexCount())
	}
	target := 2 * n * n / 16
	plain := mustSimplify(t, simplify.Mesh{Positions: m.Positions, Indices: m.Indices}, simplify.Options{TargetTriangles: target})
	aware := mustSimplify(t, m, simplify.Options{TargetTriangles: target})
	ep, ea := colourError(plain.Indices), colourError(aware.Indices)
	if !(ea < ep/2) {
		t.Errorf("colour error with attributes %.4f, without %.4f: want attributes to halve it at least", ea, ep)
	}
	if plain.RelativeError > 1e-6 || aware.RelativeError > 1e-6 {
		t.Errorf("flat grid has geometric error %g / %g, want 0", plain.RelativeError, aware.RelativeError)
	}
}

// interpolate2D interpolates the first attribute of m over triangle tri at
// p (xy plane), reporting whether p lies inside it.
func interpolate2D(m simplify.Mesh, tri []uint32, p [2]float64) (float64, bool) {
	var x, y, c [3]float64
	for k, v := range tri {
		x[k], y[k], c[k] = float64(m.Positions[3*v]), float64(m.Positions[3*v+1]), float64(m.Attributes[int(v)*m.AttrStride])
	}
	den := (y[1]-y[2])*(x[0]-x[2]) + (x[2]-x[1])*(y[0]-y[2])
	if den == 0 {
		return 0, false
	}
	l0 := ((y[1]-y[2])*(p[0]-x[2]) + (x[2]-x[1])*(p[1]-y[2])) / den
	l1 := ((y[2]-y[0])*(p[0]-x[2]) + (x[0]-x[2])*(p[1]-y[2])) / den
	l2 := 1 - l0 - l1
	const eps = -1e-9
	if l0 < eps || l1 < eps || l2 < eps {
		return 0, false
	}
	return l0*c[0] + l1*c[1] + l2*c[2], true
}

func TestSimplifyErrorLimit(t *testing.T) {
	g := testMesh(0)
	m := positionsOnly(g)
	for _, limit := range []float32{1e-4, 1e-3, 1e-2} {
		r := mustSimplify(t, m, simplify.Options{TargetError: limit})
		if r.RelativeError > limit {
			t.Errorf("limit %g: relative error %g", limit, r.RelativeError)
		}
		if len(r.Indices) == len(m.Indices) {
			t.Errorf("limit %g: nothing simplified", limit)
		}
	}
}

func TestSimplifyIsDeterministic(t *testing.T) {
	g := fullTestMesh(3)
	for _, m := range []simplify.Mesh{positionsOnly(g), withAttributes(g)} {
		opts := simplify.Options{TargetTriangles: g.TriangleCount() / 16}
		a := mustSimplify(t, m, opts)
		b := mustSimplify(t, m, opts)
		if !bytes.Equal(indexBytes(a.Indices), indexBytes(b.Indices)) || a.Error != b.Error {
			t.Errorf("attrs=%v: two runs differ (%d vs %d indices, error %g vs %g)", m.AttrStride > 0, len(a.Indices), len(b.Indices), a.Error, b.Error)
		}
	}
}

// The mesh is split into chunks and halves processed in parallel when large
// enough; the split never depends on the number of CPUs, so neither does
// the result.
func TestSimplifyIndependentOfCPUs(t *testing.T) {
	g := fullTestMesh(3)
	m := withAttributes(g)
	opts := simplify.Options{TargetTriangles: g.TriangleCount() / 8}
	var results [][]byte
	for _, procs := range []int{1, 2, 5} {
		prev := runtime.GOMAXPROCS(procs)
		r := mustSimplify(t, m, opts)
		runtime.GOMAXPROCS(prev)
		results = append(results, indexBytes(r.Indices))
	}
	for i := 1; i < len(results); i++ {
		if !bytes.Equal(results[0], results[i]) {
			t.Fatalf("result with GOMAXPROCS #%d differs from the first", i)
		}
	}
}

func indexBytes(indices []uint32) []byte {
	b := make([]byte, 4*len(indices))
	for i, v := range indices {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// countdownCtx reports cancellation after its Err method has been asked a
// given number of times, to cancel Simplify in the middle of its work
// without timing.
type countdownCtx struct {
	context.Context
	left  atomic.Int64
	calls atomic.Int64
}

func (c *countdownCtx) Err() error {
	c.calls.Add(1)
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestSimplifyCancellation(t *testing.T) {
	g := fullTestMesh(0)
	m := positionsOnly(g)
	opts := simplify.Options{TargetTriangles: 1000}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := simplify.Simplify(ctx, m, opts); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v, want context.Canceled", err)
	}

	for _, after := range []int64{1, 3, 10} {
		c := &countdownCtx{Context: context.Background()}
		c.left.Store(after)
		if _, err := simplify.Simplify(c, m, opts); !errors.Is(err, context.Canceled) {
			t.Errorf("cancel after %d checks: err = %v, want context.Canceled", after, err)
		}
		// Each of the (at most two) workers of a pass stops at its first
		// cancelled check.
		if got := c.calls.Load(); got > after+2 {
			t.Errorf("cancel after %d checks: Err called %d times, want it to stop at the first cancelled checks", after, got)
		}
	}
}

func TestSimplifyRejectsBadInput(t *testing.T) {
	quad := func() simplify.Mesh {
		return simplify.Mesh{
			Positions: []float32{0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0},
			Indices:   []uint32{0, 1, 2, 0, 2, 3},
		}
	}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name string
		mesh func() simplify.Mesh
		opts simplify.Options
		want error
	}{
		{"positions not xyz", func() simplify.Mesh { m := quad(); m.Positions = m.Positions[:11]; return m }, simplify.Options{}, simplify.ErrInvalidMesh},
		{"indices not triangles", func() simplify.Mesh { m := quad(); m.Indices = m.Indices[:5]; return m }, simplify.Options{}, simplify.ErrInvalidMesh},
		{"index out of range", func() simplify.Mesh { m := quad(); m.Indices[4] = 4; return m }, simplify.Options{}, simplify.ErrInvalidMesh},
		{"huge index", func() simplify.Mesh { m := quad(); m.Indices[0] = math.MaxUint32; return m }, simplify.Options{}, simplify.ErrInvalidMesh},
		{"NaN position", func() simplify.Mesh { m := quad(); m.Positions[4] = nan; return m }, simplify.Options{}, simplify.ErrInvalidMesh},
		{"infinite position", func() simplify.Mesh { m := quad(); m.Positions[0] = -inf; return m }, simplify.Options{}, simplify.ErrInvalidMesh},
		{"attributes without stride", func() simplify.Mesh { m := quad(); m.Attributes = make([]float32, 4); return m }, simplify.Options{}, simplify.ErrInvalidMesh},
		{"attribute stride mismatch", func() simplify.Mesh {
			m := quad()
			m.AttrStride, m.Attributes = 2, make([]float32, 7)
			return m
		}, simplify.Options{}, simplify.ErrInvalidMesh},
		{"negative stride", func() simplify.Mesh { m := quad(); m.AttrStride = -1; return m }, simplify.Options{}, simplify.ErrInvalidMesh},
		{"stride too large", func() simplify.Mesh {
			m := quad()
			m.AttrStride, m.Attributes = 33, make([]float32, 33*4)
			return m
		}, simplify.Options{}, simplify.ErrInvalidMesh},
		{"weights mismatch", func() simplify.Mesh {
			m := quad()
			m.AttrStride, m.Attributes, m.AttrWeights = 1, make([]float32, 4), []float32{1, 1}
			return m
		}, simplify.Options{}, simplify.ErrInvalidMesh},
		{"negative weight", func() simplify.Mesh {
			m := quad()
			m.AttrStride, m.Attributes, m.AttrWeights = 1, make([]float32, 4), []float32{-1}
			return m
		}, simplify.Options{}, simplify.ErrInvalidMesh},
		{"NaN attribute", func() simplify.Mesh {
			m := quad()
			m.AttrStride, m.Attributes = 1, []float32{0, nan, 0, 0}
			return m
		}, simplify.Options{}, simplify.ErrInvalidMesh},
		{"negative target", quad, simplify.Options{TargetTriangles: -1}, simplify.ErrInvalidOptions},
		{"NaN target error", quad, simplify.Options{TargetError: nan}, simplify.ErrInvalidOptions},
		{"negative target error", quad, simplify.Options{TargetError: -0.1}, simplify.ErrInvalidOptions},
		{"lock mask length", quad, simplify.Options{LockedVertices: []bool{true}}, simplify.ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := simplify.Simplify(context.Background(), tt.mesh(), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSimplifySmallMeshes(t *testing.T) {
	tests := []struct {
		name      string
		mesh      simplify.Mesh
		opts      simplify.Options
		wantTris  int
		wantError float32
	}{
		{"empty", simplify.Mesh{}, simplify.Options{}, 0, 0},
		{"no triangles", simplify.Mesh{Positions: []float32{1, 2, 3}}, simplify.Options{}, 0, 0},
		{"already small enough", simplify.Mesh{
			Positions: []float32{0, 0, 0, 1, 0, 0, 0, 1, 0},
			Indices:   []uint32{0, 1, 2},
		}, simplify.Options{TargetTriangles: 1}, 1, 0},
		{"locked single triangle stays", simplify.Mesh{
			Positions: []float32{0, 0, 0, 1, 0, 0, 0, 1, 0},
			Indices:   []uint32{0, 1, 2},
		}, simplify.Options{LockBorder: true}, 1, 0},
		{"degenerate triangles dropped", simplify.Mesh{
			Positions: []float32{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0},
			Indices:   []uint32{0, 1, 2, 0, 0, 1, 0, 3, 1},
		}, simplify.Options{TargetTriangles: 1}, 1, 0},
		{"tetrahedron", simplify.Mesh{
			Positions: []float32{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1},
			Indices:   []uint32{0, 2, 1, 0, 1, 3, 1, 2, 3, 0, 3, 2},
		}, simplify.Options{TargetError: 0.01}, 4, 0},
		{"huge coordinates", simplify.Mesh{
			Positions: []float32{-3e38, -3e38, 0, 3e38, -3e38, 0, 3e38, 3e38, 0, -3e38, 3e38, 0, 0, 0, 0},
			Indices:   []uint32{0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4},
		}, simplify.Options{TargetTriangles: 2}, 2, 0},
		{"flat fan collapses without error", simplify.Mesh{
			Positions: []float32{0, 0, 0, 1, 0, 0, 0, 1, 0, -1, 0, 0, 0, -1, 0, 0.5, 0.5, 0},
			Indices:   []uint32{0, 1, 5, 0, 5, 2, 0, 2, 3, 0, 3, 4, 0, 4, 1, 1, 2, 5},
		}, simplify.Options{TargetTriangles: 4}, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustSimplify(t, tt.mesh, tt.opts)
			checkIndices(t, tt.mesh, r.Indices)
			if got := len(r.Indices) / 3; got != tt.wantTris {
				t.Errorf("%d triangles, want %d", got, tt.wantTris)
			}
			if r.Error != tt.wantError {
				t.Errorf("error %g, want %g", r.Error, tt.wantError)
			}
		})
	}
}

func TestSimplifyLockedVertices(t *testing.T) {
	g := testMesh(0)
	m := positionsOnly(g)
	locked := make([]bool, m.VertexCount())
	for v := 0; v < len(locked); v += 97 {
		locked[v] = true
	}
	r := mustSimplify(t, m, simplify.Options{TargetTriangles: g.TriangleCount() / 16, LockedVertices: locked})
	used := make([]bool, m.VertexCount())
	for _, v := range r.Indices {
		used[v] = true
	}
	for v, l := range locked {
		if l && !used[v] {
			t.Fatalf("locked vertex %d was collapsed", v)
		}
	}
}
