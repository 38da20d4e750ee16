package simplify

import "math"

// none marks an absent vertex in loop, remap and hash tables.
const none = ^uint32(0)

// Vertex kinds decide which collapses are allowed; see canCollapse.
const (
	kindManifold uint8 = iota // interior vertex, every edge shared by two triangles
	kindBorder                // on exactly one open boundary loop, no seam
	kindSeam                  // two wedges whose open edges mirror each other (a UV or normal seam)
	kindComplex               // irregular topology: several loops, seam meets border, >2 wedges; never moves
	kindLocked                // locked by the caller (LockBorder, LockedVertices); never moves
	kindCount
)

// canCollapse[k0][k1] says whether a vertex of kind k0 may be merged into a
// neighbour of kind k1. The target keeps its kind: a border vertex merged into
// a manifold one would tear the border off, so it may only slide along the
// border (or into an immovable vertex on it).
var canCollapse = [kindCount][kindCount]bool{
	kindManifold: {true, true, true, true, true},
	kindBorder:   {false, true, false, true, true},
	kindSeam:     {false, false, true, true, true},
	kindComplex:  {false, false, false, false, false},
	kindLocked:   {false, false, false, false, false},
}

// hasOpposite[k0][k1] says an edge between such vertices is guaranteed to
// appear in two triangles (in position space), so candidate picking can keep
// just one direction. Manifold vertices have no open edges at all, and a
// seam's open edges are mirrored by its twin wedge.
var hasOpposite = [kindCount][kindCount]bool{
	kindManifold: {true, true, true, true, true},
	kindBorder:   {true, false, true, false, false},
	kindSeam:     {true, true, true, true, true},
	kindComplex:  {true, false, true, false, false},
	kindLocked:   {true, false, true, false, false},
}

// onChain[k] says vertices of kind k lie on a border or seam chain (see
// classifyVertices' loop and loopback).
var onChain = [kindCount]bool{kindBorder: true, kindSeam: true}

// halfEdge is one corner of a triangle seen from its vertex: the vertex that
// follows it and the one that precedes it in winding order.
type halfEdge struct{ next, prev uint32 }

// adjacency lists, per vertex, the triangle corners around it in CSR form:
// edges[off[v]:off[v+1]].
type adjacency struct {
	off   []uint32
	edges []halfEdge
}

// build fills the adjacency for indices; with remap it works in position
// space (remap[v] is the representative vertex of v's position).
func (a *adjacency) build(indices []uint32, remap []uint32) {
	off := a.off
	n := len(off) - 1
	clear(off)
	// Count corners per vertex into off[v], turn them into end offsets, then
	// fill by decrementing so off[v] ends at the start of v's range.
	if remap == nil {
		for _, v := range indices {
			off[v]++
		}
	} else {
		for _, v := range indices {
			off[remap[v]]++
		}
	}
	var sum uint32
	for i := 0; i < n; i++ {
		sum += off[i]
		off[i] = sum
	}
	off[n] = sum
	edges := a.edges[:len(indices)]
	for i := 0; i+2 < len(indices); i += 3 {
		v0, v1, v2 := indices[i], indices[i+1], indices[i+2]
		if remap != nil {
			v0, v1, v2 = remap[v0], remap[v1], remap[v2]
		}
		off[v0]--
		edges[off[v0]] = halfEdge{v1, v2}
		off[v1]--
		edges[off[v1]] = halfEdge{v2, v0}
		off[v2]--
		edges[off[v2]] = halfEdge{v0, v1}
	}
}

// findOpenOut sets openOut[v] for the vertices lo..hi-1 to the other end
// of v's one open outgoing edge, to none if it has none, or to v itself if
// it has more than one. An edge v→t is open when no triangle has t→v, i.e.
// when none of v's corners is preceded by t (v's own corners are in cache,
// t's may not be).
func findOpenOut(openOut []uint32, adj *adjacency, lo, hi int) {
	for v := uint32(lo); v < uint32(hi); v++ {
		corners := adj.edges[adj.off[v]:adj.off[v+1]]
		out := none
		for _, e := range corners {
			if e.next == v || e.prev == v {
				// A triangle with a repeated index has a self edge that would
				// "close" an open edge; treat the vertex as irregular instead.
				out = v
				break
			}
			if !hasPrev(corners, e.next) {
				if out == none {
					out = e.next
				} else {
					out = v
				}
			}
		}
		openOut[v] = out
	}
}

// hasPrev reports whether one of corners is preceded by v.
func hasPrev(corners []halfEdge, v uint32) bool {
	for _, e := range corners {
		if e.prev == v {
			return true
		}
	}
	return false
}

// positionKey returns the bits of a coordinate with -0 folded into +0, so
// that welding by bits matches welding by ==.
func positionKey(f float32) uint32 {
	b := math.Float32bits(f)
	if b == 0x80000000 {
		return 0
	}
	return b
}

