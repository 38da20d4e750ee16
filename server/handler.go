package server

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/strata3d/strata/cache"
)

// routeClass groups routes for metrics and logs; labels stay few and fixed.
type routeClass uint8

const (
	routeOther routeClass = iota
	routeAssets
	routeProbe
	routeMetrics
	routeModels
	routeAPI
	routeAdmin
	routeWeb
	numRoutes
)

func (r routeClass) String() string {
	switch r {
	case routeAssets:
		return "assets"
	case routeProbe:
		return "probe"
	case routeMetrics:
		return "metrics"
	case routeModels:
		return "models"
	case routeAPI:
		return "api"
	case routeAdmin:
		return "admin"
	case routeWeb:
		return "web"
	}
	return "other"
}

// exchange is what one request leaves for its access log line and metrics.
type exchange struct {
	start   time.Time
	route   routeClass
	outcome cache.Outcome
	cached  bool // outcome was set by the tier
	req     requestHeaders
	// sent is the length of a body armed on a zcConn, which must not be
	// read back through Response.Body; -1 otherwise.
	sent int64
}

func (x *exchange) note(o cache.Outcome) {
	// The worst outcome of the request wins: a stale or missed chunk matters
	// more to an operator than the metadata hit before it.
	if !x.cached || o > x.outcome {
		x.outcome = o
	}
	x.cached = true
}

var (
	pathAssets  = []byte("/assets/")
	pathModels  = []byte("/models/")
	pathAPI     = []byte("/api/")
	pathAdmin   = []byte("/admin/")
	pathHealthz = []byte("/healthz")
	pathReadyz  = []byte("/readyz")
	pathMetrics = []byte("/metrics")
	pathRoot    = []byte("/")
)

// handle is the fasthttp entry point.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	x := exchange{start: ctx.Time(), sent: -1} // start: stamped by fasthttp when the request was read
	clock := s.timeouts.clock(ctx.Conn())
	s.timeouts.set(clock, phaseHandling)
	defer s.timeouts.set(clock, phaseWriting)
	s.metrics.begin(ctx.ConnID())
	x.req = readRequestHeaders(&ctx.Request.Header, s.secretKey)
	s.ids.set(ctx, &x.req)
	if s.route(ctx, &x) {
		return // a streamed body finishes the exchange when it closes
	}
	sent := x.sent
	if sent < 0 {
		sent = int64(len(ctx.Response.Body()))
	}
	if zc := connOf(ctx); zc != nil && !ctx.Request.Header.ConnectionClose() && !ctx.Response.ConnectionClose() {
		zc.answered() // the answer may leave with the next read
	}
	s.finish(ctx, &x, sent)
}

// route dispatches the request and reports whether the response body is a
// stream that will call finish itself.
func (s *Server) route(ctx *fasthttp.RequestCtx, x *exchange) (streaming bool) {
	uri := ctx.Request.Header.RequestURI()
	if len(uri) > s.cfg.MaxURIBytes {
		s.fail(ctx, errURITooLong)
		return false
	}
	path := requestPath(uri)
	switch {
	case bytes.HasPrefix(path, pathAssets):
		x.route = routeAssets
		if !s.checkSecret(&x.req) {
			s.fail(ctx, errForbidden)
			return false
		}
		return s.serveAsset(ctx, x, path[len(pathAssets):])
	case bytes.HasPrefix(path, pathModels):
		// Published models live in the store under models/: the pointer
		// manifest and the content-addressed artifacts it names.
		x.route = routeModels
		if !s.checkSecret(&x.req) {
			s.fail(ctx, errForbidden)
			return false
		}
		return s.serveAsset(ctx, x, path[1:])
	case s.apiHandler != nil && bytes.HasPrefix(path, pathAPI):
		x.route = routeAPI
		s.serveMounted(ctx, x, s.apiHandler, s.cfg.MaxBodyBytes)
	case s.adminHandler != nil && bytes.HasPrefix(path, pathAdmin):
		x.route = routeAdmin
		s.serveMounted(ctx, x, s.adminHandler, s.cfg.MaxUploadBytes)
	case bytes.Equal(path, pathHealthz):
		x.route = routeProbe
		s.serveHealth(ctx)
	case bytes.Equal(path, pathReadyz):
		x.route = routeProbe
		s.serveReady(ctx)
	case bytes.Equal(path, pathMetrics):
		x.route = routeMetrics
		if !s.checkSecret(&x.req) {
			s.fail(ctx, errForbidden)
			return false
		}
		s.serveMetrics(ctx)
	case s.webHandler != nil && (ctx.IsGet() || ctx.IsHead()):
		x.route = routeWeb
		s.serveMounted(ctx, x, s.webHandler, 0)
	case bytes.Equal(path, pathRoot):
		if !s.checkSecret(&x.req) {
			s.fail(ctx, errForbidden)
			return false
		}
		// A relative Location: behind CloudFront the origin's own host name
		// must never leak into a redirect.
		ctx.Response.Header.Set("Cache-Control", "no-cache")
		ctx.Response.Header.Set("Location", "/assets/index.html")
		ctx.SetStatusCode(fasthttp.StatusFound)
	default:
		if !s.checkSecret(&x.req) {
			s.fail(ctx, errForbidden)
			return false
		}
		s.fail(ctx, errRouteNotFound)
	}
	return false
}

