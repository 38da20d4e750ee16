package cache

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Derived returns bytes computed by fn from the whole object m describes, for
// example its brotli-compressed form. The result is computed once per (ETag,
// name) under a flight shared by concurrent callers and cached with cost
// len(result); since the key is the ETag, an overwritten object gets a new
// result. Objects larger than maxInput are refused with ErrTooLarge. fn must
// not modify or retain its input (which may be cached chunk memory), and
// callers must not modify the result.
func (t *Tier) Derived(ctx context.Context, m *Meta, name string, maxInput int64, fn func([]byte) ([]byte, error)) ([]byte, error) {
	if err := checkRange(m, 0, 0); err != nil {
		return nil, err
	}
	if m.Size > maxInput {
		return nil, fmt.Errorf("%w: %q is %d bytes, %s takes at most %d", ErrTooLarge, m.Key, m.Size, name, maxInput)
	}
	if c := t.lookupDerived(m, name); c != nil {
		t.stats.derivedHits.Add(1)
		return c.data, nil
	}
	t.stats.derivedMisses.Add(1)
	var led atomic.Bool
	ch := t.derivedFlight.DoChan(m.ETag+"\x00"+name+"\x00"+m.Key, func() (any, error) {
		led.Store(true)
		return t.computeDerived(ctx, m, name, fn)
	})
	select {
	case r := <-ch:
		if !led.Load() {
			t.stats.derivedCollapsed.Add(1)
		}
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]byte), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (t *Tier) lookupDerived(m *Meta, name string) *chunk {
	c, ok := t.chunks.Get(t.derivedKey(m.ETag, name))
	if ok && c.name == name && c.etag == m.ETag {
		return c
	}
	return nil
}

// computeDerived runs inside the derived flight, detached from the caller
// that started it; the chunk GETs it makes carry their own StoreTimeout.
func (t *Tier) computeDerived(ctx context.Context, m *Meta, name string, fn func([]byte) ([]byte, error)) (out []byte, err error) {
	defer t.recovered("derive "+name, m.Key, &err)
	if c := t.lookupDerived(m, name); c != nil {
		return c.data, nil
	}
	ctx = context.WithoutCancel(ctx)
	parts, _, err := t.Read(ctx, m, 0, m.Size)
	if err != nil {
		return nil, err
	}
	var input []byte
	switch len(parts) {
	case 0:
	case 1:
		input = parts[0]
	default:
		input = make([]byte, 0, m.Size)
		for _, p := range parts {
			input = append(input, p...)
		}
	}
	out, err = fn(input)
	if err != nil {
		return nil, fmt.Errorf("cache: computing %s of %q: %w", name, m.Key, err)
	}
	t.stats.derivedComputes.Add(1)
	t.admit(t.derivedKey(m.ETag, name), &chunk{etag: m.ETag, name: name, idx: -1, data: out})
	return out, nil
}
