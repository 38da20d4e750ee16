package simplify

import (
	"math"
	"sync"
)

// simplifier holds the flat per-vertex arrays of one Simplify call. All of
// them are indexed by vertex number; "position" below means the first
// vertex of a set of vertices with identical positions (remap), which
// stands for all of them in topology and position quadrics.
type simplifier struct {
	extent   float64        // scale that undoes the rescaling (largest side of the bounding box)
	remap    []uint32       // first vertex with the same position
	wedge    []uint32       // ring of vertices sharing a position
	kind     []uint8        // vertex kind
	loop     []uint32       // open outgoing edge target (border/seam chains)
	loopback []uint32       // open incoming edge source
	loopVtx  []uint32       // vertices whose loop or loopback was ever set
	vtx      []vertex       // position and quadric per vertex
	surf     []surfacePoint // position and input normal per vertex, compact
	sums     [2][]planeSum  // scratch: face planes and normals per position, per half of the triangles
	adj      *adjacency
	indices  []uint32 // the working triangle list
	table    []uint32 // scratch: position hash table

	attrCount int       // attributes with non-zero weight
	attr      []float32 // weighted attributes, attrCount per vertex
	attrQuad  []quadric // attribute quadrics per vertex (per wedge)
	attrGrad  []float32 // 4·attrCount gradient terms per vertex

	collapses []collapse
	sorted    []collapse
	cremap    []uint32  // this pass's collapse target per vertex (identity if unmoved)
	clocked   []uint8   // lock state (lockTarget…) of positions touched by a collapse in this pass
	moved     []uint32  // vertices remapped in this pass
	touched   []uint32  // positions locked in this pass
	sink      [2]uint32 // keeps the loads of prefetch alive

	part        []uint8 // half of the mesh per vertex (see partitionVertices), or nil
	partBuf     []uint8
	partMoved   [2][]uint32 // per-half moved and touched lists of a parallel pass
	partTouched [2][]uint32
	deferred    [2][]collapse // per-half candidates straddling the halves
	merged      []collapse

	cellOf     []uint16 // cell of each position (see partitionSpace), or nil
	cellBuf    []uint16
	cellCount  int         // cells of both halves
	cellStarts []uint32    // where each cell's candidates start in a pass
	cellHist   [2][]uint32 // per-half scratch for sorting a cell
}

// workspaces recycles simplifiers between calls. A baker simplifies the same
// mesh several times in a row (one call per level of detail), and fresh
// arrays of a million-triangle mesh cost more in page faults than the
// simplification itself spends in several of its phases.
var workspaces sync.Pool

