package server

import (
	"testing"
	"time"
)

// TestIdleWatch: memory is released at the first quiet check after traffic,
// not while requests arrive, not again while idle, and not twice within the
// gap.
func TestIdleWatch(t *testing.T) {
	w := idleWatch{gap: 10 * time.Second}
	start := time.Unix(1_800_000_000, 0)
	steps := []struct {
		at      time.Duration
		started uint64
		release bool
	}{
		{0, 0, false},                 // no traffic yet
		{1 * time.Second, 0, false},   // still none
		{2 * time.Second, 500, false}, // traffic
		{3 * time.Second, 900, false},
		{4 * time.Second, 900, true},    // quiet: release
		{5 * time.Second, 900, false},   // still quiet: once is enough
		{6 * time.Second, 901, false},   // a trickle
		{7 * time.Second, 901, false},   // quiet, but within the gap
		{8 * time.Second, 2000, false},  // traffic again
		{14 * time.Second, 2000, true},  // quiet past the gap
		{15 * time.Second, 2001, false}, // traffic
		{16 * time.Second, 2001, false}, // quiet within the gap: waits
		{25 * time.Second, 2001, true},  // the gap has passed, still after traffic
	}
	for _, st := range steps {
		if got := w.observe(st.started, start.Add(st.at)); got != st.release {
			t.Fatalf("at %s with %d requests: release %v, want %v", st.at, st.started, got, st.release)
		}
	}
}
