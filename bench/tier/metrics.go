package tier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// StrataMetrics are the counters Strata exports at /metrics that say what
// it asked its store for, read after a phase to cross-check the gateway-side
// counts of the counting proxy.
type StrataMetrics struct {
	// StoreGets is strata_cache_store_gets_total summed over outcomes: the
	// chunk GETs the tier sent.
	StoreGets int64 `json:"store_gets"`
	// StoreGetsFailed is the part of StoreGets whose outcome was not "ok".
	StoreGetsFailed int64 `json:"store_gets_failed"`
	// StoreGetOps and StoreStatOps count store operations as the
	// instrumented store saw them (strata_store_operation_seconds_count).
	StoreGetOps  int64 `json:"store_get_ops"`
	StoreStatOps int64 `json:"store_stat_ops"`
	// FetchedBytes is strata_cache_store_fetched_bytes_total.
	FetchedBytes int64 `json:"fetched_bytes"`
	// Chunk lookups by result (strata_cache_{hits,misses,collapsed_waiters}_total{kind="chunk"}).
	ChunkHits      int64 `json:"chunk_hits"`
	ChunkMisses    int64 `json:"chunk_misses"`
	ChunkCollapsed int64 `json:"chunk_collapsed"`
	// Evictions is strata_cache_evictions_total.
	Evictions int64 `json:"evictions"`
	// CacheBytes is strata_cache_bytes: what the cache holds now.
	CacheBytes int64 `json:"cache_bytes"`
	// HeapInuse and HeapReleased are Go's memstats: in-use heap spans, and
	// heap memory returned to the OS.
	HeapInuse    int64 `json:"heap_inuse_bytes"`
	HeapReleased int64 `json:"heap_released_bytes"`
}

// Sub returns the counters' growth since earlier; the gauges (CacheBytes,
// HeapInuse, HeapReleased) keep m's values.
func (m StrataMetrics) Sub(earlier StrataMetrics) StrataMetrics {
	m.StoreGets -= earlier.StoreGets
	m.StoreGetsFailed -= earlier.StoreGetsFailed
	m.StoreGetOps -= earlier.StoreGetOps
	m.StoreStatOps -= earlier.StoreStatOps
	m.FetchedBytes -= earlier.FetchedBytes
	m.ChunkHits -= earlier.ChunkHits
	m.ChunkMisses -= earlier.ChunkMisses
	m.ChunkCollapsed -= earlier.ChunkCollapsed
	m.Evictions -= earlier.Evictions
	return m
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var errMetricsLine = errors.New("unrecognised metrics line")

// parseMetrics reads the Prometheus text exposition format (version 0.0.4):
// comments and blank lines are skipped, every other line is
// `name{label="value",…} value [timestamp]`.
func parseMetrics(text string) ([]sample, error) {
	var out []sample
	for lineNo, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	end := strings.IndexAny(line, "{ \t")
	if end <= 0 {
		return s, fmt.Errorf("%w: %q", errMetricsLine, line)
	}
	s.name, line = line[:end], line[end:]
	if line[0] == '{' {
		rest, err := parseLabels(line[1:], s.labels)
		if err != nil {
			return s, fmt.Errorf("%w: %v", errMetricsLine, err)
		}
		line = rest
	}
	fields := strings.Fields(line)
	if len(fields) < 1 || len(fields) > 2 {
		return s, fmt.Errorf("%w: value of %s: %q", errMetricsLine, s.name, line)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("%w: value of %s: %q", errMetricsLine, s.name, fields[0])
	}
	s.value = v
	return s, nil
}

// parseLabels reads `a="x",b="y"}` into labels and returns what follows the
// closing brace. Values may hold escaped quotes, backslashes and newlines.
func parseLabels(s string, labels map[string]string) (string, error) {
	for {
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, "}") {
			return s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return "", fmt.Errorf("label without '=' in %q", s)
		}
		name := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t")
		if !strings.HasPrefix(s, `"`) {
			return "", fmt.Errorf("label %s: value not quoted", name)
		}
		var v strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					c = '\n'
				default:
					c = s[i]
				}
			}
			v.WriteByte(c)
		}
		if i >= len(s) {
			return "", fmt.Errorf("label %s: unterminated value", name)
		}
		labels[name] = v.String()
		s = strings.TrimLeft(s[i+1:], " \t")
		s = strings.TrimPrefix(s, ",")
	}
}

// sum adds the values of every sample called name whose labels include
// match. The values read here are counts and byte gauges, far below 2^53,
// which float64 holds exactly; a NaN or out-of-range sum reads as 0, which
// the cross-checks against the proxy's counts then flag.
func sum(samples []sample, name string, match map[string]string) int64 {
	var total float64
	for _, s := range samples {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if s.labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			total += s.value
		}
	}
	if math.IsNaN(total) || total > math.MaxInt64/2 || total < math.MinInt64/2 {
		return 0
	}
	return int64(total)
}

// strataMetrics extracts StrataMetrics from parsed samples.
func strataMetrics(samples []sample) StrataMetrics {
	chunk := map[string]string{"kind": "chunk"}
	gets := sum(samples, "strata_cache_store_gets_total", nil)
	return StrataMetrics{
		StoreGets:       gets,
		StoreGetsFailed: gets - sum(samples, "strata_cache_store_gets_total", map[string]string{"outcome": "ok"}),
		StoreGetOps:     sum(samples, "strata_store_operation_seconds_count", map[string]string{"op": "get"}),
		StoreStatOps:    sum(samples, "strata_store_operation_seconds_count", map[string]string{"op": "stat"}),
		FetchedBytes:    sum(samples, "strata_cache_store_fetched_bytes_total", nil),
		ChunkHits:       sum(samples, "strata_cache_hits_total", chunk),
		ChunkMisses:     sum(samples, "strata_cache_misses_total", chunk),
		ChunkCollapsed:  sum(samples, "strata_cache_collapsed_waiters_total", chunk),
		Evictions:       sum(samples, "strata_cache_evictions_total", nil),
		CacheBytes:      sum(samples, "strata_cache_bytes", nil),
		HeapInuse:       sum(samples, "go_memstats_heap_inuse_bytes", nil),
		HeapReleased:    sum(samples, "go_memstats_heap_released_bytes", nil),
	}
}

// scrapeStrata reads Strata's /metrics. It fails when the tier's counters
// are missing, since every cross-check would then pass vacuously.
func scrapeStrata(ctx context.Context, baseURL string) (StrataMetrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/metrics", nil)
	if err != nil {
		return StrataMetrics{}, err
	}
	resp, err := plainClient.Do(req)
	if err != nil {
		return StrataMetrics{}, fmt.Errorf("tier: scrape %s/metrics: %w", baseURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return StrataMetrics{}, fmt.Errorf("tier: scrape %s/metrics: %w", baseURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return StrataMetrics{}, fmt.Errorf("tier: scrape %s/metrics: %s", baseURL, resp.Status)
	}
	samples, err := parseMetrics(string(body))
	if err != nil {
		return StrataMetrics{}, fmt.Errorf("tier: scrape %s/metrics: %w", baseURL, err)
	}
	for _, name := range []string{"strata_cache_store_gets_total", "strata_store_operation_seconds_count", "strata_cache_store_fetched_bytes_total"} {
		if !hasSample(samples, name) {
			return StrataMetrics{}, fmt.Errorf("tier: scrape %s/metrics: no %s", baseURL, name)
		}
	}
	return strataMetrics(samples), nil
}

func hasSample(samples []sample, name string) bool {
	for _, s := range samples {
		if s.name == name {
			return true
		}
	}
	return false
}
