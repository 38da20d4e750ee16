package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/strata3d/strata/server/httpsem"
)

// problem is the one error type of the HTTP edge: a status, a stable code and a
// public message. The cause stays in the logs; only Status, Code and Detail
// reach the client, as an RFC 9457 application/problem+json body.
type problem struct {
	Status int
	Code   string // stable, machine-readable, e.g. "not_found"
	Detail string // safe to show a client; never internal error text
	// RetryAfter, when positive, is sent as Retry-After (503s).
	RetryAfter time.Duration
	// Allow, when set, is sent as Allow (405s).
	Allow string
}

var (
	errBadPath          = &problem{Status: 400, Code: "bad_path", Detail: "The request path is not a valid asset key."}
	errForbidden        = &problem{Status: 403, Code: "forbidden", Detail: "Missing or wrong origin secret."}
	errNotFound         = &problem{Status: 404, Code: "not_found", Detail: "No such asset."}
	errRouteNotFound    = &problem{Status: 404, Code: "not_found", Detail: "No such route."}
	errAssetMethod      = &problem{Status: 405, Code: "method_not_allowed", Detail: "Assets accept GET, HEAD and OPTIONS.", Allow: "GET, HEAD, OPTIONS"}
	errProbeMethod      = &problem{Status: 405, Code: "method_not_allowed", Detail: "This route accepts GET and HEAD.", Allow: "GET, HEAD"}
	errPrecondition     = &problem{Status: 412, Code: "precondition_failed", Detail: "A precondition of the request does not hold."}
	errURITooLong       = &problem{Status: 414, Code: "uri_too_long", Detail: "The request target is too long."}
	errHeadersTooLarge  = &problem{Status: 431, Code: "headers_too_large", Detail: "The request headers are too large."}
	errBodyTooLarge     = &problem{Status: 413, Code: "body_too_large", Detail: "The request body is too large."}
	errBadRequest       = &problem{Status: 400, Code: "bad_request", Detail: "The request could not be parsed."}
	errRequestTimeout   = &problem{Status: 408, Code: "request_timeout", Detail: "The request took too long to arrive."}
	errInternal         = &problem{Status: 500, Code: "internal", Detail: "Internal error."}
	errStoreUnavailable = &problem{Status: 503, Code: "store_unavailable", Detail: "Storage is unavailable; retry shortly.", RetryAfter: 5 * time.Second}
	errDraining         = &problem{Status: 503, Code: "draining", Detail: "This instance is shutting down.", RetryAfter: time.Second}
)

// body renders the problem document. Bodies of the fixed problems above are
// rendered once, at first use.
func (p *problem) body() []byte {
	return httpsem.Problem{Title: http.StatusText(p.Status), Status: p.Status, Code: p.Code, Detail: p.Detail}.JSON()
}

// write sends the problem on ctx, replacing any body already set. HEAD requests
// get the headers only; fasthttp drops the body for them.
func (p *problem) write(ctx *fasthttp.RequestCtx, cached *renderedProblems) {
	ctx.Response.ResetBody()
	ctx.Response.Header.SetStatusCode(p.Status)
	ctx.Response.Header.SetContentType(httpsem.ProblemType)
	ctx.Response.Header.Set("Cache-Control", "no-store")
	if p.RetryAfter > 0 {
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(int((p.RetryAfter+time.Second-1)/time.Second)))
	}
	if p.Allow != "" {
		ctx.Response.Header.Set("Allow", p.Allow)
	}
	ctx.Response.SetBodyRaw(cached.get(p))
}

// renderedProblems caches problem bodies; problems are few and fixed.
type renderedProblems struct {
	bodies map[*problem][]byte
}

func newRenderedProblems() *renderedProblems {
	r := &renderedProblems{bodies: map[*problem][]byte{}}
	for _, p := range []*problem{
		errBadPath, errForbidden, errNotFound, errRouteNotFound, errAssetMethod, errProbeMethod,
		errPrecondition, errURITooLong, errHeadersTooLarge, errBodyTooLarge, errBadRequest, errRequestTimeout,
		errInternal, errStoreUnavailable, errDraining,
	} {
		r.bodies[p] = p.body()
	}
	return r
}

// get returns the rendered body; the map is read-only after construction.
func (r *renderedProblems) get(p *problem) []byte {
	if b, ok := r.bodies[p]; ok {
		return b
	}
	return p.body()
}
