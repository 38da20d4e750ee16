package load

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// progressEvery is how often the live line is redrawn.
const progressEvery = 500 * time.Millisecond

// IsTerminal reports whether w is a terminal, where a line redrawn with \r
// reads well; a log file or a pipe would only collect the redraws.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startProgress redraws a status line on w (when it is a terminal) until
// the returned function is called, which erases it.
func (r *runner) startProgress(w io.Writer, label string) func() {
	if w == nil || !IsTerminal(w) {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(w, "\r\033[K"+r.statusLine(label, time.Now()))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// statusLine is the live line: phase, rate, errors and percentiles so far
// (uncorrected in closed mode, where the correction needs the whole run).
func (r *runner) statusLine(label string, now time.Time) string {
	if now.Before(r.warmEnd) {
		return fmt.Sprintf("%s  warm-up %.0fs left", label, r.warmEnd.Sub(now).Seconds())
	}
	h := newHist()
	var reqs, errs int64
	for _, w := range r.workers {
		w.rec.mu.Lock()
		h.Merge(w.rec.lat)
		reqs += w.rec.requests
		errs += w.rec.errors
		w.rec.mu.Unlock()
	}
	if now.After(r.end) {
		now = r.end
	}
	elapsed := now.Sub(r.warmEnd).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(reqs) / elapsed
	}
	ms := func(v int64) string { return FormatMillis(float64(v) / 1000) }
	return fmt.Sprintf("%s  %4.0fs/%.0fs  %8.0f req/s  errors %d  p50 %s  p99 %s",
		label, elapsed, r.end.Sub(r.warmEnd).Seconds(), rate, errs, ms(h.ValueAtQuantile(50)), ms(h.ValueAtQuantile(99)))
}

// FormatMillis prints a latency in milliseconds with three significant
// digits: 0.412ms, 12.3ms, 1530ms.
func FormatMillis(ms float64) string {
	switch {
	case ms < 1:
		return fmt.Sprintf("%.3fms", ms)
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1fms", ms)
	default:
		return fmt.Sprintf("%.0fms", ms)
	}
}
