package meshgen

import "math"

// Sphere returns a unit UV sphere centred on the origin: segments around,
// rings from pole to pole. It has the two features a simplifier must respect:
// a UV seam (the column at u=0 is duplicated at u=1 with bit-equal positions)
// and poles (one vertex per segment at each pole, all at the same position).
// Triangle count: segments·(2·rings−2).
func Sphere(segments, rings int) Mesh {
	segments, rings = max(segments, 3), max(rings, 2)
	var b builder
	b.lathe([][]vec2{arcProfile(vec2{0, 0}, 1, -math.Pi/2, math.Pi/2, rings, true)}, segments)
	return b.mesh()
}

// Terrain returns an n×n-cell heightfield (2·n² triangles, (n+1)² vertices)
// over a 1 m square centred on the origin, with fractal-noise hills and
// ridges up to about ±0.15 m. The borders are open, which a simplifier must
// keep in place.
func Terrain(n int, seed int64) Mesh {
	n = max(n, 1)
	nz := newNoise(seed)
	var b builder
	b.group(func() {
		// u runs along +z and v along +x so that du×dv is +y (up).
		b.grid(n, n, false, false, func(i, j int) (vec3, vec2) {
			x := float64(j)/float64(n) - 0.5
			z := float64(i)/float64(n) - 0.5
			hills := nz.fbm(vec3{x * 3, 0.37, z * 3}, 6)
			ridge := 1 - math.Abs(nz.fbm(vec3{x*5 + 11, 1.91, z*5 - 7}, 4))
			h := 0.1*hills + 0.05*ridge*ridge - 0.025
			return vec3{x, h, z}, vec2{float64(j) / float64(n), float64(i) / float64(n)}
		})
	})
	return b.mesh()
}

// TorusKnot returns a closed (p, q) torus knot tube about 3 m across:
// tubular segments along the curve, radial around the tube, 2·tubular·radial
// triangles. Both directions wrap, so it has two UV seams and no border.
// p and q should be coprime for the tube not to overlap itself.
func TorusKnot(p, q, tubular, radial int) Mesh {
	p, q = max(p, 1), max(q, 1)
	tubular, radial = max(tubular, 3), max(radial, 3)
	const radius, tube = 1.0, 0.25
	curve := func(u float64) vec3 {
		cu, su := math.Cos(u), math.Sin(u)
		quOverP := float64(q) / float64(p) * u
		cs := math.Cos(quOverP)
		return vec3{radius * (2 + cs) * 0.5 * cu, radius * (2 + cs) * 0.5 * su, radius * math.Sin(quOverP) * 0.5}
	}
	// One frame per tubular step, from the curve's analytic neighbourhood so
	// the frame is periodic and the tube closes without a twist.
	frames := make([]frame, tubular)
	for j := range frames {
		u := float64(j) / float64(tubular) * float64(p) * 2 * math.Pi
		p1, p2 := curve(u), curve(u+0.01)
		t := p2.sub(p1).normalize(vec3{1, 0, 0})
		bn := t.cross(p2.add(p1)).normalize(vec3{0, 0, 1})
		n := bn.cross(t)
		frames[j] = frame{x: n, y: bn, z: t, origin: p1}
	}
	var b builder
	b.group(func() {
		b.grid(radial, tubular, true, true, func(i, j int) (vec3, vec2) {
			f := frames[j%tubular]
			c, s := circle(i, radial)
			pos := f.origin.add(f.x.scale(tube * c)).add(f.y.scale(tube * s))
			return pos, vec2{float64(i) / float64(radial), float64(j) / float64(tubular) * float64(p) * 4}
		})
	})
	return b.mesh()
}

