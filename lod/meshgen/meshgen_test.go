package meshgen_test

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/strata3d/strata/lod/meshgen"
)

// minDoubleArea mirrors the generator's own bound: |cross product| of a
// triangle's edges, in m², below which a triangle counts as degenerate.
const minDoubleArea = 1e-12

// demoModels builds the catalogue once for all tests that only read it
// (TestGLBDeterministic builds its own second copy).
var demoModels = sync.OnceValue(meshgen.Demo)

// meshCase is one mesh under test with what its shape promises.
type meshCase struct {
	name   string
	mesh   meshgen.Mesh
	closed bool // watertight 2-manifold with outward faces
	uvs    bool // must carry TEXCOORD_0
}

// testMeshes returns the procedural test meshes at sizes that keep the tests
// quick; the generators are size-independent, and the fuzz target covers
// odd sizes.
func testMeshes() []meshCase {
	return []meshCase{
		{name: "sphere", mesh: meshgen.Sphere(96, 48), closed: true, uvs: true},
		{name: "sphere minimal", mesh: meshgen.Sphere(3, 2), closed: true, uvs: true},
		{name: "terrain", mesh: meshgen.Terrain(160, 1), uvs: true},
		{name: "torus knot 2,3", mesh: meshgen.TorusKnot(2, 3, 384, 32), closed: true, uvs: true},
		{name: "torus knot 3,5", mesh: meshgen.TorusKnot(3, 5, 512, 24), closed: true, uvs: true},
		{name: "displaced", mesh: meshgen.Displaced(120_000, 7), closed: true},
		{name: "soup", mesh: meshgen.Soup(meshgen.Sphere(24, 12)), closed: true, uvs: true},
	}
}

// demoCases flattens the catalogue into one case per part.
func demoCases(models []meshgen.Model) []meshCase {
	var out []meshCase
	for _, m := range models {
		for _, p := range m.Parts {
			// Every demo part is built from closed primitives.
			out = append(out, meshCase{name: m.Name + "/" + p.Name, mesh: p.Mesh, closed: true, uvs: true})
		}
	}
	return out
}

func TestDemoCatalogue(t *testing.T) {
	models := demoModels()
	if len(models) < 4 || len(models) > 6 {
		t.Fatalf("Demo() returned %d models, want 4–6", len(models))
	}
	slug := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	names := map[string]bool{}
	var counts []int
	for _, m := range models {
		t.Run(m.Name, func(t *testing.T) {
			if !slug.MatchString(m.Name) || names[m.Name] {
				t.Errorf("name %q is not a unique slug", m.Name)
			}
			names[m.Name] = true
			if m.Title == "" {
				t.Error("empty title")
			}
			tris := m.TriangleCount()
			counts = append(counts, tris)
			if tris < 10_000 || tris > 500_000 {
				t.Errorf("%d triangles, want 10k–500k", tris)
			}
			materials := map[meshgen.Material]bool{}
			partNames := map[string]bool{}
			lo := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
			hi := [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
			for _, p := range m.Parts {
				materials[p.Material] = true
				if p.Name == "" || partNames[p.Name] {
					t.Errorf("part name %q empty or repeated", p.Name)
				}
				partNames[p.Name] = true
				mn, mx := p.Mesh.Bounds()
				for k := range 3 {
					lo[k] = math.Min(lo[k], float64(mn[k]+p.Translation[k]))
					hi[k] = math.Max(hi[k], float64(mx[k]+p.Translation[k]))
				}
			}
			if len(m.Parts) < 3 || len(materials) < 2 {
				t.Errorf("%d parts with %d materials, want several of each", len(m.Parts), len(materials))
			}
			// Real furniture in metres, standing on the floor (y=0).
			size := [3]float64{hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]}
			if size[1] < 0.2 || size[1] > 2.5 || size[0] > 3 || size[2] > 3 {
				t.Errorf("size %.2f×%.2f×%.2f m is not furniture-like", size[0], size[1], size[2])
			}
			if lo[1] < -0.001 || lo[1] > 0.01 {
				t.Errorf("lowest point y=%.4f m, want it standing on y=0", lo[1])
			}
			t.Logf("%-22s %7d triangles, %d parts, %.2f×%.2f×%.2f m", m.Name, tris, len(m.Parts), size[0], size[1], size[2])
		})
	}
	// The catalogue must give the LOD pipeline both light and heavy work.
	if slices.Min(counts) > 30_000 || slices.Max(counts) < 300_000 {
		t.Errorf("triangle counts %v are not spread from <30k to >300k", counts)
	}
}

