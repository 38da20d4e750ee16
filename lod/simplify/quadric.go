package simplify

import "math"

type vec3 struct{ x, y, z float32 }

func sub(a, b vec3) vec3 { return vec3{a.x - b.x, a.y - b.y, a.z - b.z} }

func add(a, b vec3) vec3 { return vec3{a.x + b.x, a.y + b.y, a.z + b.z} }

func dot(a, b vec3) float32 { return a.x*b.x + a.y*b.y + a.z*b.z }

func cross(a, b vec3) vec3 {
	return vec3{a.y*b.z - a.z*b.y, a.z*b.x - a.x*b.z, a.x*b.y - a.y*b.x}
}

func sqrt32(f float32) float32 { return float32(math.Sqrt(float64(f))) }

func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

// normalize scales v to unit length and returns its original length.
func normalize(v *vec3) float32 {
	l := sqrt32(v.x*v.x + v.y*v.y + v.z*v.z)
	if l > 0 {
		inv := 1 / l
		v.x *= inv
		v.y *= inv
		v.z *= inv
	}
	return l
}

// quadric is the symmetric 4×4 matrix of a sum of squared plane distances
// (a00 x² + a11 y² + a22 z² + 2(a10 xy + a20 xz + a21 yz) + 2(b0 x + b1 y +
// b2 z) + c) together with the total weight w of its planes.
//
// Each quadric is expressed relative to its own vertex's position (x, y, z
// are offsets from it). With absolute coordinates, c and b grow with the
// distance from the origin while the error is a tiny difference of them:
// float32 then loses everything below ~1e-7 of the mesh size, which is the
// whole signal at fine levels of detail and turns the ordering of early
// collapses into noise. Relative to the vertex, every term is of the order
// of the edge lengths, so float32 keeps its full relative precision and the
// quadrics stay small in memory. Planes through the vertex itself (all face
// and edge planes at creation) simply have b = 0 and c = 0.
type quadric struct {
	a00, a11, a22 float32
	a10, a20, a21 float32
	b0, b1, b2, c float32
	w             float32
}

func (q *quadric) add(r *quadric) {
	q.a00 += r.a00
	q.a11 += r.a11
	q.a22 += r.a22
	q.a10 += r.a10
	q.a20 += r.a20
	q.a21 += r.a21
	q.b0 += r.b0
	q.b1 += r.b1
	q.b2 += r.b2
	q.c += r.c
	q.w += r.w
}

// eval returns the (weighted) sum of squared distances to the planes of the
// point at offset u from the quadric's vertex.
func (q *quadric) eval(u vec3) float32 {
	rx := q.b0 + q.a10*u.y
	ry := q.b1 + q.a21*u.z
	rz := q.b2 + q.a20*u.x
	rx = 2*rx + q.a00*u.x
	ry = 2*ry + q.a11*u.y
	rz = 2*rz + q.a22*u.z
	return q.c + rx*u.x + ry*u.y + rz*u.z
}

// positionError is the weighted mean squared distance to the planes of the
// point at offset u, so that errors of vertices with many and few triangles
// compare fairly.
func (q *quadric) positionError(u vec3) float32 {
	if q.w == 0 {
		return 0
	}
	// eval, written out so that this stays small enough to inline into
	// the ranking loop.
	rx := 2*(q.b0+q.a10*u.y) + q.a00*u.x
	ry := 2*(q.b1+q.a21*u.z) + q.a11*u.y
	rz := 2*(q.b2+q.a20*u.x) + q.a22*u.z
	return abs32(q.c+rx*u.x+ry*u.y+rz*u.z) / q.w
}

// edgeErrors returns the position errors of moving v0 onto v1 and of
// moving v1 onto v0 (positionError both ways, in one call).
func edgeErrors(v0, v1 *vertex) (e01, e10 float32) {
	u := sub(v1.p, v0.p)
	q := &v0.q
	if q.w != 0 {
		rx := 2*(q.b0+q.a10*u.y) + q.a00*u.x
		ry := 2*(q.b1+q.a21*u.z) + q.a11*u.y
		rz := 2*(q.b2+q.a20*u.x) + q.a22*u.z
		e01 = abs32(q.c+rx*u.x+ry*u.y+rz*u.z) / q.w
	}
	u = vec3{-u.x, -u.y, -u.z}
	q = &v1.q
	if q.w != 0 {
		rx := 2*(q.b0+q.a10*u.y) + q.a00*u.x
		ry := 2*(q.b1+q.a21*u.z) + q.a11*u.y
		rz := 2*(q.b2+q.a20*u.x) + q.a22*u.z
		e10 = abs32(q.c+rx*u.x+ry*u.y+rz*u.z) / q.w
	}
	return e01, e10
}

