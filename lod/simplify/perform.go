package simplify

import (
	"context"
	"errors"
	"math"
)

// errorGoalFactor widens a pass's error goal beyond the error of the
// collapse that would reach the target if every collapse succeeded, since
// many candidates are blocked by neighbouring collapses of the same pass.
const errorGoalFactor = 1.5

// performEdgeCollapses applies the cheapest collapses of sorted (ordered by
// error) that do not conflict with each other, until triangleGoal triangles
// are gone, the next error exceeds errorLimit, or errors grow well past
// what the goal needs. It returns the number of collapses; resultError
// tracks the largest error performed.
func (s *simplifier) performEdgeCollapses(ctx context.Context, sorted []collapse, triangleGoal int, errorLimit float32, resultError *float32) (int, error) {
	w := performer{
		s:            s,
		sorted:       sorted,
		part:         anyPart,
		errLimitBits: math.Float32bits(errorLimit),
		resultError:  *resultError,
	}
	w.setGoal(triangleGoal)
	w.moved, w.touched = s.moved[:0], s.touched[:0]
	err := w.run(ctx)
	s.moved, s.touched = w.moved, w.touched
	*resultError = w.resultError
	return w.edgeCollapses, err
}

// performByHalf is performEdgeCollapses for a pass split in two halves of
// the mesh (see partitionSpace and sortByPart), each with half of the goal
// and performed by its own worker: a candidate whose collapse only touches
// its half is performed in error order as usual, one that would reach into
// the other half is deferred, and the deferred ones are performed
// afterwards, again in error order. Collapses in different halves cannot
// influence each other, so the result is the same whether the halves run
// in parallel or one after the other.
func (s *simplifier) performByHalf(ctx context.Context, sorted []collapse, split, triangleGoal int, errorLimit float32, resultError *float32) (int, error) {
	base := performer{
		s:            s,
		part:         anyPart,
		errLimitBits: math.Float32bits(errorLimit),
		resultError:  *resultError,
	}
	var halves [2]performer
	var errs [2]error
	for p := range halves {
		w := &halves[p]
		*w = base
		w.part = uint8(p)
		w.moved, w.touched, w.deferred = s.partMoved[p][:0], s.partTouched[p][:0], s.deferred[p][:0]
	}
	halves[0].sorted, halves[1].sorted = sorted[:split], sorted[split:]
	halves[0].setGoal(triangleGoal / 2)
	halves[1].setGoal(triangleGoal - triangleGoal/2)
	parallel(
		func() { errs[0] = halves[0].run(ctx) },
		func() { errs[1] = halves[1].run(ctx) },
	)
	for p := range halves {
		s.partMoved[p], s.partTouched[p], s.deferred[p] = halves[p].moved, halves[p].touched, halves[p].deferred
	}
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return 0, err
	}

	// The straddling candidates, back in error order, under the laxer of
	// the two halves' error goals.
	h0, h1 := &halves[0], &halves[1]
	w := base
	s.merged = append(append(s.merged[:0], h0.deferred...), h1.deferred...)
	w.sorted = sortEdgeCollapses(s.collapses[:len(s.merged)], s.merged)
	w.triangleGoal = triangleGoal
	w.fixedGoal, w.goalError = true, max(h0.currentGoalError(), h1.currentGoalError())
	w.triangleCollapses = h0.triangleCollapses + h1.triangleCollapses
	w.edgeCollapses = h0.edgeCollapses + h1.edgeCollapses
	w.resultError = max(h0.resultError, h1.resultError)
	w.moved = append(append(s.moved[:0], h0.moved...), h1.moved...)
	w.touched = append(append(s.touched[:0], h0.touched...), h1.touched...)
	err := w.run(ctx)
	s.moved, s.touched = w.moved, w.touched
	*resultError = w.resultError
	return w.edgeCollapses, err
}

