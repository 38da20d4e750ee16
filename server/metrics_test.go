package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestShardedMetricsSum checks that requests recorded on different
// connections (so different shards) add up at a scrape: counters, histogram
// buckets (cumulative, with the boundary value inside its bucket), sums, bytes,
// the in-flight gauge and a status code outside the known list.
func TestShardedMetricsSum(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	for conn := uint64(0); conn < 3*metricShards; conn++ {
		m.begin(conn)
	}
	// 48 in flight; finish 40 of them, spread over every shard.
	for conn := uint64(0); conn < 40; conn++ {
		switch {
		case conn < 30:
			m.end(conn, routeAssets, 200, 100*time.Microsecond, 4096) // exactly on the 0.0001 bound
		case conn < 39:
			m.end(conn, routeAssets, 206, 2*time.Millisecond, 65536)
		default:
			m.end(conn, routeAssets, 418, 40*time.Second, 0) // past the last bound
		}
	}
	want := `
# HELP strata_http_requests_in_flight Requests being served now.
# TYPE strata_http_requests_in_flight gauge
strata_http_requests_in_flight 8
`
	if err := testutil.CollectAndCompare(m, strings.NewReader(want), "strata_http_requests_in_flight"); err != nil {
		t.Error(err)
	}
	got := map[string]float64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			labels := ""
			for _, l := range mt.GetLabel() {
				labels += l.GetName() + "=" + l.GetValue() + ","
			}
			switch {
			case mt.GetCounter() != nil:
				got[f.GetName()+"{"+labels+"}"] = mt.GetCounter().GetValue()
			case mt.GetHistogram() != nil:
				h := mt.GetHistogram()
				got[f.GetName()+"_count{"+labels+"}"] = float64(h.GetSampleCount())
				got[f.GetName()+"_sum{"+labels+"}"] = h.GetSampleSum()
				for _, b := range h.GetBucket() {
					got[f.GetName()+"_bucket{"+labels+"le="+strconvFloat(b.GetUpperBound())+"}"] = float64(b.GetCumulativeCount())
				}
			}
		}
	}
	checks := map[string]float64{
		`strata_http_requests_total{code=200,route=assets,}`:                            30,
		`strata_http_requests_total{code=206,route=assets,}`:                            9,
		`strata_http_requests_total{code=418,route=assets,}`:                            1,
		`strata_http_requests_total{code=200,route=api,}`:                               0,
		`strata_http_response_bytes_total{route=assets,}`:                               30*4096 + 9*65536,
		`strata_http_request_duration_seconds_count{class=2xx,route=assets,}`:           39,
		`strata_http_request_duration_seconds_bucket{class=2xx,route=assets,le=5e-05}`:  0,
		`strata_http_request_duration_seconds_bucket{class=2xx,route=assets,le=0.0001}`: 30,
		`strata_http_request_duration_seconds_bucket{class=2xx,route=assets,le=0.001}`:  30,
		`strata_http_request_duration_seconds_bucket{class=2xx,route=assets,le=0.0025}`: 39,
		`strata_http_request_duration_seconds_bucket{class=2xx,route=assets,le=30}`:     39,
		`strata_http_request_duration_seconds_count{class=4xx,route=assets,}`:           1,
		`strata_http_request_duration_seconds_bucket{class=4xx,route=assets,le=30}`:     0,
	}
	for k, v := range checks {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if s := got[`strata_http_request_duration_seconds_sum{class=2xx,route=assets,}`]; s < 0.0209 || s > 0.0211 {
		t.Errorf("2xx duration sum = %v, want 30×100µs + 9×2ms = 0.021", s)
	}
}

func strconvFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
