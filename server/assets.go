package server

import (
	"errors"
	"io"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/server/httpsem"
)

// inlineLimit is the largest body assembled in memory from cached chunks;
// larger bodies stream chunk by chunk so a 200 MB GET never holds 200 MB.
const inlineLimit = 4 << 20

// compressedEncodings are the variants the origin makes.
var compressedEncodings = httpsem.Encodings(httpsem.Brotli, httpsem.Gzip)

// serveAsset answers GET, HEAD and OPTIONS on /assets/{key}. rawKey is the
// request path after the prefix, still percent-encoded. It reports whether the
// body is a stream that finishes the exchange itself.
func (s *Server) serveAsset(ctx *fasthttp.RequestCtx, x *exchange, rawKey []byte) bool {
	if ctx.IsOptions() {
		s.cors.preflight(ctx)
		return false
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		s.fail(ctx, errAssetMethod)
		return false
	}
	if handled, streaming := s.serveHot(ctx, x, rawKey); handled {
		return streaming
	}
	s.cors.apply(ctx, x.req.origin)
	key, err := httpsem.CleanKey(b2s(rawKey))
	if err != nil {
		s.fail(ctx, errBadPath)
		return false
	}
	// key may be a view of fasthttp's request buffer: the tier copies it
	// before keeping it, and nothing here keeps it past the request.
	for attempt := 0; ; attempt++ {
		streaming, err := s.serveKey(ctx, x, rawKey, key)
		if err == nil {
			return streaming
		}
		// The object changed between its metadata and its bytes: the tier has
		// dropped the old metadata, so one more try serves the new version whole.
		if errors.Is(err, cache.ErrChanged) && attempt == 0 {
			continue
		}
		s.failStore(ctx, key, err)
		return false
	}
}

// failStore maps a tier error to its answer.
func (s *Server) failStore(ctx *fasthttp.RequestCtx, key string, err error) {
	switch {
	case errors.Is(err, cache.ErrNotFound):
		s.fail(ctx, errNotFound)
	case errors.Is(err, cache.ErrInvalidKey):
		s.fail(ctx, errBadPath)
	default:
		s.log.Error("store read failed", "key", key, "err", err)
		s.fail(ctx, errStoreUnavailable)
	}
}

