package server

import (
	"math"
	"net"
	"strconv"
	"testing"
)

func TestAppendDecimalMatchesStrconv(t *testing.T) {
	cases := []int64{0, 1, 9, 10, 99, 100, 206, 4096, 65536, 1<<31 - 1, 1 << 40, math.MaxInt64, -1, -10, -65536, math.MinInt64 + 1, math.MinInt64}
	for _, v := range cases {
		got := string(appendDecimal([]byte("x="), v))
		if want := "x=" + strconv.FormatInt(v, 10); got != want {
			t.Errorf("appendDecimal(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestFormatIP(t *testing.T) {
	cases := []struct{ ip, want string }{
		{"127.0.0.1", "127.0.0.1"},
		{"10.200.3.45", "10.200.3.45"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
	}
	for _, c := range cases {
		if got := string(formatIP(nil, net.ParseIP(c.ip))); got != c.want {
			t.Errorf("formatIP(%s) = %q, want %q", c.ip, got, c.want)
		}
	}
}
