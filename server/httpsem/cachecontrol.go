package httpsem

import (
	"errors"
	"strconv"
	"sync/atomic"
	"time"
)

// MinHashLen is the shortest run of hex digits ContentAddressed takes for a
// content hash: 64 bits. Shorter runs are too often plain words or ids
// ("deadbeefcafe", "facade", dates).
const MinHashLen = 16

// ContentAddressed reports whether key names immutable content because one of
// its parts is a content hash: a path segment, or a part of one between the
// separators '.', '-' and '_', made of at least MinHashLen lowercase hex
// digits with at least one digit and at least one letter, e.g.
// "models/chair/3f9a…c2/progressive.glb" or "app.3f9a1b2c4d5e6f70.js".
//
// The rule is strict because a false positive is expensive: a mutable object
// cached as immutable for a year cannot be fixed by the origin. Requiring both
// a digit and a letter keeps out long decimal numbers such as timestamps and
// the rare all-letter words; a hash loses that test with probability below
// 0.1%, which only costs it the short mutable lifetime. Uppercase hex is not
// taken (hash-named builds use lowercase). Base32 and base64url names (as some
// bundlers emit) are not recognised at all: 20 such characters cannot be told
// apart from long identifiers or CamelCase words without false positives.
func ContentAddressed(key string) bool {
	runLen, digits, letters := 0, 0, 0
	for i := 0; i <= len(key); i++ {
		c := byte('/')
		if i < len(key) {
			c = key[i]
		}
		switch {
		case '0' <= c && c <= '9':
			runLen++
			digits++
			continue
		case 'a' <= c && c <= 'f':
			runLen++
			letters++
			continue
		case c == '/' || c == '.' || c == '-' || c == '_':
			if runLen >= MinHashLen && digits > 0 && letters > 0 {
				return true
			}
			runLen, digits, letters = 0, 0, 0
		default:
			// Another character inside the part: it is not a hash; skip to
			// the next separator.
			for i+1 < len(key) && !isHashSeparator(key[i+1]) {
				i++
			}
			runLen, digits, letters = 0, 0, 0
		}
	}
	return false
}

func isHashSeparator(c byte) bool { return c == '/' || c == '.' || c == '-' || c == '_' }

// ImmutableCacheControl is the Cache-Control of content-addressed objects:
// their bytes can never change, so every cache may keep them for a year (the
// longest RFC 9111 lets a max-age be relied upon) without revalidating.
const ImmutableCacheControl = "public, max-age=31536000, immutable"

// CachePolicy is the Cache-Control policy for mutable (not content-addressed)
// objects. Durations are whole seconds on the wire; fractions are dropped.
type CachePolicy struct {
	// MaxAge is how long browsers may use a response without revalidating.
	// Default 60s: a republished model reaches users within a minute.
	MaxAge time.Duration
	// SMaxAge is the freshness lifetime for shared caches (CloudFront); 0 leaves
	// the directive out, so they use MaxAge. Default 300s: the CDN shields the
	// origin, and an invalidation covers urgent changes.
	SMaxAge time.Duration
	// StaleWhileRevalidate lets caches serve a stale response while they
	// revalidate in the background (RFC 5861); 0 leaves it out. Default 60s.
	StaleWhileRevalidate time.Duration
	// StaleIfError lets caches serve a stale response when the origin fails
	// (RFC 5861); 0 leaves it out. Default 86400s (a day): an origin outage
	// should not take the storefront's models down.
	StaleIfError time.Duration
}

// DefaultCachePolicy returns the policy described on CachePolicy's fields.
func DefaultCachePolicy() CachePolicy {
	return CachePolicy{
		MaxAge:               60 * time.Second,
		SMaxAge:              300 * time.Second,
		StaleWhileRevalidate: 60 * time.Second,
		StaleIfError:         86400 * time.Second,
	}
}

// Validate reports a policy that cannot be expressed: negative durations.
func (p CachePolicy) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"MaxAge", p.MaxAge},
		{"SMaxAge", p.SMaxAge},
		{"StaleWhileRevalidate", p.StaleWhileRevalidate},
		{"StaleIfError", p.StaleIfError},
	} {
		if f.d < 0 {
			errs = append(errs, errors.New("httpsem: CachePolicy."+f.name+" is negative: "+f.d.String()))
		}
	}
	return errors.Join(errs...)
}

// Header returns the Cache-Control value for key: ImmutableCacheControl for
// content-addressed keys, the policy's mutable value for all others (for the
// default policy, "public, max-age=60, s-maxage=300,
// stale-while-revalidate=60, stale-if-error=86400"). Negative durations count
// as 0.
//
// The mutable value is the same for every key; it is formatted once per
// policy and reused, so Header does not allocate while the server uses one
// policy (formatting again only when the policy changes).
func (p CachePolicy) Header(key string) string {
	if ContentAddressed(key) {
		return ImmutableCacheControl
	}
	return p.MutableHeader()
}

// compiledPolicy caches the last formatted mutable value. A server uses one
// policy, so one entry suffices; with several, the cost is a formatting
// (a small allocation) per switch, never a wrong value.
type compiledPolicy struct {
	policy CachePolicy
	header string
}

var lastPolicy atomic.Pointer[compiledPolicy]

// MutableHeader returns the Cache-Control value for objects that are not
// content-addressed.
func (p CachePolicy) MutableHeader() string {
	if c := lastPolicy.Load(); c != nil && c.policy == p {
		return c.header
	}
	c := &compiledPolicy{policy: p, header: p.format()}
	lastPolicy.Store(c)
	return c.header
}

func (p CachePolicy) format() string {
	b := make([]byte, 0, 96)
	b = append(b, "public, max-age="...)
	b = appendSeconds(b, p.MaxAge)
	if p.SMaxAge > 0 {
		b = appendSeconds(append(b, ", s-maxage="...), p.SMaxAge)
	}
	if p.StaleWhileRevalidate > 0 {
		b = appendSeconds(append(b, ", stale-while-revalidate="...), p.StaleWhileRevalidate)
	}
	if p.StaleIfError > 0 {
		b = appendSeconds(append(b, ", stale-if-error="...), p.StaleIfError)
	}
	return string(b)
}

func appendSeconds(dst []byte, d time.Duration) []byte {
	return strconv.AppendInt(dst, int64(max(d, 0)/time.Second), 10)
}
