// Package simplify reduces triangle meshes for Strata's level-of-detail chains.
//
// Simplify collapses edges ranked by Garland–Heckbert quadric error metrics,
// extended with attribute quadrics (normals, UVs, colours) in the style of
// Hoppe 1999. Vertices are never moved: every collapse merges a vertex into
// one of its neighbours, so the output indexes the input's vertex arrays and
// all vertex streams (including ones the simplifier never sees, such as
// tangents or skin weights) stay valid without resampling.
//
// The main trade-off is speed against greediness. A textbook simplifier pops
// one collapse at a time from a heap and re-ranks its neighbourhood; this one
// works in passes instead, as meshoptimizer does: rank every candidate edge,
// sort them by error, apply as many independent low-error collapses as it
// can (no vertex moves twice in a pass), then rebuild the flat adjacency
// arrays and repeat. Passes touch memory linearly and allocate nothing per
// edge, which makes them several times faster than a heap, at a small cost
// in quality that the per-pass error goal keeps in check. Large passes are
// split between two goroutines by halves of the mesh; while far from the
// target, each half works through the cells of a spatial grid one at a
// time, so that the data of the collapses it is checking stays in cache.
//
// Seams (vertices that share a position but carry different attributes) and
// open borders are classified up front; seam edges collapse only along the
// seam with both sides moving together, border vertices only along the
// border, and everything else that is topologically irregular stays put. A
// collapse that would flip a neighbouring triangle, flatten it, or turn it
// away from the input surface is rejected.
//
// The output is deterministic: the same input gives the same bytes, on any
// machine and at any GOMAXPROCS. Working memory (about 200 bytes per input
// triangle) is recycled between calls through a sync.Pool.
package simplify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
)

// maxAttributes bounds AttrStride. Attribute gradients are kept per vertex
// (four floats per attribute), so the bound keeps memory predictable; glTF
// meshes rarely need more than normal + 2 UV sets + colour (12 floats).
const maxAttributes = 32

// Mesh is an indexed triangle list with float32 positions and optional
// per-vertex attributes that take part in the error metric.
type Mesh struct {
	// Positions holds x, y, z per vertex; its length defines the vertex count.
	Positions []float32
	// Attributes holds AttrStride floats per vertex (normal xyz, uv, colour…)
	// or is nil. Attribute discontinuities at shared positions are seams.
	Attributes []float32
	// AttrStride is the number of attribute floats per vertex, 0..32.
	AttrStride int
	// AttrWeights weighs each attribute component against position error: a
	// change of 1 in a weighted attribute across a distance d costs about as
	// much as moving the surface by d. nil means weight 1 for every component;
	// a zero weight makes a component not count (but it still splits seams).
	AttrWeights []float32
	// Indices is a triangle list, three vertex indices per triangle.
	Indices []uint32
}

// VertexCount is the number of vertices, len(Positions)/3.
func (m Mesh) VertexCount() int { return len(m.Positions) / 3 }

// TriangleCount is the number of triangles, len(Indices)/3.
func (m Mesh) TriangleCount() int { return len(m.Indices) / 3 }

// Options controls one Simplify call. The zero value simplifies as far as
// the topology allows, with no error limit.
type Options struct {
	// TargetTriangles stops simplification once the triangle count is at or
	// below it. 0 means "as few as possible".
	TargetTriangles int
	// TargetError stops simplification before the geometric error would
	// exceed this fraction of the mesh extent (the largest side of the
	// bounding box), e.g. 0.01 for 1 %. 0 means no limit. With attributes the
	// limit applies to the combined position+attribute error, as in
	// meshoptimizer.
	TargetError float32
	// LockBorder keeps every vertex on an open border fixed, so that meshes
	// split into chunks still meet after simplification.
	LockBorder bool
	// LockedVertices, when not nil, has one entry per vertex; true keeps that
	// vertex (and every vertex sharing its position) fixed.
	LockedVertices []bool
}

// Result is the outcome of Simplify.
type Result struct {
	// Indices is the simplified triangle list. It references the input's
	// vertices, which are neither moved nor renumbered; Compact drops the
	// ones no longer used.
	Indices []uint32
	// Error is the geometric error of the result in model units: the largest
	// quadric distance (square root of the quadric error) over all collapses.
	Error float32
	// RelativeError is Error divided by the mesh extent, comparable with
	// Options.TargetError and meshoptimizer's reported error.
	RelativeError float32
}

// ErrInvalidMesh is wrapped by every error about malformed input geometry.
var ErrInvalidMesh = errors.New("simplify: invalid mesh")

