package cache

import (
	"context"
	"errors"
	"io"
)

// errReaderClosed is returned by Read after Close.
var errReaderClosed = errors.New("cache: read after close")

// NewReader streams the bytes [off, off+n) of the version m describes, one
// chunk at a time, so a large body never sits in memory whole. With ReadAhead
// the next chunk is fetched while the current one is consumed. Errors (an
// invalid range, ErrChanged, ErrUnavailable, ctx's error) surface from Read.
// The reader also implements io.WriterTo, which writes cached chunks without
// copying them.
func (t *Tier) NewReader(ctx context.Context, m *Meta, off, n int64) io.ReadCloser {
	ctx, cancel := context.WithCancel(ctx)
	r := &chunkReader{t: t, ctx: ctx, cancel: cancel, m: m, off: off, end: off + n}
	if err := checkRange(m, off, n); err != nil {
		r.err = err
	}
	return r
}

type chunkReader struct {
	t      *Tier
	ctx    context.Context
	cancel context.CancelFunc
	m      *Meta
	off    int64 // next byte to hand out
	end    int64
	cur    []byte // rest of the current chunk, up to end
	err    error  // sticky

	// The next chunk: either already in hand (a cache hit) or being fetched.
	nextIdx   int64
	nextChunk *chunk
	nextCall  *fetchCall
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	r.off += int64(n)
	return n, nil
}

// WriteTo implements io.WriterTo, handing w the cached chunk bytes directly.
func (r *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if err := r.fill(); err != nil {
			if err == io.EOF {
				return total, nil
			}
			return total, err
		}
		n, err := w.Write(r.cur)
		total += int64(n)
		r.cur = r.cur[n:]
		r.off += int64(n)
		if err != nil {
			r.err = err
			return total, err
		}
	}
}

// fill makes r.cur non-empty, or returns the reason it cannot.
func (r *chunkReader) fill() error {
	if r.err != nil {
		return r.err
	}
	if len(r.cur) > 0 {
		return nil
	}
	if r.off >= r.end {
		r.err = io.EOF
		return io.EOF
	}
	t := r.t
	cs := t.cfg.ChunkSize
	idx := r.off / cs
	c, err := r.chunk(idx)
	if err != nil {
		r.err = err
		return err
	}
	lo := r.off - idx*cs
	hi := min(int64(len(c.data)), r.end-idx*cs)
	r.cur = c.data[lo:hi]
	if t.cfg.ReadAhead && (idx+1)*cs < r.end {
		r.prefetch(idx + 1)
	}
	return nil
}

// chunk returns chunk idx, from the read-ahead if it was for idx.
func (r *chunkReader) chunk(idx int64) (*chunk, error) {
	t := r.t
	if r.nextIdx == idx && (r.nextChunk != nil || r.nextCall != nil) {
		c, call := r.nextChunk, r.nextCall
		r.nextChunk, r.nextCall = nil, nil
		if c != nil {
			return c, nil
		}
		return t.await(r.ctx, *call)
	}
	if c := t.lookupChunk(r.m, idx); c != nil {
		t.stats.chunkHits.Add(1)
		return c, nil
	}
	t.stats.chunkMisses.Add(1)
	return t.await(r.ctx, t.startFetch(r.ctx, r.m, idx))
}

// prefetch starts getting chunk idx without waiting for it.
func (r *chunkReader) prefetch(idx int64) {
	t := r.t
	r.nextIdx = idx
	if c := t.lookupChunk(r.m, idx); c != nil {
		t.stats.chunkHits.Add(1)
		r.nextChunk = c
		return
	}
	t.stats.chunkMisses.Add(1)
	call := t.startFetch(r.ctx, r.m, idx)
	r.nextCall = &call
}

// Close stops waiting for a read-ahead; the fetch itself completes and is
// cached for the next reader.
func (r *chunkReader) Close() error {
	r.cancel()
	r.nextChunk, r.nextCall = nil, nil
	r.cur = nil
	if r.err == nil || r.err == io.EOF {
		r.err = errReaderClosed
	}
	return nil
}
