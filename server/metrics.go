package server

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the origin's Prometheus series. Label values are resolved once
// for the statuses the origin sends, so the hot path does no label lookups.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	sent     *prometheus.CounterVec
	inFlight prometheus.Gauge

	// byStatus[route][statusIndex] caches the request counter of each pair;
	// byClass[route][class] the histogram of each status class.
	byStatus [numRoutes][len(knownStatuses)]prometheus.Counter
	byClass  [numRoutes][6]prometheus.Observer
	sentBy   [numRoutes]prometheus.Counter
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
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_http_requests_total",
			Help: "HTTP requests answered, by route class and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "strata_http_request_duration_seconds",
			Help: "Time from request parsed to response handed to the connection (streamed bodies: to last byte), by route class and status class.",
			// From 50µs (a hot cached asset) to 30s (a large body to a slow client).
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "class"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_http_response_bytes_total",
			Help: "Response body bytes sent, by route class.",
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "strata_http_requests_in_flight",
			Help: "Requests being served now.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.sent, m.inFlight} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("server: register metrics: %w", err)
		}
	}
	for r := routeClass(0); r < numRoutes; r++ {
		for i, code := range knownStatuses {
			m.byStatus[r][i] = m.requests.WithLabelValues(r.String(), strconv.Itoa(code))
		}
		for c := 1; c <= 5; c++ {
			m.byClass[r][c] = m.duration.WithLabelValues(r.String(), strconv.Itoa(c)+"xx")
		}
		m.sentBy[r] = m.sent.WithLabelValues(r.String())
	}
	return m, nil
}

func (m *metrics) observe(r routeClass, status int, d time.Duration, sent int64) {
	if i := statusIndex(status); i >= 0 {
		m.byStatus[r][i].Inc()
	} else {
		m.requests.WithLabelValues(r.String(), strconv.Itoa(status)).Inc()
	}
	class := status / 100
	if class < 1 || class > 5 {
		class = 5
	}
	m.byClass[r][class].Observe(d.Seconds())
	if sent > 0 {
		m.sentBy[r].Add(float64(sent))
	}
}

// slogPrinter lets promhttp report encoding errors through slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Error("metrics", "message", fmt.Sprint(v...)) }
