package load

import "syscall"

// KeyFor exposes the key draw to the external tests.
func KeyFor(k *Keys, i, offset int64) (string, int64, bool) { return k.keyFor(i, offset) }

// CheckDialAddress exposes the per-connection guard.
var CheckDialAddress = checkDialAddress

// DialThrough dials address with the run's dialer and guard.
func DialThrough(address string, allowRemote bool, guard func(network, address string) error) error {
	d := dialer(allowRemote, func(network, address string, _ syscall.RawConn) error { return guard(network, address) })
	c, err := d.Dial("tcp", address)
	if err != nil {
		return err
	}
	return c.Close()
}

// ParseViewerManifest exposes the viewer's manifest reading; spans are
// returned as [first, last] pairs.
func ParseViewerManifest(body []byte, manifestURL string, finest int) (string, [][2]int64, error) {
	u, spans, err := parseViewerManifest(body, manifestURL, finest)
	var out [][2]int64
	for _, s := range spans {
		out = append(out, [2]int64{s.first, s.last})
	}
	return u, out, err
}