// reuse returns buf resized to n, reallocating only if it is too small.
// The contents are left as they were: callers overwrite every element.
func reuse[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// reuseZero is reuse for callers that accumulate into the buffer.
func reuseZero[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}

// newSimplifier prepares m for simplification: rescaled positions, the
// position remap, vertex kinds and the quadrics of the input surface. m
// must be valid (Mesh.Validate).
func newSimplifier(m Mesh, opts Options) *simplifier {
	s, _ := workspaces.Get().(*simplifier)
	if s == nil {
		s = &simplifier{adj: &adjacency{}}
	}
	n := m.VertexCount()
	s.remap = reuse(s.remap, n)
	s.wedge = reuse(s.wedge, n)
	s.kind = reuse(s.kind, n)
	s.loop = reuse(s.loop, n)
	s.loopback = reuse(s.loopback, n)
	s.loopVtx = s.loopVtx[:0]
	s.vtx = reuse(s.vtx, n)
	s.surf = reuse(s.surf, n)
	s.adj.off = reuse(s.adj.off, n+1)
	s.adj.edges = reuse(s.adj.edges, len(m.Indices))
	s.cremap = reuse(s.cremap, n)
	s.clocked = reuseZero(s.clocked, n)
	s.moved = s.moved[:0]
	s.touched = s.touched[:0]
	s.table = reuse(s.table, hashTableSize(n))
	s.attrCount = 0

	s.extent = rescalePositions(s.surf, m.Positions)
	buildPositionRemap(m.Positions, s.remap, s.wedge, s.table)
	// Degenerate input triangles (repeated index or position) are invisible
	// but would count towards the target and confuse classification.
	s.indices = reuse(s.indices, len(m.Indices))
	copy(s.indices, m.Indices)
	s.indices = filterDegenerate(s.indices, s.remap)
	s.adj.build(s.indices, nil)
	classifyVertices(s.kind, s.loop, s.loopback, s.adj, s.remap, s.wedge, opts)
	for i := range s.loop {
		if s.loop[i] != none || s.loopback[i] != none {
			s.loopVtx = append(s.loopVtx, uint32(i))
		}
	}
	for i := range s.cremap {
		s.cremap[i] = uint32(i)
	}
	s.fillFaceQuadrics(s.indices)
	s.fillEdgeQuadrics(s.indices)
	if m.AttrStride > 0 {
		s.setAttributes(m)
	}
	s.part, s.cellOf = nil, nil
	if len(s.indices) >= 3*minParallelCandidates {
		s.part = reuse(s.partBuf, n)
		s.partBuf = s.part
		s.cellOf = reuse(s.cellBuf, n)
		s.cellBuf = s.cellOf
		s.cellCount = partitionSpace(s.part, s.cellOf, s.surf, s.remap)
		s.cellHist[0] = reuse(s.cellHist[0], sortBins)
		s.cellHist[1] = reuse(s.cellHist[1], sortBins)
	}
	return s
}

// partitionSpace splits the mesh into two halves with about as many
// positions each, by a plane across its longest axis, so that the collapses
// of a pass can be performed by two workers that never touch the same
// vertex, and each half into the cells of a grid, in which the collapses
// are performed one cell at a time (see performByCell). It sets part and
// cellOf (half × cells per half + cell in the grid) for every vertex and
// returns the number of cells. Wedges of a position share its half and
// cell.
func partitionSpace(part []uint8, cellOf []uint16, surf []surfacePoint, remap []uint32) int {
	var lo, hi [3]float32
	for j := range lo {
		lo[j], hi[j] = math.MaxFloat32, -math.MaxFloat32
	}
	coord := func(p vec3, axis int) float32 { return [3]float32{p.x, p.y, p.z}[axis] }
	for i := range surf {
		for j := 0; j < 3; j++ {
			c := coord(surf[i].p, j)
			lo[j], hi[j] = min(lo[j], c), max(hi[j], c)
		}
	}
	axis := 0
	for j := 1; j < 3; j++ {
		if hi[j]-lo[j] > hi[axis]-lo[axis] {
			axis = j
		}
	}
	// The median by histogram: exact enough, linear time.
	const bins = 4096
	var hist [bins]int
	scale := float32(0)
	if hi[axis] > lo[axis] {
		scale = (bins - 1) / (hi[axis] - lo[axis])
	}
	bin := func(i int) int { return int((coord(surf[i].p, axis) - lo[axis]) * scale) }
	reps := 0
	for i, r := range remap {
		if r == uint32(i) {
			hist[bin(i)]++
			reps++
		}
	}
	split, count := bins, 0
	for b, c := range hist {
		if count+c > reps/2 {
			split = b
			break
		}
		count += c
	}
	for i := range part {
		if bin(i) < split {
			part[i] = 0
		} else {
			part[i] = 1
		}
	}

	// A surface crosses about 2g² of the g³ cells of a grid.
	g := int(math.Ceil(math.Sqrt(float64(reps) / (2 * cellPositions))))
	g = min(max(g, 1), maxGrid)
	cells := g * g * g
	cell := func(f float32) int { return min(int(f*float32(g)), g-1) } // positions are in [0,1]
	for i := range cellOf {
		p := surf[i].p
		cellOf[i] = uint16(int(part[i])*cells + (cell(p.x)*g+cell(p.y))*g + cell(p.z))
	}
	return 2 * cells
}

// The cells of performByCell should hold enough positions for few
// collapses to reach out of them, and few enough for their data (about
// 200 bytes per position) to stay in a core's cache.
const (
	cellPositions = 16384
	maxGrid       = 32 // 2·32³ cells still fit uint16
)

// release hands the simplifier's arrays to the next call. Nothing returned
// to the caller may point into them.
func (s *simplifier) release() {
	workspaces.Put(s)
}

// rescalePositions moves positions into [0,1]³ (by the largest side, so
// proportions stay), clears the rest of dst and returns that side's length.
func rescalePositions(dst []surfacePoint, src []float32) float64 {
	minv := [3]float32{math.MaxFloat32, math.MaxFloat32, math.MaxFloat32}
	maxv := [3]float32{-math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32}
	for i := 0; i+2 < len(src); i += 3 {
		for j := 0; j < 3; j++ {
			minv[j] = min(minv[j], src[i+j])
			maxv[j] = max(maxv[j], src[i+j])
		}
	}
	// In float64: the side of a box spanning ±3e38 overflows float32.
	var extent float64
	for j := range minv {
		extent = max(extent, float64(maxv[j])-float64(minv[j]))
	}
	var scale float64
	if extent > 0 {
		scale = 1 / extent
	}
	for i := range dst {
		p := src[3*i : 3*i+3 : 3*i+3]
		dst[i] = surfacePoint{p: vec3{
			float32((float64(p[0]) - float64(minv[0])) * scale),
			float32((float64(p[1]) - float64(minv[1])) * scale),
			float32((float64(p[2]) - float64(minv[2])) * scale),
		}}
	}
	return extent
}

// setAttributes weights the attributes that count (non-zero weight) and
// builds their quadrics.
func (s *simplifier) setAttributes(m Mesh) {
	var used []int
	for k := 0; k < m.AttrStride; k++ {
		if m.AttrWeights == nil || m.AttrWeights[k] > 0 {
			used = append(used, k)
		}
	}
	if len(used) == 0 {
		return
	}
	n := m.VertexCount()
	s.attrCount = len(used)
	s.attr = reuse(s.attr, n*len(used))
	for i := 0; i < n; i++ {
		src := m.Attributes[i*m.AttrStride : (i+1)*m.AttrStride]
		dst := s.attr[i*len(used) : (i+1)*len(used)]
		for j, k := range used {
			w := float32(1)
			if m.AttrWeights != nil {
				w = m.AttrWeights[k]
			}
			dst[j] = src[k] * w
		}
	}
	s.attrQuad = reuseZero(s.attrQuad, n)
	s.attrGrad = reuseZero(s.attrGrad, 4*n*len(used))
	s.fillAttributeQuadrics(s.indices)
}

// vertex is what ranking a collapse reads about each end, in one 64-byte
// cache line: the ranking visits every edge, and one cache miss per vertex
// is much cheaper than two. Large slices are page aligned, so every record
// sits in a line of its own.
type vertex struct {
	p vec3    // position, rescaled into the unit cube
	q quadric // position quadric; valid at position representatives
	_ [8]byte
}

// surfacePoint is what the flip checks read about each neighbour of a
// collapsing vertex: its position and the input surface's normal there.
// They visit vertices in error order, all over the mesh, so these are kept
// small (four to a cache line) for as many as possible to stay in cache.
type surfacePoint struct {
	p vec3
	n [3]int8 // unit normal × normalScale
	_ uint8
}

// normalScale maps unit normal components onto int8. The flip checks only
// compare directions with a margin of several degrees; 1/127 is enough.
const normalScale = 127

// quantizeNormal stores a unit (or zero) vector as int8s.
func quantizeNormal(n vec3) [3]int8 {
	q := func(f float32) int8 {
		// Round half away from zero; |f| <= 1, so the result fits.
		if f < 0 {
			return int8(f*normalScale - 0.5)
		}
		return int8(f*normalScale + 0.5)
	}
	return [3]int8{q(n.x), q(n.y), q(n.z)}
}
