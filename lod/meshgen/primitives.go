package meshgen

import "math"

// lathe revolves a profile about +Y (a surface of revolution). The profile is
// a list of sections of (radius, height) points; a section is smooth inside,
// and consecutive sections meet at a crease (separate vertices, hard
// normals). Walk the profile counter-clockwise in the (radius, height)
// half-plane — up the outside, down the inside — and the surface faces
// outwards. Points on the axis must have radius exactly 0: they become poles.
// u runs once around, v is the arc length along the profile in metres.
func (b *builder) lathe(sections [][]vec2, segments int) {
	v0 := 0.0
	for _, sec := range sections {
		arc := arcLengths(sec, v0)
		b.group(func() {
			b.grid(segments, len(sec)-1, true, false, func(i, j int) (vec3, vec2) {
				p := sec[j]
				uv := vec2{float64(i) / float64(segments), arc[j]}
				if p[0] == 0 {
					return vec3{0, p[1], 0}, uv
				}
				c, s := circle(i, segments)
				return vec3{p[0] * c, p[1], -p[0] * s}, uv
			})
		})
		v0 = arc[len(arc)-1]
	}
}

// arcLengths returns start plus the cumulative polyline length at each point.
func arcLengths(pts []vec2, start float64) []float64 {
	out := make([]float64, len(pts))
	out[0] = start
	for i := 1; i < len(pts); i++ {
		out[i] = out[i-1] + math.Hypot(pts[i][0]-pts[i-1][0], pts[i][1]-pts[i-1][1])
	}
	return out
}

// roundedBox builds a closed box of the given full size centred on the
// origin, every edge and corner rounded with radius > 0 (clamped to each half
// size) using 2·roundSegs steps per quarter turn. Flat areas are split into
// cells of at most cell metres, so the box can be made dense enough to
// displace. disp, if not nil, pushes each point along the rounded surface's
// normal by the returned distance; it must be a pure function of its
// arguments so the faces' shared edges stay bit-identical.
func (b *builder) roundedBox(size vec3, radius float64, roundSegs int, cell float64, disp func(p, n vec3) float64) {
	var h, r vec3
	var coords [3][]float64
	for a := range 3 {
		h[a] = size[a] / 2
		r[a] = math.Min(radius, h[a])
		coords[a] = boxCoords(h[a], r[a], roundSegs, cell)
	}
	// Each face as (normal axis, sign, u axis, v axis) with u×v = sign·normal.
	faces := [6][4]int{{0, 1, 1, 2}, {0, -1, 2, 1}, {1, 1, 2, 0}, {1, -1, 0, 2}, {2, 1, 0, 1}, {2, -1, 1, 0}}
	b.group(func() {
		for _, f := range faces {
			a, sign, ua, va := f[0], float64(f[1]), f[2], f[3]
			cu, cv := coords[ua], coords[va]
			b.grid(len(cu)-1, len(cv)-1, false, false, func(i, j int) (vec3, vec2) {
				var q vec3
				q[a], q[ua], q[va] = sign*h[a], cu[i], cv[j]
				var c vec3
				for k := range 3 {
					c[k] = clamp(q[k], -(h[k] - r[k]), h[k]-r[k])
				}
				d := q.sub(c)
				// The rounding radius can differ per axis when the box is
				// thinner than 2·radius; scale so the flat face stays at ±h.
				n := vec3{d[0] / r[0], d[1] / r[1], d[2] / r[2]}.normalize(vec3{0, 1, 0})
				p := c.add(vec3{n[0] * r[0], n[1] * r[1], n[2] * r[2]})
				if disp != nil {
					p = p.add(n.scale(disp(p, n)))
				}
				return p, vec2{cu[i] + h[ua], cv[j] + h[va]}
			})
		}
	})
}

