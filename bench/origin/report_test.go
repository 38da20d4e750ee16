package origin

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{3}, 3},
		{"odd, unsorted", []float64{5, 1, 3}, 3},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.in...)
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] {
					t.Fatalf("median reordered its input")
				}
			}
		})
	}
}

// result is a WrkResult with the fields the summary reads.
func result(rps float64, p99 time.Duration, errs int64) WrkResult {
	return WrkResult{RequestsPerSec: rps, Requests: int64(rps) * 10, Latency: Latency{P50: p99 / 4, P90: p99 / 2, P99: p99, P999: 2 * p99}, Errors: errs}
}

func TestScenarioSummarize(t *testing.T) {
	tests := []struct {
		name       string
		rounds     []Round
		wantRatio  float64
		wantP99    float64
		wantTarget bool
	}{
		{
			name: "Strata ahead in every pair",
			rounds: []Round{
				{Strata: result(110, 2*ms, 0), Nginx: result(100, 3*ms, 0)},
				{Strata: result(90, 2*ms, 0), Nginx: result(80, 2*ms, 0)},
				{Strata: result(120, 1*ms, 0), Nginx: result(100, 2*ms, 0)},
			},
			wantRatio: 1.125, wantP99: 2.0 / 3, wantTarget: true,
		},
		{
			// Pairwise ratios 1.2, 0.9, 0.95: the median pair is behind even
			// though the medians of the raw numbers (100 vs 100) tie.
			name: "ratio of pairs, not of medians",
			rounds: []Round{
				{Strata: result(120, ms, 0), Nginx: result(100, ms, 0)},
				{Strata: result(90, ms, 0), Nginx: result(100, ms, 0)},
				{Strata: result(100, ms, 0), Nginx: result(105.26315789473685, ms, 0)},
			},
			wantRatio: 0.95, wantP99: 1, wantTarget: false,
		},
		{
			name: "faster but with errors misses the target",
			rounds: []Round{
				{Strata: result(200, ms, 3), Nginx: result(100, 2*ms, 0)},
			},
			wantRatio: 2, wantP99: 0.5, wantTarget: false,
		},
		{
			name: "longer tail misses the target",
			rounds: []Round{
				{Strata: result(200, 3*ms, 0), Nginx: result(100, 2*ms, 0)},
			},
			wantRatio: 2, wantP99: 1.5, wantTarget: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ScenarioReport{Name: "x", Rounds: tt.rounds}
			s.summarize()
			if !near(s.Ratio, tt.wantRatio) || !near(s.P99Ratio, tt.wantP99) || s.MeetsTarget != tt.wantTarget {
				t.Errorf("summarize: ratio %v, p99 ratio %v, target %v; want %v, %v, %v",
					s.Ratio, s.P99Ratio, s.MeetsTarget, tt.wantRatio, tt.wantP99, tt.wantTarget)
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func sampleReport() *Report {
	r := &Report{
		Started:     time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC),
		Settings:    Settings{Duration: 10 * time.Second, Warmup: 2 * time.Second, Rounds: 2, Connections: 64, Threads: 2},
		Environment: Environment{NumCPU: 2, Kernel: "6.1.0", GoVersion: "go1.26", StrataVersion: "strata v1", NginxVersion: "nginx/1.22.1", WrkVersion: "wrk 4.1.0", GitCommit: "abc"},
		Notes:       []string{"a note"},
	}
	s := ScenarioReport{Name: ScenarioGet4K, Description: "GET of a 4 KiB file", Rounds: []Round{
		{Round: 1, First: "strata", Strata: result(52310.4, 2410*us, 0), Nginx: result(48200, 2600*us, 0)},
		{Round: 2, First: "nginx", Strata: result(50000, 900*us, 0), Nginx: result(50000, 1*ms, 1)},
	}}
	s.summarize()
	r.Scenarios = append(r.Scenarios, s)
	return r
}

func TestReportMarkdown(t *testing.T) {
	md := sampleReport().Markdown()
	for _, want := range []string{
		"| scenario | Strata req/s | nginx req/s | ratio | Strata p99 | nginx p99 |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
		"| get-4k | 51,155 | 49,100 | 1.04× (1.00–1.09) | 1.66 ms | 1.80 ms |",
		"| get-4k | 2 | nginx | 50,000 | 50,000 | 1.00× | 225 µs / 450 µs / 900 µs / 1.80 ms | 250 µs / 500 µs / 1.00 ms / 2.00 ms | 0 / 1 |",
		"get-4k: GET of a 4 KiB file; meets the target",
		"on 2 CPUs (unknown), Linux 6.1.0, go1.26; strata v1; nginx/1.22.1; wrk 4.1.0; commit abc.",
		"wrk -t 2 -c 64 -d 10s --latency; 2s warm-up per server and scenario; rounds: 2,",
		"- a note\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestReportJSON(t *testing.T) {
	b, err := sampleReport().JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("JSON does not read back: %v", err)
	}
	if len(back.Scenarios) != 1 || back.Scenarios[0].Rounds[1].Nginx.Errors != 1 || back.Environment.NumCPU != 2 {
		t.Errorf("JSON round trip lost data: %s", b)
	}
	for _, key := range []string{`"requests_per_sec"`, `"p999_ns"`, `"ratio"`, `"nproc"`, `"git_commit"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"rps small", fmtRPS(239.4), "239"},
		{"rps rounds", fmtRPS(999.5), "1,000"},
		{"rps thousands", fmtRPS(52310.4), "52,310"},
		{"rps millions", fmtRPS(1234567), "1,234,567"},
		{"latency none", fmtLatency(0), "–"},
		{"latency µs", fmtLatency(812 * us), "812 µs"},
		{"latency ms", fmtLatency(2410 * us), "2.41 ms"},
		{"latency s", fmtLatency(1230 * ms), "1.23 s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
