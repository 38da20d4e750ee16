package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// A chart is a line plot drawn as inline SVG: the report must open from a
// file with no network, so no plotting library or script is loaded.
type chart struct {
	Title, XLabel, YLabel string
	// XTicks, when set, replace the computed ticks (the percentile axis).
	XTicks        []tick
	XMin, XMax    float64
	Series        []series
	Width, Height int
}

type tick struct {
	At    float64
	Label string
}

type series struct {
	Name  string
	Color string
	// Dash is an SVG stroke-dasharray ("" for a solid line).
	Dash   string
	Points [][2]float64
}

// Chart geometry, in SVG user units.
const (
	marginLeft   = 64
	marginRight  = 16
	marginTop    = 28
	marginBottom = 44
)

// render returns the chart's <svg> element.
func (c chart) render() string {
	if c.Width == 0 {
		c.Width, c.Height = 640, 300
	}
	w, h := float64(c.Width), float64(c.Height)
	pw, ph := w-marginLeft-marginRight, h-marginTop-marginBottom
	ymax := 0.0
	xmin, xmax := c.XMin, c.XMax
	auto := xmin == 0 && xmax == 0
	if auto {
		xmin, xmax = math.Inf(1), math.Inf(-1)
	}
	for _, s := range c.Series {
		for _, p := range s.Points {
			ymax = math.Max(ymax, p[1])
			if auto {
				xmin, xmax = math.Min(xmin, p[0]), math.Max(xmax, p[0])
			}
		}
	}
	if math.IsInf(xmin, 0) || xmax <= xmin {
		xmin, xmax = 0, 1
	}
	yticks := niceTicks(0, ymax)
	ytop := yticks[len(yticks)-1].At
	xs := func(x float64) float64 { return marginLeft + (x-xmin)/(xmax-xmin)*pw }
	ys := func(y float64) float64 { return marginTop + ph - y/ytop*ph }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		c.Width, c.Height, c.Width, c.Height, html.EscapeString(c.Title))
	fmt.Fprintf(&b, `<text x="%d" y="16" class="t">%s</text>`, marginLeft, html.EscapeString(c.Title))
	for _, t := range yticks {
		y := ys(t.At)
		fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" class="g"/><text x="%d" y="%.1f" class="yl">%s</text>`,
			marginLeft, w-marginRight, y, y, marginLeft-6, y+4, html.EscapeString(t.Label))
	}
	xticks := c.XTicks
	if xticks == nil {
		xticks = niceTicks(xmin, xmax)
	}
	for _, t := range xticks {
		if t.At < xmin || t.At > xmax {
			continue
		}
		x := xs(t.At)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" class="g"/><text x="%.1f" y="%.1f" class="xl">%s</text>`,
			x, x, marginTop, marginTop+ph, x, marginTop+ph+16, html.EscapeString(t.Label))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="xl">%s</text>`, marginLeft+pw/2, h-6, html.EscapeString(c.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(14 %.1f) rotate(-90)" class="xl">%s</text>`, marginTop+ph/2, html.EscapeString(c.YLabel))
	for i, s := range c.Series {
		if len(s.Points) == 0 {
			continue
		}
		var pts strings.Builder
		for _, p := range s.Points {
			fmt.Fprintf(&pts, "%.1f,%.1f ", xs(p[0]), ys(p[1]))
		}
		dash := ""
		if s.Dash != "" {
			dash = ` stroke-dasharray="` + s.Dash + `"`
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.6"%s><title>%s</title></polyline>`,
			strings.TrimSpace(pts.String()), s.Color, dash, html.EscapeString(s.Name))
		// Legend, top right.
		ly := float64(marginTop + 6 + 14*i)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/><text x="%.1f" y="%.1f" class="lg">%s</text>`,
			w-marginRight-150, w-marginRight-130, ly, ly, s.Color, dash, w-marginRight-126, ly+4, html.EscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceTicks returns 4–8 round tick values covering [lo, hi].
func niceTicks(lo, hi float64) []tick {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []tick
	for v := math.Floor(lo/step) * step; ; v += step {
		ticks = append(ticks, tick{At: v, Label: trimFloat(v)})
		if v >= hi-step*1e-9 {
			break
		}
	}
	return ticks
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// percentileX maps a percentile (0–100) to the HDR plot's x axis,
// log10(1/(1-q)): 90 % at 1, 99 % at 2, 99.9 % at 3 …
func percentileX(p float64) float64 { return math.Log10(1 / (1 - p/100)) }

// percentileTicks label the HDR plot's x axis.
func percentileTicks(maxX float64) []tick {
	labels := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"}
	var t []tick
	for i, l := range labels {
		if float64(i) > maxX+1e-9 {
			break
		}
		t = append(t, tick{At: float64(i), Label: l})
	}
	return t
}