// Displaced returns a lumpy closed blob, like a raw 3D scan, with about the
// requested number of triangles (exactly 20·f² for the nearest geodesic
// frequency f). It is a subdivided icosahedron pushed out radially by
// fractal noise: every vertex is shared, so there are no seams, and it has
// normals but no UVs.
func Displaced(triangles int, seed int64) Mesh {
	f := 1
	if triangles > 20 {
		f = int(math.Round(math.Sqrt(float64(triangles) / 20)))
	}
	nz := newNoise(seed)
	corners, faces := icosahedron()

	var b builder
	b.noUVs = true
	at := func(p vec3) uint32 {
		d := p.normalize(vec3{0, 1, 0})
		r := 1 + 0.22*nz.fbm(d.scale(1.3), 4) + 0.035*nz.fbm(d.scale(6).add(vec3{3.3, 0, 0}), 3)
		return b.vertex(d.scale(r), vec2{})
	}
	cornerIdx := make([]uint32, len(corners))
	for i, c := range corners {
		cornerIdx[i] = at(c)
	}
	// Interior points of each edge, generated once from the lower-numbered
	// corner so both faces sharing the edge use the same vertices.
	type edge struct{ a, b int }
	edges := make(map[edge][]uint32, 30)
	edgePoint := func(a, c, k int) uint32 {
		switch k {
		case 0:
			return cornerIdx[a]
		case f:
			return cornerIdx[c]
		}
		if a > c {
			a, c, k = c, a, f-k
		}
		pts, ok := edges[edge{a, c}]
		if !ok {
			pts = make([]uint32, f-1)
			for m := 1; m < f; m++ {
				pts[m-1] = at(corners[a].lerp(corners[c], float64(m)/float64(f)))
			}
			edges[edge{a, c}] = pts
		}
		return pts[k-1]
	}

	for _, fc := range faces {
		A, B, C := fc[0], fc[1], fc[2]
		// idx[j][i] for lattice point A + i/f·(B−A) + j/f·(C−A), i+j ≤ f.
		idx := make([][]uint32, f+1)
		for j := 0; j <= f; j++ {
			idx[j] = make([]uint32, f+1-j)
			for i := 0; i+j <= f; i++ {
				switch {
				case j == 0:
					idx[j][i] = edgePoint(A, B, i)
				case i == 0:
					idx[j][i] = edgePoint(A, C, j)
				case i+j == f:
					idx[j][i] = edgePoint(B, C, j)
				default:
					p := corners[A].add(corners[B].sub(corners[A]).scale(float64(i) / float64(f))).
						add(corners[C].sub(corners[A]).scale(float64(j) / float64(f)))
					idx[j][i] = at(p)
				}
			}
		}
		for j := 0; j < f; j++ {
			for i := 0; i+j < f; i++ {
				b.tri(idx[j][i], idx[j][i+1], idx[j+1][i])
				if i+j < f-1 {
					b.tri(idx[j][i+1], idx[j+1][i+1], idx[j+1][i])
				}
			}
		}
	}
	// One smoothing group over everything, corners included.
	b.smooth(0, 0)
	return b.mesh()
}

// icosahedron returns the 12 corners of a unit icosahedron and its 20 faces,
// each counter-clockwise seen from outside.
func icosahedron() ([]vec3, [][3]int) {
	t := (1 + math.Sqrt(5)) / 2
	raw := []vec3{
		{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
		{0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
		{t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1},
	}
	corners := make([]vec3, len(raw))
	for i, c := range raw {
		corners[i] = c.normalize(vec3{})
	}
	faces := [][3]int{
		{0, 11, 5}, {0, 5, 1}, {0, 1, 7}, {0, 7, 10}, {0, 10, 11},
		{1, 5, 9}, {5, 11, 4}, {11, 10, 2}, {10, 7, 6}, {7, 1, 8},
		{3, 9, 4}, {3, 4, 2}, {3, 2, 6}, {3, 6, 8}, {3, 8, 9},
		{4, 9, 5}, {2, 4, 11}, {6, 2, 10}, {8, 6, 7}, {9, 8, 1},
	}
	// Orient every face outwards rather than trusting the table's winding.
	for i, fc := range faces {
		a, b, c := corners[fc[0]], corners[fc[1]], corners[fc[2]]
		if b.sub(a).cross(c.sub(a)).dot(a.add(b).add(c)) < 0 {
			faces[i] = [3]int{fc[0], fc[2], fc[1]}
		}
	}
	return corners, faces
}
