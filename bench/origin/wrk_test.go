package origin

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const (
	us = time.Microsecond
	ms = time.Millisecond
)

// The inputs are real wrk 4.1.0 outputs, captured with this package's
// scripts (get-4k, range, read-errors, range-ignored) and without a script
// (non2xx-no-script, hung).
func TestParseWrk(t *testing.T) {
	tests := []struct {
		name string
		file string
		want WrkResult
	}{
		{
			name: "hot GET with the done() line",
			file: "get-4k.txt",
			want: WrkResult{
				RequestsPerSec: 25713.73, Requests: 53175, Elapsed: 2070 * ms,
				Latency: Latency{Mean: 6710 * us, Stdev: 14930 * us, Max: 132820 * us,
					P50: 1690 * us, P75: 4 * ms, P90: 18700 * us, P99: 79430 * us, P999: 122559 * us},
			},
		},
		{
			name: "ranges with the response() hook",
			file: "range.txt",
			want: WrkResult{
				RequestsPerSec: 21795.30, Requests: 43782, Elapsed: 2010 * ms,
				Latency: Latency{Mean: 1820 * us, Stdev: 1290 * us, Max: 13160 * us,
					P50: 1460 * us, P75: 2160 * us, P90: 3710 * us, P99: 5870 * us, P999: 9200 * us},
			},
		},
		{
			name: "no script: no p99.9, Non-2xx counted",
			file: "non2xx-no-script.txt",
			want: WrkResult{
				RequestsPerSec: 37487.77, Requests: 41031, Elapsed: 1090 * ms,
				Latency: Latency{Mean: 733250 * time.Nanosecond, Stdev: 1040 * us, Max: 11620 * us,
					P50: 263 * us, P75: 846 * us, P90: 2090 * us, P99: 4360 * us},
				Non2xx: 41031, Errors: 41031,
			},
		},
		{
			name: "server closing every connection: read errors, -nan%",
			file: "read-errors.txt",
			want: WrkResult{Elapsed: 1000 * ms, ReadErrors: 13069, Errors: 13069},
		},
		{
			name: "server ignoring Range: script counts unexpected, wrk counts timeouts",
			file: "range-ignored.txt",
			want: WrkResult{RequestsPerSec: 0.6, Requests: 2, Elapsed: 3350 * ms, Timeouts: 2, Unexpected: 2, Errors: 4},
		},
		{
			name: "server that never answers",
			file: "hung.txt",
			want: WrkResult{Elapsed: 3120 * ms},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join("testdata", "wrk", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseWrk(string(out))
			if err != nil {
				t.Fatalf("parseWrk: %v", err)
			}
			if got != tt.want {
				t.Errorf("parseWrk:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseWrkRejects(t *testing.T) {
	const latencyBlock = "  Latency Distribution\n     50%  263.00us\n     75%  846.00us\n     90%    2.09ms\n     99%    4.36ms\n"
	const counts = "  41031 requests in 1.09s, 12.05MB read\n"
	const rps = "Requests/sec:  37487.77\n"
	tests := []struct {
		name string
		out  string
	}{
		{"empty", ""},
		{"usage text after a bad flag", "Usage: wrk <options> <url>\n  Options:\n    -c, --connections <N>  Connections to keep open\n"},
		{"no --latency", counts + rps},
		{"no Requests/sec", latencyBlock + counts},
		{"no request count", latencyBlock + rps},
		{"Requests/sec not a number", latencyBlock + counts + "Requests/sec:  lots\n"},
		{"percentile in an unknown unit", "  Latency Distribution\n     99%    4.36fortnights\n" + counts + rps},
		{"percentile negative", "  Latency Distribution\n     99%   -4.36ms\n" + counts + rps},
		{"socket errors of an unknown kind", latencyBlock + counts + "  Socket errors: connect 0, eaten 3\n" + rps},
		{"socket errors not a number", latencyBlock + counts + "  Socket errors: connect x, read 0, write 0, timeout 0\n" + rps},
		{"done() pair without value", latencyBlock + counts + rps + "strata-bench: p999\n"},
		{"done() value negative", latencyBlock + counts + rps + "strata-bench: p999=-1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := parseWrk(tt.out); !errors.Is(err, errWrkOutput) {
				t.Errorf("parseWrk = %+v, %v; want an errWrkOutput", got, err)
			}
		})
	}
}

func TestParseWrkTime(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"microseconds", "280.00us", 280 * us, true},
		{"fractional microseconds", "733.25us", 733250 * time.Nanosecond, true},
		{"milliseconds, no float drift", "2.45ms", 2450 * us, true},
		{"seconds", "1.10s", 1100 * ms, true},
		{"minutes", "1.50m", 90 * time.Second, true},
		{"hours", "2.00h", 2 * time.Hour, true},
		{"zero", "0.00us", 0, true},
		{"no unit", "2.45", 0, false},
		{"unit only", "ms", 0, false},
		{"nan", "nanus", 0, false},
		{"negative", "-1.00ms", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrkTime(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseWrkTime(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

// The done() line repeats p50–p99 in microseconds; wrk's text rounds them to
// three digits. If they disagree beyond rounding, the two blocks were read
// from different places.
func TestParseWrkAgreesWithDoneLine(t *testing.T) {
	for _, file := range []string{"get-4k.txt", "range.txt"} {
		out, err := os.ReadFile(filepath.Join("testdata", "wrk", file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseWrk(string(out))
		if err != nil {
			t.Fatal(err)
		}
		if got.Latency.P999 < got.Latency.P99 || got.Latency.P99 < got.Latency.P90 || got.Latency.P90 < got.Latency.P50 {
			t.Errorf("%s: percentiles not ordered: %+v", file, got.Latency)
		}
	}
}

func FuzzParseWrk(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "wrk", "*.txt"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, out string) {
		r, err := parseWrk(out)
		if err != nil {
			if !errors.Is(err, errWrkOutput) {
				t.Fatalf("error %v does not wrap errWrkOutput", err)
			}
			return
		}
		if r.Errors < max(r.Non2xx, r.Unexpected) || r.Errors < 0 {
			t.Fatalf("Errors %d below its parts: %+v", r.Errors, r)
		}
		if r.Latency.P99 < 0 || r.Latency.P999 < 0 {
			t.Fatalf("negative latency: %+v", r.Latency)
		}
	})
}
