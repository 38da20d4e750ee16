package cache

import (
	"net/http"
	"strconv"
	"sync/atomic"
)

// Meta is the metadata of one object version as the HTTP layer needs it, with
// the header values precomputed once per version rather than per request.
type Meta struct {
	ObjectInfo
	// QuotedETag is `"` + ETag + `"`, ready for the ETag header.
	QuotedETag string
	// LastModified is ModTime in http.TimeFormat, ready for the Last-Modified header.
	LastModified string
}

// NewMeta builds the Meta of info.
func NewMeta(info ObjectInfo) *Meta {
	m := &Meta{ObjectInfo: info, QuotedETag: `"` + info.ETag + `"`}
	if !info.ModTime.IsZero() {
		m.LastModified = info.ModTime.UTC().Format(http.TimeFormat)
	}
	return m
}

// Outcome says where a Tier answer came from.
type Outcome uint8

const (
	// Hit: served from the cache without asking the store.
	Hit Outcome = iota + 1
	// Miss: the store was asked because nothing usable was cached.
	Miss
	// Revalidated: cached metadata had expired and was checked with the store.
	Revalidated
	// Stale: the store failed, so expired metadata was served (within StaleIfError).
	Stale
	// NegativeHit: a cached "not found".
	NegativeHit
)

func (o Outcome) String() string {
	switch o {
	case Hit:
		return "hit"
	case Miss:
		return "miss"
	case Revalidated:
		return "revalidated"
	case Stale:
		return "stale"
	case NegativeHit:
		return "negative-hit"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// metaEntry is what the metadata cache holds for a key. It is updated in
// place (never replaced) on revalidation, so a ristretto Set that is dropped
// or not yet applied can never leave a stale entry behind.
type metaEntry struct {
	// meta is the current version, nil when the key was not found.
	meta atomic.Pointer[Meta]
	// fetched is the tier clock when the store last confirmed meta.
	fetched atomic.Int64
	// busy is set while one caller revalidates; the others keep using meta.
	busy atomic.Bool
	// failing is set when the last revalidation failed; retryAt (tier clock)
	// spaces out further attempts while the store is down.
	failing atomic.Bool
	retryAt atomic.Int64
}

// metaCost approximates an entry's memory for the metadata budget.
func metaCost(key string, m *Meta) int64 {
	const overhead = 256 // entry, Meta struct, string headers, ristretto item
	if m == nil {
		return overhead + int64(len(key))
	}
	return overhead + int64(2*len(key)+2*len(m.ETag)+len(m.LastModified)+len(m.ContentType)+len(m.Version))
}
