package cache

import (
	"math/rand/v2"
	"sync/atomic"
)

// The front table answers repeated reads of the same chunks without asking
// ristretto. A ristretto Get takes a read lock on the key's shard and records
// the access in a ring buffer: for one hot chunk, read from every core, that
// lock word moves between the cores on every request. The front table is a
// direct-mapped array of the chunks read most recently; a hit costs one load.
//
// It never holds more than the cache does: when ristretto lets a chunk go
// (evicted, rejected, deleted, replaced), OnExit marks it gone and takes it
// out of its slot, so the table adds no memory beyond its slots. It also never
// answers for a chunk ristretto did not hold when it entered the table.
//
// ristretto still sees a share of the hits (frontSample), so its admission
// policy keeps knowing which chunks are hot.
const (
	frontSlots = 1024 // a power of two
	// frontSample: one front hit in frontSample also goes to ristretto.
	frontSample = 16
)

type front struct {
	slots [frontSlots]atomic.Pointer[chunk]
}

func (f *front) slot(key uint64) *atomic.Pointer[chunk] {
	return &f.slots[key&(frontSlots-1)]
}

// get returns the chunk with key for version etag, index idx, if the table
// holds it and ristretto has not let it go.
func (f *front) get(key uint64, etag string, idx int64) *chunk {
	c := f.slot(key).Load()
	if c == nil || c.gone.Load() || c.idx != idx || c.name != "" || c.etag != etag {
		return nil
	}
	return c
}

// put remembers c, just returned by ristretto, under key.
func (f *front) put(key uint64, c *chunk) {
	s := f.slot(key)
	if s.Load() == c {
		return // a store is a locked instruction: skip it when it changes nothing
	}
	s.Store(c)
	// OnExit may have run between ristretto's answer and the store above,
	// and found the slot empty: then this sees gone and clears it. (Both
	// sides store, then load: one of them sees the other's store.)
	if c.gone.Load() {
		s.CompareAndSwap(c, nil)
	}
}

// exit forgets c, which ristretto no longer holds.
func (f *front) exit(key uint64, c *chunk) {
	c.gone.Store(true)
	f.slot(key).CompareAndSwap(c, nil)
}

// sampled reports whether this front hit should also be counted by ristretto.
func sampled() bool { return rand.Uint32()%frontSample == 0 }
