package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Target is where a run sends its requests.
type Target struct {
	// Name labels the results ("strata", "nginx").
	Name string
	// BaseURL is scheme://host[:port] and an optional path prefix; step
	// paths are appended to it.
	BaseURL string
	// Headers go with every request, e.g. an origin secret.
	Headers map[string]string
	// AllowRemote permits addresses outside the loopback range. Without it
	// every connection is checked after name resolution and refused.
	AllowRemote bool
}

// Options tune one run beyond its scenario.
type Options struct {
	// KeyOffset shifts a sequential key order: a run that must not touch
	// keys an earlier run cached starts past them.
	KeyOffset int64
	// RunID is what {run} expands to. Default: 8 random bytes in hex, so
	// that sign-ups of two runs never collide.
	RunID string
	// Progress receives a live status line every half second when it is
	// a terminal; otherwise nothing is written to it.
	Progress io.Writer
	// Label prefixes the status line, e.g. "hot-small strata r1".
	Label string
}

// startDelay lets the workers start before the first request is due, so
// that starting goroutines is not charged as latency.
const startDelay = 20 * time.Millisecond

// runner is one run of one scenario against one target.
type runner struct {
	ctx     context.Context
	sc      *Scenario
	opts    Options
	closed  bool
	base    []byte
	headers [][2]string
	client  *httpClient
	runID   string
	seed    uint64

	start, warmEnd, end time.Time
	interval            float64 // ns between session starts (open loop)
	next                atomic.Int64

	stepLabel  []int // first label of each step
	labelStats []*labelStat

	tlMu     sync.Mutex
	timeline []*timelineBin
	binWidth time.Duration
	maxBin   int

	workers []*worker
}

// worker is one virtual connection: at most one request in flight.
type worker struct {
	r       *runner
	rec     *recorder
	x       exchange
	scratch []byte
	timer   *time.Timer
}

// Run plays sc against tgt: Warmup unrecorded, then Duration measured. It
// returns once every request it sent has completed or timed out. It fails
// only when it cannot start (bad scenario or target) or ctx ends; what the
// server does wrong is counted in the result.
func Run(ctx context.Context, sc *Scenario, tgt Target, opts Options) (*Result, error) {
	if err := sc.Prepare(); err != nil {
		return nil, err
	}
	if err := CheckTarget(tgt.BaseURL, tgt.AllowRemote); err != nil {
		return nil, err
	}
	r := &runner{
		ctx: ctx, sc: sc, opts: opts, closed: sc.Mode == ModeClosed,
		base:   []byte(strings.TrimSuffix(tgt.BaseURL, "/")),
		client: newHTTPClient(sc.Connections, tgt.AllowRemote),
		runID:  opts.RunID, seed: 1,
	}
	defer r.client.close()
	if sc.Keys != nil {
		r.seed = sc.Keys.Seed
	}
	if r.runID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		r.runID = hex.EncodeToString(b[:])
	}
	for _, name := range sortedKeys(tgt.Headers) {
		r.headers = append(r.headers, [2]string{name, tgt.Headers[name]})
	}
	n := 0
	for _, st := range sc.Steps {
		r.stepLabel = append(r.stepLabel, n)
		n += len(st.labels())
	}
	if n > 1 {
		for range n {
			r.labelStats = append(r.labelStats, &labelStat{lat: newHist()})
		}
	}
	duration := time.Duration(sc.Duration)
	r.binWidth = max(time.Second, (duration+maxTimelineBins-1)/maxTimelineBins)
	r.binWidth = r.binWidth.Round(time.Second)
	// Requests completing after the window (the drain) count in its last
	// interval, which would otherwise show a spurious drop in throughput.
	r.maxBin = max(int((duration+r.binWidth-1)/r.binWidth)-1, 0)
	if sc.Mode == ModeOpen {
		r.interval = float64(time.Second) / sc.Rate
	}

	started := time.Now()
	r.start = started.Add(startDelay)
	r.warmEnd = r.start.Add(time.Duration(sc.Warmup))
	r.end = r.warmEnd.Add(duration)
	var wg sync.WaitGroup
	for range sc.Connections {
		w := &worker{r: r, rec: newRecorder(), timer: time.NewTimer(time.Hour)}
		w.timer.Stop()
		r.workers = append(r.workers, w)
		wg.Go(w.loop)
	}
	stopProgress := r.startProgress(opts.Progress, opts.Label)
	wg.Wait()
	stopProgress()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load: %s: %w", sc.Name, err)
	}
	return r.result(tgt, started), nil
}

// loop runs sessions until the end of the run: in open mode each at its
// place in the schedule, in closed mode back to back.
func (w *worker) loop() {
	r := w.r
	defer func() {
		w.rec.mu.Lock()
		if w.rec.binCount > 0 {
			w.rec.flushBin(r)
		}
		w.rec.mu.Unlock()
	}()
	if d := time.Until(r.start); d > 0 && !w.sleep(d) {
		return
	}
	for r.ctx.Err() == nil {
		i := r.next.Add(1) - 1
		var due time.Time
		if r.closed {
			due = time.Now()
		} else {
			due = r.start.Add(time.Duration(float64(i) * r.interval))
		}
		if !due.Before(r.end) {
			return
		}
		w.runSession(i, due)
	}
}

// sleep waits d, or less when the run's context ends (then false).
func (w *worker) sleep(d time.Duration) bool {
	w.timer.Reset(d)
	select {
	case <-w.timer.C:
		return true
	case <-w.r.ctx.Done():
		w.timer.Stop()
		return false
	}
}

// fail counts a non-HTTP error of a session step that was due at at.
func (w *worker) fail(at time.Time, kind string) {
	if !at.Before(w.r.warmEnd) && at.Before(w.r.end) {
		w.rec.fail(kind)
	}
}
