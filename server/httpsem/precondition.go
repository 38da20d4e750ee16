package httpsem

import (
	"strings"
	"time"
)

// Validators are the selected representation's current validators.
type Validators struct {
	// ETag is the entity-tag as sent in the ETag header, e.g. `"abc"` (strong)
	// or `W/"abc"` (weak). An unquoted value is taken as the opaque-tag of a
	// strong entity-tag, so a store's raw hash can be passed as is. Empty means
	// the representation has no entity-tag.
	ETag string
	// LastModified is the Last-Modified time; zero means none. Compared at
	// second precision, as HTTP-dates carry no more.
	LastModified time.Time
}

// Conditions are the request's conditional header values, as received; an
// empty string means the header is absent (an empty value is treated the same,
// since none of these headers may be empty).
type Conditions struct {
	IfMatch, IfNoneMatch, IfModifiedSince, IfUnmodifiedSince, IfRange string
}

// Outcome is the result of evaluating preconditions.
type Outcome int

const (
	// Proceed means the request is performed as if unconditional (200, 206, ...).
	Proceed Outcome = iota
	// NotModified means answer 304 with the validators and no body.
	NotModified
	// PreconditionFailed means answer 412.
	PreconditionFailed
)

func (o Outcome) String() string {
	switch o {
	case Proceed:
		return "proceed"
	case NotModified:
		return "not modified"
	case PreconditionFailed:
		return "precondition failed"
	}
	return "unknown outcome"
}

// Evaluate evaluates the preconditions of a request for an existing
// representation (the server answers 404 before getting here, which is why
// "*" always matches) in the order of RFC 9110 §13.2.2:
//
//  1. If-Match: strong comparison; false -> 412.
//  2. Else If-Unmodified-Since (ignored if not a valid HTTP-date or if there is
//     no Last-Modified): modified after the date -> 412.
//  3. If-None-Match: weak comparison; a match (or "*") -> 304 for GET and HEAD,
//     412 for other methods.
//  4. Else, for GET and HEAD only, If-Modified-Since (ignored if invalid, in the
//     future, or without Last-Modified): not modified since the date -> 304.
//
// If-Range is evaluated separately by IfRangeAllows, once Evaluate proceeds.
// An entity-tag list with a syntax error anywhere matches nothing: If-Match
// fails and If-None-Match passes, so garbage never turns into a 304.
func Evaluate(method string, c Conditions, v Validators) Outcome {
	var now time.Time
	if c.IfModifiedSince != "" { // the only condition that needs the clock, which costs ~50ns
		now = time.Now()
	}
	return EvaluateAt(now, method, c, v)
}

// EvaluateAt is Evaluate with the server's current time given, which decides
// whether an If-Modified-Since date lies in the future.
func EvaluateAt(now time.Time, method string, c Conditions, v Validators) Outcome {
	if im := trimOWS(c.IfMatch); im != "" {
		if !ifMatch(im, v.ETag) {
			return PreconditionFailed
		}
	} else if ius := trimOWS(c.IfUnmodifiedSince); ius != "" && !v.LastModified.IsZero() {
		if t, err := ParseHTTPDate(ius); err == nil && v.LastModified.Unix() > t.Unix() {
			return PreconditionFailed
		}
	}
	getOrHead := method == "GET" || method == "HEAD"
	if inm := trimOWS(c.IfNoneMatch); inm != "" {
		if ifNoneMatchFails(inm, v.ETag) {
			if getOrHead {
				return NotModified
			}
			return PreconditionFailed
		}
	} else if ims := trimOWS(c.IfModifiedSince); ims != "" && getOrHead && !v.LastModified.IsZero() {
		if t, err := ParseHTTPDate(ims); err == nil && t.Unix() <= now.Unix() && v.LastModified.Unix() <= t.Unix() {
			return NotModified
		}
	}
	return Proceed
}

