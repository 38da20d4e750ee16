package simplify

import (
	"math"
	"runtime"
	"sort"
	"sync"
)

// Hausdorff estimates the symmetric Hausdorff distance between the surfaces
// of a and b, divided by the diagonal of a's bounding box (over the vertices
// a's triangles use). Each surface is sampled at all of its vertices plus
// `samples` points spread uniformly by area (a deterministic function of
// seed), and each sample is measured against the exact nearest point on the
// other surface, found through a uniform grid. The result is the larger of
// the two one-sided maxima; 0 for two empty meshes and +Inf when only one is
// empty. It is meant for comparing simplifiers, so a and b must be valid
// meshes (see Mesh.Validate); attributes are ignored.
func Hausdorff(a, b Mesh, samples int, seed uint64) float64 {
	if len(a.Indices) == 0 || len(b.Indices) == 0 {
		if len(a.Indices) == len(b.Indices) {
			return 0
		}
		return math.Inf(1)
	}
	lo, hi := bounds(a)
	diag := math.Sqrt(sq(hi[0]-lo[0]) + sq(hi[1]-lo[1]) + sq(hi[2]-lo[2]))
	d := max(oneSided(a, b, samples, seed), oneSided(b, a, samples, seed^0x9e3779b97f4a7c15))
	if diag == 0 {
		return d
	}
	return d / diag
}

func sq(x float64) float64 { return x * x }

type dvec [3]float64

func (m Mesh) point(v uint32) dvec {
	p := m.Positions[3*v : 3*v+3]
	return dvec{float64(p[0]), float64(p[1]), float64(p[2])}
}

