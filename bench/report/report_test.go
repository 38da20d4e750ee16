package report_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/strata3d/strata/bench/load"
	"github.com/strata3d/strata/bench/report"
)

// result makes a run whose latencies are uniform on [lo, hi] ms.
func result(t *testing.T, target string, rps, lo, hi float64, errs int64) *load.Result {
	t.Helper()
	h := hdr.New(1, int64(time.Hour/time.Microsecond), 3)
	for i := range 1000 {
		_ = h.RecordValue(int64((lo + (hi-lo)*float64(i)/999) * 1000))
	}
	enc, err := load.EncodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	return &load.Result{
		Target: target, Requests: 1000, Errors: errs, RequestsPerSec: rps, Histogram: enc,
		Latency:  load.PercentilesOf(h),
		Timeline: []load.Interval{{Start: 0, Seconds: 1, Requests: 500, P50: lo, P99: hi, Max: hi}, {Start: 1, Seconds: 1, Requests: 500, P50: lo, P99: hi, Max: hi}},
	}
}

// file makes a two-round result file with one scenario against strata and
// nginx; strata's latency is scale × nginx's.
func file(t *testing.T, strataRPS, scale float64, errs int64) *report.File {
	t.Helper()
	spec := &load.Scenario{Name: "hot", Mode: load.ModeClosed, Connections: 4, Duration: load.Duration(time.Second)}
	s := &report.Scenario{Spec: spec, Targets: []string{"strata", "nginx"}}
	for r := range 2 {
		s.Rounds = append(s.Rounds, report.Round{Round: r + 1, Order: []string{"strata", "nginx"}, Results: []*load.Result{
			result(t, "strata", strataRPS, 1*scale, 10*scale, errs),
			result(t, "nginx", 1000, 1, 10, 0),
		}})
	}
	if err := s.Summarize(); err != nil {
		t.Fatal(err)
	}
	return &report.File{Format: report.FormatVersion, Suite: "test", Started: time.Now(), Finished: time.Now(),
		Settings: report.Settings{Targets: []string{"strata", "nginx"}, Rounds: 2}, Scenarios: []*report.Scenario{s}}
}

func TestSummarizeRatiosPairByPair(t *testing.T) {
	f := file(t, 1500, 2, 0)
	s := f.Scenarios[0]
	st := s.SummaryOf("strata")
	if st == nil || st.Requests != 2000 || st.RequestsPerSec != 1500 {
		t.Fatalf("strata summary %+v", st)
	}
	if p := st.Latency.P50; p < 10.9 || p > 11.1 {
		t.Errorf("merged p50 %.3f ms, want 11 (uniform 2–20 ms)", p)
	}
	r := s.RatioTo("nginx")
	if r == nil || len(r.Rounds) != 2 || r.Throughput != 1.5 || r.P99 < 1.99 || r.P99 > 2.01 {
		t.Errorf("ratio %+v, want throughput 1.5×, p99 2×", r)
	}
}