// ifMatch evaluates a trimmed, non-empty If-Match value (RFC 9110 §13.1.1).
func ifMatch(value, current string) bool {
	if value == "*" {
		return true
	}
	cur, curWeak, ok := currentETag(current)
	if !ok || curWeak {
		return false
	}
	return etagListMatches(value, cur, true)
}

// ifNoneMatchFails evaluates a trimmed, non-empty If-None-Match value and
// reports whether the condition is false (RFC 9110 §13.1.2).
func ifNoneMatchFails(value, current string) bool {
	if value == "*" {
		return true
	}
	cur, _, ok := currentETag(current)
	if !ok {
		return false
	}
	return etagListMatches(value, cur, false)
}

// IfRangeAllows reports whether a Range request may be answered with 206
// given its If-Range value (RFC 9110 §13.1.5): true when the value is absent,
// false when it does not match, in which case the whole representation is
// sent with 200.
//
// An entity-tag matches only by strong comparison, so a weak tag never does.
// An HTTP-date matches only when it equals Last-Modified to the second. A date
// is a weak validator if the representation can change twice within one
// second; the RFC makes it the client's duty to send a date only when it knows
// the date is strong (§13.1.5, §8.8.2.2), and we rely on that as net/http and
// nginx do. Strata sends a strong ETag with every response, so conforming
// clients use the entity-tag form and the date form is a rare fallback.
// Anything malformed is false: serving 200 is always safe.
func IfRangeAllows(ifRange string, v Validators) bool {
	s := trimOWS(ifRange)
	if s == "" {
		return true
	}
	if s[0] == '"' || strings.HasPrefix(s, "W/") {
		tag, weak, rest, ok := scanETag(s)
		if !ok || weak || rest != "" {
			return false
		}
		cur, curWeak, ok := currentETag(v.ETag)
		return ok && !curWeak && tag == cur
	}
	t, err := ParseHTTPDate(s)
	return err == nil && !v.LastModified.IsZero() && t.Unix() == v.LastModified.Unix()
}

// currentETag splits the representation's entity-tag into its opaque-tag
// (without quotes) and weakness. ok is false when there is none.
func currentETag(etag string) (opaque string, weak, ok bool) {
	if etag == "" {
		return "", false, false
	}
	if etag[0] == '"' || strings.HasPrefix(etag, "W/\"") {
		tag, weak, rest, ok := scanETag(etag)
		if ok && rest == "" {
			return tag, weak, true
		}
	}
	return etag, false, true
}

// etagListMatches reports whether the comma-separated entity-tag list matches
// the current opaque-tag cur, by strong comparison (both strong and equal;
// the caller has checked that the current tag is strong) or weak comparison
// (opaque-tags equal). Empty list elements are skipped (RFC 9110 §5.6.1.2).
// A syntax error anywhere makes the whole list match nothing, so the answer
// never depends on how far a parser got.
func etagListMatches(list, cur string, strong bool) bool {
	matched := false
	for s := list; s != ""; {
		if s[0] == ',' {
			s = trimLeftOWS(s[1:])
			continue
		}
		tag, weak, rest, ok := scanETag(s)
		if !ok {
			return false
		}
		if tag == cur && !(strong && weak) {
			matched = true
		}
		s = trimLeftOWS(rest)
		if s != "" && s[0] != ',' {
			return false
		}
	}
	return matched
}

// scanETag reads one entity-tag at the start of s (RFC 9110 §8.8.3):
// [ "W/" ] DQUOTE *etagc DQUOTE, where etagc is %x21 / %x23-7E / obs-text.
// It returns the opaque-tag without quotes and the rest of s.
func scanETag(s string) (opaque string, weak bool, rest string, ok bool) {
	if strings.HasPrefix(s, "W/") {
		weak, s = true, s[2:]
	}
	if s == "" || s[0] != '"' {
		return "", false, "", false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[1:i], weak, s[i+1:], true
		case c == 0x21 || c >= 0x23 && c != 0x7f:
		default:
			return "", false, "", false
		}
	}
	return "", false, "", false
}
