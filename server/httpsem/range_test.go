package httpsem_test

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata3d/strata/server/httpsem"
)

type R = httpsem.Range

func TestParseRange(t *testing.T) {
	const maxInt = "9223372036854775807"
	tests := []struct {
		name    string
		header  string
		size    int64
		want    []R
		wantErr error
	}{
		{name: "first-last", header: "bytes=0-99", size: 1000, want: []R{{0, 100}}},
		{name: "open end", header: "bytes=900-", size: 1000, want: []R{{900, 100}}},
		{name: "suffix", header: "bytes=-100", size: 1000, want: []R{{900, 100}}},
		{name: "suffix longer than size", header: "bytes=-5000", size: 1000, want: []R{{0, 1000}}},
		{name: "suffix equal to size", header: "bytes=-1000", size: 1000, want: []R{{0, 1000}}},
		{name: "last clamped", header: "bytes=990-2000", size: 1000, want: []R{{990, 10}}},
		{name: "last is size-1", header: "bytes=0-999", size: 1000, want: []R{{0, 1000}}},
		{name: "single last byte", header: "bytes=999-999", size: 1000, want: []R{{999, 1}}},
		{name: "single first byte", header: "bytes=0-0", size: 1000, want: []R{{0, 1}}},
		{name: "leading zeros", header: "bytes=007-0010", size: 1000, want: []R{{7, 4}}},
		{name: "multi", header: "bytes=0-0,-1", size: 1000, want: []R{{0, 1}, {999, 1}}},
		{name: "multi kept in request order", header: "bytes=500-599,0-99", size: 1000, want: []R{{500, 100}, {0, 100}}},
		{name: "whitespace around commas", header: "bytes=0-1 , 5-9,\t10-19 ,20-29", size: 1000, want: []R{{0, 2}, {5, 5}, {10, 10}, {20, 10}}},
		{name: "whitespace around value", header: " \tbytes=0-1 ", size: 1000, want: []R{{0, 2}}},
		{name: "whitespace after equals", header: "bytes= 0-1", size: 1000, want: []R{{0, 2}}},
		{name: "empty list elements skipped", header: "bytes=,0-1,, ,", size: 1000, want: []R{{0, 2}}},
		{name: "unit upper case", header: "BYTES=0-1", size: 1000, want: []R{{0, 2}}},
		{name: "unit mixed case", header: "Bytes=0-1", size: 1000, want: []R{{0, 2}}},
		{name: "unsatisfiable spec dropped", header: "bytes=0-1,5000-6000", size: 1000, want: []R{{0, 2}}},
		{name: "huge last clamped", header: "bytes=0-" + maxInt, size: 1000, want: []R{{0, 1000}}},
		{name: "huge suffix", header: "bytes=-" + maxInt, size: 1000, want: []R{{0, 1000}}},
		{name: "max size", header: "bytes=-1", size: math.MaxInt64, want: []R{{math.MaxInt64 - 1, 1}}},
		{name: "max size open", header: "bytes=" + maxInt + "-", size: math.MaxInt64, wantErr: httpsem.ErrRangeNotSatisfiable},

		{name: "start at size", header: "bytes=1000-", size: 1000, wantErr: httpsem.ErrRangeNotSatisfiable},
		{name: "start beyond size", header: "bytes=5000-6000", size: 1000, wantErr: httpsem.ErrRangeNotSatisfiable},
		{name: "suffix zero", header: "bytes=-0", size: 1000, wantErr: httpsem.ErrRangeNotSatisfiable},
		{name: "all dropped", header: "bytes=1000-1001, -0, 2000-", size: 1000, wantErr: httpsem.ErrRangeNotSatisfiable},
		{name: "huge start", header: "bytes=" + maxInt + "-", size: 1000, wantErr: httpsem.ErrRangeNotSatisfiable},
		{name: "size zero first-last", header: "bytes=0-0", size: 0, wantErr: httpsem.ErrRangeNotSatisfiable},
		{name: "size zero open", header: "bytes=0-", size: 0, wantErr: httpsem.ErrRangeNotSatisfiable},
		{name: "size zero suffix", header: "bytes=-1", size: 0, wantErr: httpsem.ErrRangeNotSatisfiable},
		{name: "negative size is zero", header: "bytes=0-", size: -5, wantErr: httpsem.ErrRangeNotSatisfiable},

		{name: "empty header", header: "", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "unit only", header: "bytes", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "empty range set", header: "bytes=", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "only empty elements", header: "bytes=, ,", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "other unit", header: "items=0-1", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "unit prefix", header: "bytesx=0-1", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "non-ASCII unit", header: "byteſ=0-1", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "missing equals", header: "bytes 0-1", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "space before equals", header: "bytes =0-1", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "first after last", header: "bytes=10-9", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "no dash", header: "bytes=10", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "dash only", header: "bytes=-", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "double dash", header: "bytes=--1", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "two dashes", header: "bytes=0-1-2", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "letters", header: "bytes=a-b", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "plus sign", header: "bytes=+1-2", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "hex", header: "bytes=0x10-20", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "non-ASCII digit", header: "bytes=٠-1", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "space inside spec", header: "bytes=0 -1", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "semicolon separator", header: "bytes=0-1;2-3", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "overflow last", header: "bytes=0-9223372036854775808", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "overflow first", header: "bytes=99999999999999999999-", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "overflow suffix", header: "bytes=-99999999999999999999", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "invalid after valid", header: "bytes=0-1,x", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "invalid beats unsatisfiable", header: "bytes=5000-6000,2-1", size: 1000, wantErr: httpsem.ErrRangeInvalid},
		{name: "size zero invalid", header: "bytes=x", size: 0, wantErr: httpsem.ErrRangeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := httpsem.ParseRange(nil, tt.header, tt.size)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseRange(%q, %d) error = %v, want %v", tt.header, tt.size, err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseRange(%q, %d) = %v, want %v", tt.header, tt.size, got, tt.want)
			}
		})
	}
}

