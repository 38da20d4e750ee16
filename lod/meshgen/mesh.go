package meshgen

import (
	"math"
	"slices"
)

// Mesh is one indexed triangle mesh with optional per-vertex attributes (flat float32 arrays).
type Mesh struct {
	Positions []float32 // x,y,z per vertex
	Normals   []float32 // x,y,z per vertex (unit length), or nil
	UVs       []float32 // u,v per vertex, or nil
	Colors    []float32 // r,g,b,a per vertex (linear), or nil
	Indices   []uint32  // 3 per triangle, counter-clockwise front faces
}

// VertexCount returns the number of vertices.
func (m *Mesh) VertexCount() int { return len(m.Positions) / 3 }

// TriangleCount returns the number of triangles.
func (m *Mesh) TriangleCount() int { return len(m.Indices) / 3 }

// Bounds returns the axis-aligned bounding box of the positions; both corners
// are zero for an empty mesh.
func (m *Mesh) Bounds() (min, max [3]float32) {
	if len(m.Positions) < 3 {
		return min, max
	}
	copy(min[:], m.Positions[:3])
	copy(max[:], m.Positions[:3])
	for i := 3; i+2 < len(m.Positions); i += 3 {
		for k := range 3 {
			v := m.Positions[i+k]
			if v < min[k] {
				min[k] = v
			}
			if v > max[k] {
				max[k] = v
			}
		}
	}
	return min, max
}

// Soup returns a de-indexed copy of m: every triangle gets its own three
// vertices (attributes copied), indices are 0,1,2,… It is the input a welder
// must turn back into m.
func Soup(m Mesh) Mesh {
	n := len(m.Indices)
	out := Mesh{Positions: make([]float32, 0, 3*n), Indices: make([]uint32, n)}
	if m.Normals != nil {
		out.Normals = make([]float32, 0, 3*n)
	}
	if m.UVs != nil {
		out.UVs = make([]float32, 0, 2*n)
	}
	if m.Colors != nil {
		out.Colors = make([]float32, 0, 4*n)
	}
	for i, v := range m.Indices {
		out.Indices[i] = uint32(i)
		out.Positions = append(out.Positions, m.Positions[3*v:3*v+3]...)
		if m.Normals != nil {
			out.Normals = append(out.Normals, m.Normals[3*v:3*v+3]...)
		}
		if m.UVs != nil {
			out.UVs = append(out.UVs, m.UVs[2*v:2*v+2]...)
		}
		if m.Colors != nil {
			out.Colors = append(out.Colors, m.Colors[4*v:4*v+4]...)
		}
	}
	return out
}

// builder accumulates one mesh. Geometry is produced in float64 and stored as
// float32; normals are filled in per smoothing group by smooth, after the
// group's final positions are known.
type builder struct {
	pos     []float32
	nrm     []float32
	uv      []float32
	col     []float32 // nil until paint is first called
	idx     []uint32
	noUVs   bool // drop UVs in mesh(): for surfaces with no sensible unwrap
	scratch []int32
	// xf, when set, places every vertex as it is added; cheaper than
	// building in local space and copying with place.
	xf *frame
}

// with runs build with every new vertex transformed by f.
func (b *builder) with(f frame, build func()) {
	old := b.xf
	b.xf = &f
	build()
	b.xf = old
}

// grow makes room for n more vertices and t more triangles, so big grids
// do not pay for repeated slice doubling.
func (b *builder) grow(n, t int) {
	b.pos = slices.Grow(b.pos, 3*n)
	b.nrm = slices.Grow(b.nrm, 3*n)
	b.uv = slices.Grow(b.uv, 2*n)
	if b.col != nil {
		b.col = slices.Grow(b.col, 4*n)
	}
	b.idx = slices.Grow(b.idx, 3*t)
}

func (b *builder) vertexCount() int { return len(b.pos) / 3 }

func (b *builder) vertex(p vec3, uv vec2) uint32 {
	i := uint32(b.vertexCount())
	if b.xf != nil {
		p = b.xf.point(p)
	}
	b.pos = append(b.pos, float32(p[0]), float32(p[1]), float32(p[2]))
	b.nrm = append(b.nrm, 0, 0, 0)
	b.uv = append(b.uv, float32(uv[0]), float32(uv[1]))
	if b.col != nil {
		b.col = append(b.col, 1, 1, 1, 1)
	}
	return i
}