func TestCompare(t *testing.T) {
	base := file(t, 1000, 1, 0)
	cases := []struct {
		name        string
		new         *report.File
		opts        func(*report.CompareOptions)
		regressions []string // metrics
	}{
		{"same", file(t, 1000, 1, 0), nil, nil},
		{"5% slower is within 10%", file(t, 1000, 1.05, 0), nil, nil},
		{"20% slower", file(t, 1000, 1.2, 0), nil, []string{"p50", "p90", "p99"}},
		{"20% slower, only p99 gated", file(t, 1000, 1.2, 0), func(o *report.CompareOptions) { o.Percentiles = []string{"p99"} }, []string{"p99"}},
		{"20% slower under a 50% threshold", file(t, 1000, 1.2, 0), func(o *report.CompareOptions) { o.Threshold = 0.5 }, nil},
		{"slower by less than the floor", file(t, 1000, 1.2, 0), func(o *report.CompareOptions) { o.LatencyFloor = 3 * time.Millisecond }, nil},
		{"throughput down 20%", file(t, 800, 1, 0), nil, []string{"throughput"}},
		{"throughput up", file(t, 1500, 0.5, 0), nil, nil},
		{"errors appear", file(t, 1000, 1, 5), nil, []string{"errors"}},
		{"peer basis: ratio worse", file(t, 1000, 1.2, 0), func(o *report.CompareOptions) { o.Basis = "peer" },
			[]string{"p50 ratio to nginx", "p90 ratio to nginx", "p99 ratio to nginx"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := report.DefaultCompareOptions()
			if tc.opts != nil {
				tc.opts(&o)
			}
			c, err := report.Compare(base, tc.new, o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ch := range c.Changes {
				if ch.Regression {
					got = append(got, ch.Metric)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.regressions, ",") {
				var out bytes.Buffer
				_ = c.Print(&out, o)
				t.Errorf("regressions %q, want %q\n%s", got, tc.regressions, out.String())
			}
		})
	}
}

// TestCompareCommand runs the command on files written to disk: exit
// status (ErrRegression) and the printed table.
func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	oldPath, newPath, slowPath := filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json"), filepath.Join(dir, "slow.json")
	for p, f := range map[string]*report.File{oldPath: file(t, 1000, 1, 0), newPath: file(t, 1000, 1.02, 0), slowPath: file(t, 1000, 1.3, 0)} {
		if err := f.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	noEnv := func(string) (string, bool) { return "", false }
	var out bytes.Buffer
	if err := report.CompareCommand([]string{oldPath, newPath}, noEnv, &out, &out); err != nil {
		t.Fatalf("no regression: %v\n%s", err, out.String())
	}
	out.Reset()
	err := report.CompareCommand([]string{"--threshold", "20%", oldPath, slowPath}, noEnv, &out, &out)
	if !errors.Is(err, report.ErrRegression) || !strings.Contains(out.String(), "REGRESSION") {
		t.Fatalf("30%% slower past 20%%: error %v\n%s", err, out.String())
	}
	out.Reset()
	env := func(k string) (string, bool) {
		if k == "STRATA_BENCH_THRESHOLD" {
			return "50%", true
		}
		return "", false
	}
	if err := report.CompareCommand([]string{oldPath, slowPath}, env, &out, &out); err != nil {
		t.Fatalf("threshold from the environment: %v", err)
	}
	for _, args := range [][]string{{oldPath}, {"--threshold", "lots", oldPath, newPath}, {"--percentiles", "p42", oldPath, newPath}, {oldPath, filepath.Join(dir, "missing.json")}} {
		if err := report.CompareCommand(args, noEnv, &out, &out); err == nil || errors.Is(err, report.ErrRegression) {
			t.Errorf("%q: error %v, want a usage or read error", args, err)
		}
	}
}

// TestHTMLIsSelfContained: the report has its charts inline and loads
// nothing: no script, no external style sheet, image or font.
func TestHTMLIsSelfContained(t *testing.T) {
	f := file(t, 1200, 0.8, 0)
	f.Scenarios = append(f.Scenarios, &report.Scenario{Spec: &load.Scenario{Name: "shop", Mode: load.ModeOpen, Rate: 2}, Targets: []string{"strata"}, Skipped: "GET /api/v1/products answered 404"})
	var b bytes.Buffer
	if err := report.HTML(&b, f); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(page, "<svg "); n != 3 {
		t.Errorf("%d charts, want 3 (percentiles, latency and throughput over time)", n)
	}
	if strings.Count(page, "<polyline ") != 2+4+4 {
		t.Errorf("%d lines, want one per target in the HDR plot and one per target and round over time", strings.Count(page, "<polyline "))
	}
	for _, bad := range []string{"<script", "<link", "<img", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if m := regexp.MustCompile(`(src|href)="(https?:)?//`).FindString(page); m != "" {
		t.Errorf("page references %q", m)
	}
	if !strings.Contains(page, "skipped: GET /api/v1/products answered 404") || !strings.Contains(page, "1.20×") {
		t.Error("page lacks the skipped scenario or the throughput ratio")
	}
	var md bytes.Buffer
	if err := report.Markdown(&md, f); err != nil || !strings.Contains(md.String(), "| hot | nginx | 1.20× (1.20–1.20)") {
		t.Errorf("markdown (%v):\n%s", err, md.String())
	}
}

func TestReadChecksTheFile(t *testing.T) {
	dir := t.TempDir()
	f := file(t, 1000, 1, 0)
	f.Format = 99
	p := filepath.Join(dir, "f.json")
	if err := f.Write(p); err != nil {
		t.Fatal(err)
	}
	if _, err := report.Read(p); err == nil || !strings.Contains(err.Error(), "format 99") {
		t.Errorf("error %v, want a format error", err)
	}
	f.Format = report.FormatVersion
	if err := f.Write(p); err != nil {
		t.Fatal(err)
	}
	back, err := report.Read(p)
	if err != nil || back.Scenarios[0].Spec.Name != "hot" || back.Scenarios[0].SummaryOf("strata").Latency != f.Scenarios[0].SummaryOf("strata").Latency {
		t.Errorf("round trip: %v", err)
	}
}
