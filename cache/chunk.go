package cache

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
	"sync/atomic"

	"golang.org/x/sync/singleflight"
)

// maxParallelFetches bounds the chunk GETs one Read issues at once: enough to
// overlap store latency for a multi-chunk range, few enough not to flood the
// store for a huge one (which should use NewReader anyway).
const maxParallelFetches = 4

// chunk is one cached piece of bytes: chunk idx of the object version etag,
// or (name != "") a derived variant of that version. The identity fields are
// checked on every lookup, so a 64-bit key collision is a miss, not wrong bytes.
type chunk struct {
	etag string
	name string
	idx  int64
	data []byte
	// all is [][]byte{data}, returned as is when a Read covers the whole
	// chunk, so the hot path of a small object allocates nothing.
	all [][]byte
	// gone is set when ristretto lets the chunk go (front.go).
	gone atomic.Bool
}

func newChunk(etag, name string, idx int64, data []byte) *chunk {
	return &chunk{etag: etag, name: name, idx: idx, data: data, all: [][]byte{data}}
}

// slice returns n bytes of the chunk from off, as a Read result.
func (c *chunk) slice(off, n int64) [][]byte {
	if off == 0 && n == int64(len(c.data)) {
		return c.all
	}
	return [][]byte{c.data[off : off+n]}
}

// mix is a 64-bit finaliser (splitmix64), spreading chunk indices over the key space.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// chunkKey derives a chunk's cache key from the version's ETag (not the
// object key, so identical bytes under two keys share chunks), the chunk size
// and the index.
func (t *Tier) chunkKey(etag string, idx int64) uint64 {
	return mix(maphash.String(t.seed, etag) ^ mix(uint64(idx)<<1|1) ^ uint64(t.cfg.ChunkSize))
}

func (t *Tier) derivedKey(etag, name string) uint64 {
	return mix(maphash.String(t.seed, etag) ^ mix(maphash.String(t.seed, name)))
}

func (t *Tier) lookupChunk(m *Meta, idx int64) *chunk {
	key := t.chunkKey(m.ETag, idx)
	if c := t.front.get(key, m.ETag, idx); c != nil {
		if sampled() {
			t.chunks.Get(key) // ristretto's admission policy counts uses
		}
		return c
	}
	c, ok := t.chunks.Get(key)
	if ok && c.idx == idx && c.name == "" && c.etag == m.ETag {
		t.front.put(key, c)
		return c
	}
	return nil
}

// admit offers c to the cache. Correctness never depends on it: the flight
// that fetched c hands it to its waiters either way.
func (t *Tier) admit(key uint64, c *chunk) {
	cost := max(int64(len(c.data)), 1)
	if cost > t.cfg.MaxBytes || t.closed.Load() {
		return
	}
	if t.chunks.Set(key, c, cost) {
		// Visible before the flight ends, so late arrivals hit the cache
		// instead of fetching again.
		t.chunks.Wait()
	}
}

func checkRange(m *Meta, off, n int64) error {
	if m == nil {
		return errors.New("cache: read with nil Meta")
	}
	if off < 0 || n < 0 || off > m.Size || n > m.Size-off {
		return fmt.Errorf("cache: range [%d, %d+%d) outside %q of %d bytes", off, off, n, m.Key, m.Size)
	}
	return nil
}

// Read returns the bytes [off, off+n) of exactly the version m describes, as
// sub-slices of cached chunks: callers must not modify them (nor the outer
// slice). Missing chunks are fetched with one conditional GET each (IfMatch =
// m.ETag); if the object changed meanwhile, m's key is invalidated and the
// error wraps ErrChanged. Outcome is Hit when no store access was needed.
func (t *Tier) Read(ctx context.Context, m *Meta, off, n int64) ([][]byte, Outcome, error) {
	if err := checkRange(m, off, n); err != nil {
		return nil, Miss, err
	}
	if n == 0 {
		return nil, Hit, nil
	}
	cs := t.cfg.ChunkSize
	first, last := off/cs, (off+n-1)/cs
	if first == last {
		c := t.lookupChunk(m, first)
		outcome := Hit
		if c != nil {
			t.stats.chunkHits.Add(1)
		} else {
			t.stats.chunkMisses.Add(1)
			var err error
			if c, err = t.await(ctx, t.startFetch(ctx, m, first)); err != nil {
				return nil, Miss, err
			}
			outcome = Miss
		}
		return c.slice(off-first*cs, n), outcome, nil
	}

	parts := make([][]byte, last-first+1)
	outcome := Hit
	type pending struct {
		i    int
		call fetchCall
	}
	var queue []pending
	// fill stores chunk idx's share of the range in parts.
	fill := func(i int, c *chunk) {
		idx := first + int64(i)
		lo := max(off, idx*cs) - idx*cs
		hi := min(off+n, idx*cs+int64(len(c.data))) - idx*cs
		parts[i] = c.data[lo:hi]
	}
	for i := range parts {
		idx := first + int64(i)
		if c := t.lookupChunk(m, idx); c != nil {
			t.stats.chunkHits.Add(1)
			fill(i, c)
			continue
		}
		t.stats.chunkMisses.Add(1)
		outcome = Miss
		queue = append(queue, pending{i, t.startFetch(ctx, m, idx)})
		if len(queue) == maxParallelFetches {
			c, err := t.await(ctx, queue[0].call)
			if err != nil {
				return nil, Miss, err
			}
			fill(queue[0].i, c)
			queue = queue[1:]
		}
	}
	for _, p := range queue {
		c, err := t.await(ctx, p.call)
		if err != nil {
			return nil, Miss, err
		}
		fill(p.i, c)
	}
	return parts, outcome, nil
}

