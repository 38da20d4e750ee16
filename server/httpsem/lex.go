package httpsem

// Lexing shared by the header parsers. RFC 9110 §5.6.3: OWS is *( SP / HTAB ).

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// trimOWS removes optional whitespace from both ends of a field value or list element.
func trimOWS(s string) string {
	for len(s) > 0 && isOWS(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func trimLeftOWS(s string) string {
	for len(s) > 0 && isOWS(s[0]) {
		s = s[1:]
	}
	return s
}

// lowerASCII folds an ASCII upper-case letter; other bytes pass unchanged.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// equalFoldASCII compares s with lower, an all-lower-case ASCII literal,
// ignoring ASCII case. Unlike strings.EqualFold it never treats non-ASCII
// runes such as the Kelvin sign as equal to ASCII letters, which header tokens
// must not do.
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerASCII(s[i]) != lower[i] {
			return false
		}
	}
	return true
}
