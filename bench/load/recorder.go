package load

import (
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histograms count microseconds from 1 µs to an hour with three significant
// digits (0.1 % error); the timeline's per-interval histograms use two
// digits (1 %), which is plenty for a plot and keeps one interval at ~20 KiB.
const (
	histLowest      = 1
	histHighest     = int64(time.Hour / time.Microsecond)
	histDigits      = 3
	timelineDigits  = 2
	maxTimelineBins = 600
)

func newHist() *hdr.Histogram { return hdr.New(histLowest, histHighest, histDigits) }

func newTimelineHist() *hdr.Histogram { return hdr.New(histLowest, histHighest, timelineDigits) }

// us converts a latency to the histograms' unit, clamped to their range.
func us(d time.Duration) int64 {
	v := int64(d / time.Microsecond)
	return min(max(v, histLowest), histHighest)
}

// recorder is one worker's tallies. Only its worker writes it; the lock is
// for the progress line, which reads it while the run goes on.
type recorder struct {
	mu                 sync.Mutex
	lat, svc, warm     *hdr.Histogram
	requests, errors   int64
	bytes, sessions    int64
	reused             int64
	kinds              map[string]int64
	bin                int
	binHist            *hdr.Histogram
	binReq, binErr     int64
	binBytes, binCount int64
}

func newRecorder() *recorder {
	return &recorder{lat: newHist(), svc: newHist(), warm: newHist(), kinds: map[string]int64{}, binHist: newTimelineHist()}
}

// labelStat is what one label (a step, or a part of a viewer step) got.
type labelStat struct {
	mu               sync.Mutex
	lat              *hdr.Histogram
	requests, errors int64
}

// timelineBin is one interval of the run, by completion time.
type timelineBin struct {
	hist                     *hdr.Histogram
	requests, errors, nbytes int64
}

// record tallies one request. Requests due during the warm-up only feed
// the closed loop's expected interval.
func (rec *recorder) record(r *runner, label int, intended, sent, done time.Time, n int64, kind string) {
	svc := us(done.Sub(sent))
	if intended.Before(r.warmEnd) {
		if r.closed {
			rec.mu.Lock()
			_ = rec.warm.RecordValue(svc)
			rec.mu.Unlock()
		}
		return
	}
	lat := svc
	if !r.closed {
		lat = us(done.Sub(intended))
	}
	bin := int(done.Sub(r.warmEnd) / r.binWidth)
	bin = min(max(bin, 0), r.maxBin)

	rec.mu.Lock()
	_ = rec.lat.RecordValue(lat)
	_ = rec.svc.RecordValue(svc)
	rec.requests++
	rec.bytes += n
	if kind != "" {
		rec.errors++
		rec.kinds[kind]++
	}
	if bin != rec.bin && rec.binCount > 0 {
		rec.flushBin(r)
	}
	rec.bin = bin
	_ = rec.binHist.RecordValue(lat)
	rec.binCount++
	rec.binReq++
	rec.binBytes += n
	if kind != "" {
		rec.binErr++
	}
	rec.mu.Unlock()

	if r.labelStats != nil {
		ls := r.labelStats[label]
		ls.mu.Lock()
		_ = ls.lat.RecordValue(lat)
		ls.requests++
		if kind != "" {
			ls.errors++
		}
		ls.mu.Unlock()
	}
}

// flushBin moves the worker's current interval into the run's timeline.
// Called with rec.mu held.
func (rec *recorder) flushBin(r *runner) {
	r.tlMu.Lock()
	for len(r.timeline) <= rec.bin {
		r.timeline = append(r.timeline, nil)
	}
	b := r.timeline[rec.bin]
	if b == nil {
		b = &timelineBin{hist: newTimelineHist()}
		r.timeline[rec.bin] = b
	}
	b.hist.Merge(rec.binHist)
	b.requests += rec.binReq
	b.errors += rec.binErr
	b.nbytes += rec.binBytes
	r.tlMu.Unlock()
	rec.binHist.Reset()
	rec.binReq, rec.binErr, rec.binBytes, rec.binCount = 0, 0, 0, 0
}

// fail counts an error that is not a response: a capture that found
// nothing, a manifest that does not parse, a placeholder without a value.
func (rec *recorder) fail(kind string) {
	rec.mu.Lock()
	rec.errors++
	rec.kinds[kind]++
	rec.mu.Unlock()
}

func (rec *recorder) session() {
	rec.mu.Lock()
	rec.sessions++
	rec.mu.Unlock()
}

func (rec *recorder) keysReused(n int64) {
	rec.mu.Lock()
	rec.reused += n
	rec.mu.Unlock()
}

// correct returns raw with HdrHistogram's coordinated-omission correction
// applied after the fact: each value v also counts v-i, v-2i, … down to i,
// exactly what RecordCorrectedValue(v, i) would have recorded, so the
// expected interval can come from the warm-up, which ends after measured
// requests may already have completed. Values are taken at the top of
// their HDR bucket, as the percentiles are.
func correct(raw *hdr.Histogram, interval int64) *hdr.Histogram {
	out := hdr.New(raw.LowestTrackableValue(), raw.HighestTrackableValue(), int(raw.SignificantFigures()))
	for _, bar := range raw.Distribution() {
		if bar.Count == 0 {
			continue
		}
		v := bar.To
		_ = out.RecordValues(v, bar.Count)
		if interval <= 0 {
			continue
		}
		for m := v - interval; m >= interval; m -= interval {
			_ = out.RecordValues(m, bar.Count)
		}
	}
	return out
}
