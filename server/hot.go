package server

import (
	"bytes"
	"hash/maphash"
	"io"
	"sync/atomic"

	"github.com/valyala/fasthttp"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/server/httpsem"
)

// hotSlots is the number of objects the origin keeps prepared answers for; a
// power of two. Slots are direct-mapped by request path, and a newer object
// takes an older one's slot: the table is a shortcut, never the cache.
const hotSlots = 4096

// hotTable remembers, per recently served request path, what a plain GET or
// HEAD of that asset needs: the Meta the tier answered with, a reference that
// says cheaply whether it is still current, and the response header block
// already built. A hit skips key cleaning, the tier's metadata lookup, the
// media-type and cache-policy lookups and a dozen header insertions; the bytes
// still come from the tier, so the table holds no body and adds no memory
// beyond its headers.
//
// Entries are immutable once published; a slot is replaced whole.
type hotTable struct {
	seed  maphash.Seed
	slots [hotSlots]atomic.Pointer[hotEntry]
}

type hotEntry struct {
	rawKey       []byte // the request path after its prefix, as received
	ref          cache.MetaRef
	meta         *cache.Meta
	compressible bool
	header       fasthttp.ResponseHeader // the answer's headers, less status, length, range and request id
	lines        []byte                  // header's lines as sent ("Name: value\r\n" each), for zcConn.extendHeader

	// The object's file, for sendfile, where the store keeps local files:
	// opened by the first request that can use it, closed when the entry
	// leaves the table and the last send from it is done.
	file    atomic.Pointer[sharedFile]
	noFile  atomic.Bool // no file: the store keeps none, or opening failed
	retired atomic.Bool // out of the table: no file may be attached
}

// retire releases the entry's file once it has left the table.
func (e *hotEntry) retire() {
	e.retired.Store(true)
	if f := e.file.Swap(nil); f != nil {
		f.release()
	}
}

func newHotTable() *hotTable { return &hotTable{seed: maphash.MakeSeed()} }

func (t *hotTable) slot(rawKey []byte) *atomic.Pointer[hotEntry] {
	return &t.slots[maphash.Bytes(t.seed, rawKey)&(hotSlots-1)]
}

// lookup returns rawKey's entry, or nil.
func (t *hotTable) lookup(rawKey []byte) *hotEntry {
	e := t.slot(rawKey).Load()
	if e == nil || !bytes.Equal(e.rawKey, rawKey) {
		return nil
	}
	return e
}

// drop forgets e if it still holds its slot.
func (t *hotTable) drop(e *hotEntry) {
	if t.slot(e.rawKey).CompareAndSwap(e, nil) {
		e.retire()
	}
}

// dropStale retires the entries holding a file whose metadata is no longer
// current, so the file closes even if nobody asks for the object again: a
// deleted or replaced file (a pruned model version, say) would otherwise keep
// its disk space until its slot was reused.
func (t *hotTable) dropStale(current func(cache.MetaRef) bool) {
	for i := range t.slots {
		if e := t.slots[i].Load(); e != nil && e.file.Load() != nil && !current(e.ref) {
			if t.slots[i].CompareAndSwap(e, nil) {
				e.retire()
			}
		}
	}
}

// clear empties the table, releasing every entry's file.
func (t *hotTable) clear() {
	for i := range t.slots {
		if e := t.slots[i].Swap(nil); e != nil {
			e.retire()
		}
	}
}

// remember prepares the answer for rawKey's object unless the slot already
// holds it.
func (s *Server) remember(rawKey []byte, ref cache.MetaRef, meta *cache.Meta) {
	if !ref.Valid() {
		return
	}
	slot := s.hot.slot(rawKey)
	if old := slot.Load(); old != nil && old.meta == meta && bytes.Equal(old.rawKey, rawKey) {
		return
	}
	e := &hotEntry{
		rawKey:       bytes.Clone(rawKey),
		ref:          ref,
		meta:         meta,
		compressible: httpsem.Compressible(meta.Key),
	}
	h := &e.header
	h.SetNoDefaultContentType(true)
	if s.cors.any {
		h.SetCanonical(hAllowOrigin, vAny)
		h.SetCanonical(hExposeHeaders, vExposed)
	}
	s.writeValidators(h, meta, meta.QuotedETag, e.compressible)
	h.SetContentType(httpsem.ContentType(meta.Key))
	h.SetCanonical(hAcceptRanges, vBytes)
	e.lines = headerLines(h)
	if old := slot.Swap(e); old != nil {
		old.retire()
	}
}

// headerLines serializes h's lines for an answer whose status line, Date,
// Server, Content-Length and Connection fasthttp writes itself.
func headerLines(h *fasthttp.ResponseHeader) []byte {
	var b []byte
	for k, v := range h.All() {
		switch string(k) {
		case fasthttp.HeaderContentLength, fasthttp.HeaderDate, fasthttp.HeaderServer,
			fasthttp.HeaderConnection, fasthttp.HeaderTransferEncoding:
			continue
		}
		b = append(b, k...)
		b = append(b, ": "...)
		b = append(b, v...)
		b = append(b, "\r\n"...)
	}
	return b
}

