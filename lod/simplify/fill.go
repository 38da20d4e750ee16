package simplify

import (
	"runtime"
	"sync"
)

// The error metric starts from the input surface: every triangle's plane,
// every border and seam edge's line, and with attributes every triangle's
// attribute gradients, summed per vertex. Collapses then move these sums
// along (see updateQuadrics), so each surviving vertex remembers the part
// of the input it stands for.

// fillFaceQuadrics adds every triangle's plane to the quadrics of its
// corners' positions and records the input's unit vertex normals (used by
// the flip checks). Large meshes are done in two halves of the triangle
// list, each into its own sums, which are added at the end, so that the
// halves can run in parallel; the split depends only on the size, not on
// the number of CPUs, so neither do the sums.
func (s *simplifier) fillFaceQuadrics(indices []uint32) {
	n := len(s.surf)
	s.sums[0] = reuseZero(s.sums[0], n)
	if len(indices) < 6*minTrianglesPerWorker {
		s.addFaces(indices, s.sums[0])
		s.setFaceQuadrics(s.sums[0], nil, 0, n)
		return
	}
	half := 3 * (len(indices) / 6)
	s.sums[1] = reuseZero(s.sums[1], n)
	parallel(
		func() { s.addFaces(indices[:half], s.sums[0]) },
		func() { s.addFaces(indices[half:], s.sums[1]) },
	)
	parallel(
		func() { s.setFaceQuadrics(s.sums[0], s.sums[1], 0, n/2) },
		func() { s.setFaceQuadrics(s.sums[0], s.sums[1], n/2, n) },
	)
}

// planeSum accumulates the face planes through a position and their
// area-weighted normals. Planes through the vertex have no linear or
// constant quadric terms, so it carries only the rest of a quadric and
// stays small (the sums are scattered all over the mesh).
type planeSum struct {
	a00, a11, a22, a10, a20, a21, w float32
	n                               vec3
}

// addFaces adds the planes and normals of indices' triangles to sums.
func (s *simplifier) addFaces(indices []uint32, sums []planeSum) {
	surf, remap := s.surf, s.remap
	for i := 0; i+2 < len(indices); i += 3 {
		i0, i1, i2 := indices[i], indices[i+1], indices[i+2]
		p0, p1, p2 := surf[i0].p, surf[i1].p, surf[i2].p
		n := cross(sub(p1, p0), sub(p2, p0))
		q := normalQuadric(n, 1)
		sums[remap[i0]].add(&q, n)
		sums[remap[i1]].add(&q, n)
		sums[remap[i2]].add(&q, n)
	}
}

// add adds a plane quadric q (through the vertex) and a normal n.
func (ps *planeSum) add(q *quadric, n vec3) {
	ps.a00 += q.a00
	ps.a11 += q.a11
	ps.a22 += q.a22
	ps.a10 += q.a10
	ps.a20 += q.a20
	ps.a21 += q.a21
	ps.w += q.w
	ps.n.x += n.x
	ps.n.y += n.y
	ps.n.z += n.z
}

// setFaceQuadrics fills vtx (position; quadric at representatives) and
// the normals of surf for vertices lo..hi-1 from the sums of one or two
// halves.
func (s *simplifier) setFaceQuadrics(sums0, sums1 []planeSum, lo, hi int) {
	vtx, surf, remap := s.vtx, s.surf, s.remap
	for i := lo; i < hi; i++ {
		r := remap[i]
		ps := sums0[r]
		if sums1 != nil {
			t := &sums1[r]
			ps.a00 += t.a00
			ps.a11 += t.a11
			ps.a22 += t.a22
			ps.a10 += t.a10
			ps.a20 += t.a20
			ps.a21 += t.a21
			ps.w += t.w
			ps.n = add(ps.n, t.n)
		}
		sp := &surf[i]
		v := vertex{p: sp.p}
		if r == uint32(i) {
			v.q = quadric{a00: ps.a00, a11: ps.a11, a22: ps.a22, a10: ps.a10, a20: ps.a20, a21: ps.a21, w: ps.w}
		}
		vtx[i] = v
		normalize(&ps.n)
		sp.n = quantizeNormal(ps.n)
	}
}

