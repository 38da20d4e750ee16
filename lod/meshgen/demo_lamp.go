package meshgen

import "math"

// floorLamp is a 1.6 m floor lamp: a marble base, a turned brass stem, a
// bulb in an iron socket and a lathe-turned linen drum shade held by a
// brass spider.
func floorLamp() modelPlan {
	base := part("base", Material{Name: "white marble", BaseColor: [4]float32{0.78, 0.77, 0.74, 1}, Roughness: 0.22},
		vec3{}, func(b *builder) {
			const r, edge = 0.155, 0.012
			nose := arcProfile(vec2{r, edge}, edge, -math.Pi/2, math.Pi/2, 16, false)
			nose[0] = vec2{r, 0} // meet the bottom disk exactly
			top := resample(spline([]vec2{{r, 2 * edge}, {0.10, 0.030}, {0.04, 0.034}, {0, 0.035}}, 60), 20)
			b.lathe([][]vec2{
				line(vec2{0, 0}, vec2{r, 0}, 4),
				append(nose[:len(nose)-1], top...),
			}, 128)
			nz := newNoise(21)
			// Faint grey veining through the stone.
			b.paint(0, func(p vec3) [4]float64 {
				v := math.Abs(math.Sin(p[0]*40 + p[2]*25 + 6*nz.fbm(p.scale(8), 4)))
				g := 1 - 0.35*math.Pow(1-v, 12)
				return [4]float64{g, g, g * 1.01, 1}
			})
		})

	stem := part("stem", matBrass, vec3{}, func(b *builder) {
		const r, y0, y1 = 0.011, 0.030, 1.405
		collar := resample(spline([]vec2{{0.02, y0}, {0.021, 0.042}, {0.015, 0.054}, {r, 0.066}}, 60), 16)
		fitting := resample(spline([]vec2{{r, 1.36}, {0.015, 1.368}, {0.0155, 1.385}, {0.0135, 1.398}, {0.012, y1}}, 60), 14)
		b.lathe([][]vec2{
			line(vec2{0, y0}, vec2{0.02, y0}, 2),
			collar,
			line(vec2{r, 0.066}, vec2{r, 1.36}, 60),
			fitting,
			line(vec2{0.012, y1}, vec2{0, y1}, 2),
		}, 40)
	})

	socket := part("socket", matBlackIron, vec3{}, func(b *builder) {
		b.cylinder(0.018, 1.405, 1.462, 48, 6, 3)
	})

	bulb := part("bulb", Material{Name: "frosted glass", BaseColor: [4]float32{1, 0.97, 0.9, 1}, Roughness: 0.3},
		vec3{}, func(b *builder) {
			b.lathe([][]vec2{resample(spline([]vec2{
				{0, 1.458}, {0.013, 1.462}, {0.015, 1.48}, {0.029, 1.515}, {0.031, 1.545}, {0.021, 1.572}, {0, 1.582},
			}, 120), 32)}, 64)
		})

	shade := part("shade", Material{Name: "natural linen", BaseColor: [4]float32{0.80, 0.72, 0.58, 1}, Roughness: 0.95},
		vec3{}, func(b *builder) {
			const t = 0.003 // fabric on a stiff backing
			outer := resample(spline([]vec2{{0.225, 1.30}, {0.205, 1.40}, {0.185, 1.49}, {0.165, 1.58}}, 80), 32)
			var inner []vec2
			for i := len(outer) - 1; i >= 0; i-- {
				inner = append(inner, vec2{outer[i][0] - t, outer[i][1]})
			}
			top, bottom := outer[len(outer)-1], outer[0]
			topHem := arcProfile(vec2{top[0] - t/2, top[1]}, t/2, 0, math.Pi, 6, false)
			bottomHem := arcProfile(vec2{bottom[0] - t/2, bottom[1]}, t/2, math.Pi, 2*math.Pi, 6, false)
			topHem[0], topHem[len(topHem)-1] = top, inner[0]
			bottomHem[0], bottomHem[len(bottomHem)-1] = inner[len(inner)-1], bottom
			b.lathe([][]vec2{outer, topHem, inner, bottomHem}, 192)
		})

	spider := part("spider", matBrass, vec3{}, func(b *builder) {
		const ringR, ringY, wire = 0.158, 1.575, 0.0022
		ring := arcProfile(vec2{ringR, ringY}, wire, -math.Pi, math.Pi, 16, false)
		ring[len(ring)-1] = ring[0]
		b.lathe([][]vec2{ring}, 96)
		for i := range 3 {
			a := 2*math.Pi*float64(i)/3 + math.Pi/6
			dir := vec3{math.Cos(a), 0, math.Sin(a)}
			from := dir.scale(0.012).add(vec3{0, 1.452, 0})
			to := dir.scale(ringR).add(vec3{0, ringY, 0})
			path := make([]vec3, 8)
			for k := range path {
				path[k] = from.lerp(to, float64(k)/float64(len(path)-1))
			}
			b.sweep(path, circleSection(8), vec3{0, 1, 0}, func(int) float64 { return wire * 0.8 }, true)
		}
	})
	return modelPlan{name: "drum-floor-lamp", title: "Drum Shade Floor Lamp", parts: []func() Part{base, stem, socket, bulb, shade, spider}}
}
