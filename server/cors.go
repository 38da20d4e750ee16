package server

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// corsPolicy lets browser viewers on other origins read assets. With "*" every
// origin may read (the default: assets are public, and one cached response
// serves every site); with a list, the allowed origin is echoed and responses
// vary on Origin.
type corsPolicy struct {
	any     bool
	origins map[string]struct{}

	varyPlain, varyEncoded string // Vary values for non-compressible and compressible assets
}

const (
	corsExposed    = "Content-Range, Content-Length, Accept-Ranges, ETag, Content-Encoding, X-Request-Id"
	corsAllowed    = "Range, If-None-Match, If-Match, If-Modified-Since, If-Unmodified-Since, If-Range"
	corsMethods    = "GET, HEAD"
	corsMaxAgeSecs = "86400"
)

func newCORSPolicy(origins []string) corsPolicy {
	c := corsPolicy{origins: map[string]struct{}{}}
	for _, o := range origins {
		if o == "*" {
			c.any = true
		}
		c.origins[o] = struct{}{}
	}
	if len(origins) == 0 {
		c.any = true
	}
	c.varyEncoded = "Accept-Encoding"
	if !c.any {
		c.varyPlain = "Origin"
		c.varyEncoded = "Accept-Encoding, Origin"
	}
	return c
}

func (c *corsPolicy) allowed(origin []byte) bool {
	if c.any {
		return true
	}
	_, ok := c.origins[b2s(origin)]
	return ok
}

// vary returns the Vary value of an asset response.
func (c *corsPolicy) vary(compressible bool) string {
	if compressible {
		return c.varyEncoded
	}
	return c.varyPlain
}

// apply adds the CORS headers of an actual (non-preflight) response.
func (c *corsPolicy) apply(ctx *fasthttp.RequestCtx, origin []byte) {
	h := &ctx.Response.Header
	if c.any {
		h.SetCanonical(hAllowOrigin, vAny)
		h.SetCanonical(hExposeHeaders, vExposed)
		return
	}
	if len(origin) == 0 || !c.allowed(origin) {
		return
	}
	h.SetCanonical(hAllowOrigin, origin)
	h.SetCanonical(hExposeHeaders, vExposed)
}

// preflight answers OPTIONS. A CORS preflight from an allowed origin asking for
// GET or HEAD gets the grant; anything else gets a plain 204 with Allow, which
// a browser treats as a refusal.
func (c *corsPolicy) preflight(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	h.Set("Allow", "GET, HEAD, OPTIONS")
	h.Set("Cache-Control", "public, max-age="+corsMaxAgeSecs)
	if !c.any {
		h.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	}
	origin := ctx.Request.Header.Peek("Origin")
	method := ctx.Request.Header.Peek("Access-Control-Request-Method")
	if len(origin) == 0 || len(method) == 0 || !c.allowed(origin) {
		return
	}
	if !bytes.Equal(method, []byte("GET")) && !bytes.Equal(method, []byte("HEAD")) {
		return
	}
	if c.any {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.SetBytesV("Access-Control-Allow-Origin", origin)
	}
	h.Set("Access-Control-Allow-Methods", corsMethods)
	h.Set("Access-Control-Allow-Headers", corsAllowed)
	h.Set("Access-Control-Max-Age", corsMaxAgeSecs)
}