func TestParseRangeAppends(t *testing.T) {
	dst := []R{{1, 2}}
	got, err := httpsem.ParseRange(dst, "bytes=0-9", 100)
	if err != nil || !slices.Equal(got, []R{{1, 2}, {0, 10}}) {
		t.Fatalf("ParseRange appended %v, %v", got, err)
	}
	got, err = httpsem.ParseRange(got, "bytes=0-9,x", 100)
	if err == nil || !slices.Equal(got, []R{{1, 2}, {0, 10}}) {
		t.Fatalf("ParseRange on error returned %v, %v; want the original dst", got, err)
	}
}

func TestContentRange(t *testing.T) {
	tests := []struct {
		name  string
		r     R
		size  int64
		want  string
		unsat string
	}{
		{name: "first bytes", r: R{0, 100}, size: 1000, want: "bytes 0-99/1000", unsat: "bytes */1000"},
		{name: "single byte", r: R{999, 1}, size: 1000, want: "bytes 999-999/1000", unsat: "bytes */1000"},
		{name: "max", r: R{0, math.MaxInt64}, size: math.MaxInt64, want: "bytes 0-9223372036854775806/9223372036854775807", unsat: "bytes */9223372036854775807"},
		{name: "empty object", r: R{0, 1}, size: 0, want: "bytes 0-0/0", unsat: "bytes */0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.ContentRange(tt.size); got != tt.want {
				t.Errorf("ContentRange = %q, want %q", got, tt.want)
			}
			if got := string(tt.r.AppendContentRange([]byte("x"), tt.size)); got != "x"+tt.want {
				t.Errorf("AppendContentRange = %q, want %q", got, "x"+tt.want)
			}
			if got := httpsem.UnsatisfiedContentRange(tt.size); got != tt.unsat {
				t.Errorf("UnsatisfiedContentRange = %q, want %q", got, tt.unsat)
			}
		})
	}
}

func TestCoalesceNeeded(t *testing.T) {
	tests := []struct {
		name string
		rs   []R
		max  int
		want bool
	}{
		{name: "none", rs: nil, max: 16, want: false},
		{name: "single", rs: []R{{0, 10}}, max: 16, want: false},
		{name: "single over zero max", rs: []R{{0, 10}}, max: 0, want: true},
		{name: "ascending disjoint", rs: []R{{0, 10}, {20, 10}, {40, 10}}, max: 16, want: false},
		{name: "touching", rs: []R{{0, 10}, {10, 10}}, max: 16, want: false},
		{name: "ascending overlap by one byte", rs: []R{{0, 10}, {9, 10}}, max: 16, want: true},
		{name: "same range twice", rs: []R{{5, 1}, {5, 1}}, max: 16, want: true},
		{name: "contained", rs: []R{{0, 100}, {10, 10}}, max: 16, want: true},
		{name: "descending disjoint", rs: []R{{500, 100}, {0, 100}}, max: 16, want: false},
		{name: "out of order disjoint", rs: []R{{500, 100}, {0, 100}, {200, 100}}, max: 16, want: false},
		{name: "out of order overlap", rs: []R{{500, 100}, {0, 100}, {550, 10}}, max: 16, want: true},
		{name: "out of order overlap late", rs: []R{{0, 10}, {100, 10}, {50, 10}, {105, 1}}, max: 16, want: true},
		{name: "at max", rs: []R{{0, 1}, {2, 1}}, max: 2, want: false},
		{name: "over max", rs: []R{{0, 1}, {2, 1}, {4, 1}}, max: 2, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsem.CoalesceNeeded(tt.rs, tt.max); got != tt.want {
				t.Errorf("CoalesceNeeded(%v, %d) = %v, want %v", tt.rs, tt.max, got, tt.want)
			}
		})
	}
}

