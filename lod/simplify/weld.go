package simplify

import (
	"fmt"
	"math"
)

// Unused marks a vertex that a remap table drops.
const Unused = none

// Weld finds vertices that are exactly equal — same position bits and same
// attribute bits, with -0 equal to +0 — and numbers the distinct ones.
// remap[v] is the new index of vertex v and unique the number of distinct
// vertices. With indices, only referenced vertices are numbered, in order of
// first use, and the rest map to Unused; with nil indices every vertex is
// numbered in order. Exporters often split vertices per triangle; welding
// first gives Simplify the connectivity it needs.
func Weld(positions, attrs []float32, stride int, indices []uint32) (remap []uint32, unique int, err error) {
	if len(positions)%3 != 0 {
		return nil, 0, fmt.Errorf("%w: %d position floats is not a multiple of 3", ErrInvalidMesh, len(positions))
	}
	n := len(positions) / 3
	if uint64(n) >= uint64(math.MaxUint32) {
		return nil, 0, fmt.Errorf("%w: %d vertices do not fit 32-bit indices", ErrInvalidMesh, n)
	}
	if stride < 0 || len(attrs) != stride*n {
		return nil, 0, fmt.Errorf("%w: %d attribute floats, want stride %d × %d vertices", ErrInvalidMesh, len(attrs), stride, n)
	}
	for i, v := range indices {
		if uint64(v) >= uint64(n) {
			return nil, 0, fmt.Errorf("%w: index %d at position %d is out of range for %d vertices", ErrInvalidMesh, v, i, n)
		}
	}

	vertexKey := func(v uint32) ([]float32, []float32) {
		return positions[3*v : 3*v+3], attrs[int(v)*stride : int(v+1)*stride]
	}
	hash := func(v uint32) uint32 {
		p, a := vertexKey(v)
		h := hashPosition(positionKey(p[0]), positionKey(p[1]), positionKey(p[2]))
		for _, f := range a {
			h = (h ^ positionKey(f)) * 0x01000193 // FNV-1a style mixing
		}
		return h
	}
	equal := func(u, v uint32) bool {
		pu, au := vertexKey(u)
		pv, av := vertexKey(v)
		for j := range pu {
			if positionKey(pu[j]) != positionKey(pv[j]) {
				return false
			}
		}
		for j := range au {
			if positionKey(au[j]) != positionKey(av[j]) {
				return false
			}
		}
		return true
	}

	remap = make([]uint32, n)
	for i := range remap {
		remap[i] = Unused
	}
	count := n
	if indices != nil {
		count = len(indices)
	}
	size := hashTableSize(min(count, n))
	table := make([]uint32, size) // holds original vertex indices
	for i := range table {
		table[i] = none
	}
	mask := uint32(size - 1)
	visit := func(v uint32) {
		if remap[v] != Unused {
			return
		}
		h := hash(v) & mask
		for probe := uint32(1); ; probe++ {
			e := table[h]
			if e == none {
				table[h] = v
				remap[v] = uint32(unique)
				unique++
				return
			}
			if equal(e, v) {
				remap[v] = remap[e]
				return
			}
			h = (h + probe) & mask
		}
	}
	if indices == nil {
		for v := uint32(0); v < uint32(n); v++ {
			visit(v)
		}
	} else {
		for _, v := range indices {
			visit(v)
		}
	}
	return remap, unique, nil
}

// RemapIndices returns indices rewritten through remap (from Weld or
// Compact).
func RemapIndices(indices, remap []uint32) []uint32 {
	out := make([]uint32, len(indices))
	for i, v := range indices {
		out[i] = remap[v]
	}
	return out
}

// RemapVertices returns a vertex stream of stride floats per vertex
// rearranged by remap into unique vertices; vertices mapped to Unused are
// dropped. Use it to carry streams the simplifier does not see (tangents,
// joints, weights) through Weld or Compact.
func RemapVertices(src []float32, stride int, remap []uint32, unique int) []float32 {
	out := make([]float32, unique*stride)
	for v, r := range remap {
		if r != Unused {
			copy(out[int(r)*stride:int(r+1)*stride], src[v*stride:(v+1)*stride])
		}
	}
	return out
}

// Compact returns a copy of m holding only the vertices that indices use,
// numbered in order of first use, with indices rewritten to match. The
// returned remap maps old vertex numbers to new ones (Unused for dropped
// vertices) so that other vertex streams can follow (RemapVertices).
func Compact(m Mesh, indices []uint32) (Mesh, []uint32, error) {
	n := m.VertexCount()
	if len(m.Positions)%3 != 0 || len(m.Attributes) != m.AttrStride*n || m.AttrStride < 0 {
		return Mesh{}, nil, fmt.Errorf("%w: inconsistent vertex arrays", ErrInvalidMesh)
	}
	if len(indices)%3 != 0 {
		return Mesh{}, nil, fmt.Errorf("%w: %d indices is not a multiple of 3", ErrInvalidMesh, len(indices))
	}
	remap := make([]uint32, n)
	for i := range remap {
		remap[i] = Unused
	}
	out := make([]uint32, len(indices))
	unique := uint32(0)
	for i, v := range indices {
		if uint64(v) >= uint64(n) {
			return Mesh{}, nil, fmt.Errorf("%w: index %d at position %d is out of range for %d vertices", ErrInvalidMesh, v, i, n)
		}
		if remap[v] == Unused {
			remap[v] = unique
			unique++
		}
		out[i] = remap[v]
	}
	c := Mesh{
		Positions:   RemapVertices(m.Positions, 3, remap, int(unique)),
		AttrStride:  m.AttrStride,
		AttrWeights: m.AttrWeights,
		Indices:     out,
	}
	if m.AttrStride > 0 {
		c.Attributes = RemapVertices(m.Attributes, m.AttrStride, remap, int(unique))
	}
	return c, remap, nil
}