func (b *builder) position(i uint32) vec3 {
	return vec3{float64(b.pos[3*i]), float64(b.pos[3*i+1]), float64(b.pos[3*i+2])}
}

// minDoubleArea is the smallest |cross product| (twice the area, in square
// metres) a triangle may have. Grids collapse at poles and tips; triangles
// below this are dropped so no zero-area triangle reaches the output.
const minDoubleArea = 1e-12

// tri adds a counter-clockwise triangle unless it is degenerate after the
// float32 rounding of its corners.
func (b *builder) tri(i, j, k uint32) {
	pi, pj, pk := b.position(i), b.position(j), b.position(k)
	if pj.sub(pi).cross(pk.sub(pi)).length() < minDoubleArea {
		return
	}
	b.idx = append(b.idx, i, j, k)
}

// grid samples fn on an (nu+1)×(nv+1) lattice and triangulates it; the
// surface's front side is the one du×dv points to. fn returns the position
// and UV of lattice point (i, j). With wrapU (wrapV) the last column (row)
// reuses the position of the first one exactly, so the UV seam has bit-equal
// positions and smooth can weld it.
func (b *builder) grid(nu, nv int, wrapU, wrapV bool, fn func(i, j int) (vec3, vec2)) {
	base := uint32(b.vertexCount())
	b.grow((nu+1)*(nv+1), 2*nu*nv)
	for j := 0; j <= nv; j++ {
		for i := 0; i <= nu; i++ {
			p, uv := fn(i, j)
			if (wrapU && i == nu) || (wrapV && j == nv) {
				pi, pj := i, j
				if wrapU && i == nu {
					pi = 0
				}
				if wrapV && j == nv {
					pj = 0
				}
				p, _ = fn(pi, pj)
			}
			b.vertex(p, uv)
		}
	}
	row := uint32(nu + 1)
	for j := 0; j < nv; j++ {
		for i := 0; i < nu; i++ {
			a := base + uint32(j)*row + uint32(i)
			c := a + row + 1
			b.tri(a, a+1, c)
			b.tri(a, c, a+row)
		}
	}
}

// smooth computes normals for the vertices added since vertex index from (and
// the triangles using them) as area-weighted averages of face normals, with
// vertices at bit-equal positions sharing one normal. That makes UV seams and
// poles invisible while groups built separately keep their hard edges.
func (b *builder) smooth(from, fromTri int) {
	n := b.vertexCount() - from
	if n <= 0 {
		return
	}
	canon := weldPositions(b.pos[3*from:], b.scratch[:0])
	acc := make([]float64, 3*n)
	for t := fromTri; t+2 < len(b.idx); t += 3 {
		i, j, k := b.idx[t], b.idx[t+1], b.idx[t+2]
		if int(i) < from || int(j) < from || int(k) < from {
			continue
		}
		pi := b.position(i)
		fn := b.position(j).sub(pi).cross(b.position(k).sub(pi))
		for _, v := range [3]uint32{i, j, k} {
			c := canon[int(v)-from]
			acc[3*c] += fn[0]
			acc[3*c+1] += fn[1]
			acc[3*c+2] += fn[2]
		}
	}
	for i := range n {
		c := canon[i]
		nv := vec3{acc[3*c], acc[3*c+1], acc[3*c+2]}.normalize(vec3{0, 1, 0})
		v := from + i
		b.nrm[3*v], b.nrm[3*v+1], b.nrm[3*v+2] = float32(nv[0]), float32(nv[1]), float32(nv[2])
	}
	b.scratch = canon
}

// group runs build and smooths everything it added as one smoothing group.
func (b *builder) group(build func()) {
	v, t := b.vertexCount(), len(b.idx)
	build()
	b.smooth(v, t)
}