// serveKey answers for one object; rawKey is key as requested, the hot
// table's index. It sets nothing on the response before it
// knows the answer, so a failed read leaves a clean response for the error.
func (s *Server) serveKey(ctx *fasthttp.RequestCtx, x *exchange, rawKey []byte, key string) (streaming bool, err error) {
	meta, ref, outcome, err := s.tier.StatRef(s.base, key)
	if err != nil {
		return false, err
	}
	s.remember(rawKey, ref, meta)
	x.note(outcome)
	head := ctx.IsHead()
	req := &x.req
	compressible := httpsem.Compressible(meta.Key)
	rangeHeader := req.rng

	// Choose the representation. Range requests always get identity bytes: a
	// viewer reading a GLB by ranges needs the raw offsets.
	enc := httpsem.Identity
	var variant []byte
	if compressible && len(rangeHeader) == 0 && meta.Size >= s.cfg.CompressMinBytes && meta.Size <= s.cfg.CompressMaxBytes {
		if enc = httpsem.Negotiate(b2s(req.acceptEncoding), compressedEncodings); enc != httpsem.Identity {
			variant, err = s.variant(meta, enc)
			if err != nil || len(variant) == 0 {
				if err != nil {
					s.log.Warn("compression skipped", "key", key, "encoding", enc.String(), "err", err)
				}
				enc, variant = httpsem.Identity, nil
			}
		}
	}
	etag := meta.QuotedETag
	if enc != httpsem.Identity {
		etag = variantETag(meta.ETag, enc)
	}
	v := httpsem.Validators{ETag: etag, LastModified: meta.ModTime}
	conds := httpsem.Conditions{
		IfMatch:           b2s(req.ifMatch),
		IfNoneMatch:       b2s(req.ifNoneMatch),
		IfModifiedSince:   b2s(req.ifModifiedSince),
		IfUnmodifiedSince: b2s(req.ifUnmodifiedSince),
		IfRange:           b2s(req.ifRange),
	}
	switch httpsem.Evaluate(b2s(ctx.Method()), conds, v) {
	case httpsem.NotModified:
		s.writeValidators(&ctx.Response.Header, meta, etag, compressible)
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return false, nil
	case httpsem.PreconditionFailed:
		s.fail(ctx, errPrecondition)
		return false, nil
	}

	if variant != nil {
		s.writeValidators(&ctx.Response.Header, meta, etag, compressible)
		h := &ctx.Response.Header
		h.SetContentType(httpsem.ContentType(meta.Key))
		h.SetContentEncoding(enc.String())
		h.SetCanonical(hAcceptRanges, vBytes)
		if head {
			h.SetContentLength(len(variant))
		} else {
			ctx.Response.SetBodyRaw(variant)
		}
		return false, nil
	}

	if len(rangeHeader) > 0 && httpsem.IfRangeAllows(conds.IfRange, v) {
		var buf [4]httpsem.Range
		ranges, perr := httpsem.ParseRange(buf[:0], b2s(rangeHeader), meta.Size)
		switch {
		case errors.Is(perr, httpsem.ErrRangeNotSatisfiable):
			h := &ctx.Response.Header
			s.writeValidators(&ctx.Response.Header, meta, etag, compressible)
			h.SetCanonical(hAcceptRanges, vBytes)
			setHeader(h, hContentRange, httpsem.UnsatisfiedContentRange(meta.Size))
			ctx.SetStatusCode(fasthttp.StatusRequestedRangeNotSatisfiable)
			return false, nil
		case perr != nil:
			// A malformed Range or another unit is ignored: the whole object.
		case len(ranges) == 1:
			return s.serveRange(ctx, x, meta, etag, compressible, ranges[0], head)
		case !httpsem.CoalesceNeeded(ranges, s.cfg.MaxRanges):
			return s.serveMultipart(ctx, x, meta, etag, compressible, ranges, head)
		}
	}
	return s.serveBytes(ctx, x, meta, etag, compressible, fasthttp.StatusOK, 0, meta.Size, head)
}

// serveRange answers one satisfiable range with 206.
func (s *Server) serveRange(ctx *fasthttp.RequestCtx, x *exchange, meta *cache.Meta, etag string, compressible bool, r httpsem.Range, head bool) (bool, error) {
	streaming, err := s.serveBytes(ctx, x, meta, etag, compressible, fasthttp.StatusPartialContent, r.Start, r.Length, head)
	if err == nil {
		var buf [64]byte
		ctx.Response.Header.SetCanonical(hContentRange, r.AppendContentRange(buf[:0], meta.Size))
	}
	return streaming, err
}

// serveBytes answers with bytes [off, off+n) of meta's version and the given status.
func (s *Server) serveBytes(ctx *fasthttp.RequestCtx, x *exchange, meta *cache.Meta, etag string, compressible bool, status int, off, n int64, head bool) (bool, error) {
	resp := &ctx.Response
	streaming := false
	switch {
	case head || n == 0:
	case n <= inlineLimit:
		parts, outcome, err := s.tier.Read(s.base, meta, off, n)
		if err != nil {
			return false, err
		}
		x.note(outcome)
		s.setBody(ctx, x, parts, n)
	default:
		resp.SetBodyStream(s.stream(ctx, x, s.tier.NewReader(s.base, meta, off, n)), int(n))
		streaming = true
	}
	s.writeValidators(&ctx.Response.Header, meta, etag, compressible)
	h := &resp.Header
	h.SetContentType(httpsem.ContentType(meta.Key))
	h.SetCanonical(hAcceptRanges, vBytes)
	ctx.SetStatusCode(status)
	if head || n == 0 {
		h.SetContentLength(int(n))
	}
	return streaming, nil
}

