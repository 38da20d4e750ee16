package report

import (
	"fmt"
	htmltemplate "html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/strata3d/strata/bench/load"
)

// targetColors keep a target's colour the same in every chart; rounds of
// one target differ by dash pattern.
var (
	targetColors = []string{"#1f6feb", "#d9822b", "#2da44e", "#8250df"}
	roundDashes  = []string{"", "6 3", "2 3", "8 3 2 3"}
)

// HTML writes f as one self-contained page: tables and inline SVG charts
// (HDR percentile curves, latency over time, throughput over time) for
// Strata and each peer, with no script, style sheet or font fetched.
func HTML(w io.Writer, f *File) error {
	page := htmlPage{File: f, Generated: time.Now().UTC().Format(time.RFC3339)}
	for _, s := range f.Scenarios {
		page.Sections = append(page.Sections, newSection(s))
	}
	return pageTemplate.Execute(w, page)
}

type htmlPage struct {
	*File
	Generated string
	Sections  []section
}

type section struct {
	S                         *Scenario
	Anchor                    string
	Load                      string
	Percentile, Latency, Tput htmltemplate.HTML
	RatioRows                 []ratioRow
	StepRows                  []stepRow
	SummaryRows               []summaryRow
}

type summaryRow struct {
	Target, Color, RPS, MBps, P50, P90, P99, P999, Max, Errors string
}

type ratioRow struct {
	Peer, Round, Throughput, P50, P90, P99, P999 string
	Median                                       bool
}

type stepRow struct {
	Target, Step, Requests, Errors, P50, P99, Max string
}

func newSection(s *Scenario) section {
	sec := section{S: s, Anchor: s.Spec.Name}
	sp := s.Spec
	if sp.Mode == load.ModeOpen {
		sec.Load = fmt.Sprintf("open loop, %.0f sessions/s, up to %d connections", sp.Rate, sp.Connections)
	} else {
		sec.Load = fmt.Sprintf("closed loop, %d connections", sp.Connections)
	}
	sec.Load += fmt.Sprintf("; %v warm-up, %v measured per run", time.Duration(sp.Warmup), time.Duration(sp.Duration))
	if s.Skipped != "" {
		return sec
	}
	for i, sum := range s.Summary {
		errs := fmt.Sprint(sum.Errors)
		if len(sum.ErrorsByKind) > 0 {
			var kinds []string
			for k, v := range sum.ErrorsByKind {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, v))
			}
			sort.Strings(kinds)
			errs += " (" + strings.Join(kinds, ", ") + ")"
		}
		sec.SummaryRows = append(sec.SummaryRows, summaryRow{
			Target: sum.Target, Color: targetColors[i%len(targetColors)],
			RPS: fmt.Sprintf("%.0f", sum.RequestsPerSec), MBps: fmt.Sprintf("%.1f", sum.BytesPerSec/1e6),
			P50: load.FormatMillis(sum.Latency.P50), P90: load.FormatMillis(sum.Latency.P90),
			P99: load.FormatMillis(sum.Latency.P99), P999: load.FormatMillis(sum.Latency.P999),
			Max: load.FormatMillis(sum.Latency.Max), Errors: errs,
		})
	}
	x := func(v float64) string { return fmt.Sprintf("%.2f×", v) }
	for _, r := range s.Ratios {
		for i, rr := range r.Rounds {
			sec.RatioRows = append(sec.RatioRows, ratioRow{Peer: r.Peer, Round: fmt.Sprint(i + 1),
				Throughput: x(rr.Throughput), P50: x(rr.P50), P90: x(rr.P90), P99: x(rr.P99), P999: x(rr.P999)})
		}
		sec.RatioRows = append(sec.RatioRows, ratioRow{Peer: r.Peer, Round: "median", Median: true,
			Throughput: x(r.Throughput), P50: x(r.P50), P90: x(r.P90), P99: x(r.P99), P999: x(r.P999)})
	}
	for ti, t := range s.Targets {
		if len(s.Rounds) == 0 || len(s.Rounds[0].Results[ti].Steps) == 0 {
			continue
		}
		// Steps of the first round: per-step figures are for reading, the
		// merged percentiles above are for comparing.
		for _, st := range s.Rounds[0].Results[ti].Steps {
			sec.StepRows = append(sec.StepRows, stepRow{Target: t, Step: st.Name, Requests: fmt.Sprint(st.Requests), Errors: fmt.Sprint(st.Errors),
				P50: load.FormatMillis(st.Latency.P50), P99: load.FormatMillis(st.Latency.P99), Max: load.FormatMillis(st.Latency.Max)})
		}
	}
	sec.Percentile = htmltemplate.HTML(percentileChart(s))
	sec.Latency = htmltemplate.HTML(timelineChart(s, "p99 latency over time (each round)", "ms", func(iv load.Interval) float64 { return iv.P99 }))
	sec.Tput = htmltemplate.HTML(timelineChart(s, "Throughput over time (each round)", "requests/s", func(iv load.Interval) float64 {
		return float64(iv.Requests) / iv.Seconds
	}))
	return sec
}

