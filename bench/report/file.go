// Package report holds the benchmark suite's JSON result file, renders it
// as a self-contained HTML report (inline SVG plots, nothing fetched at view
// time), and compares two files for regressions (strata bench compare).
//
// Its trade-off: a result file keeps every run's HDR histogram and
// timeline, not just the summary, so that plots and comparisons can be
// redone later from the file alone; that makes files tens to hundreds of
// kilobytes instead of a few.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/strata3d/strata/bench/load"
)

// FormatVersion is the result file format this package writes and reads.
const FormatVersion = 1

// TargetStrata is the name of the system under test in every file.
const TargetStrata = "strata"

// File is one run of a suite: what `strata bench run` writes and
// `strata bench compare` reads.
type File struct {
	Format      int         `json:"format"`
	Suite       string      `json:"suite"` // the scenario file's name
	Started     time.Time   `json:"started"`
	Finished    time.Time   `json:"finished"`
	Environment Environment `json:"environment"`
	Settings    Settings    `json:"settings"`
	Scenarios   []*Scenario `json:"scenarios"`
	// Notes say how the servers were set up, so a reader can judge fairness.
	Notes []string `json:"notes,omitempty"`
}

// Environment records what the numbers were measured on.
type Environment struct {
	NumCPU           int    `json:"nproc"`
	CPU              string `json:"cpu,omitempty"`
	Kernel           string `json:"kernel,omitempty"`
	GoVersion        string `json:"go_version"`
	GitCommit        string `json:"git_commit"`
	StrataVersion    string `json:"strata_version,omitempty"`
	NginxVersion     string `json:"nginx_version,omitempty"`
	VersitygwVersion string `json:"versitygw_version,omitempty"`
	// Generator names the load generator and its HTTP client.
	Generator string `json:"generator"`
}

// Settings are the run's parameters beyond the scenarios.
type Settings struct {
	// Targets are the systems measured, Strata first, then its peers.
	Targets []string `json:"targets"`
	// BaseURL is the external target, when the run did not start Strata.
	BaseURL    string   `json:"base_url,omitempty"`
	Rounds     int      `json:"rounds"`
	StrataArgs []string `json:"strata_args,omitempty"`
}

// Scenario is one scenario's rounds and summary.
type Scenario struct {
	Spec *load.Scenario `json:"spec"`
	// Targets measured for this scenario (a scenario without a peer runs
	// on Strata alone).
	Targets []string `json:"targets"`
	// Skipped, when set, says why the scenario did not run.
	Skipped string  `json:"skipped,omitempty"`
	Rounds  []Round `json:"rounds,omitempty"`
	// Summary has one entry per target, merged over the rounds.
	Summary []Summary `json:"summary,omitempty"`
	// Ratios compare Strata with each peer, pair by pair.
	Ratios []Ratio `json:"ratios,omitempty"`
}

// Round is one pass over the targets, back to back; the order rotates by
// round so that no target always runs first.
type Round struct {
	Round   int            `json:"round"`
	Order   []string       `json:"order"`
	Results []*load.Result `json:"results"` // in Scenario.Targets order
}

// Summary is one target's figures over all rounds: percentiles from the
// merged histogram, rates as the median of the rounds'.
type Summary struct {
	Target         string           `json:"target"`
	Requests       int64            `json:"requests"`
	Errors         int64            `json:"errors"`
	ErrorsByKind   map[string]int64 `json:"errors_by_kind,omitempty"`
	Bytes          int64            `json:"bytes"`
	RequestsPerSec float64          `json:"requests_per_sec"`
	BytesPerSec    float64          `json:"bytes_per_sec"`
	Latency        load.Percentiles `json:"latency"`
	ServiceTime    load.Percentiles `json:"service_time"`
	Histogram      string           `json:"histogram"`
}

// ErrorRate is errors over requests (0 without requests).
func (s Summary) ErrorRate() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Errors) / float64(s.Requests)
}

// Ratio is Strata against one peer: the median over rounds of the round's
// Strata/peer ratio. Ratios of pairs, not of medians, because a pair ran
// back to back and shares the machine's noise. Throughput above 1 and
// latency below 1 favour Strata.
type Ratio struct {
	Peer       string  `json:"peer"`
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50"`
	P90        float64 `json:"p90"`
	P99        float64 `json:"p99"`
	P999       float64 `json:"p99_9"`
	// Rounds are the per-round ratios, for the range.
	Rounds []RoundRatio `json:"rounds"`
}

// RoundRatio is one round's Strata/peer ratios.
type RoundRatio struct {
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50"`
	P90        float64 `json:"p90"`
	P99        float64 `json:"p99"`
	P999       float64 `json:"p99_9"`
}

