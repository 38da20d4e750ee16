package cache

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Store GET/Stat results, as counter indices and metric labels.
const (
	resultOK = iota
	resultChanged
	resultNotFound
	resultError
	numResults
)

var resultLabels = [numResults]string{"ok", "changed", "not_found", "error"}

// Revalidation results, as counter indices and metric labels.
const (
	revalUnchanged = iota
	revalChanged
	revalGone
	revalFailed
	numReval
)

var revalLabels = [numReval]string{"unchanged", "changed", "gone", "error"}

// counters are the tier's statistics: plain atomics on the request path,
// read by Stats and by the Prometheus collector at scrape time.
type counters struct {
	metaHits, metaMisses, metaCollapsed, negativeHits, staleServes atomic.Uint64
	chunkHits, chunkMisses, chunkCollapsed                         atomic.Uint64
	derivedHits, derivedMisses, derivedCollapsed, derivedComputes  atomic.Uint64
	evictions, bytesFetched                                        atomic.Uint64
	storeGets                                                      [numResults]atomic.Uint64
	storeStats                                                     [numResults]atomic.Uint64
	revalidations                                                  [numReval]atomic.Uint64
}

// Stats is a snapshot of a Tier's counters since it was created.
type Stats struct {
	MetaHits      uint64 // Stat answered from fresh (or being-revalidated) cached metadata
	MetaMisses    uint64 // Stat callers that found no usable metadata
	MetaCollapsed uint64 // Stat callers that waited on another caller's store Stat
	NegativeHits  uint64 // Stat answered by a cached "not found"
	StaleServes   uint64 // Stat answered with expired metadata because the store failed

	ChunkHits      uint64 // chunk lookups answered by the cache
	ChunkMisses    uint64 // chunk lookups that needed the store
	ChunkCollapsed uint64 // chunk misses that waited on another caller's GET

	DerivedHits      uint64
	DerivedMisses    uint64
	DerivedCollapsed uint64
	DerivedComputes  uint64 // runs of a Derived function

	Evictions    uint64 // chunks and derived results evicted by ristretto
	BytesCached  int64  // bytes of chunks and derived results in the cache
	BytesFetched uint64 // bytes read from the store by chunk GETs

	// Store operations by result, indexed "ok", "changed", "not_found", "error".
	StoreGets  map[string]uint64
	StoreStats map[string]uint64
	// Revalidations of expired metadata by result: "unchanged", "changed",
	// "gone", "error".
	Revalidations map[string]uint64
}

// Stats returns a snapshot of the tier's counters.
func (t *Tier) Stats() Stats {
	c := &t.stats
	s := Stats{
		MetaHits:         c.metaHits.Load(),
		MetaMisses:       c.metaMisses.Load(),
		MetaCollapsed:    c.metaCollapsed.Load(),
		NegativeHits:     c.negativeHits.Load(),
		StaleServes:      c.staleServes.Load(),
		ChunkHits:        c.chunkHits.Load(),
		ChunkMisses:      c.chunkMisses.Load(),
		ChunkCollapsed:   c.chunkCollapsed.Load(),
		DerivedHits:      c.derivedHits.Load(),
		DerivedMisses:    c.derivedMisses.Load(),
		DerivedCollapsed: c.derivedCollapsed.Load(),
		DerivedComputes:  c.derivedComputes.Load(),
		Evictions:        c.evictions.Load(),
		BytesFetched:     c.bytesFetched.Load(),
		StoreGets:        map[string]uint64{},
		StoreStats:       map[string]uint64{},
		Revalidations:    map[string]uint64{},
	}
	if !t.closed.Load() {
		s.BytesCached = t.chunks.MaxCost() - t.chunks.RemainingCost()
	}
	for i, l := range resultLabels {
		s.StoreGets[l] = c.storeGets[i].Load()
		s.StoreStats[l] = c.storeStats[i].Load()
	}
	for i, l := range revalLabels {
		s.Revalidations[l] = c.revalidations[i].Load()
	}
	return s
}

// collector exports a Tier's Stats as Prometheus metrics at scrape time, so
// the request path pays only for its atomic increments.
type collector struct {
	t                                     *Tier
	hits, misses, collapsed               *prometheus.Desc
	evictions, bytes, fetched, storeGets  *prometheus.Desc
	storeStats, revalidations, stale, der *prometheus.Desc
}

func newCollector(t *Tier) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("strata_cache_"+name, help, labels, nil)
	}
	return &collector{
		t:             t,
		hits:          d("hits_total", "Cache lookups answered from memory, by kind (meta, negative, chunk, derived).", "kind"),
		misses:        d("misses_total", "Cache lookups that needed the store, by kind (meta, chunk, derived).", "kind"),
		collapsed:     d("collapsed_waiters_total", "Misses that waited on another caller's fetch instead of asking the store, by kind.", "kind"),
		evictions:     d("evictions_total", "Chunks and derived results evicted to stay within the memory budget."),
		bytes:         d("bytes", "Bytes of chunks and derived results held in the cache."),
		fetched:       d("store_fetched_bytes_total", "Bytes read from the store by chunk GETs."),
		storeGets:     d("store_gets_total", "Chunk GETs sent to the store, by outcome (ok, changed, not_found, error).", "outcome"),
		storeStats:    d("store_stats_total", "Metadata Stats sent to the store, by outcome (ok, not_found, error).", "outcome"),
		revalidations: d("revalidations_total", "Revalidations of expired metadata, by result (unchanged, changed, gone, error).", "result"),
		stale:         d("stale_serves_total", "Requests served expired metadata because the store failed."),
		der:           d("derived_computations_total", "Runs of a derived-variant computation (e.g. brotli)."),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.hits, c.misses, c.collapsed, c.evictions, c.bytes, c.fetched,
		c.storeGets, c.storeStats, c.revalidations, c.stale, c.der} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.t.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(c.hits, s.MetaHits, "meta")
	counter(c.hits, s.NegativeHits, "negative")
	counter(c.hits, s.ChunkHits, "chunk")
	counter(c.hits, s.DerivedHits, "derived")
	counter(c.misses, s.MetaMisses, "meta")
	counter(c.misses, s.ChunkMisses, "chunk")
	counter(c.misses, s.DerivedMisses, "derived")
	counter(c.collapsed, s.MetaCollapsed, "meta")
	counter(c.collapsed, s.ChunkCollapsed, "chunk")
	counter(c.collapsed, s.DerivedCollapsed, "derived")
	counter(c.evictions, s.Evictions)
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(s.BytesCached))
	counter(c.fetched, s.BytesFetched)
	for _, l := range resultLabels {
		counter(c.storeGets, s.StoreGets[l], l)
		if l != "changed" {
			counter(c.storeStats, s.StoreStats[l], l)
		}
	}
	for _, l := range revalLabels {
		counter(c.revalidations, s.Revalidations[l], l)
	}
	counter(c.stale, s.StaleServes)
	counter(c.der, s.DerivedComputes)
}