// Edge quadric weights relative to face quadrics: borders are held hard
// (a moved border is a visible crack or shrinking silhouette), seams only
// lightly since their collapses are already restricted to the seam line.
const (
	borderEdgeWeight = 10
	seamEdgeWeight   = 1
)

// fillEdgeQuadrics adds, for every edge along a border or seam chain, the
// distance to its line to both ends, so that such vertices stay on their
// border or seam.
func (s *simplifier) fillEdgeQuadrics(indices []uint32) {
	if len(s.loopVtx) == 0 {
		return // no borders or seams
	}
	kind, loop, loopback, remap, vtx, surf := s.kind, s.loop, s.loopback, s.remap, s.vtx, s.surf
	for i := 0; i+2 < len(indices); i += 3 {
		tri := [3]uint32{indices[i], indices[i+1], indices[i+2]}
		if !onChain[kind[tri[0]]] && !onChain[kind[tri[1]]] && !onChain[kind[tri[2]]] {
			continue // most triangles of most meshes
		}
		for e := 0; e < 3; e++ {
			i0, i1 := tri[e], tri[(e+1)%3]
			k0, k1 := kind[i0], kind[i1]
			b0, b1 := onChain[k0], onChain[k1]
			// Only edges on a border/seam chain; edges from a chain vertex
			// into a locked corner count too, or the corner's neighbour
			// would see no resistance against sliding off the corner.
			if !b0 && !b1 {
				continue
			}
			if b0 && loop[i0] != i1 {
				continue
			}
			if b1 && loopback[i1] != i0 {
				continue
			}
			// A seam edge shows up once on each side; take one.
			if hasOpposite[k0][k1] && remap[i1] > remap[i0] {
				continue
			}
			w := float32(seamEdgeWeight)
			if k0 == kindBorder || k1 == kindBorder {
				w = borderEdgeWeight
			}
			p0, p1, p2 := surf[i0].p, surf[i1].p, surf[tri[(e+2)%3]].p
			q := edgeQuadric(p0, p1, p2, w)
			// The edge plane only holds the vertex to the edge line within
			// the triangle's plane; adding the triangle's own plane with the
			// same weight makes it a distance-to-line quadric, so a border
			// that curves out of the surface (a terrain's silhouette) is
			// held as firmly as one that curves within it. Its weight is
			// left out of w so the mean stays a mean over faces and edges.
			qt := triangleQuadric(p0, p1, p2, w)
			qt.w = 0
			q.add(&qt)
			vtx[remap[i0]].q.add(&q)
			vtx[remap[i1]].q.add(&q)
		}
	}
}

// fillAttributeQuadrics adds every triangle's attribute quadric to each of
// its corners (wedges, not positions: attributes differ across seams).
func (s *simplifier) fillAttributeQuadrics(indices []uint32) {
	k := s.attrCount
	var gbuf, dbuf, wbuf [3 * maxAttributes]float32
	g, d, gw := gbuf[:3*k], dbuf[:3*k], wbuf[:3*k]
	surf, attr, aq, ag := s.surf, s.attr, s.attrQuad, s.attrGrad
	for i := 0; i+2 < len(indices); i += 3 {
		i0, i1, i2 := indices[i], indices[i+1], indices[i+2]
		a0, a1, a2 := attr[int(i0)*k:int(i0+1)*k], attr[int(i1)*k:int(i1+1)*k], attr[int(i2)*k:int(i2+1)*k]
		w := attributeGradients(surf[i0].p, surf[i1].p, surf[i2].p, a0, a1, a2, g)
		q0, q1, q2 := attributeQuadrics(g, a0, a1, a2, w, d, gw)
		aq[i0].add(&q0)
		aq[i1].add(&q1)
		aq[i2].add(&q2)
		for c, v := range [3]uint32{i0, i1, i2} {
			dst := ag[int(v)*4*k : int(v+1)*4*k]
			for j := 0; j < k; j++ {
				dst[4*j] += d[3*j]
				dst[4*j+1] += d[3*j+1]
				dst[4*j+2] += d[3*j+2]
				dst[4*j+3] += gw[c*k+j]
			}
		}
	}
}

// parallel runs a and b, at the same time if there is more than one CPU.
func parallel(a, b func()) {
	if runtime.GOMAXPROCS(0) == 1 {
		a()
		b()
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b()
	}()
	a()
	wg.Wait()
}
