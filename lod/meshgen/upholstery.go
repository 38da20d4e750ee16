package meshgen

import "math"

// upholstery shapes a rounded box into a cushion: faces bulge outwards
// (puff) and tufted faces are pulled in at buttons, with creases (pleats)
// running between neighbouring buttons in the diamond pattern of a
// Chesterfield. Everything is a smooth function of the undisplaced surface
// point, which keeps the rounded box's seams closed.
type upholstery struct {
	size  vec3    // full box size, metres
	puff  vec3    // outward bulge at the middle of the ±x, ±y, ±z faces, metres
	depth float64 // button dimple depth, metres
	sigma float64 // dimple radius (Gaussian σ), metres
	pleat float64 // crease depth between buttons, metres
	tufts []tuftFace
}

// tuftFace lists the buttons on one face. Button coordinates are in the
// face's plane: (u, v) are the two other axes in x, y, z order.
type tuftFace struct {
	axis    int     // 0, 1, 2 for x, y, z
	sign    float64 // +1 or -1
	buttons []vec2
	pleats  [][2]int // pairs of button indices joined by a crease
}

func (f *tuftFace) axes() (u, v int) {
	u, v = (f.axis+1)%3, (f.axis+2)%3
	if u > v {
		u, v = v, u
	}
	return u, v
}

// diamondTufts returns buttons in rows across a face of extent (w, h),
// alternate rows offset by half a step, and the diagonal pleats between
// them — the classic Chesterfield pattern. Margins are kept from the edges.
func diamondTufts(axis int, sign float64, w, h float64, cols, rows int, margin float64) tuftFace {
	f := tuftFace{axis: axis, sign: sign}
	du := (w - 2*margin) / float64(cols)
	dv := (h - 2*margin) / float64(max(rows-1, 1))
	rowStart := make([]int, rows+1)
	for r := range rows {
		rowStart[r] = len(f.buttons)
		n, off := cols, 0.5
		if r%2 == 1 {
			n, off = cols-1, 1
		}
		for c := range n {
			u := -w/2 + margin + du*(float64(c)+off)
			v := -h/2 + margin + dv*float64(r)
			if rows == 1 {
				v = 0
			}
			f.buttons = append(f.buttons, vec2{u, v})
		}
	}
	rowStart[rows] = len(f.buttons)
	// Diagonal pleats: each button to the nearest buttons of the next row.
	for r := 0; r+1 < rows; r++ {
		for i := rowStart[r]; i < rowStart[r+1]; i++ {
			for j := rowStart[r+1]; j < rowStart[r+2]; j++ {
				if math.Abs(f.buttons[i][0]-f.buttons[j][0]) < 0.75*du {
					f.pleats = append(f.pleats, [2]int{i, j})
				}
			}
		}
	}
	return f
}

// disp is the displacement along n for surface point p of the rounded box.
func (u *upholstery) disp(p, n vec3) float64 {
	d := 0.0
	for a := range 3 {
		if u.puff[a] == 0 {
			continue
		}
		w := n[a] * n[a]
		if w < 1e-6 {
			continue
		}
		bulge := 1.0
		for k := range 3 {
			if k != a {
				t := p[k] / (u.size[k] / 2)
				bulge *= math.Max(0, 1-t*t)
			}
		}
		d += u.puff[a] * bulge * w
	}
	for i := range u.tufts {
		f := &u.tufts[i]
		w := smoothstep(0.6, 0.98, f.sign*n[f.axis])
		if w == 0 {
			continue
		}
		ua, va := f.axes()
		x, y := p[ua], p[va]
		pull := 0.0
		s2 := u.sigma * u.sigma
		ps2 := s2 * 0.35
		// Gaussians are cut off beyond e^-16 (nm-scale): the exp calls
		// dominate generation time otherwise.
		for _, b := range f.buttons {
			dx, dy := x-b[0], y-b[1]
			if d2 := dx*dx + dy*dy; d2 < 16*s2 {
				pull = math.Max(pull, u.depth*math.Exp(-d2/s2))
			}
		}
		for _, pl := range f.pleats {
			if dist2 := segmentDist2(vec2{x, y}, f.buttons[pl[0]], f.buttons[pl[1]]); dist2 < 16*ps2 {
				pull = math.Max(pull, u.pleat*math.Exp(-dist2/ps2))
			}
		}
		d -= pull * w
	}
	return d
}

// buttonFrames returns where buttons sit on the displaced cushion: at the
// bottom of each dimple, +Y along the face normal.
func (u *upholstery) buttonFrames() []frame {
	var out []frame
	for i := range u.tufts {
		f := &u.tufts[i]
		ua, va := f.axes()
		for _, b := range f.buttons {
			var p, n vec3
			p[f.axis], p[ua], p[va] = f.sign*u.size[f.axis]/2, b[0], b[1]
			n[f.axis] = f.sign
			p = p.add(n.scale(u.disp(p, n)))
			out = append(out, alignY(n, p))
		}
	}
	return out
}

// segmentDist2 is the squared distance from p to segment ab.
func segmentDist2(p, a, b vec2) float64 {
	abx, aby := b[0]-a[0], b[1]-a[1]
	t := clamp(((p[0]-a[0])*abx+(p[1]-a[1])*aby)/(abx*abx+aby*aby), 0, 1)
	dx, dy := p[0]-a[0]-t*abx, p[1]-a[1]-t*aby
	return dx*dx + dy*dy
}

// cushion builds an upholstered rounded box centred on the origin.
func (b *builder) cushion(u *upholstery, radius float64, roundSegs int, cell float64) {
	b.roundedBox(u.size, radius, roundSegs, cell, u.disp)
}

// button is a small domed, lathed button standing on +Y at the origin,
// sunk slightly so it meets the fabric without a gap.
func (b *builder) button(radius float64, segments int) {
	r := radius
	b.lathe([][]vec2{resample(spline([]vec2{
		{0, -0.5 * r}, {0.85 * r, -0.35 * r}, {r, 0}, {0.8 * r, 0.35 * r}, {0, 0.5 * r},
	}, 24), 12)}, segments)
}
