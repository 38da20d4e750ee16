package meshgen

// diningTable is a 1.8 m farmhouse dining table for six: an oak top with
// visible grain on a painted base of an apron and four lathe-turned legs
// with square blocks.
func diningTable() modelPlan {
	const (
		length, width, height = 1.80, 0.90, 0.75
		topT                  = 0.035 // m, top thickness
		apronH                = 0.09  // m
		block                 = 0.07  // m, square section of the leg blocks
	)
	underTop := height - topT
	legX, legZ := length/2-0.13, width/2-0.09
	turnedTop := underTop - 0.16 // the block is the upper 16 cm of the leg

	top := part("top", matOak, vec3{}, func(b *builder) {
		b.with(translate(vec3{0, height - topT/2, 0}), func() { b.roundedBox(vec3{length, topT, width}, 0.008, 4, 0.0125, nil) })
		b.paint(0, woodGrain(11, 0))
	})

	paint := Material{Name: "chalk white paint", BaseColor: [4]float32{0.80, 0.78, 0.72, 1}, Roughness: 0.7}
	legs := part("legs", paint, vec3{}, func(b *builder) {
		// Foot, bun, long tapering vase with beads and coves, collar.
		profile := resample(spline([]vec2{
			{0.024, 0}, {0.028, 0.015}, {0.032, 0.035}, {0.024, 0.06}, {0.020, 0.08}, {0.027, 0.10},
			{0.034, 0.14}, {0.033, 0.20}, {0.026, 0.28}, {0.021, 0.34}, {0.019, 0.38}, {0.024, 0.40},
			{0.019, 0.42}, {0.025, 0.45}, {0.030, 0.48}, {0.026, 0.52}, {0.029, 0.545}, {0.030, turnedTop},
		}, 1200), 150)
		var leg builder
		leg.lathe([][]vec2{
			line(vec2{0, 0}, profile[0], 3),
			profile,
			line(profile[len(profile)-1], vec2{0, turnedTop}, 3),
		}, 64)
		var blk builder
		blk.roundedBox(vec3{block, underTop - turnedTop, block}, 0.004, 3, 0.02, nil)
		for _, x := range []float64{-1, 1} {
			for _, z := range []float64{-1, 1} {
				b.place(&leg, translate(vec3{x * legX, 0, z * legZ}))
				// The block overlaps the turning by 2 mm so they read as one piece.
				b.place(&blk, translate(vec3{x * legX, (turnedTop+underTop)/2 - 0.001, z * legZ}))
			}
		}
	})

	apron := part("apron", paint, vec3{}, func(b *builder) {
		const t = 0.022
		y := underTop - apronH/2 - 0.0005
		for _, side := range []float64{-1, 1} {
			var long, short builder
			long.roundedBox(vec3{2*legX - block + 0.004, apronH, t}, 0.003, 2, 0.05, nil)
			b.place(&long, translate(vec3{0, y, side * (legZ - block/2 + t/2 + 0.005)}))
			short.roundedBox(vec3{t, apronH, 2*legZ - block + 0.004}, 0.003, 2, 0.05, nil)
			b.place(&short, translate(vec3{side * (legX - block/2 + t/2 + 0.005), y, 0}))
		}
	})
	return modelPlan{name: "turned-dining-table", title: "Oak Dining Table with Turned Legs", parts: []func() Part{top, legs, apron}}
}