// boxCoords returns the lattice coordinates along one axis of a rounded box:
// tan-spaced in the rounded zones (each face covers 45° of a rounded edge, in
// roundSegs equal-angle steps) and evenly spaced across the flat middle. The
// ends are exactly ±h and the list is antisymmetric, which keeps the six
// faces' shared edges bit-identical.
func boxCoords(h, r float64, roundSegs int, cell float64) []float64 {
	flat := h - r
	out := []float64{-h}
	for k := roundSegs - 1; k >= 1; k-- {
		out = append(out, -(flat + r*math.Tan(math.Pi/4*float64(k)/float64(roundSegs))))
	}
	if flat > 1e-9 {
		m := max(1, int(math.Ceil(2*flat/cell-1e-9)))
		for i := 0; i <= m; i++ {
			out = append(out, -flat+2*flat*float64(i)/float64(m))
		}
	} else {
		out = append(out, 0)
	}
	for k := 1; k <= roundSegs-1; k++ {
		out = append(out, 0) // mirrored below
	}
	out = append(out, h)
	n := len(out)
	for i := range n / 2 {
		out[n-1-i] = -out[i]
	}
	if n%2 == 1 {
		out[n/2] = 0
	}
	return out
}

// sweep moves a closed 2D section along path and closes the ends with flat
// caps. The section is given counter-clockwise without repeating its first
// point and must be star-shaped around its origin (the caps are fans from
// it); its x axis follows up (projected off the path's tangent) and its y
// axis is tangent×x, carried along the path with rotation-minimising frames
// so the tube does not twist. scale(k) sizes the section at path point k.
// u runs around the section, v along the path, both in metres.
func (b *builder) sweep(path []vec3, section []vec2, up vec3, scale func(k int) float64, caps bool) {
	frames := rmFrames(path, up)
	ns := len(section)
	secLen := arcLengths(append(append([]vec2(nil), section...), section[0]), 0)
	pathLen := make([]float64, len(path))
	for k := 1; k < len(path); k++ {
		pathLen[k] = pathLen[k-1] + path[k].sub(path[k-1]).length()
	}
	ring := func(i, k int) vec3 {
		s := section[i%ns]
		f := frames[k]
		sc := scale(k)
		return path[k].add(f.x.scale(s[0] * sc)).add(f.y.scale(s[1] * sc))
	}
	b.group(func() {
		b.grid(ns, len(path)-1, true, false, func(i, k int) (vec3, vec2) {
			return ring(i, k), vec2{secLen[i] * scale(k), pathLen[k]}
		})
	})
	if !caps {
		return
	}
	for _, end := range []int{0, len(path) - 1} {
		b.group(func() {
			sc := scale(end)
			center := b.vertex(path[end], vec2{0.5, 0.5})
			first := uint32(b.vertexCount())
			for i := range ns {
				s := section[i]
				b.vertex(ring(i, end), vec2{0.5 + s[0]*sc, 0.5 + s[1]*sc})
			}
			for i := range ns {
				a, c := first+uint32(i), first+uint32((i+1)%ns)
				if end == 0 {
					b.tri(center, c, a)
				} else {
					b.tri(center, a, c)
				}
			}
		})
	}
}

// rmFrames returns a rotation-minimising frame per path point (x: section
// x axis, y: section y axis, z: tangent), by the double-reflection method of
// Wang et al. 2008.
func rmFrames(path []vec3, up vec3) []frame {
	n := len(path)
	tangent := func(k int) vec3 {
		a, b := max(k-1, 0), min(k+1, n-1)
		return path[b].sub(path[a]).normalize(vec3{0, 0, 1})
	}
	out := make([]frame, n)
	t := tangent(0)
	x := up.sub(t.scale(up.dot(t))).normalize(perpendicular(t))
	out[0] = frame{x: x, y: t.cross(x), z: t, origin: path[0]}
	for k := 1; k < n; k++ {
		v1 := path[k].sub(path[k-1])
		c1 := v1.dot(v1)
		prev := out[k-1]
		xl, tl := prev.x, prev.z
		if c1 > 0 {
			xl = xl.sub(v1.scale(2 / c1 * v1.dot(xl)))
			tl = tl.sub(v1.scale(2 / c1 * v1.dot(tl)))
		}
		t := tangent(k)
		v2 := t.sub(tl)
		c2 := v2.dot(v2)
		x := xl
		if c2 > 0 {
			x = xl.sub(v2.scale(2 / c2 * v2.dot(xl)))
		}
		x = x.sub(t.scale(x.dot(t))).normalize(perpendicular(t))
		out[k] = frame{x: x, y: t.cross(x), z: t, origin: path[k]}
	}
	return out
}

