package httpsem

import (
	"errors"
	"net/http"
	"time"
)

// ErrInvalidDate means a value is not an HTTP-date in any of the three formats.
var ErrInvalidDate = errors.New("httpsem: invalid HTTP-date")

// HTTP-date formats (RFC 9110 §5.6.7), for reference:
//
//	IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT   (the only one we generate)
//	rfc850-date  Sunday, 06-Nov-94 08:49:37 GMT  (obsolete, parsed)
//	asctime-date Sun Nov  6 08:49:37 1994        (obsolete, parsed)
const imfFixdateLen = len("Sun, 06 Nov 1994 08:49:37 GMT")

var (
	shortDays  = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	longDays   = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}
	monthNames = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

	imfDays   = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	imfMonths = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// AppendHTTPDate appends t as an IMF-fixdate in GMT, e.g.
// "Sun, 06 Nov 1994 08:49:37 GMT", without allocating. Sub-second precision is
// dropped. Years outside 0000-9999 cannot be written in that format; they are
// formatted as net/http does.
func AppendHTTPDate(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, http.TimeFormat)
	}
	hour, minute, sec := t.Clock()
	dst = append(dst, imfDays[t.Weekday()]...)
	dst = append(dst, ',', ' ')
	dst = append2(dst, day)
	dst = append(dst, ' ')
	dst = append(dst, imfMonths[month-1]...)
	dst = append(dst, ' ')
	dst = append2(dst, year/100)
	dst = append2(dst, year%100)
	dst = append(dst, ' ')
	dst = append2(dst, hour)
	dst = append(dst, ':')
	dst = append2(dst, minute)
	dst = append(dst, ':')
	dst = append2(dst, sec)
	return append(dst, " GMT"...)
}

func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

// FormatHTTPDate returns t as an IMF-fixdate, for Date, Last-Modified and Expires.
func FormatHTTPDate(t time.Time) string {
	var buf [imfFixdateLen]byte
	return string(AppendHTTPDate(buf[:0], t))
}

// ParseHTTPDate parses an HTTP-date in any of the three formats RFC 9110
// §5.6.7 requires recipients to accept, without allocating. The result is in
// UTC with second precision.
//
// It is stricter than net/http's ParseTime (which goes through time.Parse):
// fields have their exact widths, the zone must be "GMT", no fractional
// seconds; it is as lenient on the case of day and month names. The day name
// is checked to be a day name but, as everywhere else, not against the date.
// Leading or trailing whitespace is an error; header parsers trim it first.
// A two-digit rfc850 year is read, as the RFC requires, as the year with those
// digits that is at most 50 years after the current one.
func ParseHTTPDate(s string) (time.Time, error) {
	return parseHTTPDate(s, time.Now().Year())
}

// parseHTTPDate is ParseHTTPDate with the current year as a parameter, so the
// rfc850 year window can be tested.
func parseHTTPDate(s string, thisYear int) (time.Time, error) {
	var year, day, month int
	var clock string
	switch {
	case len(s) == imfFixdateLen && s[3] == ',':
		// Sun, 06 Nov 1994 08:49:37 GMT
		if !isDayName(s[:3], &shortDays) || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
			s[16] != ' ' || s[25:] != " GMT" {
			return time.Time{}, ErrInvalidDate
		}
		day, month, year = atoiN(s[5:7]), monthIndex(s[8:11]), atoiN(s[12:16])
		clock = s[17:25]
	case len(s) == len("Sun Nov  6 08:49:37 1994") && s[3] == ' ':
		// Sun Nov  6 08:49:37 1994: the day is two digits or SP DIGIT.
		if !isDayName(s[:3], &shortDays) || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' {
			return time.Time{}, ErrInvalidDate
		}
		if s[8] == ' ' {
			day = atoiN(s[9:10])
		} else {
			day = atoiN(s[8:10])
		}
		month, year = monthIndex(s[4:7]), atoiN(s[20:24])
		clock = s[11:19]
	default:
		// Sunday, 06-Nov-94 08:49:37 GMT
		const tail = len(", 06-Nov-94 08:49:37 GMT")
		if len(s) <= tail {
			return time.Time{}, ErrInvalidDate
		}
		name, rest := s[:len(s)-tail], s[len(s)-tail:]
		if !isDayName(name, &longDays) || rest[:2] != ", " || rest[4] != '-' || rest[8] != '-' ||
			rest[11] != ' ' || rest[20:] != " GMT" {
			return time.Time{}, ErrInvalidDate
		}
		day, month = atoiN(rest[2:4]), monthIndex(rest[5:8])
		if year = atoiN(rest[9:11]); year >= 0 {
			year = rfc850Year(year, thisYear)
		}
		clock = rest[12:20]
	}
	if clock[2] != ':' || clock[5] != ':' {
		return time.Time{}, ErrInvalidDate
	}
	hour, minute, sec := atoiN(clock[0:2]), atoiN(clock[3:5]), atoiN(clock[6:8])
	// atoiN returns -1 for non-digits, which every lower bound below rejects.
	if year < 0 || month < 1 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, ErrInvalidDate
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), nil
}

// rfc850Year expands a two-digit year into the window of 100 years that ends
// 50 years after thisYear (RFC 9110 §5.6.7).
func rfc850Year(yy, thisYear int) int {
	y := thisYear - thisYear%100 + yy
	if y > thisYear+50 {
		y -= 100
	} else if y <= thisYear-50 {
		y += 100
	}
	return y
}

// atoiN parses a short run of ASCII digits, or returns -1.
func atoiN(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func isDayName(s string, names *[7]string) bool {
	for _, n := range names {
		if equalFoldASCII(s, n) {
			return true
		}
	}
	return false
}

// monthIndex returns 1-12 for a month abbreviation (any case), or 0.
func monthIndex(s string) int {
	for i, n := range monthNames {
		if equalFoldASCII(s, n) {
			return i + 1
		}
	}
	return 0
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
