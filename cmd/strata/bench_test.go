package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/strata3d/strata/bench/load"
	"github.com/strata3d/strata/bench/report"
)

// writeResult writes a one-scenario result file whose Strata latencies are
// uniform on [ms, 10×ms].
func writeResult(t *testing.T, path string, ms float64) {
	t.Helper()
	h := hdr.New(1, int64(time.Hour/time.Microsecond), 3)
	for i := range 100 {
		_ = h.RecordValue(int64(ms * 1000 * (1 + 9*float64(i)/99)))
	}
	enc, err := load.EncodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	s := &report.Scenario{Spec: &load.Scenario{Name: "hot", Mode: load.ModeClosed}, Targets: []string{"strata"},
		Rounds: []report.Round{{Round: 1, Order: []string{"strata"}, Results: []*load.Result{{Target: "strata", Requests: 100, RequestsPerSec: 100, Histogram: enc}}}}}
	if err := s.Summarize(); err != nil {
		t.Fatal(err)
	}
	f := &report.File{Format: report.FormatVersion, Suite: "t", Scenarios: []*report.Scenario{s}}
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
}

// TestBenchCompareExitStatus: `strata bench compare` exits 0 when nothing
// regressed, 1 when something did, 2 when called wrongly.
func TestBenchCompareExitStatus(t *testing.T) {
	dir := t.TempDir()
	base, same, slow := filepath.Join(dir, "base.json"), filepath.Join(dir, "same.json"), filepath.Join(dir, "slow.json")
	writeResult(t, base, 1)
	writeResult(t, same, 1)
	writeResult(t, slow, 2)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench", "compare", base, same}, 0, "0 regression(s)"},
		{[]string{"bench", "compare", base, slow}, 1, "REGRESSION"},
		{[]string{"bench", "compare", "--threshold", "150%", base, slow}, 0, "0 regression(s)"},
		{[]string{"bench", "nope"}, 2, "unknown suite"},
	} {
		var out bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &out); code != tc.code || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%q: exit %d, want %d; output:\n%s", tc.args, code, tc.code, out.String())
		}
	}
}
