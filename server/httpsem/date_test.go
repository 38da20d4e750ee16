package httpsem_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/server/httpsem"
)

func TestParseHTTPDate(t *testing.T) {
	rfcExample := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	tests := []struct {
		name    string
		in      string
		want    time.Time
		wantErr bool
	}{
		{name: "IMF-fixdate", in: "Sun, 06 Nov 1994 08:49:37 GMT", want: rfcExample},
		{name: "rfc850", in: "Sunday, 06-Nov-94 08:49:37 GMT", want: rfcExample},
		{name: "asctime", in: "Sun Nov  6 08:49:37 1994", want: rfcExample},
		{name: "asctime two-digit day", in: "Wed Nov 16 08:49:37 1994", want: time.Date(1994, 11, 16, 8, 49, 37, 0, time.UTC)},
		{name: "names any case", in: "SUN, 06 nov 1994 08:49:37 GMT", want: rfcExample},
		{name: "weekday not checked", in: "Mon, 06 Nov 1994 08:49:37 GMT", want: rfcExample},
		{name: "leap day", in: "Thu, 29 Feb 2024 23:59:59 GMT", want: time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)},
		{name: "rfc850 recent", in: "Wednesday, 01-May-24 12:00:00 GMT", want: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)},
		{name: "year zero", in: "Sat, 01 Jan 0000 00:00:00 GMT", want: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},

		{name: "empty", in: "", wantErr: true},
		{name: "leading space", in: " Sun, 06 Nov 1994 08:49:37 GMT", wantErr: true},
		{name: "other zone", in: "Sun, 06 Nov 1994 08:49:37 UTC", wantErr: true},
		{name: "lower-case zone", in: "Sun, 06 Nov 1994 08:49:37 gmt", wantErr: true},
		{name: "bad day name", in: "Snu, 06 Nov 1994 08:49:37 GMT", wantErr: true},
		{name: "bad month", in: "Sun, 06 Nox 1994 08:49:37 GMT", wantErr: true},
		{name: "day zero", in: "Sun, 00 Nov 1994 08:49:37 GMT", wantErr: true},
		{name: "day 31 in November", in: "Sun, 31 Nov 1994 08:49:37 GMT", wantErr: true},
		{name: "February 29 in a common year", in: "Sun, 29 Feb 2023 08:49:37 GMT", wantErr: true},
		{name: "February 29 in 1900", in: "Thu, 29 Feb 1900 00:00:00 GMT", wantErr: true},
		{name: "hour 24", in: "Sun, 06 Nov 1994 24:00:00 GMT", wantErr: true},
		{name: "minute 60", in: "Sun, 06 Nov 1994 08:60:00 GMT", wantErr: true},
		{name: "second 60", in: "Sun, 06 Nov 1994 08:49:60 GMT", wantErr: true},
		{name: "one-digit hour", in: "Sun, 06 Nov 1994 8:49:37 GMT ", wantErr: true},
		{name: "fraction", in: "Sun, 06 Nov 1994 08:49:37.5 GMT", wantErr: true},
		{name: "missing comma", in: "Sun 06 Nov 1994 08:49:37 GMT", wantErr: true},
		{name: "bad separators", in: "Sun, 06 Nov 1994 08-49-37 GMT", wantErr: true},
		{name: "signed year", in: "Sun, 06 Nov +994 08:49:37 GMT", wantErr: true},
		{name: "rfc850 short day name", in: "Sun, 06-Nov-94 08:49:37 GMT", wantErr: true},
		{name: "rfc850 four-digit year", in: "Sunday, 06-Nov-1994 08:49:37 GMT", wantErr: true},
		{name: "rfc850 bad year", in: "Sunday, 06-Nov-9x 08:49:37 GMT", wantErr: true},
		{name: "rfc850 no comma", in: "Sunday  06-Nov-94 08:49:37 GMT", wantErr: true},
		{name: "asctime one-digit day without pad", in: "Sun Nov 6 08:49:37 1994 ", wantErr: true},
		{name: "asctime zone", in: "Sun Nov  6 08:49:37 GMT", wantErr: true},
		{name: "asctime bad space", in: "Sun Nov  6 08:49:37x1994", wantErr: true},
		{name: "asctime pad and digit", in: "Sun Nov  x 08:49:37 1994", wantErr: true},
		{name: "unix seconds", in: "784111777", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := httpsem.ParseHTTPDate(tt.in)
			if tt.wantErr {
				if !errors.Is(err, httpsem.ErrInvalidDate) {
					t.Fatalf("ParseHTTPDate(%q) = %v, %v; want ErrInvalidDate", tt.in, got, err)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Fatalf("ParseHTTPDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRFC850Year(t *testing.T) {
	tests := []struct {
		name     string
		yy       string
		thisYear int
		want     int
	}{
		{name: "past in this century", yy: "05", thisYear: 2026, want: 2005},
		{name: "last century", yy: "94", thisYear: 2026, want: 1994},
		{name: "exactly fifty years ahead", yy: "76", thisYear: 2026, want: 2076},
		{name: "more than fifty years ahead", yy: "77", thisYear: 2026, want: 1977},
		{name: "this year", yy: "26", thisYear: 2026, want: 2026},
		{name: "next century", yy: "10", thisYear: 2090, want: 2110},
		{name: "window start", yy: "41", thisYear: 2090, want: 2041},
		{name: "just outside window start", yy: "40", thisYear: 2090, want: 2140},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := httpsem.ParseHTTPDateIn("Sunday, 06-Nov-"+tt.yy+" 08:49:37 GMT", tt.thisYear)
			if err != nil || got != tt.want {
				t.Errorf("year %s in %d = %d, %v; want %d", tt.yy, tt.thisYear, got, err, tt.want)
			}
		})
	}
}

func TestFormatHTTPDate(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{name: "RFC example", t: time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC), want: "Sun, 06 Nov 1994 08:49:37 GMT"},
		{name: "converted to GMT", t: time.Date(2024, 5, 1, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600)), want: "Wed, 01 May 2024 12:00:00 GMT"},
		{name: "fraction dropped", t: time.Date(2024, 12, 31, 23, 59, 59, 999_999_999, time.UTC), want: "Tue, 31 Dec 2024 23:59:59 GMT"},
		{name: "year zero padded", t: time.Date(99, 1, 2, 3, 4, 5, 0, time.UTC), want: "Fri, 02 Jan 0099 03:04:05 GMT"},
		{name: "year beyond format", t: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), want: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat)},
		{name: "negative year", t: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), want: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsem.FormatHTTPDate(tt.t); got != tt.want {
				t.Errorf("FormatHTTPDate = %q, want %q", got, tt.want)
			}
			if got := string(httpsem.AppendHTTPDate([]byte("Date: "), tt.t)); got != "Date: "+tt.want {
				t.Errorf("AppendHTTPDate = %q", got)
			}
		})
	}
}

