package simplify

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
)

// ctxCheckInterval is how many collapse candidates a pass examines between
// context checks; a check costs a mutex, a candidate a few nanoseconds.
const ctxCheckInterval = 1 << 14

// collapse is a candidate edge collapse v0 → v1. key holds the float32 bits
// of its error (errors are non-negative, so the bits sort like the values).
// Twelve bytes: a pass sorts and walks millions of them.
type collapse struct {
	v0, v1 uint32
	key    uint32
}

// run performs collapse passes until the target is met, the error limit is
// reached or no collapse is possible.
func (s *simplifier) run(ctx context.Context, opts Options) (Result, error) {
	indices := s.indices
	target := opts.TargetTriangles * 3

	// TargetError is linear and relative; quadric errors are squared
	// distances in the unit cube.
	errorLimit := float32(math.MaxFloat32)
	if opts.TargetError > 0 {
		errorLimit = opts.TargetError * opts.TargetError
	}
	var resultError float32 // largest collapse error, squared
	var posError float32    // largest position-only collapse error, squared

	// Up to three candidates per triangle; pickEdgeCollapses fills chunks
	// of the triangle list in parallel, each into its own part.
	s.collapses = reuse(s.collapses, len(indices))
	s.sorted = reuse(s.sorted, len(indices))

	// Triangles squashed to zero area (a vertex merged next to both wedges of
	// a seam or pole) stay until the end to keep the chains intact, but they
	// are already gone as far as the target is concerned.
	degenerate := 0
	for len(indices)-3*degenerate > target {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		s.adj.build(indices, s.remap)
		cs := s.pickEdgeCollapses(indices)
		if len(cs) == 0 {
			break
		}
		goal := (len(indices) - 3*degenerate - target) / 3
		var done int
		var err error
		switch {
		case s.part != nil && len(cs) >= minParallelCandidates && 2*goal >= len(indices)/3-degenerate:
			// Far from the target: the pass will stop at its error goal
			// long before its triangle goal, and the order of collapses
			// of similar error matters little for the end result.
			done, err = s.performByCell(ctx, cs, goal, errorLimit, &resultError)
		case s.part != nil && len(cs) >= minParallelCandidates:
			// Near the target, where the error of the result is decided,
			// every half performs its candidates in error order.
			sorted, split := s.sortByPart(s.sorted[:len(cs)], cs)
			done, err = s.performByHalf(ctx, sorted, split, goal, errorLimit, &resultError)
		default:
			sorted := sortEdgeCollapses(s.sorted[:len(cs)], cs)
			done, err = s.performEdgeCollapses(ctx, sorted, goal, errorLimit, &resultError)
		}
		if err != nil {
			return Result{}, err
		}
		if done == 0 {
			break
		}
		pe := s.updateQuadrics()
		if s.attrCount == 0 {
			posError = resultError
		} else {
			posError = max(posError, pe)
		}
		s.remapEdgeLoops()
		indices, degenerate = s.remapIndexBuffer(indices)
		s.resetPass()
	}
	indices = filterDegenerate(indices, s.remap)

	rel := sqrt32(posError)
	return Result{
		Indices:       slices.Clone(indices), // indices belongs to the workspace
		Error:         float32(float64(rel) * s.extent),
		RelativeError: rel,
	}, nil
}

// pickEdgeCollapses lists and ranks the candidate collapses of every edge
// of indices, in triangle order. Large meshes are split into chunks of
// triangles picked in parallel and concatenated in order, so the result
// does not depend on the number of CPUs.
func (s *simplifier) pickEdgeCollapses(indices []uint32) []collapse {
	cs := s.collapses[:len(indices)]
	tris := len(indices) / 3
	workers := min(runtime.GOMAXPROCS(0), maxWorkers, tris/minTrianglesPerWorker)
	if workers <= 1 {
		return s.pickRange(indices, cs)
	}
	counts := make([]int, workers)
	var wg sync.WaitGroup
	for k := range workers {
		lo, hi := 3*(k*tris/workers), 3*((k+1)*tris/workers)
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[k] = len(s.pickRange(indices[lo:hi], cs[lo:hi]))
		}()
	}
	wg.Wait()
	n := counts[0]
	for k := 1; k < workers; k++ {
		lo := 3 * (k * tris / workers)
		n += copy(cs[n:], cs[lo:lo+counts[k]])
	}
	return cs[:n]
}

// Parallel phases split work only when each goroutine gets enough of it
// to pay for starting.
const (
	maxWorkers            = 8
	minTrianglesPerWorker = 16 << 10
)