func hashPosition(x, y, z uint32) uint32 {
	// Spread the mantissa's high bits into the low ones (integer-valued
	// coordinates differ only there), then mix as in Teschner et al. 2003.
	x ^= x >> 17
	y ^= y >> 17
	z ^= z >> 17
	return x*73856093 ^ y*19349663 ^ z*83492791
}

func hashTableSize(count int) int {
	size := 1
	for size < count+count/4 {
		size <<= 1
	}
	return size
}

// buildPositionRemap maps every vertex to the first vertex with an identical
// position (remap) and links vertices sharing a position into rings (wedge).
// A vertex alone at its position has wedge[v] == v. table is scratch space
// of hashTableSize(len(remap)) entries.
func buildPositionRemap(positions []float32, remap, wedge, table []uint32) {
	n := len(remap)
	size := len(table)
	for i := range table {
		table[i] = none
	}
	mask := uint32(size - 1)
	for i := 0; i < n; i++ {
		p := positions[3*i : 3*i+3 : 3*i+3]
		x, y, z := positionKey(p[0]), positionKey(p[1]), positionKey(p[2])
		h := hashPosition(x, y, z) & mask
		for probe := uint32(1); ; probe++ {
			e := table[h]
			if e == none {
				table[h] = uint32(i)
				remap[i] = uint32(i)
				break
			}
			q := positions[3*e : 3*e+3 : 3*e+3]
			if positionKey(q[0]) == x && positionKey(q[1]) == y && positionKey(q[2]) == z {
				remap[i] = e
				break
			}
			h = (h + probe) & mask // quadratic probing
		}
	}
	for i := range wedge {
		wedge[i] = uint32(i)
	}
	for i := 0; i < n; i++ {
		if r := remap[i]; r != uint32(i) {
			wedge[i] = wedge[r]
			wedge[r] = uint32(i)
		}
	}
}

// classifyVertices sets kind, loop and loopback for every vertex. adj must be
// built in index space (no remap). loop[v] is the far end of v's single open
// outgoing half-edge and loopback[v] the near end of its open incoming one
// (none if absent); for border and seam vertices they chain the boundary.
func classifyVertices(kind []uint8, loop, loopback []uint32, adj *adjacency, remap, wedge []uint32, opts Options) {
	n := len(kind)
	// loop and loopback first hold each vertex's open edges: none, the
	// other end of the only one, or the vertex itself for more than one.
	// The outgoing ones need only the vertex's own corners, so halves of
	// the vertices are done in parallel; the incoming ones are scattered
	// from the few vertices that have open outgoing edges.
	openOut, openIn := loop, loopback
	if n < 2*minTrianglesPerWorker {
		findOpenOut(openOut, adj, 0, n)
	} else {
		parallel(func() { findOpenOut(openOut, adj, 0, n/2) }, func() { findOpenOut(openOut, adj, n/2, n) })
	}
	for i := range openIn {
		openIn[i] = none
	}
	for v := uint32(0); v < uint32(n); v++ {
		if openOut[v] == none {
			continue
		}
		corners := adj.edges[adj.off[v]:adj.off[v+1]]
		for _, e := range corners {
			if e.next == v || e.prev == v {
				openIn[v] = v
				continue
			}
			if t := e.next; !hasPrev(corners, t) {
				if openIn[t] == none {
					openIn[t] = v
				} else {
					openIn[t] = t
				}
			}
		}
	}
	for i := uint32(0); i < uint32(n); i++ {
		if remap[i] != i {
			kind[i] = kind[remap[i]] // representatives come first
			continue
		}
		w := wedge[i]
		switch {
		case w == i:
			oi, oo := openIn[i], openOut[i]
			switch {
			case oi == none && oo == none:
				kind[i] = kindManifold
			case oi != none && oo != none && oi != i && oo != i:
				kind[i] = kindBorder
			default:
				kind[i] = kindComplex
			}
		case wedge[w] == i:
			// Two wedges form a seam when each has exactly one open edge in
			// and out and those edges pair up across the seam.
			iv, ov, iw, ow := openIn[i], openOut[i], openIn[w], openOut[w]
			if iv != none && iv != i && ov != none && ov != i &&
				iw != none && iw != w && ow != none && ow != w &&
				remap[iv] == remap[ow] && remap[ov] == remap[iw] && remap[iv] != remap[ov] {
				kind[i] = kindSeam
			} else {
				kind[i] = kindComplex
			}
		default:
			kind[i] = kindComplex
		}
	}
	if opts.LockedVertices != nil {
		// Any locked wedge locks its whole position.
		for i, l := range opts.LockedVertices {
			if l {
				kind[remap[i]] = kindLocked
			}
		}
		for i := range kind {
			if kind[remap[i]] == kindLocked {
				kind[i] = kindLocked
			}
		}
	}
	if opts.LockBorder {
		for i, k := range kind {
			if k == kindBorder {
				kind[i] = kindLocked
			}
		}
	}
}
