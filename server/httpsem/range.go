package httpsem

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Range is one satisfiable byte range of a representation: Length bytes from
// offset Start. ParseRange only returns ranges with Start >= 0, Length >= 1 and
// Start+Length <= size.
type Range struct{ Start, Length int64 }

// End returns the offset of the range's last byte (inclusive, as in Content-Range).
func (r Range) End() int64 { return r.Start + r.Length - 1 }

// ContentRange returns the Content-Range value of a 206 part, e.g. "bytes 0-99/1000".
func (r Range) ContentRange(size int64) string {
	var buf [len("bytes ") + 3*20 + 2]byte
	return string(r.AppendContentRange(buf[:0], size))
}

// AppendContentRange appends the ContentRange value to dst, for callers that
// set header bytes without allocating a string.
func (r Range) AppendContentRange(dst []byte, size int64) []byte {
	dst = append(dst, "bytes "...)
	dst = strconv.AppendInt(dst, r.Start, 10)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, r.End(), 10)
	dst = append(dst, '/')
	return strconv.AppendInt(dst, size, 10)
}

// UnsatisfiedContentRange returns the Content-Range value of a 416 response,
// e.g. "bytes */1000" (RFC 9110 §14.4).
func UnsatisfiedContentRange(size int64) string {
	var buf [len("bytes */") + 20]byte
	return string(strconv.AppendInt(append(buf[:0], "bytes */"...), size, 10))
}

var (
	// ErrRangeInvalid means the Range header is malformed or uses a unit other
	// than bytes. RFC 9110 §14.2 lets the server ignore it: answer 200 with the
	// whole representation.
	ErrRangeInvalid = errors.New("httpsem: invalid range")
	// ErrRangeNotSatisfiable means the header is well-formed but no range
	// overlaps the representation: answer 416 with UnsatisfiedContentRange.
	ErrRangeNotSatisfiable = errors.New("httpsem: range not satisfiable")
)

// ParseRange parses a Range header value against a representation of size
// bytes and appends the satisfiable ranges to dst, in request order. Pass a
// reused dst[:0] to parse without allocating.
//
// Accepted: "bytes=" (unit case-insensitive) followed by a comma-separated
// list of "first-last", "first-" and "-suffix" specs, with optional whitespace
// around elements. As RFC 9110 §5.6.1.2 requires of list recipients, empty
// elements ("bytes=0-1,,5-9") are skipped, but at least one spec must be present.
// Numbers are plain decimal digits and must fit in an int64; no whitespace is
// allowed inside a spec.
//
// A last position beyond the end is clamped to size-1, a suffix longer than
// the representation selects all of it, a spec starting at or beyond size (or
// a "-0" suffix, or any spec when size is 0) is dropped. If nothing is left the
// error is ErrRangeNotSatisfiable. A syntax error anywhere in the value, even
// after satisfiable specs, makes the whole header ErrRangeInvalid, which wins
// over ErrRangeNotSatisfiable. On error dst is returned with its original length.
// A negative size is treated as 0.
func ParseRange(dst []Range, header string, size int64) ([]Range, error) {
	base := len(dst)
	if size < 0 {
		size = 0
	}
	s := trimOWS(header)
	eq := strings.IndexByte(s, '=')
	if eq < 0 || !equalFoldASCII(s[:eq], "bytes") {
		return dst, ErrRangeInvalid
	}
	rest := s[eq+1:]
	specs := 0
	for {
		elem := rest
		comma := strings.IndexByte(rest, ',')
		if comma >= 0 {
			elem, rest = rest[:comma], rest[comma+1:]
		}
		if elem = trimOWS(elem); elem != "" {
			specs++
			r, ok, valid := parseRangeSpec(elem, size)
			if !valid {
				return dst[:base], ErrRangeInvalid
			}
			if ok {
				dst = append(dst, r)
			}
		}
		if comma < 0 {
			break
		}
	}
	if specs == 0 {
		return dst[:base], ErrRangeInvalid
	}
	if len(dst) == base {
		return dst, ErrRangeNotSatisfiable
	}
	return dst, nil
}

// parseRangeSpec parses one non-empty range-spec. valid is false on a syntax
// error; ok is false when the spec is valid but selects no byte of size.
func parseRangeSpec(spec string, size int64) (r Range, ok, valid bool) {
	dash := strings.IndexByte(spec, '-')
	if dash < 0 {
		return Range{}, false, false
	}
	if dash == 0 { // suffix-range: the last n bytes
		n, valid := parseDigits(spec[1:])
		if !valid {
			return Range{}, false, false
		}
		if n == 0 || size == 0 {
			return Range{}, false, true
		}
		n = min(n, size)
		return Range{Start: size - n, Length: n}, true, true
	}
	first, valid := parseDigits(spec[:dash])
	if !valid {
		return Range{}, false, false
	}
	last := int64(math.MaxInt64)
	if lastStr := spec[dash+1:]; lastStr != "" {
		if last, valid = parseDigits(lastStr); !valid || last < first {
			return Range{}, false, false
		}
	}
	if first >= size {
		return Range{}, false, true
	}
	last = min(last, size-1)
	return Range{Start: first, Length: last - first + 1}, true, true
}

// parseDigits parses 1*DIGIT into an int64, rejecting anything else and
// values that overflow.
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// CoalesceNeeded reports whether a multi-range request should be answered
// with the whole representation (200) instead of multipart/byteranges, as
// RFC 9110 §14.2 allows for requests that look like abuse.
//
// The rule: true when there are more than maxRanges ranges, or when any two ranges
// share at least one byte. Overlap is what makes a request amplify (the same
// bytes sent many times, the attack of CVE-2011-3192); out-of-order ranges
// that do not overlap are legitimate (a glTF reader may fetch its JSON chunk
// after a buffer view) and are served as asked. Ranges that merely touch
// (0-9,10-19) are not overlapping. The check is O(n) when ranges ascend and
// O(n²) otherwise, bounded by maxRanges.
func CoalesceNeeded(rs []Range, maxRanges int) bool {
	if len(rs) > maxRanges {
		return true
	}
	if len(rs) < 2 {
		return false
	}
	// Ascending starts (the usual case) need one pass: a range overlaps an
	// earlier one exactly when it starts before the furthest end seen so far.
	ascending := true
	maxEnd := rs[0].End()
	for i := 1; i < len(rs); i++ {
		if rs[i].Start < rs[i-1].Start {
			ascending = false
			break
		}
		if rs[i].Start <= maxEnd {
			return true
		}
		maxEnd = max(maxEnd, rs[i].End())
	}
	if ascending {
		return false
	}
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[i].Start <= rs[j].End() && rs[j].Start <= rs[i].End() {
				return true
			}
		}
	}
	return false
}

// TotalLength returns the number of bytes the ranges select, counting
// overlapping bytes once per range (the payload size of a multipart body
// without its headers). It saturates at math.MaxInt64.
func TotalLength(rs []Range) int64 {
	var n int64
	for _, r := range rs {
		if r.Length > math.MaxInt64-n {
			return math.MaxInt64
		}
		n += r.Length
	}
	return n
}