// pickRange writes the candidates of indices' triangles to cs, which has
// room for three per triangle, and returns them.
func (s *simplifier) pickRange(indices []uint32, cs []collapse) []collapse {
	count := 0
	remap, kind, loop, loopback, vtx := s.remap, s.kind, s.loop, s.loopback, s.vtx
	posOnly := s.attrCount == 0
	for i := 0; i+2 < len(indices); i += 3 {
		tri := [3]uint32{indices[i], indices[i+1], indices[i+2]}
		if posOnly && kind[tri[0]]|kind[tri[1]]|kind[tri[2]] == kindManifold {
			// The common case, without the table lookups: manifold
			// vertices are alone at their positions (remap is the
			// identity), every edge also appears reversed in a neighbour
			// (so each is picked once, from its lower end), and it may
			// collapse either way.
			for e := 0; e < 3; e++ {
				i0, i1 := tri[e], tri[next3[e]]
				if i1 > i0 {
					continue
				}
				ei, ej := edgeErrors(&vtx[i0], &vtx[i1])
				if ej < ei {
					cs[count] = collapse{i1, i0, math.Float32bits(ej)}
				} else {
					cs[count] = collapse{i0, i1, math.Float32bits(ei)}
				}
				count++
			}
			continue
		}
		for e := 0; e < 3; e++ {
			i0, i1 := tri[e], tri[next3[e]]
			r0, r1 := remap[i0], remap[i1]
			// Zero-length edges (input duplicates, or a vertex merged onto
			// both wedges of a seam) are left alone: they hold the mesh
			// together.
			if r0 == r1 {
				continue
			}
			k0, k1 := kind[i0], kind[i1]
			fwd, back := canCollapse[k0][k1], canCollapse[k1][k0]
			if !fwd && !back {
				continue
			}
			if hasOpposite[k0][k1] && r1 > r0 {
				continue
			}
			// Two chain vertices that are not linked by a chain edge sit on
			// different loops (or cut across one): collapsing would pinch
			// the border or seam.
			if (k0 == kindBorder || k0 == kindSeam) && k1 != kindManifold && loop[i0] != i1 {
				continue
			}
			if (k1 == kindBorder || k1 == kindSeam) && k0 != kindManifold && loopback[i1] != i0 {
				continue
			}
			// Rank right away, while the triangle's vertices are in cache;
			// an edge that may go either way goes the cheaper way.
			switch {
			case fwd && back:
				if ej, ei, rev := s.cheaperDirection(i0, i1, r0, r1); rev {
					cs[count] = collapse{i1, i0, math.Float32bits(ej)}
				} else {
					cs[count] = collapse{i0, i1, math.Float32bits(ei)}
				}
			case fwd:
				cs[count] = collapse{i0, i1, math.Float32bits(s.collapseError(i0, i1, r0, r1))}
			default:
				cs[count] = collapse{i1, i0, math.Float32bits(s.collapseError(i1, i0, r1, r0))}
			}
			count++
		}
	}
	return cs[:count]
}

// next3[e] is the corner after corner e of a triangle.
var next3 = [3]int{1, 2, 0}

// seamPair returns the twin wedge s0 of seam vertex i0 and the vertex s1 on
// the other side of the seam that s0 must collapse into when i0 collapses
// into i1.
func (s *simplifier) seamPair(i0, i1 uint32) (s0, s1 uint32) {
	s0 = s.wedge[i0]
	if s.loop[i0] == i1 {
		s1 = s.loopback[s0]
	} else {
		s1 = s.loop[s0]
	}
	if s1 == none || s.remap[s1] != s.remap[i1] {
		// Stale loop data; fall back to a wedge of the target so that
		// indices stay valid (the collapse is still geometrically right).
		s1 = s.wedge[i1]
	}
	return s0, s1
}

// collapseError is the cost of merging vertex i0 (at position r0) into i1
// (at r1): the mean squared distance of i1 to the planes i0's position has
// absorbed, plus, with attributes, how far i1's attributes are from what
// i0's triangles interpolated.
func (s *simplifier) collapseError(i0, i1, r0, r1 uint32) float32 {
	e := s.positionError(r0, r1)
	if s.attrCount == 0 {
		return e
	}
	return e + s.attributeCost(i0, i1)
}

