package load

import (
	"fmt"
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Result is one run of one scenario against one target: what a JSON result
// file holds per run. Latencies are in milliseconds.
type Result struct {
	Scenario    string    `json:"scenario"`
	Target      string    `json:"target"`
	BaseURL     string    `json:"base_url"`
	Mode        string    `json:"mode"`
	TargetRate  float64   `json:"target_rate,omitempty"` // sessions/s, open loop
	Connections int       `json:"connections"`
	Started     time.Time `json:"started"`
	Duration    Duration  `json:"duration"`
	Warmup      Duration  `json:"warmup"`

	// Requests counts measured requests (those due after the warm-up),
	// failed ones included; Sessions the sessions that started then.
	Requests int64 `json:"requests"`
	Sessions int64 `json:"sessions"`
	// Errors counts failed requests and failed session steps;
	// ErrorsByKind splits them: status_NNN, timeout, connect_refused,
	// connection_closed, body_length, content_range, capture, manifest, …
	Errors       int64            `json:"errors"`
	ErrorsByKind map[string]int64 `json:"errors_by_kind,omitempty"`
	// Bytes is response body bytes of measured requests.
	Bytes          int64   `json:"bytes"`
	RequestsPerSec float64 `json:"requests_per_sec"`
	BytesPerSec    float64 `json:"bytes_per_sec"`

	// Latency is corrected for coordinated omission, as Correction says;
	// ServiceTime is from send to last byte, uncorrected: what a naive
	// measurement reports.
	Latency     Percentiles `json:"latency"`
	ServiceTime Percentiles `json:"service_time"`
	Correction  string      `json:"correction"`
	// Histogram is Latency's HDR histogram (microseconds, V2 compressed,
	// base64), for percentile plots and merging rounds.
	Histogram string `json:"histogram"`

	// Steps splits latency by step (and a viewer step into manifest,
	// coarsest and level requests) when a scenario has more than one.
	Steps []StepResult `json:"steps,omitempty"`
	// Timeline is the run cut into intervals by completion time.
	Timeline []Interval `json:"timeline"`
	// KeysReused counts sessions whose sequential key had been used
	// before in the run (the key population was too small for a cold test).
	KeysReused int64 `json:"keys_reused,omitempty"`
}

// Percentiles summarise a latency distribution, in milliseconds.
type Percentiles struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p99_9_ms"`
	Max   float64 `json:"max_ms"`
}

// StepResult is one label's share of a run.
type StepResult struct {
	Name     string      `json:"name"`
	Requests int64       `json:"requests"`
	Errors   int64       `json:"errors"`
	Latency  Percentiles `json:"latency"`
}

// Interval is one slice of the timeline.
type Interval struct {
	// Start is seconds since the end of the warm-up.
	Start    float64 `json:"start_s"`
	Seconds  float64 `json:"seconds"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Bytes    int64   `json:"bytes"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

// PercentilesOf summarises h (microseconds).
func PercentilesOf(h *hdr.Histogram) Percentiles {
	ms := func(v int64) float64 { return float64(v) / 1000 }
	return Percentiles{
		Count: h.TotalCount(),
		Mean:  math.Round(h.Mean()) / 1000,
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
	}
}

// EncodeHistogram writes h in HdrHistogram's V2 compressed base64 form.
func EncodeHistogram(h *hdr.Histogram) (string, error) {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	return string(b), err
}

// DecodeHistogram reads what EncodeHistogram wrote.
func DecodeHistogram(s string) (*hdr.Histogram, error) {
	h, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("load: histogram: %w", err)
	}
	return h, nil
}

// result merges the workers' tallies.
func (r *runner) result(tgt Target, started time.Time) *Result {
	sc := r.sc
	lat, svc, warm := newHist(), newHist(), newHist()
	res := &Result{
		Scenario: sc.Name, Target: tgt.Name, BaseURL: tgt.BaseURL, Mode: sc.Mode, TargetRate: sc.Rate,
		Connections: sc.Connections, Started: started, Duration: sc.Duration, Warmup: sc.Warmup,
		ErrorsByKind: map[string]int64{},
	}
	for _, w := range r.workers {
		rec := w.rec
		rec.mu.Lock()
		lat.Merge(rec.lat)
		svc.Merge(rec.svc)
		warm.Merge(rec.warm)
		res.Requests += rec.requests
		res.Errors += rec.errors
		res.Bytes += rec.bytes
		res.Sessions += rec.sessions
		res.KeysReused += rec.reused
		for k, v := range rec.kinds {
			res.ErrorsByKind[k] += v
		}
		rec.mu.Unlock()
	}
	if len(res.ErrorsByKind) == 0 {
		res.ErrorsByKind = nil
	}
	interval := int64(0)
	switch {
	case !r.closed:
		res.Correction = "open loop: latency from each request's scheduled send time"
	case sc.ExpectedInterval > 0:
		interval = us(time.Duration(sc.ExpectedInterval))
		res.Correction = fmt.Sprintf("closed loop: HDR expected-interval correction, interval %v (from the scenario)", time.Duration(sc.ExpectedInterval))
	case warm.TotalCount() > 0:
		interval = max(warm.ValueAtQuantile(50), 1)
		res.Correction = fmt.Sprintf("closed loop: HDR expected-interval correction, interval %v (warm-up median)", time.Duration(interval)*time.Microsecond)
	default:
		res.Correction = "none: closed loop without warm-up or expected_interval"
	}
	if interval > 0 {
		lat = correct(lat, interval)
	}
	res.Latency = PercentilesOf(lat)
	res.ServiceTime = PercentilesOf(svc)
	res.Histogram, _ = EncodeHistogram(lat)
	secs := time.Duration(sc.Duration).Seconds()
	res.RequestsPerSec = float64(res.Requests) / secs
	res.BytesPerSec = float64(res.Bytes) / secs

	if r.labelStats != nil {
		labels := sc.labels
		for i, ls := range r.labelStats {
			h := ls.lat
			if interval > 0 {
				h = correct(h, interval)
			}
			res.Steps = append(res.Steps, StepResult{Name: labels[i], Requests: ls.requests, Errors: ls.errors, Latency: PercentilesOf(h)})
		}
	}
	for i, b := range r.timeline {
		iv := Interval{Start: float64(i) * r.binWidth.Seconds(), Seconds: r.binWidth.Seconds()}
		if b != nil {
			h := b.hist
			if interval > 0 {
				h = correct(h, interval)
			}
			p := PercentilesOf(h)
			iv.Requests, iv.Errors, iv.Bytes = b.requests, b.errors, b.nbytes
			iv.P50, iv.P99, iv.Max = p.P50, p.P99, p.Max
		}
		res.Timeline = append(res.Timeline, iv)
	}
	return res
}