// setBody makes parts, n bytes in all, the response body: handed to the
// socket in one writev with the header when the body is large and the
// connection allows it, else through fasthttp's write buffer.
func (s *Server) setBody(ctx *fasthttp.RequestCtx, x *exchange, parts [][]byte, n int64) {
	if n >= zeroCopyMin {
		if c := connOf(ctx); c != nil {
			armedBody(&ctx.Response, c.armParts(parts, n), n)
			x.sent = n
			return
		}
	}
	setBodyParts(&ctx.Response, parts)
}

// setBodyParts makes parts the body, without a copy when there is one part.
func setBodyParts(resp *fasthttp.Response, parts [][]byte) {
	if len(parts) == 1 {
		resp.SetBodyRaw(parts[0])
		return
	}
	for _, p := range parts {
		resp.AppendBody(p)
	}
}

// serveMultipart answers several ranges with a multipart/byteranges 206.
func (s *Server) serveMultipart(ctx *fasthttp.RequestCtx, x *exchange, meta *cache.Meta, etag string, compressible bool, ranges []httpsem.Range, head bool) (bool, error) {
	mp := httpsem.NewMultipart(httpsem.NewBoundary(), httpsem.ContentType(meta.Key), meta.Size, ranges)
	s.writeValidators(&ctx.Response.Header, meta, etag, compressible)
	h := &ctx.Response.Header
	h.SetContentType(mp.ContentType())
	h.SetCanonical(hAcceptRanges, vBytes)
	ctx.SetStatusCode(fasthttp.StatusPartialContent)
	if head {
		h.SetContentLength(int(mp.ContentLength))
		return false, nil
	}
	parts := make([]io.Reader, 0, 2*len(mp.Parts)+1)
	closers := make([]io.Closer, 0, len(mp.Parts))
	for _, p := range mp.Parts {
		r := s.tier.NewReader(s.base, meta, p.Range.Start, p.Range.Length)
		parts = append(parts, strings.NewReader(p.Header), r)
		closers = append(closers, r)
	}
	parts = append(parts, strings.NewReader(mp.Closing))
	body := &multiCloser{Reader: io.MultiReader(parts...), closers: closers}
	ctx.Response.SetBodyStream(s.stream(ctx, x, body), int(mp.ContentLength))
	return true, nil
}

// writeValidators sets the headers every successful or 304 asset answer
// carries (and the hot table's prepared headers).
func (s *Server) writeValidators(h *fasthttp.ResponseHeader, meta *cache.Meta, etag string, compressible bool) {
	setHeader(h, hETag, etag)
	setHeader(h, hLastModified, meta.LastModified)
	setHeader(h, hCacheControl, s.policy.Header(meta.Key))
	h.SetCanonical(hNoSniff, vNoSniff)
	if v := s.cors.vary(compressible); v != "" {
		setHeader(h, hVary, v)
	}
}

// variantETag names an encoded representation: a distinct strong validator per
// encoding, derived from the identity one so every instance agrees.
func variantETag(etag string, enc httpsem.Encoding) string {
	return `"` + etag + "-" + enc.String() + `"`
}

// multiCloser closes every part reader of a multipart body.
type multiCloser struct {
	io.Reader
	closers []io.Closer
}

func (m *multiCloser) Close() error {
	var errs []error
	for _, c := range m.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// trackedBody counts a streamed body's bytes and finishes the exchange when
// fasthttp closes it, so the access log and latency cover the last byte.
type trackedBody struct {
	s    *Server
	ctx  *fasthttp.RequestCtx
	x    exchange
	r    io.ReadCloser
	sent int64
}

func (s *Server) stream(ctx *fasthttp.RequestCtx, x *exchange, r io.ReadCloser) io.ReadCloser {
	return &trackedBody{s: s, ctx: ctx, x: *x, r: r}
}

func (t *trackedBody) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.sent += int64(n)
	if err != nil && err != io.EOF {
		t.s.log.Warn("streamed body failed", "path", string(t.ctx.Path()), "sent", t.sent, "err", err)
	}
	return n, err
}

func (t *trackedBody) Close() error {
	err := t.r.Close()
	t.s.finish(t.ctx, &t.x, t.sent)
	return err
}
