package meshgen

import (
	"math"
	"math/rand/v2"
)

// noise is Ken Perlin's improved gradient noise with a permutation table
// shuffled from a seed. math/rand/v2's PCG is specified bit-for-bit, so a
// seed gives the same surface on every Go version and platform.
type noise struct {
	perm [512]uint8
}

func newNoise(seed int64) *noise {
	n := &noise{}
	var p [256]uint8
	for i := range p {
		p[i] = uint8(i)
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed_57a7a))
	for i := 255; i > 0; i-- {
		j := r.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	for i := range n.perm {
		n.perm[i] = p[i&255]
	}
	return n
}

func fade(t float64) float64 { return t * t * t * (t*(t*6-15) + 10) }

func grad(hash uint8, x, y, z float64) float64 {
	switch hash & 15 {
	case 0, 12:
		return x + y
	case 1, 14:
		return -x + y
	case 2:
		return x - y
	case 3:
		return -x - y
	case 4:
		return x + z
	case 5:
		return -x + z
	case 6:
		return x - z
	case 7:
		return -x - z
	case 8:
		return y + z
	case 9, 13:
		return -y + z
	case 10:
		return y - z
	default: // 11, 15
		return -y - z
	}
}

// at returns noise in roughly [-1, 1], smooth and zero at integer lattice points.
func (n *noise) at(x, y, z float64) float64 {
	fx, fy, fz := math.Floor(x), math.Floor(y), math.Floor(z)
	xi, yi, zi := int(fx)&255, int(fy)&255, int(fz)&255
	x, y, z = x-fx, y-fy, z-fz
	u, v, w := fade(x), fade(y), fade(z)
	p := &n.perm
	a := int(p[xi]) + yi
	aa, ab := int(p[a])+zi, int(p[a+1])+zi
	b := int(p[xi+1]) + yi
	ba, bb := int(p[b])+zi, int(p[b+1])+zi
	return lerp(w,
		lerp(v, lerp(u, grad(p[aa], x, y, z), grad(p[ba], x-1, y, z)),
			lerp(u, grad(p[ab], x, y-1, z), grad(p[bb], x-1, y-1, z))),
		lerp(v, lerp(u, grad(p[aa+1], x, y, z-1), grad(p[ba+1], x-1, y, z-1)),
			lerp(u, grad(p[ab+1], x, y-1, z-1), grad(p[bb+1], x-1, y-1, z-1))))
}

// fbm sums octaves of noise, each at twice the frequency and half the
// amplitude of the last; the result stays roughly within [-1, 1].
func (n *noise) fbm(p vec3, octaves int) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	for range octaves {
		sum += amp * n.at(p[0], p[1], p[2])
		norm += amp
		amp *= 0.5
		// A fixed odd offset per octave keeps lattice zeros from lining up.
		p = p.scale(2).add(vec3{17.13, 31.71, 5.37})
	}
	return sum / norm * 1.6
}

func lerp(t, a, b float64) float64 { return a + t*(b-a) }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

func smoothstep(e0, e1, x float64) float64 {
	t := clamp((x-e0)/(e1-e0), 0, 1)
	return t * t * (3 - 2*t)
}