func TestMeshInvariants(t *testing.T) {
	cases := append(testMeshes(), demoCases(demoModels())...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkMesh(t, &c.mesh, c.uvs)
			if c.closed {
				checkClosed(t, &c.mesh)
			}
		})
	}
}

// checkMesh asserts what every generated mesh promises: finite data, indices
// in range, no zero-area triangles, unit normals agreeing with the winding.
func checkMesh(t *testing.T, m *meshgen.Mesh, wantUVs bool) {
	t.Helper()
	n := m.VertexCount()
	if n == 0 || m.TriangleCount() == 0 || len(m.Indices)%3 != 0 || len(m.Positions) != 3*n {
		t.Fatalf("malformed: %d positions, %d indices", len(m.Positions), len(m.Indices))
	}
	if len(m.Normals) != 3*n {
		t.Fatalf("%d normal floats for %d vertices", len(m.Normals), n)
	}
	if wantUVs && len(m.UVs) != 2*n {
		t.Fatalf("%d UV floats for %d vertices", len(m.UVs), n)
	}
	if m.Colors != nil && len(m.Colors) != 4*n {
		t.Fatalf("%d colour floats for %d vertices", len(m.Colors), n)
	}
	for name, data := range map[string][]float32{"position": m.Positions, "normal": m.Normals, "uv": m.UVs, "color": m.Colors} {
		for i, v := range data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s[%d] = %v", name, i, v)
			}
		}
	}
	for i, v := range m.Colors {
		if v < 0 || v > 1 {
			t.Fatalf("color[%d] = %v outside [0,1]", i, v)
		}
	}
	for v := range n {
		l := math.Sqrt(float64(m.Normals[3*v]*m.Normals[3*v] + m.Normals[3*v+1]*m.Normals[3*v+1] + m.Normals[3*v+2]*m.Normals[3*v+2]))
		if math.Abs(l-1) > 1e-5 {
			t.Fatalf("normal %d has length %v", v, l)
		}
	}
	disagree := 0
	for tri := 0; tri < len(m.Indices); tri += 3 {
		a, b, c := m.Indices[tri], m.Indices[tri+1], m.Indices[tri+2]
		if int(a) >= n || int(b) >= n || int(c) >= n {
			t.Fatalf("triangle %d indexes %d,%d,%d of %d vertices", tri/3, a, b, c, n)
		}
		fn := cross(sub(pos(m, b), pos(m, a)), sub(pos(m, c), pos(m, a)))
		if l := length(fn); l < minDoubleArea {
			t.Fatalf("triangle %d (%d,%d,%d) is degenerate: |cross| = %g", tri/3, a, b, c, l)
		}
		vn := add(add(nrm(m, a), nrm(m, b)), nrm(m, c))
		if dot(fn, vn) <= 0 {
			disagree++
		}
	}
	// Winding and normals come from the same surfaces; only a handful of
	// triangles at sharp, displaced spots may disagree.
	if frac := float64(disagree) / float64(m.TriangleCount()); frac > 0.001 {
		t.Errorf("%d of %d triangles face against their vertex normals", disagree, m.TriangleCount())
	}
}

// checkClosed asserts a watertight, consistently wound surface: after
// welding bit-equal positions, every directed edge occurs exactly once and
// so does its reverse; and the enclosed signed volume is positive, i.e. the
// faces point outwards.
func checkClosed(t *testing.T, m *meshgen.Mesh) {
	t.Helper()
	weld := make(map[[3]float32]uint32, m.VertexCount())
	canon := make([]uint32, m.VertexCount())
	for v := range canon {
		key := [3]float32{m.Positions[3*v], m.Positions[3*v+1], m.Positions[3*v+2]}
		c, ok := weld[key]
		if !ok {
			c = uint32(len(weld))
			weld[key] = c
		}
		canon[v] = c
	}
	edges := make([]uint64, 0, len(m.Indices))
	volume := 0.0
	for tri := 0; tri < len(m.Indices); tri += 3 {
		i := [3]uint32{canon[m.Indices[tri]], canon[m.Indices[tri+1]], canon[m.Indices[tri+2]]}
		for k := range 3 {
			edges = append(edges, uint64(i[k])<<32|uint64(i[(k+1)%3]))
		}
		a, b, c := pos(m, m.Indices[tri]), pos(m, m.Indices[tri+1]), pos(m, m.Indices[tri+2])
		volume += dot(a, cross(b, c)) / 6
	}
	slices.Sort(edges)
	for k, e := range edges {
		if k > 0 && edges[k-1] == e {
			t.Fatalf("directed edge %d→%d used twice (inconsistent winding or non-manifold)", e>>32, e&0xffffffff)
		}
		rev := e<<32 | e>>32
		if _, found := slices.BinarySearch(edges, rev); !found {
			t.Fatalf("edge %d→%d has no opposite: the surface has a hole", e>>32, e&0xffffffff)
		}
	}
	if volume <= 0 {
		t.Errorf("signed volume %g m³ ≤ 0: faces point inwards", volume)
	}
}

