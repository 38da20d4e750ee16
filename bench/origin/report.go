package origin

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is the outcome of one Run: every measured pair, the ratios, and
// what the numbers were measured on.
type Report struct {
	// Started is when Run began.
	Started time.Time `json:"started"`
	// Settings are the load parameters every wrk run used.
	Settings Settings `json:"settings"`
	// Environment is the machine and the tool versions.
	Environment Environment `json:"environment"`
	// Scenarios holds the results in the order they were measured.
	Scenarios []ScenarioReport `json:"scenarios"`
	// Notes say how the two servers were set up, so a reader can judge fairness.
	Notes []string `json:"notes"`
}

// Settings are the wrk parameters of a Run.
type Settings struct {
	Duration    time.Duration `json:"duration_ns"`
	Warmup      time.Duration `json:"warmup_ns"`
	Rounds      int           `json:"rounds"`
	Connections int           `json:"connections"`
	Threads     int           `json:"threads"`
	StrataArgs  []string      `json:"strata_args,omitempty"`
}

// Environment records what the numbers were measured on.
type Environment struct {
	NumCPU    int    `json:"nproc"`
	CPU       string `json:"cpu,omitempty"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	// StrataVersion is what `strata version` printed.
	StrataVersion string `json:"strata_version,omitempty"`
	NginxVersion  string `json:"nginx_version"`
	WrkVersion    string `json:"wrk_version"`
	// GitCommit is the commit of the working directory's repository, with
	// "+dirty" when tracked files differ from it; "unknown" outside a repository.
	GitCommit string `json:"git_commit"`
}

// ScenarioReport holds one scenario's rounds and their summary.
type ScenarioReport struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	URLPath     string  `json:"url_path"`
	Rounds      []Round `json:"rounds"`
	// StrataRPS and NginxRPS are the medians of the rounds' Requests/sec.
	StrataRPS float64 `json:"strata_rps"`
	NginxRPS  float64 `json:"nginx_rps"`
	// StrataP99 and NginxP99 are the medians of the rounds' p99 latencies.
	StrataP99 time.Duration `json:"strata_p99_ns"`
	NginxP99  time.Duration `json:"nginx_p99_ns"`
	// Ratio is the median of the rounds' Strata/nginx Requests/sec ratios;
	// above 1 Strata served more. Ratios of pairs, not of medians, because
	// a pair ran back to back and shares the machine's noise.
	Ratio float64 `json:"ratio"`
	// P99Ratio is the median of the rounds' Strata/nginx p99 ratios; below
	// 1 Strata's tail was shorter.
	P99Ratio float64 `json:"p99_ratio"`
	// Errors counts failed requests over all rounds, per server.
	StrataErrors int64 `json:"strata_errors"`
	NginxErrors  int64 `json:"nginx_errors"`
	// MeetsTarget is Ratio ≥ 1, P99Ratio ≤ 1 and no Strata errors.
	MeetsTarget bool `json:"meets_target"`
}

// Round is one back-to-back pair of wrk runs.
type Round struct {
	// Round counts from 1.
	Round int `json:"round"`
	// First is the server measured first in this pair: "strata" or "nginx".
	First  string    `json:"first"`
	Strata WrkResult `json:"strata"`
	Nginx  WrkResult `json:"nginx"`
	// Ratio is Strata's Requests/sec over nginx's.
	Ratio float64 `json:"ratio"`
	// P99Ratio is Strata's p99 over nginx's.
	P99Ratio float64 `json:"p99_ratio"`
}

// summarize fills the scenario's medians and ratios from its rounds.
func (s *ScenarioReport) summarize() {
	var sRPS, nRPS, ratios, p99Ratios []float64
	var sP99, nP99 []time.Duration
	s.StrataErrors, s.NginxErrors = 0, 0
	for i := range s.Rounds {
		r := &s.Rounds[i]
		r.Ratio = ratio(r.Strata.RequestsPerSec, r.Nginx.RequestsPerSec)
		r.P99Ratio = ratio(float64(r.Strata.Latency.P99), float64(r.Nginx.Latency.P99))
		sRPS = append(sRPS, r.Strata.RequestsPerSec)
		nRPS = append(nRPS, r.Nginx.RequestsPerSec)
		ratios = append(ratios, r.Ratio)
		p99Ratios = append(p99Ratios, r.P99Ratio)
		sP99 = append(sP99, r.Strata.Latency.P99)
		nP99 = append(nP99, r.Nginx.Latency.P99)
		s.StrataErrors += r.Strata.Errors
		s.NginxErrors += r.Nginx.Errors
	}
	s.StrataRPS, s.NginxRPS = median(sRPS), median(nRPS)
	s.StrataP99, s.NginxP99 = median(sP99), median(nP99)
	s.Ratio, s.P99Ratio = median(ratios), median(p99Ratios)
	s.MeetsTarget = len(s.Rounds) > 0 && s.Ratio >= 1 && s.P99Ratio <= 1 && s.StrataErrors == 0
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// median of an even count is the mean of the middle two.
func median[T float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// JSON returns the whole report, indented; durations are in nanoseconds.
func (r *Report) JSON() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}

// Markdown returns the summary table for the README, then the pair-by-pair
// table, the environment and the notes.
func (r *Report) Markdown() string {
	var b strings.Builder
	b.WriteString("| scenario | Strata req/s | nginx req/s | ratio | Strata p99 | nginx p99 |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
			s.Name, fmtRPS(s.StrataRPS), fmtRPS(s.NginxRPS), fmtRatioRange(s), fmtLatency(s.StrataP99), fmtLatency(s.NginxP99))
	}
	b.WriteString("\nreq/s and p99 are medians over the rounds; ratio is the median of the per-round Strata/nginx ratios (range in parentheses).\n")
	for _, s := range r.Scenarios {
		verdict := "meets the target (ratio ≥ 1.00×, p99 ≤ nginx's, no errors)"
		if !s.MeetsTarget {
			verdict = fmt.Sprintf("misses the target: ratio %.2f×, p99 ratio %.2f, %d Strata errors", s.Ratio, s.P99Ratio, s.StrataErrors)
		}
		fmt.Fprintf(&b, "- %s: %s; %s.\n", s.Name, s.Description, verdict)
	}

	b.WriteString("\nPair by pair (latencies p50 / p90 / p99 / p99.9):\n\n")
	b.WriteString("| scenario | round | first | Strata req/s | nginx req/s | ratio | Strata latency | nginx latency | errors Strata / nginx |\n")
	b.WriteString("| --- | ---: | --- | ---: | ---: | ---: | --- | --- | ---: |\n")
	for _, s := range r.Scenarios {
		for _, rd := range s.Rounds {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %.2f× | %s | %s | %d / %d |\n",
				s.Name, rd.Round, rd.First, fmtRPS(rd.Strata.RequestsPerSec), fmtRPS(rd.Nginx.RequestsPerSec), rd.Ratio,
				fmtPercentiles(rd.Strata.Latency), fmtPercentiles(rd.Nginx.Latency), rd.Strata.Errors, rd.Nginx.Errors)
		}
	}

	e, st := r.Environment, r.Settings
	fmt.Fprintf(&b, "\nMeasured %s on %d CPUs (%s), Linux %s, %s; %s; %s; %s; commit %s.\n",
		r.Started.UTC().Format("2006-01-02 15:04 MST"), e.NumCPU, orUnknown(e.CPU), e.Kernel, e.GoVersion,
		orUnknown(e.StrataVersion), e.NginxVersion, e.WrkVersion, e.GitCommit)
	fmt.Fprintf(&b, "wrk -t %d -c %d -d %v --latency; %v warm-up per server and scenario; rounds: %d, alternating which server goes first.\n",
		st.Threads, st.Connections, st.Duration, st.Warmup, st.Rounds)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

func fmtRatioRange(s ScenarioReport) string {
	if len(s.Rounds) < 2 {
		return fmt.Sprintf("%.2f×", s.Ratio)
	}
	lo, hi := s.Rounds[0].Ratio, s.Rounds[0].Ratio
	for _, r := range s.Rounds[1:] {
		lo, hi = min(lo, r.Ratio), max(hi, r.Ratio)
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", s.Ratio, lo, hi)
}

func fmtPercentiles(l Latency) string {
	return fmt.Sprintf("%s / %s / %s / %s", fmtLatency(l.P50), fmtLatency(l.P90), fmtLatency(l.P99), fmtLatency(l.P999))
}

// fmtRPS prints whole requests with thousands separators: 52,310.
func fmtRPS(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtLatency keeps three significant digits, which is what wrk reports.
func fmtLatency(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
