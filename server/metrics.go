package server

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the origin's Prometheus series: requests by route class and
// status, latency by route class and status class, body bytes, in flight.
//
// Every request updates them, from both cores at once, so they are not
// client_golang's counters and histograms: those are one set of atomics shared
// by all cores, and on a 2-core origin under load the cache-line traffic of
// half a dozen contended atomic operations per request cost more than the
// handler itself. Here each connection writes to one of metricShards padded
// shards (uncontended atomics); a scrape sums the shards into constant
// metrics. The exported series, names and buckets are those of the plain
// client_golang version, all present from the start.
type metrics struct {
	shards [metricShards]metricShard

	descRequests, descDuration, descSent, descInFlight *prometheus.Desc

	// Status codes outside knownStatuses are rare; they are counted under a lock.
	otherMu sync.Mutex
	other   map[otherKey]uint64
}

const metricShards = 16

// durationBuckets go from 50µs (a hot cached asset) to 30s (a large body to a
// slow client).
var durationBuckets = [...]float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// bucketNanos are durationBuckets in nanoseconds, for comparisons without floats.
var bucketNanos = func() (b [len(durationBuckets)]int64) {
	for i, s := range durationBuckets {
		b[i] = int64(math.Round(s * 1e9))
	}
	return b
}()

type metricShard struct {
	requests [numRoutes][len(knownStatuses)]atomic.Uint64
	// buckets[route][class][i] counts durations ≤ durationBuckets[i] and above
	// the bucket before (not cumulative); the last slot is +Inf.
	buckets  [numRoutes][6][len(durationBuckets) + 1]atomic.Uint64
	sumNanos [numRoutes][6]atomic.Int64
	sent     [numRoutes]atomic.Uint64
	// started counts requests begun; those finished are the sum of requests
	// and other, so a request costs one atomic add fewer.
	started atomic.Uint64
	_       [64]byte // keep the next shard's first counters off this one's last line
}

type otherKey struct {
	route routeClass
	code  int
}

var knownStatuses = [...]int{200, 201, 202, 204, 206, 301, 302, 303, 304, 400, 401, 403, 404, 405, 408, 409, 412, 413, 414, 415, 416, 422, 429, 431, 500, 502, 503}

func statusIndex(code int) int {
	for i, c := range knownStatuses {
		if c == code {
			return i
		}
	}
	return -1
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		descRequests: prometheus.NewDesc("strata_http_requests_total",
			"HTTP requests answered, by route class and status code.", []string{"route", "code"}, nil),
		descDuration: prometheus.NewDesc("strata_http_request_duration_seconds",
			"Time from request parsed to response handed to the connection (streamed bodies: to last byte), by route class and status class.",
			[]string{"route", "class"}, nil),
		descSent: prometheus.NewDesc("strata_http_response_bytes_total",
			"Response body bytes sent, by route class.", []string{"route"}, nil),
		descInFlight: prometheus.NewDesc("strata_http_requests_in_flight",
			"Requests being served now.", nil, nil),
		other: map[otherKey]uint64{},
	}
	if err := reg.Register(m); err != nil {
		return nil, fmt.Errorf("server: register metrics: %w", err)
	}
	return m, nil
}

// shard picks the shard of a connection: requests on one connection run one
// at a time, so they rarely share a shard with a request on another core.
func (m *metrics) shard(connID uint64) *metricShard {
	return &m.shards[connID%metricShards]
}

// begin counts a request in flight.
func (m *metrics) begin(connID uint64) { m.shard(connID).started.Add(1) }

// startedTotal counts the requests begun so far.
func (m *metrics) startedTotal() uint64 {
	var n uint64
	for i := range m.shards {
		n += m.shards[i].started.Load()
	}
	return n
}

// end records a finished request.
func (m *metrics) end(connID uint64, r routeClass, status int, d time.Duration, sent int64) {
	sh := m.shard(connID)
	if i := statusIndex(status); i >= 0 {
		sh.requests[r][i].Add(1)
	} else {
		m.otherMu.Lock()
		m.other[otherKey{r, status}]++
		m.otherMu.Unlock()
	}
	class := status / 100
	if class < 1 || class > 5 {
		class = 5
	}
	ns := max(int64(d), 0)
	b := len(durationBuckets)
	for i, limit := range bucketNanos {
		if ns <= limit {
			b = i
			break
		}
	}
	sh.buckets[r][class][b].Add(1)
	sh.sumNanos[r][class].Add(ns)
	if sent > 0 {
		sh.sent[r].Add(uint64(sent))
	}
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.descRequests
	ch <- m.descDuration
	ch <- m.descSent
	ch <- m.descInFlight
}

// Collect implements prometheus.Collector: the sums of the shards.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	// Started is read first: a request finishing between the loads is
	// counted as finished but not as started, and the gauge stays ≥ 0.
	var started, finished uint64
	for i := range m.shards {
		started += m.shards[i].started.Load()
	}

	for r := routeClass(0); r < numRoutes; r++ {
		route := r.String()
		for i, code := range knownStatuses {
			var n uint64
			for s := range m.shards {
				n += m.shards[s].requests[r][i].Load()
			}
			finished += n
			ch <- prometheus.MustNewConstMetric(m.descRequests, prometheus.CounterValue, float64(n), route, strconv.Itoa(code))
		}
		for class := 1; class <= 5; class++ {
			var counts [len(durationBuckets) + 1]uint64
			var sum int64
			for s := range m.shards {
				sh := &m.shards[s]
				for b := range counts {
					counts[b] += sh.buckets[r][class][b].Load()
				}
				sum += sh.sumNanos[r][class].Load()
			}
			cumulative := make(map[float64]uint64, len(durationBuckets))
			var total uint64
			for b, limit := range durationBuckets {
				total += counts[b]
				cumulative[limit] = total
			}
			total += counts[len(durationBuckets)]
			ch <- prometheus.MustNewConstHistogram(m.descDuration, total, float64(sum)/1e9, cumulative, route, strconv.Itoa(class)+"xx")
		}
		var sent uint64
		for s := range m.shards {
			sent += m.shards[s].sent[r].Load()
		}
		ch <- prometheus.MustNewConstMetric(m.descSent, prometheus.CounterValue, float64(sent), route)
	}
	m.otherMu.Lock()
	for k, n := range m.other {
		finished += n
		ch <- prometheus.MustNewConstMetric(m.descRequests, prometheus.CounterValue, float64(n), k.route.String(), strconv.Itoa(k.code))
	}
	m.otherMu.Unlock()
	ch <- prometheus.MustNewConstMetric(m.descInFlight, prometheus.GaugeValue, float64(started-min(finished, started)))
}

// slogPrinter lets promhttp report encoding errors through slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Error("metrics", "message", fmt.Sprint(v...)) }