func TestSphere(t *testing.T) {
	for _, c := range []struct{ segments, rings int }{{3, 2}, {16, 8}, {33, 17}} {
		t.Run(fmt.Sprintf("%dx%d", c.segments, c.rings), func(t *testing.T) {
			m := meshgen.Sphere(c.segments, c.rings)
			if got, want := m.TriangleCount(), c.segments*(2*c.rings-2); got != want {
				t.Errorf("triangles = %d, want %d", got, want)
			}
			if got, want := m.VertexCount(), (c.segments+1)*(c.rings+1); got != want {
				t.Errorf("vertices = %d, want %d", got, want)
			}
			// The seam: column 0 and column `segments` share positions, not UVs.
			row := c.segments + 1
			for j := 1; j < c.rings; j++ {
				a, b := j*row, j*row+c.segments
				if pos(&m, uint32(a)) != pos(&m, uint32(b)) {
					t.Fatalf("ring %d: seam positions differ", j)
				}
				if m.UVs[2*a] != 0 || m.UVs[2*b] != 1 {
					t.Fatalf("ring %d: seam u = %v / %v, want 0 / 1", j, m.UVs[2*a], m.UVs[2*b])
				}
			}
			mn, mx := m.Bounds()
			if mn[1] != -1 || mx[1] != 1 {
				t.Errorf("poles at y=%v..%v, want -1..1", mn[1], mx[1])
			}
		})
	}
}

func TestTerrain(t *testing.T) {
	const n = 50
	m := meshgen.Terrain(n, 42)
	if got, want := m.TriangleCount(), 2*n*n; got != want {
		t.Errorf("triangles = %d, want %d", got, want)
	}
	if got, want := m.VertexCount(), (n+1)*(n+1); got != want {
		t.Errorf("vertices = %d, want %d", got, want)
	}
	if border := borderEdges(&m); border != 4*n {
		t.Errorf("%d border edges, want %d (an open square)", border, 4*n)
	}
	mn, mx := m.Bounds()
	if mx[1]-mn[1] < 0.02 {
		t.Errorf("height range %v m: no relief", mx[1]-mn[1])
	}
	if other := meshgen.Terrain(n, 43); slices.Equal(other.Positions, m.Positions) {
		t.Error("seeds 42 and 43 give the same terrain")
	}
	if again := meshgen.Terrain(n, 42); !slices.Equal(again.Positions, m.Positions) || !slices.Equal(again.Normals, m.Normals) {
		t.Error("same seed, different terrain")
	}
}

func TestTorusKnot(t *testing.T) {
	m := meshgen.TorusKnot(2, 3, 100, 12)
	if got, want := m.TriangleCount(), 2*100*12; got != want {
		t.Errorf("triangles = %d, want %d", got, want)
	}
	if border := borderEdges(&m); border != 0 {
		t.Errorf("%d border edges, want none", border)
	}
}

func TestDisplaced(t *testing.T) {
	for _, want := range []int{20, 10_000, 100_000, 333_333} {
		t.Run(fmt.Sprint(want), func(t *testing.T) {
			m := meshgen.Displaced(want, 1)
			got := m.TriangleCount()
			if math.Abs(float64(got-want)) > 0.1*float64(want) {
				t.Errorf("%d triangles, want about %d", got, want)
			}
			if m.UVs != nil {
				t.Error("has UVs; a raw scan has none")
			}
			// No seams: every vertex has its own position.
			seen := map[[3]float32]bool{}
			for v := range m.VertexCount() {
				key := [3]float32{m.Positions[3*v], m.Positions[3*v+1], m.Positions[3*v+2]}
				if seen[key] {
					t.Fatalf("vertex %d duplicates a position: a seam", v)
				}
				seen[key] = true
			}
			if got, want := m.VertexCount(), got/2+2; got != want {
				t.Errorf("vertices = %d, want %d (Euler: closed genus 0)", got, want)
			}
		})
	}
	a, b := meshgen.Displaced(5000, 1), meshgen.Displaced(5000, 2)
	if slices.Equal(a.Positions, b.Positions) {
		t.Error("different seeds give the same blob")
	}
}

