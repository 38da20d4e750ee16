package meshgen

import "math"

// bookshelf is a 1.8 m oak bookcase with four shelves of books (one part,
// coloured per vertex so a hundred books cost one draw call) and a bowl.
func bookshelf() modelPlan {
	const (
		width, height, depth = 0.90, 1.80, 0.32
		board                = 0.022 // m, board thickness
		kick                 = 0.06  // m, plinth height
		bevel                = 0.003 // m, edge rounding of the boards
	)
	inner := width - 2*board
	// Board centre heights: bottom board on the plinth, top board, and four
	// shelves evenly between; compartments are the gaps above each board.
	bottomY, topY := kick+board/2, height-board/2
	var shelfY []float64
	for i := range 6 {
		shelfY = append(shelfY, bottomY+(topY-bottomY)*float64(i)/5)
	}

	frame := part("carcass", matOak, vec3{}, func(b *builder) {
		box := func(size, at vec3, cell float64) {
			var o builder
			o.roundedBox(size, bevel, 3, cell, nil)
			o.paint(0, woodGrain(int64(len(b.pos)), 1))
			b.place(&o, translate(at))
		}
		for _, side := range []float64{-1, 1} {
			box(vec3{board, height, depth}, vec3{side * (width - board) / 2, height / 2, 0}, 0.05)
		}
		// Shelves reach 2 mm into the sides so no faces coincide.
		for _, y := range shelfY {
			box(vec3{inner + 0.004, board, depth - 0.012}, vec3{0, y, 0.006}, 0.05)
		}
		box(vec3{inner + 0.004, kick, board}, vec3{0, kick / 2, depth/2 - board/2 - 0.02}, 0.05)
	})

	back := part("back panel", matWalnut, vec3{0, kick + (height-kick)/2 - 0.01, -depth/2 + 0.009}, func(b *builder) {
		b.roundedBox(vec3{inner + 0.004, height - kick - 0.02, 0.006}, 0.002, 2, 0.1, nil)
	})

	books := part("books", Material{Name: "book cloth", BaseColor: [4]float32{1, 1, 1, 1}, Roughness: 0.7},
		vec3{}, func(b *builder) {
			r := newRand(1907)
			palette := [][3]float64{
				{0.33, 0.04, 0.03}, {0.03, 0.06, 0.20}, {0.04, 0.15, 0.06}, {0.60, 0.40, 0.06},
				{0.74, 0.66, 0.48}, {0.04, 0.04, 0.04}, {0.02, 0.20, 0.22}, {0.45, 0.18, 0.28},
			}
			for level := range 5 {
				floor := shelfY[level] + board/2
				clear := shelfY[level+1] - board/2 - floor
				x := -inner/2 + 0.01
				limit := inner/2 - 0.01
				if level == 4 {
					limit = 0.05 // leave room for the bowl on the top shelf
				}
				for {
					t := jitter(r, 0.032, 0.45)
					if x+t > limit {
						break
					}
					h := math.Min(jitter(r, 0.24, 0.18), clear-0.02)
					d := jitter(r, 0.20, 0.12)
					c := palette[r.IntN(len(palette))]
					shade := jitter(r, 1, 0.15)
					var o builder
					o.roundedBox(vec3{t, h, d}, 0.0035, 2, 0.12, nil)
					o.paint(0, func(vec3) [4]float64 { return [4]float64{c[0] * shade, c[1] * shade, c[2] * shade, 1} })
					b.place(&o, translate(vec3{x + t/2, floor + h/2 + 0.0005, depth/2 - d/2 - 0.03}))
					x += t + 0.001
					if r.IntN(9) == 0 {
						x += jitter(r, 0.05, 0.5) // a gap where a book is out
					}
				}
			}
		})

	bowl := part("bowl", Material{Name: "speckled glaze", BaseColor: [4]float32{0.70, 0.66, 0.58, 1}, Roughness: 0.3},
		vec3{0.22, shelfY[4] + board/2, 0.02}, func(b *builder) {
			outer := resample(spline([]vec2{{0.04, 0}, {0.075, 0.02}, {0.10, 0.055}, {0.11, 0.08}}, 80), 20)
			rim := outer[len(outer)-1]
			lip := arcProfile(vec2{rim[0] - 0.003, rim[1]}, 0.003, 0, math.Pi, 6, false)
			var in []vec2
			for i := len(outer) - 1; i >= 0 && outer[i][1] > 0.008; i-- {
				in = append(in, vec2{outer[i][0] - 0.006, outer[i][1]})
			}
			in = resample(append(in, vec2{0.03, 0.008}), 18)
			wall := append(append(append([]vec2{}, outer...), lip[1:len(lip)-1]...), in...)
			b.lathe([][]vec2{
				line(vec2{0, 0}, outer[0], 4),
				wall,
				line(in[len(in)-1], vec2{0, 0.008}, 4),
			}, 96)
		})
	return modelPlan{name: "oak-bookshelf", title: "Oak Bookshelf with Books", parts: []func() Part{frame, back, books, bowl}}
}