// fetchCall is one caller's stake in a chunk flight.
type fetchCall struct {
	ch  <-chan singleflight.Result
	led *atomic.Bool // set when this caller's function ran the flight
}

// startFetch joins or starts the flight for chunk idx of m without waiting.
func (t *Tier) startFetch(ctx context.Context, m *Meta, idx int64) fetchCall {
	// The object key is part of the flight key: two keys with equal bytes
	// share cached chunks, but each fetches from (and invalidates) its own key.
	fk := m.ETag + "\x00" + strconv.FormatInt(idx, 10) + "\x00" + m.Key
	led := new(atomic.Bool)
	ch := t.chunkFlight.DoChan(fk, func() (any, error) {
		led.Store(true)
		return t.fetchChunk(ctx, m, idx)
	})
	return fetchCall{ch: ch, led: led}
}

// await waits for a flight, or for the caller to give up; giving up does not
// cancel the flight, which other callers may be waiting on.
func (t *Tier) await(ctx context.Context, call fetchCall) (*chunk, error) {
	select {
	case r := <-call.ch:
		if !call.led.Load() {
			t.stats.chunkCollapsed.Add(1)
		}
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*chunk), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetchChunk runs inside a chunk flight: one ranged, conditional store GET.
func (t *Tier) fetchChunk(ctx context.Context, m *Meta, idx int64) (c *chunk, err error) {
	defer t.recovered("get", m.Key, &err)
	// Another flight may have finished between our lookup and this one starting.
	if c := t.lookupChunk(m, idx); c != nil {
		return c, nil
	}
	cs := t.cfg.ChunkSize
	r := ByteRange{Offset: idx * cs, Length: min(cs, m.Size-idx*cs)}
	sctx, cancel := t.storeContext(ctx)
	defer cancel()
	obj, err := t.store.Get(sctx, m.Key, r, GetOptions{IfMatch: m.ETag})
	if err != nil {
		return nil, t.getError(m, err)
	}
	defer obj.Body.Close()
	if obj.Info.ETag != "" && obj.Info.ETag != m.ETag {
		// A store that ignored IfMatch: never let the versions mix.
		return nil, t.getError(m, fmt.Errorf("store returned ETag %q: %w", obj.Info.ETag, ErrPreconditionFailed))
	}
	buf := make([]byte, r.Length)
	if _, err := io.ReadFull(obj.Body, buf); err != nil {
		t.stats.storeGets[resultError].Add(1)
		t.log.Warn("cache: store unavailable", "op", "get", "key", m.Key, "offset", r.Offset, "err", err)
		return nil, fmt.Errorf("%w: reading %q at %d: %w", ErrUnavailable, m.Key, r.Offset, err)
	}
	t.stats.storeGets[resultOK].Add(1)
	t.stats.bytesFetched.Add(uint64(r.Length))
	c = newChunk(m.ETag, "", idx, buf)
	t.admit(t.chunkKey(m.ETag, idx), c)
	return c, nil
}

// getError classifies a failed chunk GET.
func (t *Tier) getError(m *Meta, err error) error {
	switch {
	case errors.Is(err, ErrPreconditionFailed), errors.Is(err, ErrNotFound):
		if errors.Is(err, ErrNotFound) {
			t.stats.storeGets[resultNotFound].Add(1)
		} else {
			t.stats.storeGets[resultChanged].Add(1)
		}
		t.Invalidate(m.Key)
		return fmt.Errorf("%w: %q (ETag %s): %w", ErrChanged, m.Key, m.ETag, err)
	default:
		t.stats.storeGets[resultError].Add(1)
		t.log.Warn("cache: store unavailable", "op", "get", "key", m.Key, "err", err)
		return fmt.Errorf("%w: get %q: %w", ErrUnavailable, m.Key, err)
	}
}
