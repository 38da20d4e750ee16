package cache

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
)

// staleRetry spaces out revalidation attempts for one key while the store
// fails, so a dead store costs one waiting request per key per interval
// rather than one per request.
const staleRetry = time.Second

// Tier caches object metadata and range-aligned chunks of object bytes in
// front of a Store. It is safe for concurrent use.
type Tier struct {
	store Store
	cfg   Config
	log   *slog.Logger

	metas  *ristretto.Cache[string, *metaEntry]
	chunks *ristretto.Cache[uint64, *chunk]
	front  front // the chunks read last, ahead of chunks (front.go)

	metaFlight    singleflight.Group
	chunkFlight   singleflight.Group
	derivedFlight singleflight.Group

	seed  maphash.Seed
	epoch time.Time
	now   func() time.Time

	// invalidations is bumped by Invalidate; a metadata fetch that started
	// before an invalidation does not store its (possibly outdated) result.
	invalidations atomic.Uint64
	closed        atomic.Bool

	stats     counters
	reg       prometheus.Registerer
	collector prometheus.Collector
}

// New builds a Tier over store. A nil logger discards logs; a nil reg
// registers no metrics.
func New(store Store, cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*Tier, error) {
	if store == nil {
		return nil, errors.New("cache: nil store")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	t := &Tier{
		store: store,
		cfg:   cfg,
		log:   logger,
		seed:  maphash.MakeSeed(),
		epoch: time.Now(),
		now:   time.Now,
	}
	var err error
	t.chunks, err = ristretto.NewCache(&ristretto.Config[uint64, *chunk]{
		NumCounters:        cfg.numCounters(),
		MaxCost:            cfg.MaxBytes,
		BufferItems:        64,
		IgnoreInternalCost: true,
		// The key is already a 64-bit hash of (ETag, chunk); a collision is
		// caught by comparing the chunk's identity on every Get.
		KeyToHash: func(k uint64) (uint64, uint64) { return k, 0 },
		OnEvict:   func(*ristretto.Item[*chunk]) { t.stats.evictions.Add(1) },
		OnExit: func(c *chunk) {
			if c != nil && c.name == "" {
				t.front.exit(t.chunkKey(c.etag, c.idx), c)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cache: chunk cache: %w", err)
	}
	budget := cfg.metaBudget()
	t.metas, err = ristretto.NewCache(&ristretto.Config[string, *metaEntry]{
		NumCounters:        max(budget/256*10, 10_000),
		MaxCost:            budget,
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		t.chunks.Close()
		return nil, fmt.Errorf("cache: metadata cache: %w", err)
	}
	if reg != nil {
		c := newCollector(t)
		if err := reg.Register(c); err != nil {
			t.chunks.Close()
			t.metas.Close()
			return nil, fmt.Errorf("cache: registering metrics: %w", err)
		}
		t.reg, t.collector = reg, c
	}
	return t, nil
}

// Store returns the store the tier reads from.
func (t *Tier) Store() Store { return t.store }

// Config returns the tier's configuration.
func (t *Tier) Config() Config { return t.cfg }

// Close releases the caches and unregisters the metrics. Call it after the
// last use of the tier.
func (t *Tier) Close() {
	if t.closed.Swap(true) {
		return
	}
	if t.reg != nil {
		t.reg.Unregister(t.collector)
	}
	t.chunks.Close()
	t.metas.Close()
}

// clock is the tier's monotonic time in nanoseconds.
func (t *Tier) clock() int64 { return int64(t.now().Sub(t.epoch)) }

// storeContext detaches a store operation from the caller that started it
// (others may be waiting on the same flight) and bounds it by StoreTimeout.
func (t *Tier) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), t.cfg.StoreTimeout)
}

// Stat returns the metadata of key's current version. Fresh metadata comes
// from the cache. After MetaTTL exactly one caller revalidates with the store
// while the others keep the cached metadata. "Not found" is cached for
// NegativeTTL. When the store fails, metadata up to MetaTTL+StaleIfError old
// is served with Outcome Stale; without it the error wraps ErrUnavailable.
//
// Stat does not keep key past its return unless it asks the store, and then
// it keeps a copy: callers may pass a view of a buffer they reuse.
func (t *Tier) Stat(ctx context.Context, key string) (*Meta, Outcome, error) {
	m, _, outcome, err := t.StatRef(ctx, key)
	return m, outcome, err
}

// MetaRef is a kept answer of StatRef: Current tells later, without a cache
// lookup, whether the answer still stands. The zero MetaRef never does.
type MetaRef struct {
	e *metaEntry
	m *Meta
}

// Valid reports whether r came from a fresh hit (Current may hold).
func (r MetaRef) Valid() bool { return r.e != nil }

// Current reports whether r's Meta is still its key's metadata, confirmed by
// the store within MetaTTL and not invalidated since; it counts a metadata
// hit when it is. A false answer means: ask Stat again.
func (t *Tier) Current(r MetaRef) bool {
	if r.e == nil {
		return false
	}
	if m, ok := t.fresh(r.e); !ok || m != r.m {
		return false
	}
	t.stats.metaHits.Add(1)
	return true
}

// fresh returns e's Meta when the store confirmed it within MetaTTL.
func (t *Tier) fresh(e *metaEntry) (*Meta, bool) {
	m := e.meta.Load()
	if m == nil || t.clock()-e.fetched.Load() >= int64(t.cfg.MetaTTL) {
		return nil, false
	}
	return m, true
}

// StatRef is Stat, plus a MetaRef when the answer is a fresh hit, so a caller
// that keeps per-object state (the server's prepared headers) can check it
// cheaply on later requests.
func (t *Tier) StatRef(ctx context.Context, key string) (*Meta, MetaRef, Outcome, error) {
	e, ok := t.metas.Get(key)
	if ok {
		if m, fresh := t.fresh(e); fresh {
			t.stats.metaHits.Add(1)
			return m, MetaRef{e: e, m: m}, Hit, nil
		}
	}
	m, outcome, err := t.stat(ctx, key, e, ok)
	return m, MetaRef{}, outcome, err
}

// stat answers for a key whose cached entry (e, when ok) is missing, negative
// or expired.
func (t *Tier) stat(ctx context.Context, key string, e *metaEntry, ok bool) (*Meta, Outcome, error) {
	if !ok {
		return t.fetchMeta(ctx, key, nil)
	}
	age := t.clock() - e.fetched.Load()
	m := e.meta.Load()
	if m == nil {
		if age < int64(t.cfg.NegativeTTL) {
			t.stats.negativeHits.Add(1)
			return nil, NegativeHit, ErrNotFound
		}
		return t.fetchMeta(ctx, key, e)
	}
	if age < int64(t.cfg.MetaTTL) {
		t.stats.metaHits.Add(1)
		return m, Hit, nil
	}
	if age >= int64(t.cfg.MetaTTL+t.cfg.StaleIfError) {
		// Too old to serve even if the store fails: everyone waits for the store.
		return t.fetchMeta(ctx, key, e)
	}
	if e.failing.Load() && t.clock() < e.retryAt.Load() {
		t.stats.staleServes.Add(1)
		return m, Stale, nil
	}
	if !e.busy.CompareAndSwap(false, true) {
		// Another caller is revalidating; keep using what we have.
		if e.failing.Load() {
			t.stats.staleServes.Add(1)
			return m, Stale, nil
		}
		t.stats.metaHits.Add(1)
		return m, Hit, nil
	}
	defer e.busy.Store(false)
	return t.fetchMeta(ctx, key, e)
}

type metaResult struct {
	meta    *Meta
	outcome Outcome
	err     error
}

// fetchMeta asks the store for key's metadata under a flight shared by all
// concurrent callers. e is the cached entry, if any.
func (t *Tier) fetchMeta(ctx context.Context, key string, e *metaEntry) (*Meta, Outcome, error) {
	if !ValidKey(key) {
		return nil, Miss, fmt.Errorf("cache: stat %q: %w", key, ErrInvalidKey)
	}
	// The flight, the store and the cached Meta may keep the key: own it.
	key = strings.Clone(key)
	if e == nil || e.meta.Load() == nil {
		t.stats.metaMisses.Add(1)
	}
	var led atomic.Bool
	ch := t.metaFlight.DoChan(key, func() (any, error) {
		led.Store(true)
		return t.statStore(ctx, key, e), nil
	})
	select {
	case r := <-ch:
		if !led.Load() {
			t.stats.metaCollapsed.Add(1)
		}
		res := r.Val.(metaResult)
		return res.meta, res.outcome, res.err
	case <-ctx.Done():
		return nil, Miss, ctx.Err()
	}
}

// statStore runs inside the metadata flight: one store Stat, whose answer
// updates the cached entry in place or creates one.
func (t *Tier) statStore(ctx context.Context, key string, e *metaEntry) (res metaResult) {
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("cache: panic in store Stat", "key", key, "panic", r, "stack", string(debug.Stack()))
			res = metaResult{outcome: Miss, err: fmt.Errorf("cache: stat %q: panic: %v", key, r)}
		}
	}()
	gen := t.invalidations.Load()
	if e == nil {
		e, _ = t.metas.Get(key)
	}
	var old *Meta
	outcome := Miss
	if e != nil {
		if old = e.meta.Load(); old != nil {
			outcome = Revalidated
		}
	}
	sctx, cancel := t.storeContext(ctx)
	defer cancel()
	info, err := t.store.Stat(sctx, key)
	now := t.clock()
	keep := t.invalidations.Load() == gen
	switch {
	case err == nil:
		t.stats.storeStats[resultOK].Add(1)
		if info.Key == "" {
			info.Key = key
		}
		if old != nil && old.ETag == info.ETag && old.Size == info.Size {
			t.stats.revalidations[revalUnchanged].Add(1)
			if keep {
				e.fetched.Store(now)
				e.failing.Store(false)
			}
			return metaResult{meta: old, outcome: Revalidated}
		}
		if old != nil {
			t.stats.revalidations[revalChanged].Add(1)
		}
		m := NewMeta(info)
		if keep {
			t.remember(key, e, m, now)
		}
		return metaResult{meta: m, outcome: outcome}
	case errors.Is(err, ErrNotFound):
		t.stats.storeStats[resultNotFound].Add(1)
		if old != nil {
			t.stats.revalidations[revalGone].Add(1)
		}
		if keep {
			t.remember(key, e, nil, now)
		}
		return metaResult{outcome: outcome, err: err}
	case errors.Is(err, ErrInvalidKey):
		return metaResult{outcome: Miss, err: err}
	}
	t.stats.storeStats[resultError].Add(1)
	if old != nil {
		t.stats.revalidations[revalFailed].Add(1)
		if now-e.fetched.Load() < int64(t.cfg.MetaTTL+t.cfg.StaleIfError) {
			e.retryAt.Store(now + int64(staleRetry))
			if !e.failing.Swap(true) {
				t.log.Warn("cache: store failing, serving stale metadata", "key", key, "etag", old.ETag, "err", err)
			}
			t.stats.staleServes.Add(1)
			return metaResult{meta: old, outcome: Stale}
		}
	}
	t.log.Warn("cache: store unavailable", "op", "stat", "key", key, "err", err)
	return metaResult{outcome: outcome, err: fmt.Errorf("%w: stat %q: %w", ErrUnavailable, key, err)}
}

