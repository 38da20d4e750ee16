package httpsem_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/strata3d/strata/server/httpsem"
)

func TestEncodingString(t *testing.T) {
	tests := []struct {
		name string
		e    httpsem.Encoding
		want string
	}{
		{name: "identity", e: httpsem.Identity, want: "identity"},
		{name: "gzip", e: httpsem.Gzip, want: "gzip"},
		{name: "brotli", e: httpsem.Brotli, want: "br"},
		{name: "unknown", e: httpsem.Encoding(9), want: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEncodingSet(t *testing.T) {
	s := httpsem.Encodings(httpsem.Gzip, httpsem.Brotli)
	if !s.Has(httpsem.Gzip) || !s.Has(httpsem.Brotli) || s.Has(httpsem.Identity) {
		t.Errorf("Encodings(Gzip, Brotli) = %08b", s)
	}
	if httpsem.Encodings().Has(httpsem.Gzip) {
		t.Errorf("empty set has gzip")
	}
}

func TestNegotiate(t *testing.T) {
	both := httpsem.Encodings(httpsem.Gzip, httpsem.Brotli)
	gzipOnly := httpsem.Encodings(httpsem.Gzip)
	brOnly := httpsem.Encodings(httpsem.Brotli)
	none := httpsem.Encodings()
	tests := []struct {
		name      string
		header    string
		available httpsem.EncodingSet
		want      httpsem.Encoding
	}{
		{name: "absent", header: "", available: both, want: httpsem.Identity},
		{name: "browser", header: "gzip, deflate, br, zstd", available: both, want: httpsem.Brotli},
		{name: "browser gzip only available", header: "gzip, deflate, br, zstd", available: gzipOnly, want: httpsem.Gzip},
		{name: "nothing available", header: "gzip, br", available: none, want: httpsem.Identity},
		{name: "br preferred at equal q", header: "gzip;q=0.8, br;q=0.8", available: both, want: httpsem.Brotli},
		{name: "higher q wins", header: "gzip;q=1.0, br;q=0.5", available: both, want: httpsem.Gzip},
		{name: "q zero forbids", header: "br;q=0, gzip", available: both, want: httpsem.Gzip},
		{name: "q zero with decimals", header: "br;q=0.000, gzip;q=0.001", available: both, want: httpsem.Gzip},
		{name: "only gzip accepted", header: "gzip", available: brOnly, want: httpsem.Identity},
		{name: "star", header: "*", available: both, want: httpsem.Brotli},
		{name: "star with weight", header: "*;q=0.5", available: gzipOnly, want: httpsem.Gzip},
		{name: "star zero forbids unlisted", header: "gzip;q=0.2, *;q=0", available: both, want: httpsem.Gzip},
		{name: "star zero and identity listed", header: "*;q=0, identity", available: both, want: httpsem.Identity},
		{name: "specific beats star", header: "br;q=0, *", available: both, want: httpsem.Gzip},
		{name: "identity preferred", header: "identity, gzip;q=0.5", available: both, want: httpsem.Identity},
		{name: "identity equal q loses", header: "identity;q=0.5, gzip;q=0.5", available: both, want: httpsem.Gzip},
		{name: "identity forbidden nothing else", header: "identity;q=0", available: both, want: httpsem.Identity},
		{name: "everything forbidden", header: "*;q=0", available: both, want: httpsem.Identity},
		{name: "identity forbidden gzip ok", header: "identity;q=0, gzip;q=0.1", available: both, want: httpsem.Gzip},
		{name: "case-insensitive", header: "GZIP;Q=0.5, Br;q=0.4", available: both, want: httpsem.Gzip},
		{name: "x-gzip", header: "x-gzip", available: both, want: httpsem.Gzip},
		{name: "whitespace", header: " \tbr ; q=0.9 ,gzip\t;\tq=1 ", available: both, want: httpsem.Gzip},
		{name: "whitespace around equals", header: "br;q = 0.1, gzip;q=0.2", available: both, want: httpsem.Gzip},
		{name: "empty elements", header: ",,br,,", available: both, want: httpsem.Brotli},
		{name: "unknown codings ignored", header: "zstd, deflate, compress", available: both, want: httpsem.Identity},
		{name: "duplicate takes the lower weight", header: "br, br;q=0, gzip;q=0.1", available: both, want: httpsem.Gzip},
		{name: "malformed q ignores element", header: "br;q=2, gzip;q=0.5", available: both, want: httpsem.Gzip},
		{name: "too many decimals ignores element", header: "br;q=0.0001, gzip;q=0.5", available: both, want: httpsem.Gzip},
		{name: "q above one ignores element", header: "br;q=1.001, gzip;q=0.5", available: both, want: httpsem.Gzip},
		{name: "q of one with zeros", header: "br;q=1.000", available: both, want: httpsem.Brotli},
		{name: "empty q ignores element", header: "br;q=, gzip", available: both, want: httpsem.Gzip},
		{name: "negative q ignores element", header: "br;q=-1, gzip", available: both, want: httpsem.Gzip},
		{name: "other parameters skipped", header: "br;level=5", available: both, want: httpsem.Brotli},
		{name: "parameter without value skipped", header: "br;;foo", available: both, want: httpsem.Brotli},
		{name: "no coding name", header: ";q=1", available: both, want: httpsem.Identity},
		{name: "non-ASCII lookalike", header: "gzıp, bſ", available: both, want: httpsem.Identity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsem.Negotiate(tt.header, tt.available); got != tt.want {
				t.Errorf("Negotiate(%q, %08b) = %v, want %v", tt.header, tt.available, got, tt.want)
			}
		})
	}
}

var qValueRe = regexp.MustCompile(`^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$`)

// refNegotiate is a slow, obviously-written Negotiate for the fuzz target.
func refNegotiate(header string, available httpsem.EncodingSet) httpsem.Encoding {
	weights := map[string]float64{}
	for _, elem := range strings.Split(header, ",") {
		parts := strings.Split(elem, ";")
		name := strings.ToLower(strings.Trim(parts[0], " \t"))
		if name == "" || !isASCII(name) {
			continue
		}
		q, ok := 1.0, true
		for _, p := range parts[1:] {
			k, v, found := strings.Cut(p, "=")
			if !found || strings.ToLower(strings.Trim(k, " \t")) != "q" {
				continue
			}
			v = strings.Trim(v, " \t")
			if !qValueRe.MatchString(v) {
				ok = false
				break
			}
			q, _ = strconv.ParseFloat(v, 64)
		}
		if !ok {
			continue
		}
		if name == "x-gzip" {
			name = "gzip"
		}
		if old, seen := weights[name]; !seen || q < old {
			weights[name] = q
		}
	}
	weight := func(name string, dflt float64) float64 {
		if q, ok := weights[name]; ok {
			return q
		}
		if q, ok := weights["*"]; ok {
			return q
		}
		return dflt
	}
	br, gz := 0.0, 0.0
	if available.Has(httpsem.Brotli) {
		br = weight("br", 0)
	}
	if available.Has(httpsem.Gzip) {
		gz = weight("gzip", 0)
	}
	id := weight("identity", 0.001)
	switch {
	case br > 0 && br >= gz && br >= id:
		return httpsem.Brotli
	case gz > 0 && gz >= id:
		return httpsem.Gzip
	}
	return httpsem.Identity
}

func FuzzNegotiate(f *testing.F) {
	f.Add("gzip, deflate, br, zstd", uint8(6))
	f.Add("br;q=0.5, gzip;q=0.5, identity;q=0.5", uint8(2))
	f.Add("*;q=0, identity;q=0.001", uint8(4))
	f.Add("x-gzip ; Q=1.000,,", uint8(7))
	f.Fuzz(func(t *testing.T, header string, avail uint8) {
		available := httpsem.EncodingSet(avail)
		got := httpsem.Negotiate(header, available)
		if got != httpsem.Identity && !available.Has(got) {
			t.Fatalf("Negotiate(%q, %08b) = %v, which is not available", header, available, got)
		}
		if want := refNegotiate(header, available); got != want {
			t.Fatalf("Negotiate(%q, %08b) = %v; reference says %v", header, available, got, want)
		}
	})
}

func BenchmarkNegotiate(b *testing.B) {
	both := httpsem.Encodings(httpsem.Gzip, httpsem.Brotli)
	for _, bm := range []struct{ name, header string }{
		{"chrome", "gzip, deflate, br, zstd"},
		{"weighted", "br;q=1.0, gzip;q=0.8, *;q=0.1"},
		{"absent", ""},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = httpsem.Negotiate(bm.header, both)
			}
		})
	}
}