// Summarize fills Summary and Ratios from the rounds.
func (s *Scenario) Summarize() error {
	s.Summary, s.Ratios = nil, nil
	for ti, target := range s.Targets {
		merged := hdr.New(1, int64(time.Hour/time.Microsecond), 3)
		svc := Summary{Target: target}
		var rps, bps []float64
		var svcP50, svcP99 []float64
		for _, r := range s.Rounds {
			if ti >= len(r.Results) || r.Results[ti] == nil {
				return fmt.Errorf("report: %s round %d has no result for %s", s.Spec.Name, r.Round, target)
			}
			res := r.Results[ti]
			h, err := load.DecodeHistogram(res.Histogram)
			if err != nil {
				return err
			}
			merged.Merge(h)
			svc.Requests += res.Requests
			svc.Errors += res.Errors
			svc.Bytes += res.Bytes
			for k, v := range res.ErrorsByKind {
				if svc.ErrorsByKind == nil {
					svc.ErrorsByKind = map[string]int64{}
				}
				svc.ErrorsByKind[k] += v
			}
			rps = append(rps, res.RequestsPerSec)
			bps = append(bps, res.BytesPerSec)
			svcP50 = append(svcP50, res.ServiceTime.P50)
			svcP99 = append(svcP99, res.ServiceTime.P99)
		}
		svc.RequestsPerSec, svc.BytesPerSec = median(rps), median(bps)
		svc.Latency = load.PercentilesOf(merged)
		// Service times are not merged (their histograms are not kept):
		// the medians of the rounds' figures stand in.
		svc.ServiceTime = load.Percentiles{P50: median(svcP50), P99: median(svcP99)}
		var err error
		if svc.Histogram, err = load.EncodeHistogram(merged); err != nil {
			return err
		}
		s.Summary = append(s.Summary, svc)
	}
	for pi, peer := range s.Targets {
		if pi == 0 {
			continue
		}
		ratio := Ratio{Peer: peer}
		var t, p50, p90, p99, p999 []float64
		for _, r := range s.Rounds {
			a, b := r.Results[0], r.Results[pi]
			rr := RoundRatio{
				Throughput: div(a.RequestsPerSec, b.RequestsPerSec),
				P50:        div(a.Latency.P50, b.Latency.P50),
				P90:        div(a.Latency.P90, b.Latency.P90),
				P99:        div(a.Latency.P99, b.Latency.P99),
				P999:       div(a.Latency.P999, b.Latency.P999),
			}
			ratio.Rounds = append(ratio.Rounds, rr)
			t, p50, p90, p99, p999 = append(t, rr.Throughput), append(p50, rr.P50), append(p90, rr.P90), append(p99, rr.P99), append(p999, rr.P999)
		}
		ratio.Throughput, ratio.P50, ratio.P90, ratio.P99, ratio.P999 = median(t), median(p50), median(p90), median(p99), median(p999)
		s.Ratios = append(s.Ratios, ratio)
	}
	return nil
}

// SummaryOf returns the target's summary, or nil.
func (s *Scenario) SummaryOf(target string) *Summary {
	for i := range s.Summary {
		if s.Summary[i].Target == target {
			return &s.Summary[i]
		}
	}
	return nil
}

// RatioTo returns the ratio against peer, or nil.
func (s *Scenario) RatioTo(peer string) *Ratio {
	for i := range s.Ratios {
		if s.Ratios[i].Peer == peer {
			return &s.Ratios[i]
		}
	}
	return nil
}

// Lookup returns the scenario named name, or nil.
func (f *File) Lookup(name string) *Scenario {
	for _, s := range f.Scenarios {
		if s.Spec != nil && s.Spec.Name == name {
			return s
		}
	}
	return nil
}

func div(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return 0
	}
	return a / b
}

// median of an even count is the mean of the middle two; of none, zero.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Write writes f as indented JSON.
func (f *File) Write(path string) error {
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Read loads a result file and checks its format and shape.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	if f.Format != FormatVersion {
		return nil, fmt.Errorf("report: %s: format %d, want %d", path, f.Format, FormatVersion)
	}
	var errs []error
	for i, s := range f.Scenarios {
		if s == nil || s.Spec == nil || s.Spec.Name == "" {
			errs = append(errs, fmt.Errorf("report: %s: scenario %d has no spec", path, i))
			continue
		}
		if s.Skipped == "" && len(s.Summary) != len(s.Targets) {
			errs = append(errs, fmt.Errorf("report: %s: scenario %s has %d summaries for %d targets", path, s.Spec.Name, len(s.Summary), len(s.Targets)))
		}
	}
	return &f, errors.Join(errs...)
}