// addMoved adds r, expressed relative to a vertex at offset -d from q's
// vertex (d = q's vertex − r's vertex), to q.
func (q *quadric) addMoved(r *quadric, d vec3) {
	// r(u + d) = uᵀAu + 2(b + Ad)·u + r(d)
	c := r.eval(d)
	q.b0 += r.b0 + r.a00*d.x + r.a10*d.y + r.a20*d.z
	q.b1 += r.b1 + r.a10*d.x + r.a11*d.y + r.a21*d.z
	q.b2 += r.b2 + r.a20*d.x + r.a21*d.y + r.a22*d.z
	q.c += c
	q.a00 += r.a00
	q.a11 += r.a11
	q.a22 += r.a22
	q.a10 += r.a10
	q.a20 += r.a20
	q.a21 += r.a21
	q.w += r.w
}

// planeQuadric is the quadric of a plane with unit normal n through the
// quadric's vertex, weighted by w.
func planeQuadric(n vec3, w float32) quadric {
	ax, ay, az := n.x*w, n.y*w, n.z*w
	return quadric{
		a00: n.x * ax, a11: n.y * ay, a22: n.z * az,
		a10: n.x * ay, a20: n.x * az, a21: n.y * az,
		w: w,
	}
}

// triangleQuadric is the plane of triangle p0 p1 p2, seen from any of its
// corners.
func triangleQuadric(p0, p1, p2 vec3, weight float32) quadric {
	return normalQuadric(cross(sub(p1, p0), sub(p2, p0)), weight)
}

// normalQuadric is triangleQuadric for the triangle's (unnormalized)
// normal n.
func normalQuadric(n vec3, weight float32) quadric {
	area := normalize(&n)
	// Weighting by √area rather than area makes the error grow linearly with
	// triangle size, which keeps large flat triangles from drowning the small
	// ones that carry silhouettes.
	return planeQuadric(n, sqrt32(area)*weight)
}

// edgeQuadric is the plane through edge p0→p1 perpendicular to the triangle
// p0 p1 p2, seen from either end of the edge; it pins border and seam
// vertices to their edge line.
func edgeQuadric(p0, p1, p2 vec3, weight float32) quadric {
	p10 := sub(p1, p0)
	lsq := dot(p10, p10)
	p20 := sub(p2, p0)
	proj := dot(p20, p10)
	// perpendicular from the edge towards p2, scaled by lsq to avoid a division
	perp := vec3{p20.x*lsq - p10.x*proj, p20.y*lsq - p10.y*proj, p20.z*lsq - p10.z*proj}
	normalize(&perp)
	// length matches the √area scale of the face quadrics
	return planeQuadric(perp, sqrt32(lsq)*weight)
}

// attributeGradients computes, for triangle p0 p1 p2, the gradient of each
// linearly interpolated attribute (gx, gy, gz per attribute, written to g)
// and returns the triangle's area, the weight of its attribute quadric.
func attributeGradients(p0, p1, p2 vec3, a0, a1, a2 []float32, g []float32) float32 {
	p10, p20 := sub(p1, p0), sub(p2, p0)
	n := cross(p10, p20)
	// Area (a squared length) puts attribute error in the same units as the
	// normalised squared-distance position error.
	w := sqrt32(dot(n, n)) * 0.5

	// Barycentric gradients: with e0 = p1−p0, e1 = p2−p0 and dij = ei·ej,
	// ∇u1 = (d11 e0 − d01 e1)/den and ∇u2 = (d00 e1 − d01 e0)/den.
	d00, d01, d11 := dot(p10, p10), dot(p10, p20), dot(p20, p20)
	den := d00*d11 - d01*d01
	var inv float32
	if den != 0 {
		inv = 1 / den
	}
	gx1, gx2 := (d11*p10.x-d01*p20.x)*inv, (d00*p20.x-d01*p10.x)*inv
	gy1, gy2 := (d11*p10.y-d01*p20.y)*inv, (d00*p20.y-d01*p10.y)*inv
	gz1, gz2 := (d11*p10.z-d01*p20.z)*inv, (d00*p20.z-d01*p10.z)*inv
	for k := range a0 {
		da1, da2 := a1[k]-a0[k], a2[k]-a0[k]
		gk := g[3*k : 3*k+3 : 3*k+3]
		gk[0] = gx1*da1 + gx2*da2
		gk[1] = gy1*da1 + gy2*da2
		gk[2] = gz1*da1 + gz2*da2
	}
	return w
}

