package server

import "github.com/valyala/fasthttp"

// Header names in canonical form. The hot path sets headers with
// SetCanonical, which skips fasthttp's key normalisation and keeps the
// spelling (ResponseHeader.Set would send "Etag").
var (
	hAcceptRanges  = []byte("Accept-Ranges")
	hAllowOrigin   = []byte("Access-Control-Allow-Origin")
	hExposeHeaders = []byte("Access-Control-Expose-Headers")
	hCacheControl  = []byte("Cache-Control")
	hContentRange  = []byte("Content-Range")
	hETag          = []byte("ETag")
	hLastModified  = []byte("Last-Modified")
	hNoSniff       = []byte("X-Content-Type-Options")
	hRequestID     = []byte(headerRequestID)
	hVary          = []byte("Vary")

	vBytes   = []byte("bytes")
	vNoSniff = []byte("nosniff")
	vAny     = []byte("*")
	vExposed = []byte(corsExposed)
)

// setHeader sets a canonical header to a string value without copying it first.
func setHeader(h *fasthttp.ResponseHeader, key []byte, value string) {
	h.SetCanonical(key, s2b(value))
}

// requestHeaders are the request fields the origin reads, found in one pass
// over the request's headers instead of a normalising lookup per field. The
// slices view fasthttp's buffers and are valid until the request ends.
type requestHeaders struct {
	rng, acceptEncoding, origin                        []byte
	ifMatch, ifNoneMatch, ifModifiedSince, ifRange     []byte
	ifUnmodifiedSince, requestID, cloudFrontID, secret []byte
}

// readRequestHeaders scans h once; secretHeader is the origin-secret header's
// name (nil when no secret is configured).
func readRequestHeaders(h *fasthttp.RequestHeader, secretHeader []byte) (r requestHeaders) {
	for k, v := range h.All() {
		switch len(k) {
		case 5:
			if equalFold(k, "range") {
				r.rng = v
			}
		case 6:
			if equalFold(k, "origin") {
				r.origin = v
			}
		case 8:
			switch {
			case equalFold(k, "if-match"):
				r.ifMatch = v
			case equalFold(k, "if-range"):
				r.ifRange = v
			}
		case 11:
			if equalFold(k, "x-amz-cf-id") {
				r.cloudFrontID = v
			}
		case 12:
			if equalFold(k, "x-request-id") {
				r.requestID = v
			}
		case 13:
			if equalFold(k, "if-none-match") {
				r.ifNoneMatch = v
			}
		case 15:
			if equalFold(k, "accept-encoding") {
				r.acceptEncoding = v
			}
		case 17:
			if equalFold(k, "if-modified-since") {
				r.ifModifiedSince = v
			}
		case 19:
			if equalFold(k, "if-unmodified-since") {
				r.ifUnmodifiedSince = v
			}
		}
		if secretHeader != nil && len(k) == len(secretHeader) && equalFold(k, b2s(secretHeader)) {
			r.secret = v
		}
	}
	return r
}

// equalFold reports whether b equals the lower-case ASCII string lower,
// ignoring ASCII case.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
