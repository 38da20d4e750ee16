package httpsem

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrBadPath means a request path cannot name an object: answer 400. The
// errors CleanKey returns wrap it with the reason, for logs; test with errors.Is.
var ErrBadPath = errors.New("httpsem: bad request path")

// MaxKeyLen is the longest object key in bytes, after decoding (cache.ValidKey's limit).
const MaxKeyLen = 1024

// The reasons are built once so that rejecting a hostile path costs no allocation.
var (
	errPathEmpty        = fmt.Errorf("%w: empty", ErrBadPath)
	errPathTooLong      = fmt.Errorf("%w: longer than %d bytes", ErrBadPath, MaxKeyLen)
	errPathEmptySegment = fmt.Errorf("%w: empty segment", ErrBadPath)
	errPathDotSegment   = fmt.Errorf("%w: dot segment", ErrBadPath)
	errPathEncodedSlash = fmt.Errorf("%w: encoded slash", ErrBadPath)
	errPathBackslash    = fmt.Errorf("%w: backslash", ErrBadPath)
	errPathControl      = fmt.Errorf("%w: control byte", ErrBadPath)
	errPathEscape       = fmt.Errorf("%w: invalid percent-encoding", ErrBadPath)
	errPathUTF8         = fmt.Errorf("%w: invalid UTF-8", ErrBadPath)
)

// CleanKey turns the raw, still percent-encoded request path after the route
// prefix (for /assets/models/a%20b.glb the caller passes "models/a%20b.glb",
// without the query) into the object key it names, decoding it exactly once.
//
// Instead of cleaning dubious paths into something else, as path.Clean would,
// it rejects them with an error wrapping ErrBadPath: an empty path, a leading,
// trailing or doubled slash, a "." or ".." segment (raw or encoded, such as
// "%2e%2E"), an encoded slash (%2F), a backslash (raw or %5C), a NUL or other
// control byte (raw or encoded), a malformed %-escape, invalid UTF-8, or a key
// longer than MaxKeyLen bytes. One object thus has exactly one path, which
// keeps cache keys unique, and no path can reach outside a store's root. A key
// that needs no decoding is returned without allocating.
//
// Every key returned satisfies cache.ValidKey. A decoded "%" stays a literal
// byte of the key: stores treat keys as opaque and never decode them again.
func CleanKey(rawPath string) (string, error) {
	if rawPath == "" {
		return "", errPathEmpty
	}
	if len(rawPath) > 3*MaxKeyLen { // cannot decode to MaxKeyLen or less; don't scan it
		return "", errPathTooLong
	}
	n := 0 // decoded length so far
	segLen, segDots := 0, 0
	escaped, nonASCII := false, false
	for i := 0; i <= len(rawPath); i++ {
		if i == len(rawPath) || rawPath[i] == '/' {
			if segLen == 0 {
				return "", errPathEmptySegment
			}
			if segDots == segLen && segLen <= 2 {
				return "", errPathDotSegment
			}
			if i < len(rawPath) {
				n++
			}
			segLen, segDots = 0, 0
			continue
		}
		c := rawPath[i]
		if c == '%' {
			if i+2 >= len(rawPath) {
				return "", errPathEscape
			}
			hi, lo := unhex(rawPath[i+1]), unhex(rawPath[i+2])
			if hi < 0 || lo < 0 {
				return "", errPathEscape
			}
			c = byte(hi<<4 | lo)
			if c == '/' {
				return "", errPathEncodedSlash
			}
			i += 2
			escaped = true
		}
		switch {
		case c == '\\':
			return "", errPathBackslash
		case c < 0x20 || c == 0x7f:
			return "", errPathControl
		case c >= 0x80:
			nonASCII = true
		case c == '.':
			segDots++
		}
		segLen++
		n++
	}
	if n > MaxKeyLen {
		return "", errPathTooLong
	}
	if !escaped {
		if nonASCII && !utf8.ValidString(rawPath) {
			return "", errPathUTF8
		}
		return rawPath, nil
	}
	key := make([]byte, 0, n)
	for i := 0; i < len(rawPath); i++ {
		c := rawPath[i]
		if c == '%' {
			c = byte(unhex(rawPath[i+1])<<4 | unhex(rawPath[i+2]))
			i += 2
		}
		key = append(key, c)
	}
	if nonASCII && !utf8.Valid(key) {
		return "", errPathUTF8
	}
	return string(key), nil
}

// unhex returns the value of a hex digit, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}
