package meshgen

import "math"

// armchair is a velvet club chair: upholstered base, arms and reclined back,
// a tufted seat cushion and back cushion with covered buttons, on four
// turned walnut legs.
func armchair() modelPlan {
	const (
		width, depth = 0.86, 0.84
		legH         = 0.16 // m, leg height: the upholstery starts here
		baseH        = 0.20 // m
		armW         = 0.13 // m
		recline      = 8 * math.Pi / 180
	)
	velvet := Material{Name: "bottle green velvet", BaseColor: [4]float32{0.035, 0.13, 0.08, 1}, Roughness: 0.88}
	seatTop := legH + baseH

	legs := part("legs", matWalnut, vec3{}, func(b *builder) {
		var leg builder
		leg.lathe([][]vec2{
			line(vec2{0, 0}, vec2{0.014, 0}, 2),
			resample(spline([]vec2{{0.014, 0}, {0.016, 0.01}, {0.019, 0.06}, {0.022, 0.11}, {0.027, 0.125}, {0.022, 0.135}, {0.025, legH}}, 120), 30),
			line(vec2{0.025, legH}, vec2{0, legH}, 2),
		}, 32)
		leg.paint(0, woodGrain(3, 1))
		for _, x := range []float64{-1, 1} {
			for _, z := range []float64{-1, 1} {
				b.place(&leg, translate(vec3{x * (width/2 - 0.06), 0, z * (depth/2 - 0.06)}))
			}
		}
	})

	frame := part("frame", velvet, vec3{}, func(b *builder) {
		base := upholstery{size: vec3{width, baseH, depth}, puff: vec3{0.004, 0, 0.006}}
		b.with(translate(vec3{0, legH + baseH/2, 0}), func() { b.cushion(&base, 0.03, 4, 0.03) })

		arm := upholstery{size: vec3{armW, 0.34, depth - 0.02}, puff: vec3{0.008, 0.012, 0.01}}
		for _, side := range []float64{-1, 1} {
			b.with(translate(vec3{side * (width - armW) / 2, seatTop + 0.17 - 0.03, 0.005}), func() { b.cushion(&arm, 0.05, 5, 0.02) })
		}

		back := upholstery{size: vec3{width - 2*armW + 0.02, 0.50, 0.14}, puff: vec3{0, 0.01, 0.012}}
		b.with(rotateX(-recline, vec3{0, seatTop + 0.22, -depth/2 + 0.09}), func() { b.cushion(&back, 0.05, 5, 0.02) })
	})

	// Seat cushion, tufted on top in a diamond pattern.
	seatSize := vec3{width - 2*armW - 0.01, 0.12, depth - 0.18}
	seat := upholstery{
		size: seatSize, puff: vec3{0.006, 0.018, 0.008},
		depth: 0.016, sigma: 0.028, pleat: 0.006,
		tufts: []tuftFace{diamondTufts(1, 1, seatSize[0], seatSize[2], 3, 3, 0.12)},
	}
	seatAt := translate(vec3{0, seatTop + seatSize[1]/2 - 0.01, 0.07})
	seatCushion := part("seat cushion", velvet, vec3{}, func(b *builder) {
		b.with(seatAt, func() { b.cushion(&seat, 0.045, 6, 0.007) })
	})

	// Back cushion, tufted on its front, leaning with the back.
	backSize := vec3{seatSize[0], 0.40, 0.11}
	backC := upholstery{
		size: backSize, puff: vec3{0.006, 0.008, 0.016},
		depth: 0.016, sigma: 0.028, pleat: 0.006,
		tufts: []tuftFace{diamondTufts(2, 1, backSize[0], backSize[1], 3, 3, 0.09)},
	}
	backAt := rotateX(-recline, vec3{0, seatTop + seatSize[1] + backSize[1]/2 - 0.02, -depth/2 + 0.21})
	backCushion := part("back cushion", velvet, vec3{}, func(b *builder) {
		b.with(backAt, func() { b.cushion(&backC, 0.045, 6, 0.007) })
	})

	buttons := part("buttons", Material{Name: "dark green velvet", BaseColor: [4]float32{0.02, 0.08, 0.05, 1}, Roughness: 0.8},
		vec3{}, func(b *builder) {
			var btn builder
			btn.button(0.011, 24)
			for _, f := range seat.buttonFrames() {
				b.place(&btn, seatAt.then(f))
			}
			for _, f := range backC.buttonFrames() {
				b.place(&btn, backAt.then(f))
			}
		})
	return modelPlan{name: "tufted-armchair", title: "Tufted Velvet Armchair", parts: []func() Part{legs, frame, seatCushion, backCushion, buttons}}
}