// ErrInvalidOptions is wrapped by every error about malformed Options.
var ErrInvalidOptions = errors.New("simplify: invalid options")

// Validate reports whether m is well formed: whole vertices and triangles,
// indices in range, finite positions and attributes, consistent attribute
// stride and weights.
func (m Mesh) Validate() error {
	if len(m.Positions)%3 != 0 {
		return fmt.Errorf("%w: %d position floats is not a multiple of 3", ErrInvalidMesh, len(m.Positions))
	}
	n := len(m.Positions) / 3
	if uint64(n) >= uint64(math.MaxUint32) {
		return fmt.Errorf("%w: %d vertices do not fit 32-bit indices", ErrInvalidMesh, n)
	}
	if len(m.Indices)%3 != 0 {
		return fmt.Errorf("%w: %d indices is not a multiple of 3", ErrInvalidMesh, len(m.Indices))
	}
	for i, v := range m.Indices {
		if uint64(v) >= uint64(n) {
			return fmt.Errorf("%w: index %d at position %d is out of range for %d vertices", ErrInvalidMesh, v, i, n)
		}
	}
	for i, p := range m.Positions {
		if !finite(p) {
			return fmt.Errorf("%w: vertex %d has a non-finite position (%v)", ErrInvalidMesh, i/3, p)
		}
	}
	if m.AttrStride < 0 || m.AttrStride > maxAttributes {
		return fmt.Errorf("%w: attribute stride %d is outside 0..%d", ErrInvalidMesh, m.AttrStride, maxAttributes)
	}
	if len(m.Attributes) != m.AttrStride*n {
		return fmt.Errorf("%w: %d attribute floats, want stride %d × %d vertices", ErrInvalidMesh, len(m.Attributes), m.AttrStride, n)
	}
	if m.AttrWeights != nil && len(m.AttrWeights) != m.AttrStride {
		return fmt.Errorf("%w: %d attribute weights for attribute stride %d", ErrInvalidMesh, len(m.AttrWeights), m.AttrStride)
	}
	for i, w := range m.AttrWeights {
		if !finite(w) || w < 0 {
			return fmt.Errorf("%w: attribute weight %d is %v, want a finite value >= 0", ErrInvalidMesh, i, w)
		}
	}
	for i, a := range m.Attributes {
		if !finite(a) {
			return fmt.Errorf("%w: vertex %d has a non-finite attribute %d (%v)", ErrInvalidMesh, i/m.AttrStride, i%m.AttrStride, a)
		}
	}
	return nil
}

// Validate reports whether o is usable with a mesh of vertexCount vertices.
func (o Options) Validate(vertexCount int) error {
	if o.TargetTriangles < 0 {
		return fmt.Errorf("%w: TargetTriangles %d is negative", ErrInvalidOptions, o.TargetTriangles)
	}
	if !finite(o.TargetError) || o.TargetError < 0 {
		return fmt.Errorf("%w: TargetError %v, want a finite value >= 0", ErrInvalidOptions, o.TargetError)
	}
	if o.LockedVertices != nil && len(o.LockedVertices) != vertexCount {
		return fmt.Errorf("%w: %d LockedVertices entries for %d vertices", ErrInvalidOptions, len(o.LockedVertices), vertexCount)
	}
	return nil
}

// Simplify reduces m towards opts.TargetTriangles without exceeding
// opts.TargetError. It never modifies m. ctx is checked between passes and
// every few thousand collapses within a pass; on cancellation Simplify
// returns ctx.Err() and no result.
func Simplify(ctx context.Context, m Mesh, opts Options) (Result, error) {
	if err := m.Validate(); err != nil {
		return Result{}, err
	}
	if err := opts.Validate(m.VertexCount()); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if len(m.Indices)/3 <= opts.TargetTriangles {
		// Nothing to collapse, but the output is still free of triangles
		// with two corners at one position, like every other result.
		remap := make([]uint32, m.VertexCount())
		buildPositionRemap(m.Positions, remap, make([]uint32, len(remap)), make([]uint32, hashTableSize(len(remap))))
		return Result{Indices: slices.Clip(filterDegenerate(slices.Clone(m.Indices), remap))}, nil
	}
	s := newSimplifier(m, opts)
	defer s.release()
	return s.run(ctx, opts)
}

func finite(f float32) bool {
	// Exponent all ones means Inf or NaN.
	return math.Float32bits(f)&0x7f800000 != 0x7f800000
}