// cheaperDirection returns the errors of collapsing i0 into i1 and of the
// reverse, and whether the reverse is cheaper (ties go forward). The
// attribute part of a direction is skipped when its position part alone
// already loses: attribute errors are never negative.
func (s *simplifier) cheaperDirection(i0, i1, r0, r1 uint32) (ej, ei float32, rev bool) {
	ei, ej = edgeErrors(&s.vtx[r0], &s.vtx[r1])
	if s.attrCount == 0 {
		return ej, ei, ej < ei
	}
	if ei <= ej {
		if ei += s.attributeCost(i0, i1); ei <= ej {
			return ej, ei, false
		}
		ej += s.attributeCost(i1, i0)
	} else {
		if ej += s.attributeCost(i1, i0); ej < ei {
			return ej, ei, true
		}
		ei += s.attributeCost(i0, i1)
	}
	return ej, ei, ej < ei
}

func (s *simplifier) positionError(r0, r1 uint32) float32 {
	v0 := &s.vtx[r0]
	return v0.q.positionError(sub(s.vtx[r1].p, v0.p))
}

// attributeCost is the attribute part of collapseError.
func (s *simplifier) attributeCost(i0, i1 uint32) float32 {
	e := s.attrError(i0, i1)
	if s.kind[i0] == kindSeam {
		// Attribute quadrics are per wedge: the other side of the seam moves
		// too and its error counts as well.
		s0, s1 := s.seamPair(i0, i1)
		e += s.attrError(s0, s1)
	}
	return e
}

// attrError is the attribute part of merging wedge i0 into i1.
func (s *simplifier) attrError(i0, i1 uint32) float32 {
	k := s.attrCount
	return attributeError(&s.attrQuad[i0], s.attrGrad[int(i0)*4*k:int(i0+1)*4*k], sub(s.surf[i1].p, s.surf[i0].p), s.attr[int(i1)*k:int(i1+1)*k])
}

// sortEdgeCollapses copies the candidates into dst ordered by error, with
// a counting sort over the top 12 bits of the float (8 exponent + 4
// mantissa bits): collapses within 1/16 of an octave of each other are
// interchangeable, and the stable counting sort keeps the result
// deterministic. The records themselves are moved (rather than an index
// permutation built) so that performing them reads memory in order.
func sortEdgeCollapses(dst, cs []collapse) []collapse {
	var hist [sortBins]uint32
	for i := range cs {
		hist[sortKey(cs[i].key)]++
	}
	prefixSums(hist[:])
	for i := range cs {
		b := sortKey(cs[i].key)
		dst[hist[b]] = cs[i]
		hist[b]++
	}
	return dst
}

// sortByPart is sortEdgeCollapses for a pass split in two halves: the
// candidates of half 0 (by the position they move) come first, each half
// ordered by error. It returns where half 1 starts.
func (s *simplifier) sortByPart(dst, cs []collapse) ([]collapse, int) {
	var hist [2 * sortBins]uint32
	remap, part := s.remap, s.part
	key := func(c *collapse) uint32 {
		return uint32(part[remap[c.v0]])*sortBins + sortKey(c.key)
	}
	for i := range cs {
		hist[key(&cs[i])]++
	}
	prefixSums(hist[:])
	split := int(hist[sortBins])
	for i := range cs {
		b := key(&cs[i])
		dst[hist[b]] = cs[i]
		hist[b]++
	}
	return dst, split
}

// groupByCell copies the candidates (in triangle order) into dst grouped
// by the cell of the position they move (see partitionSpace), keeping
// their order within each cell, and counts them by error bin into errHist.
// starts receives where each cell's candidates begin, plus the total.
func (s *simplifier) groupByCell(dst, cs []collapse, starts []uint32, errHist *[sortBins]uint32) {
	remap, cellOf := s.remap, s.cellOf
	clear(starts)
	clear(errHist[:])
	// Candidates come in triangle order, so these lookups stay local.
	for i := range cs {
		starts[cellOf[remap[cs[i].v0]]]++
		errHist[sortKey(cs[i].key)]++
	}
	prefixSums(starts)
	for i := range cs {
		c := cellOf[remap[cs[i].v0]]
		dst[starts[c]] = cs[i]
		starts[c]++
	}
	// starts[c] now holds where cell c ends, i.e. where c+1 starts.
	copy(starts[1:], starts[:len(starts)-1])
	starts[0] = 0
}

// sortRange is sortEdgeCollapses for a small range, with a histogram over
// only the bins it uses (hist is scratch of sortBins entries).
func sortRange(dst, cs []collapse, hist []uint32) {
	lo, hi := uint32(sortBins), uint32(0)
	for i := range cs {
		b := sortKey(cs[i].key)
		lo, hi = min(lo, b), max(hi, b)
	}
	if lo > hi {
		return
	}
	h := hist[:hi-lo+1]
	clear(h)
	for i := range cs {
		h[sortKey(cs[i].key)-lo]++
	}
	prefixSums(h)
	for i := range cs {
		b := sortKey(cs[i].key) - lo
		dst[h[b]] = cs[i]
		h[b]++
	}
}