func TestTotalLength(t *testing.T) {
	tests := []struct {
		name string
		rs   []R
		want int64
	}{
		{name: "none", rs: nil, want: 0},
		{name: "one", rs: []R{{5, 10}}, want: 10},
		{name: "overlap counted twice", rs: []R{{0, 10}, {5, 10}}, want: 20},
		{name: "saturates", rs: []R{{0, math.MaxInt64}, {0, math.MaxInt64}}, want: math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsem.TotalLength(tt.rs); got != tt.want {
				t.Errorf("TotalLength(%v) = %d, want %d", tt.rs, got, tt.want)
			}
		})
	}
}

// refParseRange is a slow, obviously-written ParseRange for the fuzz target.
func refParseRange(header string, size int64) ([]R, error) {
	size = max(size, 0)
	unit, set, ok := strings.Cut(strings.Trim(header, " \t"), "=")
	if !ok || !isASCII(unit) || strings.ToLower(unit) != "bytes" {
		return nil, httpsem.ErrRangeInvalid
	}
	var out []R
	specs := 0
	for _, spec := range strings.Split(set, ",") {
		spec = strings.Trim(spec, " \t")
		if spec == "" {
			continue
		}
		specs++
		first, last, ok := strings.Cut(spec, "-")
		if !ok {
			return nil, httpsem.ErrRangeInvalid
		}
		if first == "" {
			n, err := strconv.ParseUint(last, 10, 63)
			if err != nil {
				return nil, httpsem.ErrRangeInvalid
			}
			if n > 0 && size > 0 {
				l := min(int64(n), size)
				out = append(out, R{size - l, l})
			}
			continue
		}
		f, err := strconv.ParseUint(first, 10, 63)
		if err != nil {
			return nil, httpsem.ErrRangeInvalid
		}
		l := uint64(math.MaxInt64)
		if last != "" {
			if l, err = strconv.ParseUint(last, 10, 63); err != nil || l < f {
				return nil, httpsem.ErrRangeInvalid
			}
		}
		if int64(f) < size {
			end := min(int64(l), size-1)
			out = append(out, R{int64(f), end - int64(f) + 1})
		}
	}
	if specs == 0 {
		return nil, httpsem.ErrRangeInvalid
	}
	if len(out) == 0 {
		return nil, httpsem.ErrRangeNotSatisfiable
	}
	return out, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func FuzzParseRange(f *testing.F) {
	for _, seed := range []struct {
		h    string
		size int64
	}{
		{"bytes=0-99", 1000}, {"bytes=-5", 3}, {"bytes=0-,5-9, -2", 10}, {"bytes=9223372036854775807-", 0},
	} {
		f.Add(seed.h, seed.size)
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		got, err := httpsem.ParseRange(nil, header, size)
		want, wantErr := refParseRange(header, size)
		if err != wantErr || !slices.Equal(got, want) {
			t.Fatalf("ParseRange(%q, %d) = %v, %v; reference says %v, %v", header, size, got, err, want, wantErr)
		}
		for _, r := range got {
			if r.Start < 0 || r.Length < 1 || r.Start >= size || r.Length > size-r.Start {
				t.Fatalf("ParseRange(%q, %d) returned out-of-bounds %v", header, size, r)
			}
			cr := r.ContentRange(size)
			if want := "bytes " + strconv.FormatInt(r.Start, 10) + "-" + strconv.FormatInt(r.End(), 10) + "/" + strconv.FormatInt(size, 10); cr != want {
				t.Fatalf("ContentRange = %q, want %q", cr, want)
			}
		}
		if httpsem.TotalLength(got) < 0 {
			t.Fatalf("TotalLength(%v) < 0", got)
		}
		_ = httpsem.CoalesceNeeded(got, 16)
	})
}

func BenchmarkParseRange(b *testing.B) {
	for _, bm := range []struct{ name, header string }{
		{"single", "bytes=1048576-2097151"},
		{"suffix", "bytes=-65536"},
		{"multi", "bytes=0-1023, 4096-8191, 65536-131071"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			dst := make([]R, 0, 8)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = httpsem.ParseRange(dst[:0], bm.header, 200<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCoalesceNeeded(b *testing.B) {
	rs := []R{{0, 1024}, {4096, 4096}, {65536, 65536}, {200000, 100}}
	b.ReportAllocs()
	for b.Loop() {
		if httpsem.CoalesceNeeded(rs, 16) {
			b.Fatal("coalesce")
		}
	}
}