// performByCell is performEdgeCollapses for large passes, which it does
// cell by cell (see partitionSpace): the candidates of a large pass come
// from all over the mesh, and performing them in error order touches a
// new part of memory for nearly every one, which costs more than all the
// arithmetic. Within a cell, whose data stays in cache, they are performed
// in error order, under the pass's error goal and a share of its triangle
// goal proportional to the cell's candidates.
//
// The cells belong to two halves of the mesh, each performed by its own
// worker. A candidate whose collapse would reach into the other half is
// deferred, and the deferred ones are performed afterwards, in error
// order. Collapses in different halves cannot influence each other, so the
// result is the same whether the halves run in parallel or one after the
// other.
func (s *simplifier) performByCell(ctx context.Context, cs []collapse, triangleGoal int, errorLimit float32, resultError *float32) (int, error) {
	// Group by cell into s.sorted, then sort each cell by error back into
	// cs's space, which is free once grouped.
	s.cellStarts = reuse(s.cellStarts, s.cellCount+1)
	var errHist [sortBins]uint32
	grouped := s.sorted[:len(cs)]
	s.groupByCell(grouped, cs, s.cellStarts, &errHist)

	// The pass's error goal, as in performer.currentGoalError, from the
	// error histogram of all candidates.
	goalError := float32(math.MaxFloat32)
	if edgeGoal := triangleGoal / 2; edgeGoal < len(cs) {
		rank := uint32(edgeGoal)
		for b, c := range errHist {
			if rank < c {
				goalError = errorGoalFactor * binError(uint32(b))
				break
			}
			rank -= c
		}
	}

	type half struct {
		triangleCollapses, edgeCollapses int
		resultError                      float32
		err                              error
	}
	var halves [2]half
	starts := s.cellStarts
	cellsPerHalf := s.cellCount / 2
	work := func(p int) {
		h := &halves[p]
		w := performer{s: s, part: uint8(p), errLimitBits: math.Float32bits(errorLimit)}
		w.moved, w.touched, w.deferred = s.partMoved[p][:0], s.partTouched[p][:0], s.deferred[p][:0]
		h.resultError = *resultError
		hist := s.cellHist[p][:sortBins]
		for c := p * cellsPerHalf; c < (p+1)*cellsPerHalf; c++ {
			lo, hi := starts[c], starts[c+1]
			if lo == hi {
				continue
			}
			if err := ctx.Err(); err != nil {
				h.err = err
				break
			}
			sortRange(cs[lo:hi], grouped[lo:hi], hist)
			w.sorted = cs[lo:hi]
			w.triangleGoal = int(int64(triangleGoal) * int64(hi-lo) / int64(len(cs)))
			w.fixedGoal, w.goalError = true, goalError
			w.triangleCollapses, w.edgeCollapses = 0, 0
			w.resultError = *resultError
			if err := w.run(ctx); err != nil {
				h.err = err
				break
			}
			h.triangleCollapses += w.triangleCollapses
			h.edgeCollapses += w.edgeCollapses
			h.resultError = max(h.resultError, w.resultError)
		}
		s.partMoved[p], s.partTouched[p], s.deferred[p] = w.moved, w.touched, w.deferred
	}
	parallel(func() { work(0) }, func() { work(1) })
	if err := errors.Join(halves[0].err, halves[1].err); err != nil {
		return 0, err
	}

	// The straddling candidates, back in error order (half 0's first
	// within a bin, as the cells left them).
	h0, h1 := &halves[0], &halves[1]
	s.merged = append(append(s.merged[:0], s.deferred[0]...), s.deferred[1]...)
	w := performer{s: s, part: anyPart, errLimitBits: math.Float32bits(errorLimit)}
	w.sorted = sortEdgeCollapses(cs[:len(s.merged)], s.merged)
	w.triangleGoal = triangleGoal
	w.fixedGoal, w.goalError = true, goalError
	w.triangleCollapses = h0.triangleCollapses + h1.triangleCollapses
	w.edgeCollapses = h0.edgeCollapses + h1.edgeCollapses
	w.resultError = max(h0.resultError, h1.resultError)
	w.moved = append(append(s.moved[:0], s.partMoved[0]...), s.partMoved[1]...)
	w.touched = append(append(s.touched[:0], s.partTouched[0]...), s.partTouched[1]...)
	err := w.run(ctx)
	s.moved, s.touched = w.moved, w.touched
	*resultError = w.resultError
	return w.edgeCollapses, err
}

// minParallelCandidates is the pass size from which a pass is split in two
// halves (performByHalf, performByCell).
const minParallelCandidates = 64 << 10

// anyPart marks a performer that owns the whole mesh.
const anyPart = 0xff

// performer walks sorted candidates and performs those it may.
type performer struct {
	s            *simplifier
	sorted       []collapse
	part         uint8 // the half of the mesh owned, or anyPart
	triangleGoal int
	edgeGoal     int     // index into sorted of the collapse that would reach the goal
	fixedGoal    bool    // use goalError instead of edgeGoal
	goalError    float32 // the error goal when fixedGoal
	errLimitBits uint32
	resultError  float32

	triangleCollapses, edgeCollapses int
	moved, touched                   []uint32
	deferred                         []collapse // candidates reaching out of the half
}

