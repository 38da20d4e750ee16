package httpsem_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/server/httpsem"
)

var (
	// lastMod has a fraction of a second, which HTTP-dates cannot carry.
	lastMod   = time.Date(2024, 5, 1, 12, 0, 0, 500_000_000, time.UTC)
	evalNow   = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	lmDate    = "Wed, 01 May 2024 12:00:00 GMT"
	beforeLM  = "Wed, 01 May 2024 11:59:59 GMT"
	afterLM   = "Wed, 01 May 2024 12:00:01 GMT"
	futureIMS = "Sat, 01 Jun 2024 00:00:01 GMT"
	validator = httpsem.Validators{ETag: `"abc"`, LastModified: lastMod}
)

func TestEvaluate(t *testing.T) {
	type C = httpsem.Conditions
	tests := []struct {
		name   string
		method string
		c      C
		v      httpsem.Validators
		want   httpsem.Outcome
	}{
		{name: "no conditions", method: "GET", v: validator, want: httpsem.Proceed},
		{name: "whitespace-only values are absent", method: "GET", c: C{IfMatch: " ", IfNoneMatch: "\t"}, v: validator, want: httpsem.Proceed},

		{name: "if-match equal", method: "GET", c: C{IfMatch: `"abc"`}, v: validator, want: httpsem.Proceed},
		{name: "if-match different", method: "GET", c: C{IfMatch: `"xyz"`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-match list", method: "PUT", c: C{IfMatch: `"x", "abc"`}, v: validator, want: httpsem.Proceed},
		{name: "if-match list with empty elements", method: "GET", c: C{IfMatch: ` , "x" ,, "abc" ,`}, v: validator, want: httpsem.Proceed},
		{name: "if-match star", method: "DELETE", c: C{IfMatch: "*"}, v: validator, want: httpsem.Proceed},
		{name: "if-match star without etag", method: "GET", c: C{IfMatch: " * "}, v: httpsem.Validators{}, want: httpsem.Proceed},
		{name: "if-match weak tag fails strong comparison", method: "GET", c: C{IfMatch: `W/"abc"`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-match against weak current etag", method: "GET", c: C{IfMatch: `"abc"`}, v: httpsem.Validators{ETag: `W/"abc"`}, want: httpsem.PreconditionFailed},
		{name: "if-match without current etag", method: "GET", c: C{IfMatch: `"abc"`}, v: httpsem.Validators{LastModified: lastMod}, want: httpsem.PreconditionFailed},
		{name: "if-match unquoted current etag", method: "GET", c: C{IfMatch: `"abc"`}, v: httpsem.Validators{ETag: "abc"}, want: httpsem.Proceed},
		{name: "if-match comma inside quotes", method: "GET", c: C{IfMatch: `"x", "a,b"`}, v: httpsem.Validators{ETag: `"a,b"`}, want: httpsem.Proceed},
		{name: "if-match quoted part of a tag", method: "GET", c: C{IfMatch: `"a,b"`}, v: httpsem.Validators{ETag: `"a"`}, want: httpsem.PreconditionFailed},
		{name: "if-match unterminated", method: "GET", c: C{IfMatch: `"abc`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-match unquoted", method: "GET", c: C{IfMatch: `abc`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-match garbage after a match", method: "GET", c: C{IfMatch: `"abc", garbage`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-match missing comma", method: "GET", c: C{IfMatch: `"abc" "x"`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-match star in a list", method: "GET", c: C{IfMatch: `*, "abc"`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-match space in tag", method: "GET", c: C{IfMatch: `"a c"`}, v: httpsem.Validators{ETag: `"a c"`}, want: httpsem.PreconditionFailed},
		{name: "if-match lower-case weak prefix", method: "GET", c: C{IfMatch: `w/"abc"`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-match obs-text", method: "GET", c: C{IfMatch: "\"\xe9t\xe9\""}, v: httpsem.Validators{ETag: "\"\xe9t\xe9\""}, want: httpsem.Proceed},
		{name: "if-match passing hides if-unmodified-since", method: "GET", c: C{IfMatch: `"abc"`, IfUnmodifiedSince: beforeLM}, v: validator, want: httpsem.Proceed},

		{name: "if-unmodified-since same second", method: "PUT", c: C{IfUnmodifiedSince: lmDate}, v: validator, want: httpsem.Proceed},
		{name: "if-unmodified-since later", method: "PUT", c: C{IfUnmodifiedSince: afterLM}, v: validator, want: httpsem.Proceed},
		{name: "if-unmodified-since earlier", method: "PUT", c: C{IfUnmodifiedSince: beforeLM}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-unmodified-since earlier on GET", method: "GET", c: C{IfUnmodifiedSince: beforeLM}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-unmodified-since invalid ignored", method: "PUT", c: C{IfUnmodifiedSince: "yesterday"}, v: validator, want: httpsem.Proceed},
		{name: "if-unmodified-since without last-modified", method: "PUT", c: C{IfUnmodifiedSince: beforeLM}, v: httpsem.Validators{ETag: `"abc"`}, want: httpsem.Proceed},
		{name: "if-unmodified-since fails before if-none-match", method: "GET", c: C{IfUnmodifiedSince: beforeLM, IfNoneMatch: `"abc"`}, v: validator, want: httpsem.PreconditionFailed},

		{name: "if-none-match equal on GET", method: "GET", c: C{IfNoneMatch: `"abc"`}, v: validator, want: httpsem.NotModified},
		{name: "if-none-match equal on HEAD", method: "HEAD", c: C{IfNoneMatch: `"abc"`}, v: validator, want: httpsem.NotModified},
		{name: "if-none-match equal on PUT", method: "PUT", c: C{IfNoneMatch: `"abc"`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-none-match equal on POST", method: "POST", c: C{IfNoneMatch: `"abc"`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "methods are case-sensitive", method: "get", c: C{IfNoneMatch: `"abc"`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-none-match different", method: "GET", c: C{IfNoneMatch: `"xyz"`}, v: validator, want: httpsem.Proceed},
		{name: "if-none-match weak comparison", method: "GET", c: C{IfNoneMatch: `W/"abc"`}, v: validator, want: httpsem.NotModified},
		{name: "if-none-match weak current etag", method: "GET", c: C{IfNoneMatch: `"abc"`}, v: httpsem.Validators{ETag: `W/"abc"`}, want: httpsem.NotModified},
		{name: "if-none-match list", method: "GET", c: C{IfNoneMatch: `"x",W/"abc"`}, v: validator, want: httpsem.NotModified},
		{name: "if-none-match star", method: "GET", c: C{IfNoneMatch: "*"}, v: validator, want: httpsem.NotModified},
		{name: "if-none-match star on PUT", method: "PUT", c: C{IfNoneMatch: "*"}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-none-match malformed list", method: "GET", c: C{IfNoneMatch: `"abc", garbage`}, v: validator, want: httpsem.Proceed},
		{name: "if-none-match without current etag", method: "GET", c: C{IfNoneMatch: `"abc"`}, v: httpsem.Validators{LastModified: lastMod}, want: httpsem.Proceed},
		{name: "if-match fails before if-none-match", method: "GET", c: C{IfMatch: `"x"`, IfNoneMatch: `"abc"`}, v: validator, want: httpsem.PreconditionFailed},
		{name: "if-match passes then if-none-match", method: "GET", c: C{IfMatch: `"abc"`, IfNoneMatch: `"abc"`}, v: validator, want: httpsem.NotModified},

		{name: "if-modified-since same second", method: "GET", c: C{IfModifiedSince: lmDate}, v: validator, want: httpsem.NotModified},
		{name: "if-modified-since later", method: "HEAD", c: C{IfModifiedSince: afterLM}, v: validator, want: httpsem.NotModified},
		{name: "if-modified-since earlier", method: "GET", c: C{IfModifiedSince: beforeLM}, v: validator, want: httpsem.Proceed},
		{name: "if-modified-since in the future ignored", method: "GET", c: C{IfModifiedSince: futureIMS}, v: validator, want: httpsem.Proceed},
		{name: "if-modified-since invalid ignored", method: "GET", c: C{IfModifiedSince: "Wed, 01 May 2024 12:00:00 UTC"}, v: validator, want: httpsem.Proceed},
		{name: "if-modified-since rfc850", method: "GET", c: C{IfModifiedSince: "Wednesday, 01-May-24 12:00:00 GMT"}, v: validator, want: httpsem.NotModified},
		{name: "if-modified-since asctime", method: "GET", c: C{IfModifiedSince: "Wed May  1 12:00:00 2024"}, v: validator, want: httpsem.NotModified},
		{name: "if-modified-since on PUT ignored", method: "PUT", c: C{IfModifiedSince: lmDate}, v: validator, want: httpsem.Proceed},
		{name: "if-modified-since without last-modified", method: "GET", c: C{IfModifiedSince: lmDate}, v: httpsem.Validators{ETag: `"abc"`}, want: httpsem.Proceed},
		{name: "if-none-match hides if-modified-since", method: "GET", c: C{IfNoneMatch: `"xyz"`, IfModifiedSince: lmDate}, v: validator, want: httpsem.Proceed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsem.EvaluateAt(evalNow, tt.method, tt.c, tt.v); got != tt.want {
				t.Errorf("EvaluateAt(%s, %+v, %+v) = %v, want %v", tt.method, tt.c, tt.v, got, tt.want)
			}
		})
	}
}

func TestEvaluateUsesClock(t *testing.T) {
	// Evaluate reads the real clock: a date far in the future is ignored, one in the past is not.
	c := httpsem.Conditions{IfModifiedSince: "Fri, 31 Dec 9999 23:59:59 GMT"}
	if got := httpsem.Evaluate("GET", c, validator); got != httpsem.Proceed {
		t.Errorf("future If-Modified-Since: Evaluate = %v, want %v", got, httpsem.Proceed)
	}
	c.IfModifiedSince = lmDate
	if got := httpsem.Evaluate("GET", c, validator); got != httpsem.NotModified {
		t.Errorf("past If-Modified-Since: Evaluate = %v, want %v", got, httpsem.NotModified)
	}
}

func TestOutcomeString(t *testing.T) {
	tests := []struct {
		name string
		o    httpsem.Outcome
		want string
	}{
		{name: "proceed", o: httpsem.Proceed, want: "proceed"},
		{name: "not modified", o: httpsem.NotModified, want: "not modified"},
		{name: "precondition failed", o: httpsem.PreconditionFailed, want: "precondition failed"},
		{name: "unknown", o: httpsem.Outcome(42), want: "unknown outcome"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIfRangeAllows(t *testing.T) {
	tests := []struct {
		name    string
		ifRange string
		v       httpsem.Validators
		want    bool
	}{
		{name: "absent", ifRange: "", v: validator, want: true},
		{name: "whitespace only", ifRange: " \t", v: validator, want: true},
		{name: "strong match", ifRange: `"abc"`, v: validator, want: true},
		{name: "strong match with whitespace", ifRange: ` "abc" `, v: validator, want: true},
		{name: "unquoted current etag", ifRange: `"abc"`, v: httpsem.Validators{ETag: "abc"}, want: true},
		{name: "mismatch", ifRange: `"xyz"`, v: validator, want: false},
		{name: "weak tag", ifRange: `W/"abc"`, v: validator, want: false},
		{name: "weak current etag", ifRange: `"abc"`, v: httpsem.Validators{ETag: `W/"abc"`}, want: false},
		{name: "no current etag", ifRange: `"abc"`, v: httpsem.Validators{LastModified: lastMod}, want: false},
		{name: "list", ifRange: `"abc", "x"`, v: validator, want: false},
		{name: "unterminated", ifRange: `"abc`, v: validator, want: false},
		{name: "unquoted tag", ifRange: `abc`, v: validator, want: false},
		{name: "star", ifRange: `*`, v: validator, want: false},
		{name: "date equal", ifRange: lmDate, v: validator, want: true},
		{name: "date rfc850 equal", ifRange: "Wednesday, 01-May-24 12:00:00 GMT", v: validator, want: true},
		{name: "date later", ifRange: afterLM, v: validator, want: false},
		{name: "date earlier", ifRange: beforeLM, v: validator, want: false},
		{name: "date without last-modified", ifRange: lmDate, v: httpsem.Validators{ETag: `"abc"`}, want: false},
		{name: "invalid date", ifRange: "Wed, 01 May 2024", v: validator, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsem.IfRangeAllows(tt.ifRange, tt.v); got != tt.want {
				t.Errorf("IfRangeAllows(%q, %+v) = %v, want %v", tt.ifRange, tt.v, got, tt.want)
			}
		})
	}
}

// A reference evaluator for the fuzz target: the same RFC 9110 §13.2.2 steps,
// with entity-tag lists checked by regular expressions instead of a scanner.
var (
	etagListRe = regexp.MustCompile(`^[ \t]*(?:,[ \t]*)*(?:W/)?"[^"\x00-\x20\x7f]*"(?:[ \t]*,(?:[ \t]*(?:W/)?"[^"\x00-\x20\x7f]*")?)*[ \t]*$`)
	etagRe     = regexp.MustCompile(`(W/)?"([^"\x00-\x20\x7f]*)"`)
	// currentETagRe reads Validators.ETag; anything else is an unquoted opaque-tag.
	currentETagRe = regexp.MustCompile(`^(W/)?"([^"\x00-\x20\x7f]*)"$`)
)

func refListMatches(list, etag string, strong bool) bool {
	cur, curWeak := etag, false
	if m := currentETagRe.FindStringSubmatch(etag); m != nil {
		cur, curWeak = m[2], m[1] != ""
	}
	if etag == "" || !etagListRe.MatchString(list) {
		return false
	}
	for _, m := range etagRe.FindAllStringSubmatch(list, -1) {
		weak := m[1] != ""
		if m[2] == cur && (!strong || !weak && !curWeak) {
			return true
		}
	}
	return false
}

func refEvaluate(now time.Time, method string, c httpsem.Conditions, v httpsem.Validators) httpsem.Outcome {
	trim := func(s string) string { return strings.Trim(s, " \t") }
	date := func(s string) (int64, bool) {
		d, err := httpsem.ParseHTTPDate(trim(s))
		return d.Unix(), err == nil && !v.LastModified.IsZero()
	}
	switch {
	case trim(c.IfMatch) == "*":
	case trim(c.IfMatch) != "":
		if !refListMatches(c.IfMatch, v.ETag, true) {
			return httpsem.PreconditionFailed
		}
	default:
		if d, ok := date(c.IfUnmodifiedSince); ok && v.LastModified.Unix() > d {
			return httpsem.PreconditionFailed
		}
	}
	safe := method == "GET" || method == "HEAD"
	if inm := trim(c.IfNoneMatch); inm != "" {
		if inm == "*" || refListMatches(inm, v.ETag, false) {
			if safe {
				return httpsem.NotModified
			}
			return httpsem.PreconditionFailed
		}
		return httpsem.Proceed
	}
	if d, ok := date(c.IfModifiedSince); ok && safe && d <= now.Unix() && v.LastModified.Unix() <= d {
		return httpsem.NotModified
	}
	return httpsem.Proceed
}

var fuzzMethods = []string{"GET", "HEAD", "PUT", "POST", "DELETE"}

func FuzzPreconditions(f *testing.F) {
	f.Add(uint8(0), `"abc"`, `W/"abc", "x"`, lmDate, beforeLM, `"abc"`, `"abc"`, lastMod.Unix())
	f.Add(uint8(2), "*", "*", "", "", lmDate, "abc", int64(0))
	f.Add(uint8(1), `"a,b" , ,"c"`, `"`, futureIMS, "garbage", `W/"abc"`, `W/"abc"`, int64(-1))
	f.Fuzz(func(t *testing.T, m uint8, ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince, ifRange, etag string, lmUnix int64) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		c := httpsem.Conditions{IfMatch: ifMatch, IfNoneMatch: ifNoneMatch,
			IfModifiedSince: ifModifiedSince, IfUnmodifiedSince: ifUnmodifiedSince, IfRange: ifRange}
		v := httpsem.Validators{ETag: etag}
		if lmUnix > 0 {
			v.LastModified = time.Unix(lmUnix%(1<<37), 0)
		}
		got := httpsem.EvaluateAt(evalNow, method, c, v)
		if want := refEvaluate(evalNow, method, c, v); got != want {
			t.Fatalf("EvaluateAt(%s, %+v, %+v) = %v; reference says %v", method, c, v, got, want)
		}
		if got == httpsem.NotModified && method != "GET" && method != "HEAD" {
			t.Fatalf("304 for %s", method)
		}
		allows := httpsem.IfRangeAllows(ifRange, v)
		if strings.Trim(ifRange, " \t") == "" && !allows {
			t.Fatalf("IfRangeAllows(%q) = false for an absent If-Range", ifRange)
		}
		if allows && strings.HasPrefix(strings.Trim(ifRange, " \t"), "W/") {
			t.Fatalf("IfRangeAllows(%q, %+v) = true for a weak entity-tag", ifRange, v)
		}
		if httpsem.IfRangeAllows(ifRange, httpsem.Validators{}) != (strings.Trim(ifRange, " \t") == "") {
			t.Fatalf("IfRangeAllows(%q) without validators must only allow an absent If-Range", ifRange)
		}
	})
}

func BenchmarkEvaluate(b *testing.B) {
	v := httpsem.Validators{ETag: `"3f9a1b2c4d5e6f708192a3b4c5d6e7f8"`, LastModified: lastMod}
	for _, bm := range []struct {
		name string
		c    httpsem.Conditions
	}{
		{"none", httpsem.Conditions{}},
		{"if-none-match", httpsem.Conditions{IfNoneMatch: `"3f9a1b2c4d5e6f708192a3b4c5d6e7f8"`}},
		{"if-modified-since", httpsem.Conditions{IfModifiedSince: lmDate}},
		{"if-match list", httpsem.Conditions{IfMatch: `"a", "b", "3f9a1b2c4d5e6f708192a3b4c5d6e7f8"`}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = httpsem.Evaluate("GET", bm.c, v)
			}
		})
	}
}

func BenchmarkIfRangeAllows(b *testing.B) {
	v := httpsem.Validators{ETag: `"3f9a1b2c4d5e6f708192a3b4c5d6e7f8"`, LastModified: lastMod}
	b.ReportAllocs()
	for b.Loop() {
		if !httpsem.IfRangeAllows(`"3f9a1b2c4d5e6f708192a3b4c5d6e7f8"`, v) {
			b.Fatal("no match")
		}
	}
}
