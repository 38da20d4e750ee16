package httpsem

import "strings"

// Encoding is a content coding the server can send (RFC 9110 §8.4.1).
type Encoding uint8

const (
	// Identity is no coding at all; it is always available.
	Identity Encoding = iota
	// Gzip is the gzip coding ("gzip", also accepted as "x-gzip").
	Gzip
	// Brotli is the br coding (RFC 7932).
	Brotli
)

// String returns the coding's token as used in Content-Encoding.
func (e Encoding) String() string {
	switch e {
	case Identity:
		return "identity"
	case Gzip:
		return "gzip"
	case Brotli:
		return "br"
	}
	return "unknown"
}

// EncodingSet is a set of encodings, a bit per Encoding, so that the set of
// variants available for an object is passed without allocating.
type EncodingSet uint8

// Encodings returns the set holding es.
func Encodings(es ...Encoding) EncodingSet {
	var s EncodingSet
	for _, e := range es {
		s |= 1 << e
	}
	return s
}

// Has reports whether e is in the set.
func (s EncodingSet) Has(e Encoding) bool { return s&(1<<e) != 0 }

// qAbsent marks a coding the header does not mention. q-values are kept in
// thousandths (0-1000), the precision RFC 9110 §12.4.2 allows, so no floats.
const qAbsent = -1

// Negotiate picks the content coding for a response from those available
// (Identity is always available, whether in the set or not), given the
// request's Accept-Encoding value (RFC 9110 §12.5.3).
//
//   - Coding names and the q parameter name are case-insensitive; whitespace
//     around elements and parameters is ignored; "x-gzip" means gzip.
//   - q=0 forbids a coding; "*" gives its weight to every coding not listed,
//     identity included; identity not listed and not covered by "*" counts as
//     acceptable with the lowest positive weight.
//   - The highest weight wins; at equal weight br beats gzip, and any
//     compression beats identity (we compress when the client does not mind).
//   - A coding listed twice gets the lower of its weights (a client that once
//     says q=0 presumably cannot decode it); an element with a malformed
//     q-value is ignored; unknown codings are ignored.
//   - An empty or absent header selects Identity: RFC 9110 would allow any
//     coding then, but clients that send nothing often cannot decode.
//
// When nothing is acceptable, not even identity ("identity;q=0" or "*;q=0"),
// Negotiate returns Identity instead of asking for a 406: like most servers we
// would rather send bytes the client may handle than an error it surely cannot.
func Negotiate(acceptEncoding string, available EncodingSet) Encoding {
	qBr, qGzip, qIdentity, qStar := qAbsent, qAbsent, qAbsent, qAbsent
	for rest := acceptEncoding; rest != ""; {
		elem := rest
		if comma := strings.IndexByte(rest, ','); comma >= 0 {
			elem, rest = rest[:comma], rest[comma+1:]
		} else {
			rest = ""
		}
		name, q, ok := parseCoding(elem)
		if !ok {
			continue
		}
		var slot *int
		switch {
		case equalFoldASCII(name, "br"):
			slot = &qBr
		case equalFoldASCII(name, "gzip"), equalFoldASCII(name, "x-gzip"):
			slot = &qGzip
		case equalFoldASCII(name, "identity"):
			slot = &qIdentity
		case name == "*":
			slot = &qStar
		default:
			continue
		}
		if *slot == qAbsent || q < *slot {
			*slot = q
		}
	}
	weight := func(q int) int {
		if q == qAbsent {
			q = max(qStar, 0)
		}
		return q
	}
	best, bestQ := Identity, 0
	if available.Has(Brotli) {
		best, bestQ = Brotli, weight(qBr)
	}
	if q := weight(qGzip); available.Has(Gzip) && q > bestQ {
		best, bestQ = Gzip, q
	}
	if bestQ == 0 {
		return Identity
	}
	idQ := qIdentity
	if idQ == qAbsent {
		idQ = qStar
	}
	if idQ == qAbsent {
		idQ = 1
	}
	if idQ > bestQ {
		return Identity
	}
	return best
}

// parseCoding parses one Accept-Encoding element, codings [ weight ]. ok is
// false for an empty or malformed element.
func parseCoding(elem string) (name string, q int, ok bool) {
	name, params, hasParams := strings.Cut(elem, ";")
	name = trimOWS(name)
	if name == "" {
		return "", 0, false
	}
	q = 1000
	for hasParams {
		var p string
		p, params, hasParams = strings.Cut(params, ";")
		key, value, hasValue := strings.Cut(p, "=")
		if !hasValue || !equalFoldASCII(trimOWS(key), "q") {
			continue // no parameter other than the weight is defined; skip it
		}
		if q, ok = parseQValue(trimOWS(value)); !ok {
			return "", 0, false
		}
	}
	return name, q, true
}

// parseQValue parses a qvalue (RFC 9110 §12.4.2) into thousandths:
// ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
func parseQValue(s string) (int, bool) {
	if s == "" || s[0] != '0' && s[0] != '1' {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' || len(s) > 5 {
		return 0, false
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || q == 1000 && c != '0' {
			return 0, false
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	return q, true
}
