package server

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"time"
)

// Config tunes the origin's HTTP front. Every field is settable from the command
// line and as a STRATA_* environment variable (see cmd/strata).
type Config struct {
	// Addr is the listen address, host:port. Default "127.0.0.1:8080".
	Addr string

	// ReadBufferSize bounds the request line plus headers, in bytes; a larger
	// header block is answered 431. Default 16384.
	ReadBufferSize int
	// WriteBufferSize is the per-connection response buffer, in bytes. A response
	// whose headers and body fit is sent with one write; larger ones use writev.
	// 16 KiB keeps hot small assets (4–8 KiB) to a single write. Default 16384.
	WriteBufferSize int
	// MaxURIBytes bounds the request target, in bytes; a longer one is answered
	// 414. Must be below ReadBufferSize. Default 8192.
	MaxURIBytes int
	// ReadTimeout bounds reading one request, headers included. Default 30s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing one response; large bodies to slow clients
	// need room. Default 5m.
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle this long. Default 2m.
	IdleTimeout time.Duration
	// DrainDelay is how long /readyz reports "draining" after SIGTERM before the
	// listener closes, so a load balancer stops routing here first. Default 0;
	// behind an ALB set it to the health check interval times the threshold.
	DrainDelay time.Duration
	// ShutdownTimeout bounds waiting for in-flight requests after the listener
	// closes. Default 30s.
	ShutdownTimeout time.Duration

	// CORSOrigins lists the origins allowed to read assets from a browser. Empty
	// or "*" allows any origin. Default "*".
	CORSOrigins []string

	// OriginSecrets, when non-empty, are the shared secrets CloudFront sends in
	// OriginSecretHeader; requests without one are answered 403 (health checks
	// excepted). Two secrets may be set while rotating. Default none.
	OriginSecrets []string
	// OriginSecretHeader names the header carrying the secret. Default
	// "X-Origin-Secret".
	OriginSecretHeader string

	// MaxAge is the browser TTL of assets whose key has no content hash. Default 60s.
	MaxAge time.Duration
	// SMaxAge is the shared-cache (CloudFront) TTL of such assets. Default 5m.
	SMaxAge time.Duration
	// StaleWhileRevalidate lets caches serve such an asset this long past its TTL
	// while they revalidate. Default 60s.
	StaleWhileRevalidate time.Duration
	// StaleIfError lets caches serve such an asset this long past its TTL when
	// the origin fails. Default 24h.
	StaleIfError time.Duration

	// MaxRanges is the largest number of ranges answered as multipart/byteranges;
	// more, or overlapping ones, get the whole object (200). Default 16.
	MaxRanges int

	// CompressMinBytes is the smallest compressible object given br/gzip
	// variants; smaller ones gain too little. Default 512.
	CompressMinBytes int64
	// CompressMaxBytes is the largest object compressed on first request; larger
	// ones are served identity (precompress them at publish time). Default 32 MiB.
	CompressMaxBytes int64
	// BrotliQuality is the brotli level of variants, 0–11. Variants are made once
	// per object version, so the default is the densest: 11.
	BrotliQuality int
	// GzipLevel is the gzip level of variants, 1–9. Default 9.
	GzipLevel int

	// MaxBodyBytes bounds a request body, in bytes, for the mounted API (/api/).
	// A larger body is answered 413 before any handler sees it. Default 1 MiB.
	MaxBodyBytes int64
	// MaxUploadBytes bounds a request body under /admin/ (model uploads), in
	// bytes; it must be at least MaxBodyBytes. Default 256 MiB.
	MaxUploadBytes int64

	// ZeroCopy sends bodies of 2 KiB and more straight to the socket: cached
	// bytes with one writev together with the header, files of a local store
	// (from 16 KiB) with sendfile, instead of copying them through the write
	// buffer.
	// Default true.
	ZeroCopy bool

	// AccessLog turns the JSON access log (stdout) on. Default true.
	AccessLog bool
	// AccessLogSample logs one request in N (1 logs all). Errors (status >= 500)
	// are always logged. Default 1.
	AccessLogSample int
}