// hotFile returns e's object file, acquired (the caller releases it), opening
// it on first use; nil when there is none to send from: the store keeps no
// files, or the open-file budget is spent.
func (s *Server) hotFile(e *hotEntry) *sharedFile {
	for {
		if f := e.file.Load(); f != nil {
			if f.acquire() {
				return f
			}
			return nil // retired meanwhile
		}
		if e.noFile.Load() || s.openFiles.Load() >= s.maxOpenFiles {
			return nil
		}
		f, err := s.tier.OpenFile(s.base, e.meta)
		if err != nil {
			// No file store, or the file no longer holds this version (the
			// tier notices at its next revalidation): the tier's bytes serve.
			e.noFile.Store(true)
			return nil
		}
		sf, err := newSharedFile(f, &s.openFiles)
		if err != nil {
			f.Close()
			e.noFile.Store(true)
			return nil
		}
		if !e.file.CompareAndSwap(nil, sf) {
			sf.release() // another request attached one first: use that
			continue
		}
		if e.retired.Load() && e.file.CompareAndSwap(sf, nil) {
			sf.release() // the entry left the table while the file opened
			return nil
		}
	}
}

// serveHot answers from the hot table when it can: a GET or HEAD without
// preconditions, for the identity representation, whole or one satisfiable
// range, of an object whose metadata is still current. Anything else, and any
// read error, reports false with the response untouched, and the full path
// answers.
func (s *Server) serveHot(ctx *fasthttp.RequestCtx, x *exchange, rawKey []byte) (handled, streaming bool) {
	req := &x.req
	if len(req.ifMatch)|len(req.ifNoneMatch)|len(req.ifModifiedSince)|len(req.ifUnmodifiedSince)|len(req.ifRange) != 0 {
		return false, false
	}
	e := s.hot.lookup(rawKey)
	if e == nil {
		return false, false
	}
	if !s.tier.Current(e.ref) {
		s.hot.drop(e)
		return false, false
	}
	meta := e.meta
	status, off, n := fasthttp.StatusOK, int64(0), meta.Size
	if len(req.rng) > 0 {
		var buf [2]httpsem.Range
		ranges, err := httpsem.ParseRange(buf[:0], b2s(req.rng), meta.Size)
		if err != nil || len(ranges) != 1 {
			return false, false // 416, ignored or several ranges: the full path
		}
		status, off, n = fasthttp.StatusPartialContent, ranges[0].Start, ranges[0].Length
	} else if e.compressible && len(req.acceptEncoding) > 0 && meta.Size >= s.cfg.CompressMinBytes && meta.Size <= s.cfg.CompressMaxBytes &&
		httpsem.Negotiate(b2s(req.acceptEncoding), compressedEncodings) != httpsem.Identity {
		return false, false // an encoded variant
	}
	head := ctx.IsHead()
	var parts [][]byte
	var file *sharedFile
	zc := connOf(ctx)
	if canSendfile && zc != nil && !head && sendfileSuits(off, n) {
		file = s.hotFile(e)
	}
	if file == nil && !head && n > 0 && n <= inlineLimit {
		var outcome cache.Outcome
		var err error
		if parts, outcome, err = s.tier.Read(s.base, meta, off, n); err != nil {
			return false, false
		}
		x.note(outcome)
	}
	x.note(cache.Hit) // the metadata; the worst outcome wins the log line

	resp := &ctx.Response
	// A body the connection sends itself (zero copy) takes the entry's
	// serialized lines at the socket (zcConn.extendHeader): fasthttp then
	// writes only what varies by request, and the copy and serialization of
	// a dozen headers per request are gone. Otherwise the prepared header is
	// copied; that copy resets it, so the request id set before routing is
	// kept aside.
	armed := zc != nil && !head && (file != nil || (parts != nil && n >= zeroCopyMin))
	if !armed {
		var idBuf [160]byte
		id := append(idBuf[:0], resp.Header.PeekBytes(hRequestID)...)
		e.header.CopyTo(&resp.Header)
		resp.Header.SetCanonical(hRequestID, id)
	}
	if !s.cors.any {
		s.cors.apply(ctx, req.origin)
	}
	resp.SetStatusCode(status)
	if status == fasthttp.StatusPartialContent {
		var buf [64]byte
		resp.Header.SetCanonical(hContentRange, httpsem.Range{Start: off, Length: n}.AppendContentRange(buf[:0], meta.Size))
	}
	switch {
	case head || n == 0:
		resp.Header.SetContentLength(int(n))
	case armed:
		var stream io.Reader
		if file != nil {
			stream = zc.armFile(file, off, n)
		} else {
			stream = zc.armParts(parts, n)
		}
		armedBody(resp, stream, n)
		zc.extendHeader(e.lines)
		x.sent = n
	case parts != nil:
		setBodyParts(resp, parts) // too small to arm, or no zero-copy connection
	default:
		resp.SetBodyStream(s.stream(ctx, x, s.tier.NewReader(s.base, meta, off, n)), int(n))
		streaming = true
	}
	return true, streaming
}