// place appends o transformed by f (and then by b's own placement, inside
// with): positions and normals move together, so o's normals stay valid
// (frames are rigid).
func (b *builder) place(o *builder, f frame) {
	if b.xf != nil {
		f = b.xf.then(f)
	}
	base := uint32(b.vertexCount())
	b.grow(o.vertexCount(), len(o.idx)/3)
	for v := range o.vertexCount() {
		p := f.point(o.position(uint32(v)))
		n := f.dir(vec3{float64(o.nrm[3*v]), float64(o.nrm[3*v+1]), float64(o.nrm[3*v+2])}).normalize(vec3{0, 1, 0})
		b.pos = append(b.pos, float32(p[0]), float32(p[1]), float32(p[2]))
		b.nrm = append(b.nrm, float32(n[0]), float32(n[1]), float32(n[2]))
		b.uv = append(b.uv, o.uv[2*v], o.uv[2*v+1])
		switch {
		case o.col != nil:
			if b.col == nil {
				b.col = whiteColors(int(base))
			}
			b.col = append(b.col, o.col[4*v:4*v+4]...)
		case b.col != nil:
			b.col = append(b.col, 1, 1, 1, 1)
		}
	}
	for _, i := range o.idx {
		b.idx = append(b.idx, base+i)
	}
}

// paint sets the colour of every vertex from index from onwards to fn of its
// position, switching the mesh to per-vertex colours (white elsewhere) on
// first use.
func (b *builder) paint(from int, fn func(p vec3) [4]float64) {
	if b.col == nil {
		b.col = whiteColors(b.vertexCount())
	}
	for v := from; v < b.vertexCount(); v++ {
		c := fn(b.position(uint32(v)))
		for k := range 4 {
			b.col[4*v+k] = float32(clamp(c[k], 0, 1))
		}
	}
}

func whiteColors(n int) []float32 {
	c := make([]float32, 4*n)
	for i := range c {
		c[i] = 1
	}
	return c
}

// mesh returns the built mesh. The builder must not be used afterwards.
func (b *builder) mesh() Mesh {
	m := Mesh{Positions: b.pos, Normals: b.nrm, UVs: b.uv, Colors: b.col, Indices: b.idx}
	if b.noUVs {
		m.UVs = nil
	}
	return m
}

// circle returns the unit-circle point at step i of n, exact at the quarter
// turns so that symmetric shapes stay symmetric after rounding.
func circle(i, n int) (cos, sin float64) {
	i %= n
	switch {
	case i == 0:
		return 1, 0
	case 4*i == n:
		return 0, 1
	case 2*i == n:
		return -1, 0
	case 4*i == 3*n:
		return 0, -1
	}
	s, c := math.Sincos(2 * math.Pi * float64(i) / float64(n))
	return c, s
}

// weldPositions returns, per vertex, the index of the first vertex with a
// bit-equal position (±0 counted equal), appending to out. It is an
// open-addressing hash table over vertex indices: several times faster
// than a Go map keyed by [3]float32, and welding runs for every group.
func weldPositions(pos []float32, out []int32) []int32 {
	n := len(pos) / 3
	size := 1
	for size < 2*n {
		size <<= 1
	}
	table := make([]int32, size) // vertex index + 1; 0 is empty
	mask := uint32(size - 1)
	key := func(v int) (uint32, uint32, uint32) {
		return posBits(pos[3*v]), posBits(pos[3*v+1]), posBits(pos[3*v+2])
	}
	for v := range n {
		x, y, z := key(v)
		// A full 64-bit mix (splitmix64's finaliser): coordinates on round
		// grids have all-zero low mantissa bits, which a cheaper hash would
		// pile into a few slots.
		h := (uint64(x)<<32|uint64(y))*0x9E3779B97F4A7C15 ^ uint64(z)*0xC2B2AE3D27D4EB4F
		h ^= h >> 30
		h *= 0xBF58476D1CE4E5B9
		h ^= h >> 27
		h *= 0x94D049BB133111EB
		h ^= h >> 31
		c := int32(v)
		for slot := uint32(h) & mask; ; slot = (slot + 1) & mask {
			e := table[slot]
			if e == 0 {
				table[slot] = int32(v) + 1
				break
			}
			if ex, ey, ez := key(int(e - 1)); ex == x && ey == y && ez == z {
				c = e - 1
				break
			}
		}
		out = append(out, c)
	}
	return out
}

// posBits returns the bits of f with -0 mapped to +0, so both weld together.
func posBits(f float32) uint32 {
	if f == 0 {
		return 0
	}
	return math.Float32bits(f)
}