// binError is a representative error of sort bin b: the middle of its range.
func binError(b uint32) float32 {
	return math.Float32frombits(b<<(32-sortBits-1) | 1<<(32-sortBits-2))
}

const (
	sortBits = 12
	sortBins = 2048 + 512 // exponents below 2^32; larger errors share the last bin
)

// sortKey is the counting-sort bin of an error's float32 bits.
func sortKey(bits uint32) uint32 {
	return min((bits<<1)>>(32-sortBits), sortBins-1)
}

// prefixSums turns counts into exclusive prefix sums.
func prefixSums(hist []uint32) {
	var sum uint32
	for i, c := range hist {
		hist[i] = sum
		sum += c
	}
}

// updateQuadrics merges the quadrics of moved vertices into their targets
// and returns the largest position-only error of the pass's collapses.
func (s *simplifier) updateQuadrics() float32 {
	var posErr float32
	remap, cremap, vtx := s.remap, s.cremap, s.vtx
	k := s.attrCount
	// Scan in vertex order rather than walking s.moved (which is in error
	// order, i.e. random): the quadrics and positions are then read almost
	// sequentially.
	for i, i1 := range cremap {
		i0 := uint32(i)
		if i1 == i0 {
			continue
		}
		r0, r1 := remap[i0], remap[i1]
		d := sub(vtx[r1].p, vtx[r0].p)
		if i0 == r0 {
			// The representative always moves with its wedges, so the shared
			// position quadric is merged exactly once.
			if k > 0 {
				posErr = max(posErr, vtx[r0].q.positionError(d))
			}
			vtx[r1].q.addMoved(&vtx[r0].q, d)
		}
		if k > 0 {
			s.attrQuad[i1].addMoved(&s.attrQuad[i0], d)
			moveGradients(s.attrGrad[int(i1)*4*k:int(i1+1)*4*k], s.attrGrad[int(i0)*4*k:int(i0+1)*4*k], d)
		}
	}
	return posErr
}

// remapEdgeLoops keeps border and seam chains pointing at live vertices.
func (s *simplifier) remapEdgeLoops() {
	cremap := s.cremap
	for _, loop := range [2][]uint32{s.loop, s.loopback} {
		for _, i := range s.loopVtx {
			l := loop[i]
			if l == none {
				continue
			}
			r := cremap[l]
			if r == i {
				// The chain edge collapsed against the loop direction: skip
				// over the vertex that merged into i.
				if loop[l] != none {
					loop[i] = cremap[loop[l]]
				} else {
					loop[i] = none
				}
			} else {
				loop[i] = r
			}
		}
	}
}

// remapIndexBuffer applies the pass's collapses, drops triangles that lost
// a corner and counts the ones left with zero area.
func (s *simplifier) remapIndexBuffer(indices []uint32) ([]uint32, int) {
	cremap, remap := s.cremap, s.remap
	w, degenerate := 0, 0
	for i := 0; i+2 < len(indices); i += 3 {
		v0, v1, v2 := cremap[indices[i]], cremap[indices[i+1]], cremap[indices[i+2]]
		if v0 != v1 && v0 != v2 && v1 != v2 {
			indices[w], indices[w+1], indices[w+2] = v0, v1, v2
			w += 3
			r0, r1, r2 := remap[v0], remap[v1], remap[v2]
			if r0 == r1 || r0 == r2 || r1 == r2 {
				degenerate++
			}
		}
	}
	return indices[:w], degenerate
}

// resetPass restores the per-pass arrays by undoing only what changed.
func (s *simplifier) resetPass() {
	for _, v := range s.moved {
		s.cremap[v] = v
	}
	for _, r := range s.touched {
		s.clocked[r] = 0
	}
	s.moved = s.moved[:0]
	s.touched = s.touched[:0]
}

// filterDegenerate drops triangles with two corners at the same position.
// They appear when a vertex merges into a seam next to both of its wedges;
// dropping them earlier would break the seam chains, so it happens last.
func filterDegenerate(indices, remap []uint32) []uint32 {
	w := 0
	for i := 0; i+2 < len(indices); i += 3 {
		v0, v1, v2 := indices[i], indices[i+1], indices[i+2]
		r0, r1, r2 := remap[v0], remap[v1], remap[v2]
		if r0 != r1 && r0 != r2 && r1 != r2 {
			indices[w], indices[w+1], indices[w+2] = v0, v1, v2
			w += 3
		}
	}
	return indices[:w]
}
