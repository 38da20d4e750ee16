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
// list, the second into separate sums that are added at the end, so that
// the halves can run in parallel; the split depends only on the size, not
// on the number of CPUs, so neither do the sums.
func (s *simplifier) fillFaceQuadrics(indices []uint32) {
	quad, normal := s.quad, s.normal
	if len(indices) < 6*minTrianglesPerWorker {
		s.addFaces(indices, quad, normal)
	} else {
		half := 3 * (len(indices) / 6)
		s.quad2 = reuseZero(s.quad2, len(quad))
		s.normal2 = reuseZero(s.normal2, len(normal))
		parallel(
			func() { s.addFaces(indices[:half], quad, normal) },
			func() { s.addFaces(indices[half:], s.quad2, s.normal2) },
		)
		mid := len(quad) / 2
		merge := func(lo, hi int) {
			for i := lo; i < hi; i++ {
				quad[i].add(&s.quad2[i])
				normal[i] = add(normal[i], s.normal2[i])
			}
		}
		parallel(func() { merge(0, mid) }, func() { merge(mid, len(quad)) })
	}
	geom := s.geom
	for i := range normal {
		normalize(&normal[i])
	}
	for i, r := range s.remap {
		geom[i].n = normal[r]
	}
}

// addFaces adds the planes and normals of indices' triangles to quad and
// normal.
func (s *simplifier) addFaces(indices []uint32, quad []quadric, normal []vec3) {
	geom, remap := s.geom, s.remap
	for i := 0; i+2 < len(indices); i += 3 {
		i0, i1, i2 := indices[i], indices[i+1], indices[i+2]
		p0, p1, p2 := geom[i0].p, geom[i1].p, geom[i2].p
		q := triangleQuadric(p0, p1, p2, 1)
		r0, r1, r2 := remap[i0], remap[i1], remap[i2]
		quad[r0].add(&q)
		quad[r1].add(&q)
		quad[r2].add(&q)
		n := cross(sub(p1, p0), sub(p2, p0))
		normal[r0] = add(normal[r0], n)
		normal[r1] = add(normal[r1], n)
		normal[r2] = add(normal[r2], n)
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
	kind, loop, loopback, remap, geom, quad := s.kind, s.loop, s.loopback, s.remap, s.geom, s.quad
	for i := 0; i+2 < len(indices); i += 3 {
		tri := [3]uint32{indices[i], indices[i+1], indices[i+2]}
		for e := 0; e < 3; e++ {
			i0, i1 := tri[e], tri[(e+1)%3]
			k0, k1 := kind[i0], kind[i1]
			b0 := k0 == kindBorder || k0 == kindSeam
			b1 := k1 == kindBorder || k1 == kindSeam
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
			p0, p1, p2 := geom[i0].p, geom[i1].p, geom[tri[(e+2)%3]].p
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
			quad[remap[i0]].add(&q)
			quad[remap[i1]].add(&q)
		}
	}
}

// fillAttributeQuadrics adds every triangle's attribute quadric to each of
// its corners (wedges, not positions: attributes differ across seams).
func (s *simplifier) fillAttributeQuadrics(indices []uint32) {
	k := s.attrCount
	var gbuf, dbuf, wbuf [3 * maxAttributes]float32
	g, d, gw := gbuf[:3*k], dbuf[:3*k], wbuf[:3*k]
	geom, attr, aq, ag := s.geom, s.attr, s.attrQuad, s.attrGrad
	for i := 0; i+2 < len(indices); i += 3 {
		i0, i1, i2 := indices[i], indices[i+1], indices[i+2]
		a0, a1, a2 := attr[int(i0)*k:int(i0+1)*k], attr[int(i1)*k:int(i1+1)*k], attr[int(i2)*k:int(i2+1)*k]
		w := attributeGradients(geom[i0].p, geom[i1].p, geom[i2].p, a0, a1, a2, g)
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
