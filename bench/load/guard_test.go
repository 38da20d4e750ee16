package load_test

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/strata3d/strata/bench/load"
)

// These tests never dial a non-loopback address: the refusals are checked
// on URLs and address strings, and the dialer's use of the guard is shown
// by a guard that refuses loopback itself.

func TestCheckTarget(t *testing.T) {
	cases := []struct {
		name, url string
		remote    bool
		want      string // "" ok; else an error substring
	}{
		{"loopback v4", "http://127.0.0.1:8080", false, ""},
		{"loopback range", "http://127.8.9.10", false, ""},
		{"loopback v6", "http://[::1]:9000/prefix", false, ""},
		{"localhost", "https://localhost:8443", false, ""},
		{"v4-mapped loopback", "http://[::ffff:127.0.0.1]:80", false, ""},
		{"private address", "http://10.0.0.1", false, "allow-remote"},
		{"public address", "http://192.0.2.10:80", false, "allow-remote"},
		{"host name", "https://d111111abcdef8.cloudfront.net", false, "allow-remote"},
		{"localhost look-alike", "http://localhost.example.com", false, "allow-remote"},
		{"host name allowed", "https://d111111abcdef8.cloudfront.net", true, ""},
		{"bad scheme", "ftp://127.0.0.1", false, "scheme"},
		{"no host", "http:///x", false, "want scheme"},
		{"credentials", "http://u:p@127.0.0.1", false, "without credentials"},
		{"query", "http://127.0.0.1/?a=b", false, "without credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := load.CheckTarget(tc.url, tc.remote)
			if tc.want == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(tc.want, "allow-remote") && !errors.Is(err, load.ErrRemote) {
				t.Fatalf("error %v is not ErrRemote", err)
			}
		})
	}
}

func TestDialGuard(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:80": true, "127.255.0.1:1": true, "[::1]:443": true, "[::ffff:127.0.0.1]:80": true,
		"10.1.2.3:80": false, "192.0.2.1:443": false, "[2001:db8::1]:80": false, "[::ffff:192.0.2.1]:80": false,
	} {
		err := load.CheckDialAddress(addr)
		if (err == nil) != ok {
			t.Errorf("%s: error %v, want allowed %v", addr, err, ok)
		}
	}
}

// TestDialerConsultsTheGuard: a run's dialer asks the guard before every
// connect, and a refusal means no connection; with remote targets allowed
// there is no guard.
func TestDialerConsultsTheGuard(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var asked []string
	refuse := func(network, address string) error {
		asked = append(asked, address)
		return load.ErrRemote
	}
	if err := load.DialThrough(ln.Addr().String(), false, refuse); !errors.Is(err, load.ErrRemote) {
		t.Errorf("dial with a refusing guard: %v", err)
	}
	if len(asked) != 1 || asked[0] != ln.Addr().String() {
		t.Errorf("guard asked about %q, want the resolved address once", asked)
	}
	asked = nil
	if err := load.DialThrough(ln.Addr().String(), true, refuse); err != nil || len(asked) != 0 {
		t.Errorf("with remote allowed: error %v, guard asked %q", err, asked)
	}
}