// attributeQuadrics encodes, for each corner c of a triangle with attribute
// gradients g, area w and corner attributes a0, a1, a2, the quadric
// Σ_k (g_k·u + a_ck − α_k)² · w: how far attributes α at offset u from the
// corner are from the triangle's interpolation. The attribute-independent
// parts go into the three quadrics (which share their matrix, as the
// gradients are the triangle's); grad receives w·(gx, gy, gz) per attribute
// (for every corner alike) and gw the three corners' w·a_ck, so that the
// part depending on α can be added when evaluating (attributeError).
func attributeQuadrics(g, a0, a1, a2 []float32, w float32, grad, gw []float32) (q0, q1, q2 quadric) {
	var m quadric
	m.w = w
	k := len(a0)
	g, a1, a2, grad, gw = g[:3*k], a1[:k], a2[:k], grad[:3*k], gw[:3*k]
	for j, b0 := range a0 {
		gx, gy, gz := g[3*j], g[3*j+1], g[3*j+2]
		wx, wy, wz := w*gx, w*gy, w*gz
		m.a00 += wx * gx
		m.a11 += wy * gy
		m.a22 += wz * gz
		m.a10 += wx * gy
		m.a20 += wx * gz
		m.a21 += wy * gz
		grad[3*j], grad[3*j+1], grad[3*j+2] = wx, wy, wz
		b1, b2 := a1[j], a2[j]
		q0.b0, q0.b1, q0.b2, q0.c = q0.b0+wx*b0, q0.b1+wy*b0, q0.b2+wz*b0, q0.c+w*b0*b0
		q1.b0, q1.b1, q1.b2, q1.c = q1.b0+wx*b1, q1.b1+wy*b1, q1.b2+wz*b1, q1.c+w*b1*b1
		q2.b0, q2.b1, q2.b2, q2.c = q2.b0+wx*b2, q2.b1+wy*b2, q2.b2+wz*b2, q2.c+w*b2*b2
		gw[j], gw[k+j], gw[2*k+j] = w*b0, w*b1, w*b2
	}
	for _, q := range []*quadric{&q0, &q1, &q2} {
		q.a00, q.a11, q.a22, q.a10, q.a20, q.a21, q.w = m.a00, m.a11, m.a22, m.a10, m.a20, m.a21, w
	}
	return q0, q1, q2
}

// moveGradients re-expresses attribute gradient terms relative to a vertex
// at offset -d (see quadric.addMoved) and adds them to dst.
func moveGradients(dst, src []float32, d vec3) {
	for k := 0; k+3 < len(src); k += 4 {
		g := src[k : k+4 : k+4]
		o := dst[k : k+4 : k+4]
		o[0] += g[0]
		o[1] += g[1]
		o[2] += g[2]
		o[3] += g[3] + g[0]*d.x + g[1]*d.y + g[2]*d.z
	}
}

// attributeError evaluates an attribute quadric at offset u with attribute
// values a. Unlike positionError it is not divided by the weight: the error
// of a vertex should grow with the area over which its attributes are
// smeared.
func attributeError(q *quadric, grad []float32, u vec3, a []float32) float32 {
	r := q.eval(u)
	grad = grad[:4*len(a)]
	for k, ak := range a {
		gv := u.x*grad[4*k] + u.y*grad[4*k+1] + u.z*grad[4*k+2] + grad[4*k+3]
		r += ak * (ak*q.w - 2*gv)
	}
	return abs32(r)
}