// percentileChart is the HDR plot: latency by percentile on a log scale of
// 1/(1-q), one curve per target from its merged histogram.
func percentileChart(s *Scenario) string {
	c := chart{Title: "Latency by percentile (all rounds, corrected)", XLabel: "percentile", YLabel: "ms"}
	maxX := 0.0
	for i, sum := range s.Summary {
		h, err := load.DecodeHistogram(sum.Histogram)
		if err != nil || h.TotalCount() == 0 {
			continue
		}
		c.Series = append(c.Series, series{Name: sum.Target, Color: targetColors[i%len(targetColors)], Points: percentilePoints(h)})
		maxX = math.Max(maxX, math.Log10(float64(h.TotalCount())))
	}
	maxX = math.Min(math.Ceil(maxX), 6)
	c.XMin, c.XMax = 0, math.Max(maxX, 1)
	c.XTicks = percentileTicks(c.XMax)
	return c.render()
}

// percentilePoints samples h at 10 points per decade of 1/(1-q), up to
// where the sample count still resolves the percentile, then its max.
func percentilePoints(h *hdr.Histogram) [][2]float64 {
	limit := math.Log10(float64(h.TotalCount()))
	var pts [][2]float64
	for k := 0; float64(k)/10 < limit && k <= 60; k++ {
		x := float64(k) / 10
		q := 100 * (1 - math.Pow(10, -x))
		pts = append(pts, [2]float64{x, float64(h.ValueAtQuantile(q)) / 1000})
	}
	return append(pts, [2]float64{limit, float64(h.Max()) / 1000})
}

func timelineChart(s *Scenario, title, unit string, value func(load.Interval) float64) string {
	c := chart{Title: title, XLabel: "seconds into the measured window", YLabel: unit}
	for ti, t := range s.Targets {
		for ri, r := range s.Rounds {
			res := r.Results[ti]
			var pts [][2]float64
			for _, iv := range res.Timeline {
				if iv.Requests == 0 {
					continue
				}
				pts = append(pts, [2]float64{iv.Start + iv.Seconds/2, value(iv)})
			}
			c.Series = append(c.Series, series{Name: fmt.Sprintf("%s r%d", t, ri+1), Color: targetColors[ti%len(targetColors)], Dash: roundDashes[ri%len(roundDashes)], Points: pts})
		}
	}
	return c.render()
}

