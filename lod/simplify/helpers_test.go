package simplify_test

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/lod/simplify"
)

// positionsOnly drops everything but positions and indices.
func positionsOnly(g meshgen.Mesh) simplify.Mesh {
	return simplify.Mesh{Positions: g.Positions, Indices: g.Indices}
}

// withAttributes packs normals and UVs into the attribute stream with the
// weights a glTF baker would use: normals matter about as much as the
// shading they drive, UVs a little less.
func withAttributes(g meshgen.Mesh) simplify.Mesh {
	n := g.VertexCount()
	stride := 0
	if g.Normals != nil {
		stride += 3
	}
	if g.UVs != nil {
		stride += 2
	}
	m := simplify.Mesh{Positions: g.Positions, Indices: g.Indices, AttrStride: stride}
	m.Attributes = make([]float32, 0, stride*n)
	for v := 0; v < n; v++ {
		if g.Normals != nil {
			m.Attributes = append(m.Attributes, g.Normals[3*v:3*v+3]...)
		}
		if g.UVs != nil {
			m.Attributes = append(m.Attributes, g.UVs[2*v:2*v+2]...)
		}
	}
	for range stride {
		m.AttrWeights = append(m.AttrWeights, 0.5)
	}
	return m
}

// Generated meshes are shared between tests; generation of the large ones
// takes longer than simplifying them.
var (
	meshCacheMu sync.Mutex
	meshCache   = map[string]meshgen.Mesh{}
)

func cachedMesh(name string, gen func() meshgen.Mesh) meshgen.Mesh {
	meshCacheMu.Lock()
	defer meshCacheMu.Unlock()
	if m, ok := meshCache[name]; ok {
		return m
	}
	m := gen()
	meshCache[name] = m
	return m
}

// mustSimplify runs Simplify and fails the test on error.
func mustSimplify(tb testing.TB, m simplify.Mesh, opts simplify.Options) simplify.Result {
	tb.Helper()
	r, err := simplify.Simplify(context.Background(), m, opts)
	if err != nil {
		tb.Fatalf("Simplify: %v", err)
	}
	return r
}

// checkIndices fails unless indices form whole, non-degenerate triangles
// over the mesh's vertices.
func checkIndices(tb testing.TB, m simplify.Mesh, indices []uint32) {
	tb.Helper()
	if len(indices)%3 != 0 {
		tb.Fatalf("%d indices is not a multiple of 3", len(indices))
	}
	n := uint32(m.VertexCount())
	for i := 0; i < len(indices); i += 3 {
		a, b, c := indices[i], indices[i+1], indices[i+2]
		if a >= n || b >= n || c >= n {
			tb.Fatalf("triangle %d (%d %d %d) out of range for %d vertices", i/3, a, b, c, n)
		}
		if a == b || b == c || a == c {
			tb.Fatalf("triangle %d (%d %d %d) is degenerate", i/3, a, b, c)
		}
	}
}

type pkey [3]float32

func posKey(m simplify.Mesh, v uint32) pkey {
	return pkey{m.Positions[3*v] + 0, m.Positions[3*v+1] + 0, m.Positions[3*v+2] + 0}
}

type pedge [2]pkey

// openEdges returns the directed edges (by position) that have no opposite
// edge, i.e. the borders of the surface with seams welded shut.
func openEdges(m simplify.Mesh, indices []uint32) map[pedge]int {
	count := map[pedge]int{}
	for i := 0; i < len(indices); i += 3 {
		for e := 0; e < 3; e++ {
			a, b := posKey(m, indices[i+e]), posKey(m, indices[i+(e+1)%3])
			count[pedge{a, b}]++
		}
	}
	open := map[pedge]int{}
	for e, c := range count {
		if r := count[pedge{e[1], e[0]}]; c > r {
			open[e] = c - r
		}
	}
	return open
}

type vec [3]float64

func point(m simplify.Mesh, v uint32) vec {
	return vec{float64(m.Positions[3*v]), float64(m.Positions[3*v+1]), float64(m.Positions[3*v+2])}
}

func sub(a, b vec) vec     { return vec{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func dot(a, b vec) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func cross(a, b vec) vec {
	return vec{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func length(a vec) float64       { return math.Sqrt(dot(a, a)) }
func add(a, b vec) vec           { return vec{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func scale(a vec, s float64) vec { return vec{a[0] * s, a[1] * s, a[2] * s} }

func triangleNormal(m simplify.Mesh, a, b, c uint32) vec {
	pa := point(m, a)
	return cross(sub(point(m, b), pa), sub(point(m, c), pa))
}

// vertexNormals returns unit area-weighted normals of the original surface
// per position (seam wedges share them), indexed by vertex.
func vertexNormals(m simplify.Mesh) []vec {
	byPos := map[pkey]vec{}
	for i := 0; i < len(m.Indices); i += 3 {
		a, b, c := m.Indices[i], m.Indices[i+1], m.Indices[i+2]
		n := triangleNormal(m, a, b, c)
		for _, v := range []uint32{a, b, c} {
			k := posKey(m, v)
			byPos[k] = add(byPos[k], n)
		}
	}
	out := make([]vec, m.VertexCount())
	for v := range out {
		n := byPos[posKey(m, uint32(v))]
		if l := length(n); l > 0 {
			n = scale(n, 1/l)
		}
		out[v] = n
	}
	return out
}

func bbox(m simplify.Mesh, indices []uint32) (lo, hi vec) {
	lo = vec{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi = vec{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, v := range indices {
		p := point(m, v)
		for j := range p {
			lo[j] = math.Min(lo[j], p[j])
			hi[j] = math.Max(hi[j], p[j])
		}
	}
	return lo, hi
}
