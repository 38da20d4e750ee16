package lod

import (
	"math"

	"github.com/qmuntal/gltf"
)

// Scene math for the model-level numbers in the manifest: a mesh's error
// is in its own units, and a node may scale it.

// mat4 is a column-major 4×4 matrix, as glTF stores them.
type mat4 [16]float64

var identity4 = mat4{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}

func (a mat4) mul(b mat4) mat4 {
	var out mat4
	for c := range 4 {
		for r := range 4 {
			var s float64
			for k := range 4 {
				s += a[k*4+r] * b[c*4+k]
			}
			out[c*4+r] = s
		}
	}
	return out
}

func localMatrix(n *gltf.Node) mat4 {
	if n.Matrix != gltf.DefaultMatrix && n.Matrix != ([16]float64{}) {
		return mat4(n.Matrix)
	}
	t, r, s := n.Translation, n.Rotation, n.Scale
	if r == ([4]float64{}) {
		r = gltf.DefaultRotation
	}
	if s == ([3]float64{}) {
		s = gltf.DefaultScale
	}
	x, y, z, w := r[0], r[1], r[2], r[3]
	return mat4{
		(1 - 2*(y*y+z*z)) * s[0], (2 * (x*y + z*w)) * s[0], (2 * (x*z - y*w)) * s[0], 0,
		(2 * (x*y - z*w)) * s[1], (1 - 2*(x*x+z*z)) * s[1], (2 * (y*z + x*w)) * s[1], 0,
		(2 * (x*z + y*w)) * s[2], (2 * (y*z - x*w)) * s[2], (1 - 2*(x*x+y*y)) * s[2], 0,
		t[0], t[1], t[2], 1,
	}
}

// worldMatrices returns every node's world matrix; parse has checked that
// the nodes form a forest.
func worldMatrices(nodes []*gltf.Node) []mat4 {
	parent := make([]int, len(nodes))
	for i := range parent {
		parent[i] = -1
	}
	for i, n := range nodes {
		for _, c := range n.Children {
			parent[c] = i
		}
	}
	world := make([]mat4, len(nodes))
	done := make([]bool, len(nodes))
	var visit func(i int) mat4
	visit = func(i int) mat4 {
		if done[i] {
			return world[i]
		}
		m := localMatrix(nodes[i])
		if parent[i] >= 0 {
			m = visit(parent[i]).mul(m)
		}
		world[i], done[i] = m, true
		return m
	}
	for i := range nodes {
		visit(i)
	}
	return world
}

// maxScale is the largest factor by which m stretches a length.
func (a mat4) maxScale() float64 {
	s := 0.0
	for c := range 3 {
		s = max(s, math.Sqrt(a[c*4]*a[c*4]+a[c*4+1]*a[c*4+1]+a[c*4+2]*a[c*4+2]))
	}
	return s
}

// box is an axis-aligned bounding box; empty until the first add.
type box struct {
	lo, hi [3]float64
	ok     bool
}

func (b *box) add(p [3]float64) {
	if !b.ok {
		b.lo, b.hi, b.ok = p, p, true
		return
	}
	for k := range 3 {
		b.lo[k] = min(b.lo[k], p[k])
		b.hi[k] = max(b.hi[k], p[k])
	}
}

// addTransformed adds the eight corners of [lo, hi] transformed by m.
func (b *box) addTransformed(m mat4, lo, hi [3]float32) {
	for c := range 8 {
		p := [3]float64{float64(lo[0]), float64(lo[1]), float64(lo[2])}
		for k := range 3 {
			if c&(1<<k) != 0 {
				p[k] = float64(hi[k])
			}
		}
		var q [3]float64
		for r := range 3 {
			q[r] = m[r]*p[0] + m[4+r]*p[1] + m[8+r]*p[2] + m[12+r]
		}
		b.add(q)
	}
}

// extent is the largest side, 0 for an empty box.
func (b *box) extent() float64 {
	if !b.ok {
		return 0
	}
	return max(b.hi[0]-b.lo[0], b.hi[1]-b.lo[1], b.hi[2]-b.lo[2])
}