func bounds(m Mesh) (lo, hi dvec) {
	lo = dvec{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi = dvec{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, v := range m.Indices {
		p := m.point(v)
		for j := range p {
			lo[j] = math.Min(lo[j], p[j])
			hi[j] = math.Max(hi[j], p[j])
		}
	}
	return lo, hi
}

// splitmix64 is a tiny deterministic generator for sample positions.
type splitmix64 uint64

func (s *splitmix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (s *splitmix64) float() float64 { return float64(s.next()>>11) / (1 << 53) }

// surfaceSamples returns the referenced vertices of m followed by count
// points drawn uniformly by area.
func surfaceSamples(m Mesh, count int, seed uint64) []dvec {
	seen := make([]bool, m.VertexCount())
	var pts []dvec
	for _, v := range m.Indices {
		if !seen[v] {
			seen[v] = true
			pts = append(pts, m.point(v))
		}
	}
	tris := len(m.Indices) / 3
	cum := make([]float64, tris)
	total := 0.0
	for t := 0; t < tris; t++ {
		p0, p1, p2 := m.point(m.Indices[3*t]), m.point(m.Indices[3*t+1]), m.point(m.Indices[3*t+2])
		total += triangleArea(p0, p1, p2)
		cum[t] = total
	}
	if total == 0 {
		return pts
	}
	rng := splitmix64(seed)
	for i := 0; i < count; i++ {
		u := rng.float() * total
		t := sort.SearchFloat64s(cum, u)
		t = min(t, tris-1)
		p0, p1, p2 := m.point(m.Indices[3*t]), m.point(m.Indices[3*t+1]), m.point(m.Indices[3*t+2])
		r1, r2 := math.Sqrt(rng.float()), rng.float()
		w0, w1, w2 := 1-r1, r1*(1-r2), r1*r2
		pts = append(pts, dvec{
			w0*p0[0] + w1*p1[0] + w2*p2[0],
			w0*p0[1] + w1*p1[1] + w2*p2[1],
			w0*p0[2] + w1*p1[2] + w2*p2[2],
		})
	}
	return pts
}

func triangleArea(p0, p1, p2 dvec) float64 {
	e1 := dvec{p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]}
	e2 := dvec{p2[0] - p0[0], p2[1] - p0[1], p2[2] - p0[2]}
	c := dvec{e1[1]*e2[2] - e1[2]*e2[1], e1[2]*e2[0] - e1[0]*e2[2], e1[0]*e2[1] - e1[1]*e2[0]}
	return 0.5 * math.Sqrt(c[0]*c[0]+c[1]*c[1]+c[2]*c[2])
}

// oneSided returns the largest distance from a sample of a to surface b.
func oneSided(a, b Mesh, samples int, seed uint64) float64 {
	pts := surfaceSamples(a, samples, seed)
	g := newTriangleGrid(b)
	workers := min(runtime.GOMAXPROCS(0), max(1, len(pts)/4096))
	results := make([]float64, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stamp := make([]uint32, len(g.tris))
			var gen uint32
			worst := 0.0
			for i := w; i < len(pts); i += workers {
				gen++
				// A point only matters if it can beat the worst so far, so
				// the search stops as soon as it finds anything closer. The
				// maximum is still exact.
				worst = math.Max(worst, g.distance(pts[i], worst, stamp, gen))
			}
			results[w] = worst
		}()
	}
	wg.Wait()
	worst := 0.0
	for _, r := range results {
		worst = math.Max(worst, r)
	}
	return worst
}

// triangleGrid buckets triangles by the cells their bounding boxes overlap.
type triangleGrid struct {
	tris  [][3]dvec
	lo    dvec
	cell  float64
	dims  [3]int
	start []uint32 // CSR over cells
	items []uint32
}

func newTriangleGrid(m Mesh) *triangleGrid {
	g := &triangleGrid{}
	nt := len(m.Indices) / 3
	g.tris = make([][3]dvec, nt)
	area := 0.0
	for t := range g.tris {
		g.tris[t] = [3]dvec{m.point(m.Indices[3*t]), m.point(m.Indices[3*t+1]), m.point(m.Indices[3*t+2])}
		area += triangleArea(g.tris[t][0], g.tris[t][1], g.tris[t][2])
	}
	lo, hi := bounds(m)
	g.lo = lo
	ext := dvec{hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]}
	// Cells about twice the typical triangle size hold a handful of
	// triangles each; the cap keeps degenerate extents from exploding.
	g.cell = 2 * math.Sqrt(area/float64(nt))
	maxExt := max(ext[0], ext[1], ext[2])
	if g.cell <= 0 || math.IsNaN(g.cell) {
		g.cell = maxExt / 64
	}
	if g.cell <= 0 {
		g.cell = 1
	}
	const maxCells = 1 << 22
	for {
		total := 1
		for j := range g.dims {
			g.dims[j] = int(ext[j]/g.cell) + 1
			total *= g.dims[j]
		}
		if total <= maxCells {
			break
		}
		g.cell *= 1.25
	}
	counts := make([]uint32, g.dims[0]*g.dims[1]*g.dims[2]+1)
	g.forCells(func(t, c int) { counts[c+1]++ })
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	g.start = counts
	g.items = make([]uint32, counts[len(counts)-1])
	fill := make([]uint32, len(counts)-1)
	copy(fill, counts[:len(counts)-1])
	g.forCells(func(t, c int) {
		g.items[fill[c]] = uint32(t)
		fill[c]++
	})
	return g
}

func (g *triangleGrid) cellOf(x float64, axis int) int {
	c := int(math.Floor((x - g.lo[axis]) / g.cell))
	return min(max(c, 0), g.dims[axis]-1)
}

func (g *triangleGrid) forCells(f func(t, c int)) {
	for t, tri := range g.tris {
		var lo, hi [3]int
		for j := 0; j < 3; j++ {
			mn := math.Min(tri[0][j], math.Min(tri[1][j], tri[2][j]))
			mx := math.Max(tri[0][j], math.Max(tri[1][j], tri[2][j]))
			lo[j], hi[j] = g.cellOf(mn, j), g.cellOf(mx, j)
		}
		for z := lo[2]; z <= hi[2]; z++ {
			for y := lo[1]; y <= hi[1]; y++ {
				for x := lo[0]; x <= hi[0]; x++ {
					f(t, (z*g.dims[1]+y)*g.dims[0]+x)
				}
			}
		}
	}
}