func TestSoup(t *testing.T) {
	src := meshgen.Sphere(12, 6)
	src.Colors = make([]float32, 4*src.VertexCount())
	for i := range src.Colors {
		src.Colors[i] = float32(i%7) / 7
	}
	s := meshgen.Soup(src)
	if s.TriangleCount() != src.TriangleCount() || s.VertexCount() != 3*src.TriangleCount() {
		t.Fatalf("soup has %d triangles / %d vertices, source %d triangles", s.TriangleCount(), s.VertexCount(), src.TriangleCount())
	}
	for i, v := range s.Indices {
		if int(v) != i {
			t.Fatalf("index %d = %d, want %d", i, v, i)
		}
		o := src.Indices[i]
		if !slices.Equal(s.Positions[3*i:3*i+3], src.Positions[3*o:3*o+3]) ||
			!slices.Equal(s.Normals[3*i:3*i+3], src.Normals[3*o:3*o+3]) ||
			!slices.Equal(s.UVs[2*i:2*i+2], src.UVs[2*o:2*o+2]) ||
			!slices.Equal(s.Colors[4*i:4*i+4], src.Colors[4*o:4*o+4]) {
			t.Fatalf("corner %d does not copy source vertex %d", i, o)
		}
	}
	if bare := meshgen.Soup(meshgen.Mesh{Positions: src.Positions, Indices: src.Indices}); bare.Normals != nil || bare.UVs != nil || bare.Colors != nil {
		t.Error("soup invented attributes the source lacks")
	}
}

func TestMeshBasics(t *testing.T) {
	cases := []struct {
		name       string
		mesh       meshgen.Mesh
		verts, tri int
		min, max   [3]float32
	}{
		{name: "empty"},
		{
			name:  "one triangle",
			mesh:  meshgen.Mesh{Positions: []float32{0, 0, 0, 2, -1, 0, 0, 3, -4}, Indices: []uint32{0, 1, 2}},
			verts: 3, tri: 1, min: [3]float32{0, -1, -4}, max: [3]float32{2, 3, 0},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.mesh.VertexCount() != c.verts || c.mesh.TriangleCount() != c.tri {
				t.Errorf("counts = %d/%d, want %d/%d", c.mesh.VertexCount(), c.mesh.TriangleCount(), c.verts, c.tri)
			}
			if mn, mx := c.mesh.Bounds(); mn != c.min || mx != c.max {
				t.Errorf("bounds = %v %v, want %v %v", mn, mx, c.min, c.max)
			}
		})
	}
}

// borderEdges counts undirected edges used by only one triangle, after
// welding bit-equal positions (so UV seams do not count).
func borderEdges(m *meshgen.Mesh) int {
	weld := map[[3]float32]uint32{}
	canon := make([]uint32, m.VertexCount())
	for v := range canon {
		key := [3]float32{m.Positions[3*v], m.Positions[3*v+1], m.Positions[3*v+2]}
		c, ok := weld[key]
		if !ok {
			c = uint32(len(weld))
			weld[key] = c
		}
		canon[v] = c
	}
	count := map[[2]uint32]int{}
	for tri := 0; tri < len(m.Indices); tri += 3 {
		for k := range 3 {
			a, b := canon[m.Indices[tri+k]], canon[m.Indices[tri+(k+1)%3]]
			count[[2]uint32{min(a, b), max(a, b)}]++
		}
	}
	n := 0
	for _, c := range count {
		if c == 1 {
			n++
		}
	}
	return n
}

type v3 [3]float64

func pos(m *meshgen.Mesh, i uint32) v3 {
	return v3{float64(m.Positions[3*i]), float64(m.Positions[3*i+1]), float64(m.Positions[3*i+2])}
}
func nrm(m *meshgen.Mesh, i uint32) v3 {
	return v3{float64(m.Normals[3*i]), float64(m.Normals[3*i+1]), float64(m.Normals[3*i+2])}
}
func add(a, b v3) v3      { return v3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func sub(a, b v3) v3      { return v3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func dot(a, b v3) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func length(a v3) float64 { return math.Sqrt(dot(a, a)) }
func cross(a, b v3) v3 {
	return v3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
