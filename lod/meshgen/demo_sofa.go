package meshgen

// sofa is a three-seat Chesterfield: deep-buttoned leather back and arms of
// equal height, rolled arm tops, three loose seat cushions and turned bun
// feet. At about 420k triangles it is the heavy end of the catalogue.
func sofa() modelPlan {
	const (
		width, depth = 2.10, 0.92
		feetH        = 0.07 // m
		baseH        = 0.26 // m
		armW         = 0.20 // m
		backT        = 0.22 // m, back thickness
	)
	leather := Material{Name: "cognac leather", BaseColor: [4]float32{0.30, 0.10, 0.035, 1}, Roughness: 0.42}
	seatTop := feetH + baseH
	innerW := width - 2*armW

	feet := part("feet", matWalnut, vec3{}, func(b *builder) {
		var foot builder
		bun := resample(spline([]vec2{{0.028, 0}, {0.038, 0.012}, {0.043, 0.032}, {0.038, 0.052}, {0.030, feetH}}, 100), 24)
		foot.lathe([][]vec2{
			line(vec2{0, 0}, bun[0], 2),
			bun,
			line(bun[len(bun)-1], vec2{0, feetH}, 2),
		}, 40)
		foot.paint(0, woodGrain(5, 1))
		for _, x := range []float64{-0.95, 0, 0.95} {
			for _, z := range []float64{-1, 1} {
				// The top disk sits 2 mm inside the base so nothing coincides.
				b.place(&foot, translate(vec3{x, 0.002, z * (depth/2 - 0.09)}))
			}
		}
	})

	base := part("base", leather, vec3{}, func(b *builder) {
		u := upholstery{size: vec3{width, baseH, depth}, puff: vec3{0.004, 0, 0.008}}
		b.with(translate(vec3{0, feetH + baseH/2, 0}), func() { b.cushion(&u, 0.04, 5, 0.025) })
	})

	backSize := vec3{innerW + 0.02, 0.46, backT}
	backU := upholstery{
		size: backSize, puff: vec3{0, 0.01, 0.012},
		depth: 0.02, sigma: 0.026, pleat: 0.008,
		tufts: []tuftFace{diamondTufts(2, 1, backSize[0], backSize[1], 8, 3, 0.08)},
	}
	backAt := translate(vec3{0, seatTop + backSize[1]/2, -depth/2 + backT/2})
	back := part("back", leather, vec3{}, func(b *builder) {
		b.with(backAt, func() { b.cushion(&backU, 0.06, 6, 0.006) })
	})

	armSize := vec3{armW, 0.40, depth}
	var armUs [2]upholstery
	var armAts [2]frame
	for i, side := range []float64{-1, 1} {
		// Tufted on the inner face: +x for the left arm, −x for the right.
		armUs[i] = upholstery{
			size: armSize, puff: vec3{0.01, 0.008, 0.01},
			depth: 0.02, sigma: 0.026, pleat: 0.008,
			tufts: []tuftFace{diamondTufts(0, -side, armSize[1], armSize[2], 2, 6, 0.09)},
		}
		armAts[i] = translate(vec3{side * (width - armW) / 2, seatTop + armSize[1]/2, 0})
	}
	arms := part("arms", leather, vec3{}, func(b *builder) {
		for i, side := range []float64{-1, 1} {
			b.with(armAts[i], func() { b.cushion(&armUs[i], 0.06, 6, 0.006) })
			// The roll: a bolster extruded along the arm, overhanging outwards.
			path := make([]vec3, 160)
			for k := range path {
				z := -depth/2 + 0.015 + (depth-0.03)*float64(k)/float64(len(path)-1)
				path[k] = vec3{side * ((width-armW)/2 + 0.02), seatTop + armSize[1] - 0.02, z}
			}
			b.sweep(path, circleSection(48), vec3{0, 1, 0}, func(int) float64 { return 0.075 }, true)
		}
	})

	cushionSize := vec3{innerW/3 - 0.005, 0.15, depth - backT + 0.01}
	seatU := upholstery{size: cushionSize, puff: vec3{0.006, 0.02, 0.008}}
	cushions := part("seat cushions", leather, vec3{}, func(b *builder) {
		var o builder
		o.cushion(&seatU, 0.05, 6, 0.008)
		for i := -1; i <= 1; i++ {
			b.place(&o, translate(vec3{float64(i) * innerW / 3, seatTop + cushionSize[1]/2 - 0.01, depth/2 - cushionSize[2]/2}))
		}
	})

	buttons := part("buttons", Material{Name: "dark cognac leather", BaseColor: [4]float32{0.16, 0.05, 0.018, 1}, Roughness: 0.4},
		vec3{}, func(b *builder) {
			var btn builder
			btn.button(0.012, 24)
			for _, f := range backU.buttonFrames() {
				b.place(&btn, backAt.then(f))
			}
			for i := range armUs {
				for _, f := range armUs[i].buttonFrames() {
					b.place(&btn, armAts[i].then(f))
				}
			}
		})
	return modelPlan{name: "chesterfield-sofa", title: "Chesterfield Leather Sofa", parts: []func() Part{feet, base, back, arms, cushions, buttons}}
}