// perpendicular returns some unit vector perpendicular to unit vector t.
func perpendicular(t vec3) vec3 {
	axis := vec3{1, 0, 0}
	if math.Abs(t[0]) > 0.9 {
		axis = vec3{0, 1, 0}
	}
	return t.cross(axis).normalize(vec3{0, 0, 1})
}

// circleSection returns n points of a unit circle, counter-clockwise.
func circleSection(n int) []vec2 {
	out := make([]vec2, n)
	for i := range out {
		c, s := circle(i, n)
		out[i] = vec2{c, s}
	}
	return out
}

// arcProfile samples a circular arc from angle a0 to a1 (radians, counter-
// clockwise from +x) in n steps. With poles, end points whose x is within
// rounding of 0 are snapped to exactly 0 so the lathe closes.
func arcProfile(center vec2, r, a0, a1 float64, n int, poles bool) []vec2 {
	out := make([]vec2, n+1)
	for i := range out {
		a := a0 + (a1-a0)*float64(i)/float64(n)
		s, c := math.Sincos(a)
		out[i] = vec2{center[0] + r*c, center[1] + r*s}
	}
	if poles {
		for _, i := range []int{0, n} {
			if math.Abs(out[i][0]-center[0]) < 1e-9*r && center[0] == 0 {
				out[i][0] = 0
			}
		}
	}
	return out
}

// cylinder adds a closed cylinder around +Y from y0 to y1 with creased rims.
func (b *builder) cylinder(r, y0, y1 float64, segments, rings, capRings int) {
	b.lathe([][]vec2{
		line(vec2{0, y0}, vec2{r, y0}, capRings),
		line(vec2{r, y0}, vec2{r, y1}, rings),
		line(vec2{r, y1}, vec2{0, y1}, capRings),
	}, segments)
}

// line samples a straight segment in n steps (n+1 points).
func line(a, b vec2, n int) []vec2 {
	out := make([]vec2, n+1)
	for i := range out {
		t := float64(i) / float64(n)
		out[i] = vec2{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
	}
	out[n] = b
	return out
}

// spline samples a uniform Catmull-Rom curve through the control points ctrl
// with n points in total, spaced evenly in parameter. End tangents are
// extrapolated from the first and last pair.
func spline(ctrl []vec2, n int) []vec2 {
	out := make([]vec2, n)
	segs := len(ctrl) - 1
	at := func(i int) vec2 {
		switch {
		case i < 0:
			return vec2{2*ctrl[0][0] - ctrl[1][0], 2*ctrl[0][1] - ctrl[1][1]}
		case i > segs:
			return vec2{2*ctrl[segs][0] - ctrl[segs-1][0], 2*ctrl[segs][1] - ctrl[segs-1][1]}
		}
		return ctrl[i]
	}
	for k := range out {
		t := float64(k) / float64(n-1) * float64(segs)
		s := min(int(t), segs-1)
		f := t - float64(s)
		p0, p1, p2, p3 := at(s-1), at(s), at(s+1), at(s+2)
		for c := range 2 {
			out[k][c] = 0.5 * (2*p1[c] + (-p0[c]+p2[c])*f + (2*p0[c]-5*p1[c]+4*p2[c]-p3[c])*f*f + (-p0[c]+3*p1[c]-3*p2[c]+p3[c])*f*f*f)
		}
	}
	out[0], out[n-1] = ctrl[0], ctrl[segs]
	return out
}

// resample returns n points evenly spaced by arc length along polyline pts,
// which keeps lathe rows (and their UVs) evenly spread.
func resample(pts []vec2, n int) []vec2 {
	arc := arcLengths(pts, 0)
	total := arc[len(arc)-1]
	out := make([]vec2, n)
	seg := 0
	for k := range out {
		d := total * float64(k) / float64(n-1)
		for seg < len(pts)-2 && arc[seg+1] < d {
			seg++
		}
		span := arc[seg+1] - arc[seg]
		t := 0.0
		if span > 0 {
			t = clamp((d-arc[seg])/span, 0, 1)
		}
		out[k] = vec2{pts[seg][0] + (pts[seg+1][0]-pts[seg][0])*t, pts[seg][1] + (pts[seg+1][1]-pts[seg][1])*t}
	}
	out[0], out[n-1] = pts[0], pts[len(pts)-1]
	return out
}