var pageTemplate = htmltemplate.Must(htmltemplate.New("report").Funcs(htmltemplate.FuncMap{
	"ms":  load.FormatMillis,
	"dur": func(d load.Duration) string { return time.Duration(d).String() },
	"ts":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strata bench: {{.Suite}} {{ts .Started}}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 70rem; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-top: 1px solid #ddd; padding-top: 1rem; }
table { border-collapse: collapse; margin: .6rem 0; }
th, td { text-align: right; padding: .25rem .6rem; border-bottom: 1px solid #e5e5e5; font-variant-numeric: tabular-nums; }
th:first-child, td:first-child { text-align: left; }
tr.median td { font-weight: 600; }
.swatch { display: inline-block; width: .8em; height: .8em; margin-right: .4em; border-radius: 2px; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
svg { background: #fafafa; border: 1px solid #eee; }
svg .t { font: 600 13px system-ui, sans-serif; } svg .g { stroke: #e3e3e3; }
svg .yl { font: 11px system-ui, sans-serif; text-anchor: end; fill: #555; }
svg .xl { font: 11px system-ui, sans-serif; text-anchor: middle; fill: #555; }
svg .lg { font: 11px system-ui, sans-serif; fill: #333; }
.note { color: #555; } code { background: #f2f2f2; padding: 0 .2rem; }
</style>
</head>
<body>
<h1>Strata bench — {{.Suite}}</h1>
<p>Started {{ts .Started}}, finished {{ts .Finished}}. Commit <code>{{.Environment.GitCommit}}</code>.
Targets: {{range $i, $t := .Settings.Targets}}{{if $i}}, {{end}}{{$t}}{{end}}{{if .Settings.BaseURL}} at <code>{{.Settings.BaseURL}}</code>{{end}};
{{.Settings.Rounds}} round(s) per scenario, order rotating.</p>
<table>
<tr><th>machine</th><td>{{.Environment.NumCPU}} × {{.Environment.CPU}}, Linux {{.Environment.Kernel}}</td></tr>
<tr><th>tools</th><td>{{.Environment.GoVersion}}; {{.Environment.StrataVersion}}{{if .Environment.NginxVersion}}; {{.Environment.NginxVersion}}{{end}}{{if .Environment.VersitygwVersion}}; versitygw {{.Environment.VersitygwVersion}}{{end}}</td></tr>
<tr><th>generator</th><td>{{.Environment.Generator}}</td></tr>
</table>

<h2>Overview</h2>
<table>
<tr><th>scenario</th><th>target</th><th>req/s</th><th>p50</th><th>p99</th><th>p99.9</th><th>errors</th></tr>
{{range .Scenarios}}{{$s := .}}{{if .Skipped}}<tr><td><a href="#{{.Spec.Name}}">{{.Spec.Name}}</a></td><td colspan="6">skipped: {{.Skipped}}</td></tr>
{{else}}{{range $i, $m := .Summary}}<tr><td>{{if not $i}}<a href="#{{$s.Spec.Name}}">{{$s.Spec.Name}}</a>{{end}}</td><td>{{.Target}}</td><td>{{printf "%.0f" .RequestsPerSec}}</td><td>{{ms .Latency.P50}}</td><td>{{ms .Latency.P99}}</td><td>{{ms .Latency.P999}}</td><td>{{.Errors}}</td></tr>
{{end}}{{range .Ratios}}<tr class="median"><td></td><td>strata / {{.Peer}}</td><td>{{printf "%.2f×" .Throughput}}</td><td>{{printf "%.2f×" .P50}}</td><td>{{printf "%.2f×" .P99}}</td><td>{{printf "%.2f×" .P999}}</td><td></td></tr>
{{end}}{{end}}{{end}}
</table>
<p class="note">Latency is corrected for coordinated omission: open-loop scenarios measure each request from its scheduled send time,
closed-loop ones apply HdrHistogram's expected-interval correction. Ratios are Strata over the peer, the median of the per-round
ratios (each round runs the targets back to back); throughput above 1× and latency below 1× favour Strata.</p>

{{range .Sections}}
<h2 id="{{.Anchor}}">{{.S.Spec.Name}}</h2>
<p>{{.S.Spec.Description}}<br><span class="note">{{.Load}}{{if .S.Spec.Keys}}; keys {{.S.Spec.Keys.Order}} over {{.S.Spec.Keys.Count}}{{end}}.</span></p>
{{if .S.Skipped}}<p><strong>Skipped:</strong> {{.S.Skipped}}</p>{{else}}
<table>
<tr><th>target</th><th>req/s</th><th>MB/s</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>errors</th></tr>
{{range .SummaryRows}}<tr><td><span class="swatch" style="background:{{.Color}}"></span>{{.Target}}</td><td>{{.RPS}}</td><td>{{.MBps}}</td><td>{{.P50}}</td><td>{{.P90}}</td><td>{{.P99}}</td><td>{{.P999}}</td><td>{{.Max}}</td><td>{{.Errors}}</td></tr>
{{end}}</table>
{{if .RatioRows}}<table>
<tr><th>strata / peer</th><th>round</th><th>throughput</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th></tr>
{{range .RatioRows}}<tr{{if .Median}} class="median"{{end}}><td>{{.Peer}}</td><td>{{.Round}}</td><td>{{.Throughput}}</td><td>{{.P50}}</td><td>{{.P90}}</td><td>{{.P99}}</td><td>{{.P999}}</td></tr>
{{end}}</table>{{end}}
{{if .StepRows}}<table>
<tr><th>target</th><th>step (round 1)</th><th>requests</th><th>errors</th><th>p50</th><th>p99</th><th>max</th></tr>
{{range .StepRows}}<tr><td>{{.Target}}</td><td>{{.Step}}</td><td>{{.Requests}}</td><td>{{.Errors}}</td><td>{{.P50}}</td><td>{{.P99}}</td><td>{{.Max}}</td></tr>
{{end}}</table>{{end}}
<div class="charts">{{.Percentile}}{{.Latency}}{{.Tput}}</div>
{{end}}{{end}}
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p class="note">Generated {{.Generated}} by strata bench.</p>
</body>
</html>
`))