func (w *performer) setGoal(triangleGoal int) {
	w.triangleGoal = triangleGoal
	w.edgeGoal = triangleGoal / 2 // most collapses remove two triangles
}

// currentGoalError is the error a collapse may exceed only once enough of
// the goal is done: the error of the collapse that would reach the goal if
// every collapse succeeded, with some slack because many candidates are
// blocked by neighbouring collapses of the same pass.
func (w *performer) currentGoalError() float32 {
	switch {
	case w.fixedGoal:
		return w.goalError
	case w.edgeGoal >= len(w.sorted):
		return math.MaxFloat32
	}
	return errorGoalFactor * math.Float32frombits(w.sorted[w.edgeGoal].key)
}

// run performs the candidates of w.sorted in order.
func (w *performer) run(ctx context.Context) error {
	s := w.s
	sorted := w.sorted
	remap, kind, cremap, clocked, part := s.remap, s.kind, s.cremap, s.clocked, s.part
	var sink uint32
	for i := range sorted {
		if i%ctxCheckInterval == ctxCheckInterval-1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if i%prefetchBatch == 0 {
			// Candidates come in error order, i.e. from all over the
			// mesh (or the cell), so many loads below miss the cache. Go has no
			// prefetch instruction, so the data of later candidates is
			// touched ahead, a batch at a time: the misses of one batch
			// overlap each other instead of stalling one by one.
			sink += s.prefetch(sorted, i, w.part)
		}
		c := sorted[i]
		if c.key > w.errLimitBits || w.triangleCollapses >= w.triangleGoal {
			break
		}
		errc := math.Float32frombits(c.key)
		// Stop the pass once errors grow well past what the remaining goal
		// needs; later passes will see re-ranked, more accurate errors.
		// At least 1/6 of the goal is done first so that passes with many
		// blocked candidates still make progress.
		if errc > w.currentGoalError() && errc > w.resultError && w.triangleCollapses > w.triangleGoal/6 {
			break
		}
		i0, i1 := c.v0, c.v1
		r0, r1 := remap[i0], remap[i1]
		if w.part != anyPart && part[r1] != w.part {
			w.deferred = append(w.deferred, c)
			continue
		}
		// A vertex moves at most once per pass, a target does not move
		// (its quadric is stale until updateQuadrics), and nothing moves
		// onto a vertex that moved. Several vertices may move onto the
		// same target, though: the error of each depends only on its own
		// quadric and the target's position, neither of which the others
		// change, and allowing it lets a pass do far more collapses, which
		// means fewer passes and errors ranked closer to the sequential
		// greedy order. Positions with many wedges (poles, corners) take
		// one collapse per pass, since each collapse onto them picks one
		// wedge for all of its triangles.
		if clocked[r0] != 0 || clocked[r1] >= lockFull {
			continue
		}
		// Only now look at the neighbourhood (most candidates are locked
		// by then, and locks only accumulate, so skipping them is final).
		if w.part != anyPart && !s.inPart(r0, w.part) {
			w.deferred = append(w.deferred, c)
			continue
		}
		if s.hasTriangleFlips(r0, r1) {
			w.edgeGoal++ // an invalid collapse should not count towards the goal
			continue
		}

		k0 := kind[i0]
		switch k0 {
		case kindSeam:
			s0, s1 := s.seamPair(i0, i1)
			cremap[i0] = i1
			cremap[s0] = s1
			w.moved = append(w.moved, i0, s0)
		default:
			cremap[i0] = i1
			w.moved = append(w.moved, i0)
		}
		clocked[r0] = lockMoved
		if clocked[r1] == 0 {
			clocked[r1] = lockTarget
			if kind[r1] >= kindComplex {
				clocked[r1] = lockFull
			}
			w.touched = append(w.touched, r1)
		}
		w.touched = append(w.touched, r0)
		if k0 == kindBorder {
			w.triangleCollapses++
		} else {
			w.triangleCollapses += 2
		}
		w.edgeCollapses++
		w.resultError = max(w.resultError, errc)
	}
	s.sink[w.part&1] = sink
	return nil
}

// inPart reports whether every neighbour of position r0 lies in half p, so
// that collapsing r0 reads and writes nothing of the other half.
func (s *simplifier) inPart(r0 uint32, p uint8) bool {
	part := s.part
	for _, e := range s.adj.edges[s.adj.off[r0]:s.adj.off[r0+1]] {
		if part[e.next] != p || part[e.prev] != p {
			return false
		}
	}
	return true
}