// distance returns the distance from p to the nearest triangle, or any value
// <= good as soon as one is found that close.
func (g *triangleGrid) distance(p dvec, good float64, stamp []uint32, gen uint32) float64 {
	c := [3]int{g.cellOf(p[0], 0), g.cellOf(p[1], 1), g.cellOf(p[2], 2)}
	best := math.Inf(1)
	maxRing := max(g.dims[0], g.dims[1], g.dims[2])
	for k := 0; k <= maxRing; k++ {
		for z := c[2] - k; z <= c[2]+k; z++ {
			if z < 0 || z >= g.dims[2] {
				continue
			}
			for y := c[1] - k; y <= c[1]+k; y++ {
				if y < 0 || y >= g.dims[1] {
					continue
				}
				onShell := z == c[2]-k || z == c[2]+k || y == c[1]-k || y == c[1]+k
				step := 1
				if !onShell && k > 0 {
					step = 2 * k // only the two x faces of the shell
				}
				for x := c[0] - k; x <= c[0]+k; x += step {
					if x < 0 || x >= g.dims[0] {
						continue
					}
					ci := (z*g.dims[1]+y)*g.dims[0] + x
					for _, t := range g.items[g.start[ci]:g.start[ci+1]] {
						if stamp[t] == gen {
							continue
						}
						stamp[t] = gen
						tri := &g.tris[t]
						if d := pointTriangleDistance(p, tri[0], tri[1], tri[2]); d < best {
							if d <= good {
								return d
							}
							best = d
						}
					}
				}
			}
		}
		// Every cell outside ring k is at least k cells away from p.
		if best <= float64(k)*g.cell {
			return best
		}
	}
	return best
}

func dsub(a, b dvec) dvec             { return dvec{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func ddot(a, b dvec) float64          { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func dlerp(a, d dvec, t float64) dvec { return dvec{a[0] + d[0]*t, a[1] + d[1]*t, a[2] + d[2]*t} }

// pointTriangleDistance is the exact distance from p to triangle abc
// (closest-point regions as in Ericson, Real-Time Collision Detection 5.1.5).
func pointTriangleDistance(p, a, b, c dvec) float64 {
	ab, ac, ap := dsub(b, a), dsub(c, a), dsub(p, a)
	d1, d2 := ddot(ab, ap), ddot(ac, ap)
	if d1 <= 0 && d2 <= 0 {
		return ddist(p, a)
	}
	bp := dsub(p, b)
	d3, d4 := ddot(ab, bp), ddot(ac, bp)
	if d3 >= 0 && d4 <= d3 {
		return ddist(p, b)
	}
	vc := d1*d4 - d3*d2
	if vc <= 0 && d1 >= 0 && d3 <= 0 {
		return ddist(p, dlerp(a, ab, d1/(d1-d3)))
	}
	cp := dsub(p, c)
	d5, d6 := ddot(ab, cp), ddot(ac, cp)
	if d6 >= 0 && d5 <= d6 {
		return ddist(p, c)
	}
	vb := d5*d2 - d1*d6
	if vb <= 0 && d2 >= 0 && d6 <= 0 {
		return ddist(p, dlerp(a, ac, d2/(d2-d6)))
	}
	va := d3*d6 - d5*d4
	if va <= 0 && d4-d3 >= 0 && d5-d6 >= 0 {
		return ddist(p, dlerp(b, dsub(c, b), (d4-d3)/((d4-d3)+(d5-d6))))
	}
	den := va + vb + vc
	if den == 0 {
		// Degenerate triangle: fall back to its edges.
		return math.Min(segmentDistance(p, a, b), math.Min(segmentDistance(p, b, c), segmentDistance(p, a, c)))
	}
	v, w := vb/den, vc/den
	q := dvec{a[0] + ab[0]*v + ac[0]*w, a[1] + ab[1]*v + ac[1]*w, a[2] + ab[2]*v + ac[2]*w}
	return ddist(p, q)
}

func segmentDistance(p, a, b dvec) float64 {
	ab := dsub(b, a)
	l := ddot(ab, ab)
	if l == 0 {
		return ddist(p, a)
	}
	t := min(max(ddot(dsub(p, a), ab)/l, 0), 1)
	return ddist(p, dlerp(a, ab, t))
}

func ddist(a, b dvec) float64 {
	d := dsub(a, b)
	return math.Sqrt(ddot(d, d))
}
