package load

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func TestStatusLine(t *testing.T) {
	now := time.Now()
	r := &runner{warmEnd: now.Add(-2 * time.Second), end: now.Add(3 * time.Second)}
	for range 2 {
		w := &worker{rec: newRecorder()}
		for i := range 500 {
			_ = w.rec.lat.RecordValue(int64(1000 + i)) // 1.000–1.499 ms
			w.rec.requests++
		}
		w.rec.errors = 3
		r.workers = append(r.workers, w)
	}
	line := r.statusLine("hot r1 strata", now)
	for _, want := range []string{"hot r1 strata", "2s/5s", "500 req/s", "errors 6", "p50 1.25ms", "p99 1.49ms"} {
		if !strings.Contains(line, want) {
			t.Errorf("status line %q lacks %q", line, want)
		}
	}
	if line := r.statusLine("x", now.Add(-3*time.Second)); !strings.Contains(line, "warm-up 1s left") {
		t.Errorf("warm-up line %q", line)
	}
}

// TestProgressOnlyOnATerminal: redraws would fill a log file or a pipe.
func TestProgressOnlyOnATerminal(t *testing.T) {
	var b bytes.Buffer
	if IsTerminal(&b) {
		t.Error("a buffer is not a terminal")
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if IsTerminal(pw) {
		t.Error("a pipe is not a terminal")
	}
	r := &runner{}
	stop := r.startProgress(&b, "x")
	stop()
	if b.Len() != 0 {
		t.Errorf("wrote %q to a non-terminal", b.String())
	}
}

func TestFormatMillis(t *testing.T) {
	for in, want := range map[float64]string{0.4123: "0.412ms", 4.567: "4.57ms", 12.34: "12.3ms", 1530.4: "1530ms"} {
		if got := FormatMillis(in); got != want {
			t.Errorf("FormatMillis(%v) = %q, want %q", in, got, want)
		}
	}
}
