package httpsem

// ParseHTTPDateIn exposes the rfc850 year window to the external tests.
func ParseHTTPDateIn(s string, thisYear int) (int, error) {
	t, err := parseHTTPDate(s, thisYear)
	return t.Year(), err
}