// prefetchBatch is how many candidates performEdgeCollapses touches at a
// time, in two stages (positions and kinds; neighbourhood) for the next two
// batches.
const prefetchBatch = 16

// prefetch touches the data of the candidates one and two batches after i
// that half p (or anyPart) will examine, and returns a value depending on
// every load so that the compiler keeps them.
func (s *simplifier) prefetch(sorted []collapse, i int, p uint8) uint32 {
	var sink uint32
	n := len(sorted)
	remap, kind, clocked, part := s.remap, s.kind, s.clocked, s.part
	for j := i + 2*prefetchBatch; j < min(i+3*prefetchBatch, n); j++ {
		c := &sorted[j]
		sink += remap[c.v0] + remap[c.v1] + uint32(kind[c.v0])
	}
	// Locks only accumulate during a pass: a candidate locked now will be
	// skipped, so its neighbourhood is not worth loading. A half only looks
	// at its own candidates (the other half's locks are not its to read).
	off, edges, surf := s.adj.off, s.adj.edges, s.surf
	for j := i + prefetchBatch; j < min(i+2*prefetchBatch, n); j++ {
		c := &sorted[j]
		r0, r1 := remap[c.v0], remap[c.v1]
		if p != anyPart && part[r1] != p {
			continue
		}
		if clocked[r0] != 0 || clocked[r1] >= lockFull {
			continue
		}
		sink += math.Float32bits(surf[r1].p.x)
		for _, e := range edges[off[r0]:off[r0+1]] {
			sink += math.Float32bits(surf[e.next].p.x)
		}
	}
	return sink
}

// hasTriangleFlips reports whether moving position r0 onto r1 would turn any
// surviving triangle around r0 by more than ~75° (which also catches
// triangles that would become degenerate), or leave one facing away from
// the input surface around its corners.
func (s *simplifier) hasTriangleFlips(r0, r1 uint32) bool {
	surf, cremap, clocked, remap := s.surf, s.cremap, s.clocked, s.remap
	v0, g1 := surf[r0].p, &surf[r1]
	for _, e := range s.adj.edges[s.adj.off[r0]:s.adj.off[r0+1]] {
		// Only positions touched in this pass can have moved; clocked is a
		// byte per vertex and mostly in cache, cremap is not.
		a, b := e.next, e.prev
		if clocked[a] == lockMoved {
			a = remap[cremap[a]]
		}
		if clocked[b] == lockMoved {
			b = remap[cremap[b]]
		}
		if a == r1 || b == r1 || a == b {
			continue // the triangle collapses with the edge
		}
		ga, gb := &surf[a], &surf[b]
		// The sum of the quantized normals, which is all the facing test
		// needs: it is invariant to the scale of local.
		local := vec3{
			float32(int32(ga.n[0]) + int32(gb.n[0]) + int32(g1.n[0])),
			float32(int32(ga.n[1]) + int32(gb.n[1]) + int32(g1.n[1])),
			float32(int32(ga.n[2]) + int32(gb.n[2]) + int32(g1.n[2])),
		}
		if triangleFlips(ga.p, gb.p, v0, g1.p, local) {
			return true
		}
	}
	return false
}

// facingMargin is the cosine a changed triangle's normal must keep with the
// input surface's normal around its corners (about 87°).
const facingMargin = 0.05

// triangleFlips reports whether triangle a b c turns by more than ~75° when
// c is replaced by d, or ends up facing away from local (the input normals
// at a, b and d). The per-collapse angle alone is not enough: a pure 90°
// test lets a chain of near-90° collapses fold the surface over, and even
// at 75° a triangle can turn over across several passes.
func triangleFlips(a, b, c, d, local vec3) bool {
	eb := sub(b, a)
	nbc := cross(eb, sub(c, a))
	nbd := cross(eb, sub(d, a))
	lbc := dot(nbc, nbc)
	lbd := dot(nbd, nbd)
	if dot(nbc, nbd) <= 0.25*sqrt32(lbc*lbd) {
		return true
	}
	return dot(nbd, local) <= facingMargin*sqrt32(lbd*dot(local, local))
}

// Lock states of a position during a pass.
const (
	lockTarget = 1 // absorbed a collapse: may absorb more, may not move
	lockFull   = 2 // absorbed a collapse and may absorb no more
	lockMoved  = 3 // moved: nothing may move onto it
)