// DefaultConfig returns the embedded default's configuration.
func DefaultConfig() Config {
	return Config{
		Addr:                 "127.0.0.1:8080",
		ReadBufferSize:       16 << 10,
		WriteBufferSize:      16 << 10,
		MaxURIBytes:          8 << 10,
		ReadTimeout:          30 * time.Second,
		WriteTimeout:         5 * time.Minute,
		IdleTimeout:          2 * time.Minute,
		ShutdownTimeout:      30 * time.Second,
		CORSOrigins:          []string{"*"},
		OriginSecretHeader:   "X-Origin-Secret",
		MaxAge:               60 * time.Second,
		SMaxAge:              5 * time.Minute,
		StaleWhileRevalidate: 60 * time.Second,
		StaleIfError:         24 * time.Hour,
		MaxRanges:            16,
		CompressMinBytes:     512,
		CompressMaxBytes:     32 << 20,
		BrotliQuality:        11,
		GzipLevel:            9,
		MaxBodyBytes:         1 << 20,
		MaxUploadBytes:       256 << 20,
		ZeroCopy:             true,
		AccessLog:            true,
		AccessLogSample:      1,
	}
}

// Validate reports every problem in c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Addr == "" {
		bad("addr is empty")
	}
	if c.ReadBufferSize < 1024 {
		bad("read buffer size %d is below 1024 bytes", c.ReadBufferSize)
	}
	if c.WriteBufferSize < 1024 {
		bad("write buffer size %d is below 1024 bytes", c.WriteBufferSize)
	}
	if c.MaxBodyBytes < 1024 {
		bad("max body bytes %d is below 1024", c.MaxBodyBytes)
	}
	if c.MaxUploadBytes < c.MaxBodyBytes {
		bad("max upload bytes %d is below max body bytes %d", c.MaxUploadBytes, c.MaxBodyBytes)
	}
	if c.MaxURIBytes < 256 || c.MaxURIBytes >= c.ReadBufferSize {
		bad("max URI bytes %d must be at least 256 and below the read buffer size %d", c.MaxURIBytes, c.ReadBufferSize)
	}
	for name, d := range map[string]time.Duration{
		"read timeout": c.ReadTimeout, "write timeout": c.WriteTimeout, "idle timeout": c.IdleTimeout,
		"shutdown timeout": c.ShutdownTimeout,
	} {
		if d <= 0 {
			bad("%s must be positive, got %s", name, d)
		}
	}
	for name, d := range map[string]time.Duration{
		"drain delay": c.DrainDelay, "max-age": c.MaxAge, "s-maxage": c.SMaxAge,
		"stale-while-revalidate": c.StaleWhileRevalidate, "stale-if-error": c.StaleIfError,
	} {
		if d < 0 {
			bad("%s must not be negative, got %s", name, d)
		}
	}
	for _, o := range c.CORSOrigins {
		if o != "*" && !validOrigin(o) {
			bad("CORS origin %q is not of the form scheme://host[:port]", o)
		}
	}
	if len(c.OriginSecrets) > 2 {
		bad("at most two origin secrets (current and next) may be set, got %d", len(c.OriginSecrets))
	}
	for _, s := range c.OriginSecrets {
		if len(s) < 16 {
			bad("an origin secret must be at least 16 characters")
			break
		}
	}
	if len(c.OriginSecrets) > 0 && !validHeaderName(c.OriginSecretHeader) {
		bad("origin secret header %q is not a valid header name", c.OriginSecretHeader)
	}
	if c.MaxRanges < 1 {
		bad("max ranges must be at least 1, got %d", c.MaxRanges)
	}
	if c.CompressMinBytes < 0 || c.CompressMaxBytes < c.CompressMinBytes {
		bad("compress bytes bounds [%d, %d] are not a range", c.CompressMinBytes, c.CompressMaxBytes)
	}
	if c.BrotliQuality < 0 || c.BrotliQuality > 11 {
		bad("brotli quality %d is outside 0–11", c.BrotliQuality)
	}
	if c.GzipLevel < 1 || c.GzipLevel > 9 {
		bad("gzip level %d is outside 1–9", c.GzipLevel)
	}
	if c.AccessLogSample < 1 {
		bad("access log sample %d must be at least 1", c.AccessLogSample)
	}
	return errors.Join(errs...)
}

func validOrigin(o string) bool {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || (scheme != "http" && scheme != "https") || rest == "" {
		return false
	}
	return !strings.ContainsAny(rest, "/?#@ \t")
}

func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return textproto.CanonicalMIMEHeaderKey(h) != ""
}
