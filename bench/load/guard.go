package load

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrRemote is returned for a target or a connection outside the loopback
// range when remote targets are not allowed.
var ErrRemote = errors.New("not a loopback address (pass --allow-remote to load-test another host)")

// CheckTarget validates a base URL: http or https, a host, no query or
// fragment. Without allowRemote the host must be a loopback IP literal or
// "localhost"; any other name is refused without being looked up, so that
// checking a target never sends a DNS query either.
func CheckTarget(base string, allowRemote bool) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("load: target %q: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("load: target %q: scheme must be http or https", base)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("load: target %q: want scheme://host[:port][/prefix] without credentials, query or fragment", base)
	}
	if allowRemote {
		return nil
	}
	if !loopbackHost(u.Hostname()) {
		return fmt.Errorf("load: target %q: %w", base, ErrRemote)
	}
	return nil
}

// loopbackHost reports whether host is "localhost" or a loopback IP literal.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// loopbackOnly is a net.Dialer Control function: it runs after name
// resolution and before connect(2), so no packet leaves for an address
// outside 127.0.0.0/8 or ::1.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	return checkDialAddress(address)
}

// checkDialAddress accepts an "ip:port" on loopback.
func checkDialAddress(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("load: dial %q: %w", address, err)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("load: dial %s: %w", address, ErrRemote)
	}
	return nil
}

// dialer returns the dialer every connection of a run goes through.
func dialer(allowRemote bool, guard func(network, address string, c syscall.RawConn) error) *net.Dialer {
	d := &net.Dialer{Timeout: dialTimeout}
	if !allowRemote {
		d.Control = guard
	}
	return d
}
