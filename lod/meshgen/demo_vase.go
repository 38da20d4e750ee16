package meshgen

import "math"

// vase is a 36 cm stoneware vase with a glazed body on an unglazed foot
// ring, holding three dried pampas stems: the lightest demo model.
func vase() modelPlan {
	const (
		segments = 72
		wall     = 0.006 // m
		foot     = 0.008 // m, height of the foot ring the body stands on
	)
	// Outer silhouette (radius, height) from the base up to the rim.
	outer := resample(spline([]vec2{
		{0.044, 0}, {0.070, 0.030}, {0.098, 0.100}, {0.104, 0.170}, {0.088, 0.240},
		{0.056, 0.295}, {0.040, 0.325}, {0.043, 0.345}, {0.050, 0.360},
	}, 200), 40)
	rim := outer[len(outer)-1]
	lip := arcProfile(vec2{rim[0] - wall/2, rim[1]}, wall/2, 0, math.Pi, 8, false)
	// The inside follows the outside, offset by the wall, down to the floor.
	const floorY = 0.012
	var inner []vec2
	for i := len(outer) - 1; i >= 0; i-- {
		if outer[i][1] < floorY {
			break
		}
		inner = append(inner, vec2{outer[i][0] - wall, outer[i][1]})
	}
	inner = append(inner, vec2{inner[len(inner)-1][0], floorY})
	inner = resample(inner, 32)
	wallProfile := append(append(append([]vec2{}, outer...), lip[1:len(lip)-1]...), inner...)

	body := part("body", Material{Name: "celadon glaze", BaseColor: [4]float32{0.36, 0.52, 0.50, 1}, Roughness: 0.18},
		vec3{0, foot, 0}, func(b *builder) {
			b.lathe([][]vec2{
				line(vec2{0, 0}, outer[0], 6),
				wallProfile,
				line(inner[len(inner)-1], vec2{0, floorY}, 6),
			}, segments)
			// The glaze pools darker towards the foot and breaks lighter
			// over the shoulder.
			nz := newNoise(7)
			b.paint(0, func(p vec3) [4]float64 {
				t := smoothstep(0.02, 0.30, p[1])
				speck := 0.05 * nz.fbm(p.scale(40), 2)
				return [4]float64{0.55 + 0.45*t + speck, 0.62 + 0.38*t + speck, 0.62 + 0.38*t + speck, 1}
			})
		})

	footRing := part("foot ring", Material{Name: "raw stoneware", BaseColor: [4]float32{0.50, 0.36, 0.24, 1}, Roughness: 0.9},
		vec3{}, func(b *builder) {
			// A rounded-rectangle loop, counter-clockwise in (r, y).
			const r0, r1, h, c = 0.034, 0.046, foot + 0.002, 0.003
			var loop [][]vec2
			loop = append(loop, line(vec2{r0 + c, 0}, vec2{r1 - c, 0}, 2))
			loop = append(loop, arcProfile(vec2{r1 - c, c}, c, -math.Pi/2, 0, 4, false))
			loop = append(loop, line(vec2{r1, c}, vec2{r1, h - c}, 2))
			loop = append(loop, arcProfile(vec2{r1 - c, h - c}, c, 0, math.Pi/2, 4, false))
			loop = append(loop, line(vec2{r1 - c, h}, vec2{r0 + c, h}, 2))
			loop = append(loop, arcProfile(vec2{r0 + c, h - c}, c, math.Pi/2, math.Pi, 4, false))
			loop = append(loop, line(vec2{r0, h - c}, vec2{r0, c}, 2))
			loop = append(loop, arcProfile(vec2{r0 + c, c}, c, math.Pi, 3*math.Pi/2, 4, false))
			b.lathe([][]vec2{joinLoop(loop)}, segments)
		})

	stems := part("pampas stems", Material{Name: "dried grass", BaseColor: [4]float32{0.52, 0.40, 0.25, 1}, Roughness: 0.85},
		vec3{0, foot, 0}, func(b *builder) {
			type stem struct{ lean, turn, height float64 }
			for i, s := range []stem{{0.10, 0.3, 0.72}, {0.22, 2.4, 0.64}, {0.16, 4.3, 0.58}} {
				path := make([]vec3, 48)
				dir := vec3{math.Cos(s.turn), 0, math.Sin(s.turn)}
				for k := range path {
					// Rise inside the vase close to the axis (the neck is 34 mm
					// wide inside), then arc outwards above the rim.
					y := 0.03 + (s.height-0.03)*float64(k)/float64(len(path)-1)
					above := math.Max(0, y-0.33) / (s.height - 0.33)
					out := 0.012 + 0.012*math.Min(y, 0.33)/0.33 + s.lean*above*above
					path[k] = dir.scale(out).add(vec3{0, y, 0})
				}
				b.sweep(path, circleSection(8), dir, func(k int) float64 {
					return 0.0026 - 0.0012*float64(k)/float64(len(path)-1)
				}, true)
				// A feathery plume continuing the stem's last direction.
				end, prev := path[len(path)-1], path[len(path)-2]
				var plume builder
				plume.lathe([][]vec2{resample(spline([]vec2{
					{0, -0.01}, {0.012, 0.01}, {0.022, 0.05}, {0.018, 0.10}, {0.008, 0.14}, {0, 0.16},
				}, 80), 28)}, 24)
				nz := newNoise(int64(100 + i))
				for v := range plume.vertexCount() {
					p := plume.position(uint32(v))
					r := math.Hypot(p[0], p[2])
					if r == 0 {
						continue
					}
					// Fluff the plume radially; poles (r=0) stay put so the
					// lathe stays closed.
					k := 1 + 0.25*nz.fbm(p.scale(60), 3)
					plume.pos[3*v], plume.pos[3*v+2] = float32(p[0]*k), float32(p[2]*k)
				}
				plume.smooth(0, 0)
				b.place(&plume, alignY(end.sub(prev), end))
			}
		})
	return modelPlan{name: "stoneware-vase", title: "Stoneware Vase with Pampas", parts: []func() Part{body, footRing, stems}}
}

// joinLoop concatenates profile pieces whose ends meet, dropping each shared
// end point, into one smooth closed profile (first point repeated at the end).
func joinLoop(pieces [][]vec2) []vec2 {
	var out []vec2
	for _, p := range pieces {
		if len(out) > 0 {
			p = p[1:]
		}
		out = append(out, p...)
	}
	// Close exactly: arc end points carry rounding error of ~1e-19.
	out[len(out)-1] = out[0]
	return out
}