func FuzzParseHTTPDate(f *testing.F) {
	for _, seed := range []string{"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Thu, 29 Feb 1900 00:00:00 GMT"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := httpsem.ParseHTTPDate(s)
		if err != nil {
			return
		}
		// Everything we accept, net/http accepts as the same instant, except
		// that it maps two-digit years with a fixed pivot instead of the
		// RFC's sliding window.
		want, herr := http.ParseTime(s)
		if herr != nil {
			t.Fatalf("ParseHTTPDate(%q) = %v, but http.ParseTime rejects it: %v", s, got, herr)
		}
		if d := got.Year() - want.Year(); d != 0 && strings.Contains(s, "-") {
			if d%100 != 0 {
				t.Fatalf("ParseHTTPDate(%q) year %d, http.ParseTime year %d", s, got.Year(), want.Year())
			}
			want = want.AddDate(d, 0, 0)
		}
		if !got.Equal(want) {
			t.Fatalf("ParseHTTPDate(%q) = %v, http.ParseTime = %v", s, got, want)
		}
		// Formatting round-trips.
		back, err := httpsem.ParseHTTPDate(httpsem.FormatHTTPDate(got))
		if err != nil || !back.Equal(got) {
			t.Fatalf("round trip of %v: %v, %v", got, back, err)
		}
	})
}

func BenchmarkParseHTTPDate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := httpsem.ParseHTTPDate("Wed, 01 May 2024 12:00:00 GMT"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendHTTPDate(b *testing.B) {
	buf := make([]byte, 0, 64)
	t := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		buf = httpsem.AppendHTTPDate(buf[:0], t)
	}
}
