package tier

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// metricsExcerpt is trimmed from a real `strata serve` /metrics page, plus
// a label value with escapes, which client_golang writes for odd values.
const metricsExcerpt = `# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 1.4090240e+07
go_memstats_heap_released_bytes 1.0248192e+07
# HELP strata_cache_bytes Bytes of chunks and derived results held in the cache.
# TYPE strata_cache_bytes gauge
strata_cache_bytes 1.048576e+06
strata_cache_collapsed_waiters_total{kind="chunk"} 24
strata_cache_collapsed_waiters_total{kind="meta"} 3
strata_cache_evictions_total 165
strata_cache_hits_total{kind="chunk"} 40
strata_cache_hits_total{kind="meta"} 7
strata_cache_misses_total{kind="chunk"} 32
strata_cache_store_fetched_bytes_total 2.097152e+06
strata_cache_store_gets_total{outcome="changed"} 0
strata_cache_store_gets_total{outcome="error"} 1
strata_cache_store_gets_total{outcome="not_found"} 0
strata_cache_store_gets_total{outcome="ok"} 8
strata_store_operation_seconds_bucket{op="get",le="0.0005"} 0
strata_store_operation_seconds_bucket{op="get",le="+Inf"} 9
strata_store_operation_seconds_sum{op="get"} 0.31
strata_store_operation_seconds_count{op="get"} 9
strata_store_operation_seconds_count{op="stat"} 1
strata_http_requests_total{route="assets",note="say \"hi\"\\n"} 4 1700000000000
`

func TestStrataMetrics(t *testing.T) {
	samples, err := parseMetrics(metricsExcerpt)
	if err != nil {
		t.Fatal(err)
	}
	got := strataMetrics(samples)
	want := StrataMetrics{
		StoreGets: 9, StoreGetsFailed: 1, StoreGetOps: 9, StoreStatOps: 1, FetchedBytes: 2 << 20,
		ChunkHits: 40, ChunkMisses: 32, ChunkCollapsed: 24, Evictions: 165, CacheBytes: 1 << 20,
		HeapInuse: 14090240, HeapReleased: 10248192,
	}
	if got != want {
		t.Errorf("strataMetrics =\n%+v\nwant\n%+v", got, want)
	}
	diff := got.Sub(StrataMetrics{StoreGets: 1, FetchedBytes: 1 << 20, CacheBytes: 99, Evictions: 5})
	if diff.StoreGets != 8 || diff.FetchedBytes != 1<<20 || diff.Evictions != 160 || diff.CacheBytes != 1<<20 {
		t.Errorf("Sub: counters must shrink and gauges stay: %+v", diff)
	}
}

func TestParseMetrics(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []sample
		wantErr bool
	}{
		{name: "comments and blanks only", in: "# HELP x y\n\n# TYPE x counter\n"},
		{name: "plain", in: "x 1", want: []sample{{name: "x", labels: map[string]string{}, value: 1}}},
		{name: "labels and timestamp", in: `x{a="1",b="two"} 2.5 123`,
			want: []sample{{name: "x", labels: map[string]string{"a": "1", "b": "two"}, value: 2.5}}},
		{name: "trailing comma and spaces", in: `x{ a = "1", } 3`,
			want: []sample{{name: "x", labels: map[string]string{"a": "1"}, value: 3}}},
		{name: "escaped quote, backslash, newline", in: `x{a="q\"b\\n\n"} 4`,
			want: []sample{{name: "x", labels: map[string]string{"a": "q\"b\\n\n"}, value: 4}}},
		{name: "brace inside a value", in: `x{a="}"} 5`,
			want: []sample{{name: "x", labels: map[string]string{"a": "}"}, value: 5}}},
		{name: "special floats", in: "x +Inf\ny NaN",
			want: []sample{{name: "x", labels: map[string]string{}, value: math.Inf(1)}, {name: "y", labels: map[string]string{}, value: math.NaN()}}},
		{name: "no value", in: "x", wantErr: true},
		{name: "bad value", in: "x one", wantErr: true},
		{name: "too many fields", in: "x 1 2 3", wantErr: true},
		{name: "unquoted label", in: "x{a=1} 1", wantErr: true},
		{name: "unterminated value", in: `x{a="1} 1`, wantErr: true},
		{name: "label without =", in: `x{a} 1`, wantErr: true},
		{name: "no name", in: `{a="1"} 1`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMetrics(tt.in)
			if tt.wantErr {
				if !errors.Is(err, errMetricsLine) {
					t.Fatalf("parseMetrics(%q) = %v, %v; want errMetricsLine", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseMetrics(%q): %v", tt.in, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("parseMetrics(%q) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				sameValue := g.value == w.value || (math.IsNaN(g.value) && math.IsNaN(w.value))
				if g.name != w.name || !sameValue || len(g.labels) != len(w.labels) {
					t.Errorf("sample %d = %+v, want %+v", i, g, w)
					continue
				}
				for k, v := range w.labels {
					if g.labels[k] != v {
						t.Errorf("sample %d label %s = %q, want %q", i, k, g.labels[k], v)
					}
				}
			}
		})
	}
}

func TestSumIgnoresNaN(t *testing.T) {
	samples, err := parseMetrics("x NaN\nx 1")
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(samples, "x", nil); got != 0 {
		t.Errorf("sum over a NaN = %d, want 0", got)
	}
}

// FuzzParseMetrics: any text is either refused with errMetricsLine or parsed
// into named samples, never a panic.
func FuzzParseMetrics(f *testing.F) {
	f.Add(metricsExcerpt)
	f.Add(`x{a="1",b="2"} 3 4`)
	f.Fuzz(func(t *testing.T, text string) {
		samples, err := parseMetrics(text)
		if err != nil {
			if !errors.Is(err, errMetricsLine) {
				t.Fatalf("error %v does not wrap errMetricsLine", err)
			}
			return
		}
		for _, s := range samples {
			if s.name == "" || strings.ContainsAny(s.name, "{ \t") {
				t.Fatalf("sample with bad name %q from %q", s.name, text)
			}
		}
		_ = strataMetrics(samples)
	})
}