// remember records m (nil: not found) as key's metadata confirmed at now.
func (t *Tier) remember(key string, e *metaEntry, m *Meta, now int64) {
	if e != nil {
		e.meta.Store(m)
		e.fetched.Store(now)
		e.failing.Store(false)
		return
	}
	if t.closed.Load() {
		return
	}
	e = new(metaEntry)
	e.meta.Store(m)
	e.fetched.Store(now)
	if t.metas.Set(key, e, metaCost(key, m)) {
		// Make the entry visible before the flight ends, so callers arriving
		// just after it find the cache instead of starting another fetch.
		t.metas.Wait()
	}
}

// Invalidate forgets key's metadata, so the next Stat asks the store. Cached
// chunks stay: they are keyed by ETag and simply stop being used.
func (t *Tier) Invalidate(key string) {
	t.invalidations.Add(1)
	if e, ok := t.metas.Get(key); ok {
		// Too old to be served even as stale, for whoever still holds it.
		e.fetched.Store(math.MinInt64 / 2)
	}
	t.metas.Del(key)
	t.metaFlight.Forget(key)
}

// recovered turns a panic in a flight into an error for every waiter; a
// panic inside singleflight.DoChan would otherwise crash the process.
func (t *Tier) recovered(op, key string, err *error) {
	if r := recover(); r != nil {
		t.log.Error("cache: panic", "op", op, "key", key, "panic", r, "stack", string(debug.Stack()))
		*err = fmt.Errorf("cache: %s %q: panic: %v", op, key, r)
	}
}

// OpenFile opens the local file holding exactly the version m describes, where
// the store keeps objects as files (see FileOpener); other stores answer
// ErrNoFile. The caller closes the file. It bypasses the chunk cache: it is for
// handing bytes the kernel already caches straight to a socket.
func (t *Tier) OpenFile(ctx context.Context, m *Meta) (*os.File, error) {
	sctx, cancel := t.storeContext(ctx)
	defer cancel()
	return OpenFile(sctx, t.store, m.Key, m.ETag)
}