// adapt turns a net/http handler into a fasthttp one, or nil for nil.
//
// The handler's request context is its own, derived from the server's base
// context and cancelled when the handler returns, never fasthttp's RequestCtx:
// fasthttp reuses that for the connection's next request, while work started
// by the handler (an HTTP client's connection cleanup, say) may still consult
// its context afterwards.
func (s *Server) adapt(h http.Handler) fasthttp.RequestHandler {
	if h == nil {
		return nil
	}
	base := s.base
	return fasthttpadaptor.NewFastHTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(base)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	}))
}

// serveMounted hands a request to a mounted net/http handler after the checks
// every route shares: the origin secret and the body bound of the mount.
func (s *Server) serveMounted(ctx *fasthttp.RequestCtx, x *exchange, h fasthttp.RequestHandler, maxBody int64) {
	if !s.checkSecret(&x.req) {
		s.fail(ctx, errForbidden)
		return
	}
	// fasthttp bounds bodies by the largest mount's limit; this is the
	// mount's own, so a small-API request can't carry an upload-sized body.
	if maxBody > 0 && int64(len(ctx.Request.Body())) > maxBody {
		s.fail(ctx, errBodyTooLarge)
		return
	}
	h(ctx)
}

// requestPath returns the raw (still percent-encoded) path of a request target,
// without its query, accepting the absolute form a proxy may send.
func requestPath(uri []byte) []byte {
	if !bytes.HasPrefix(uri, pathRoot) {
		// absolute-form: scheme://authority/path
		if i := bytes.Index(uri, []byte("://")); i >= 0 {
			rest := uri[i+3:]
			if j := bytes.IndexByte(rest, '/'); j >= 0 {
				uri = rest[j:]
			} else {
				uri = pathRoot
			}
		}
	}
	if i := bytes.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	return uri
}

// readOnly answers 405 unless the request is a GET or HEAD.
func (s *Server) readOnly(ctx *fasthttp.RequestCtx) bool {
	if ctx.IsGet() || ctx.IsHead() {
		return true
	}
	s.fail(ctx, errProbeMethod)
	return false
}

// probeOK answers a probe with a short uncacheable text.
func probeOK(ctx *fasthttp.RequestCtx, body string) {
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
	ctx.Response.SetBodyString(body)
}

func (s *Server) serveHealth(ctx *fasthttp.RequestCtx) {
	if s.readOnly(ctx) {
		probeOK(ctx, "ok\n")
	}
}

func (s *Server) serveReady(ctx *fasthttp.RequestCtx) {
	if !s.readOnly(ctx) {
		return
	}
	if s.draining.Load() {
		s.fail(ctx, errDraining)
		return
	}
	if err := s.ready.check(s.base); err != nil {
		s.log.Warn("not ready: store unreachable", "err", err)
		s.fail(ctx, errStoreUnavailable)
		return
	}
	probeOK(ctx, "ready\n")
}

func (s *Server) serveMetrics(ctx *fasthttp.RequestCtx) {
	if s.readOnly(ctx) {
		s.metricsHandler(ctx)
	}
}

// newMetricsHandler adapts promhttp (net/http) once; /metrics is not hot.
func newMetricsHandler(s *Server) fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		ErrorLog: slogPrinter{s.log}, EnableOpenMetrics: false,
	}))
}

// fail answers with a problem.
func (s *Server) fail(ctx *fasthttp.RequestCtx, p *problem) {
	p.write(ctx, s.problems)
}

// handleParseError answers requests fasthttp could not parse; they never reach
// handle, so they are logged and counted here.
func (s *Server) handleParseError(ctx *fasthttp.RequestCtx, err error) {
	x := exchange{start: time.Now()}
	s.timeouts.enter(ctx.Conn(), phaseWriting)
	s.metrics.begin(ctx.ConnID())
	s.ids.set(ctx, &x.req)
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	linger := true // the client may still be sending what was not read
	switch {
	case errors.As(err, &small):
		s.fail(ctx, errHeadersTooLarge)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		s.fail(ctx, errBodyTooLarge)
	case errors.As(err, &netErr) && netErr.Timeout():
		s.fail(ctx, errRequestTimeout)
		linger = false // it sent nothing for the read timeout: likely gone
	default:
		s.fail(ctx, errBadRequest)
	}
	if lc, ok := ctx.Conn().(lingerOnClose); ok && linger {
		lc.lingerOnClose()
	}
	ctx.SetConnectionClose()
	s.finish(ctx, &x, int64(len(ctx.Response.Body())))
}

// finish records the exchange in the metrics and the access log.
func (s *Server) finish(ctx *fasthttp.RequestCtx, x *exchange, sent int64) {
	d := time.Since(x.start)
	status := ctx.Response.StatusCode()
	s.metrics.end(ctx.ConnID(), x.route, status, d, sent)
	if s.access != nil {
		s.access.log(ctx, x, status, sent, d)
	}
}

// b2s views b as a string without copying. The string must not outlive b's
// next reuse by fasthttp (the end of the request), so it is only passed to
// functions that do not keep it.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// s2b views s as a byte slice without copying; the slice must not be written.
func s2b(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
