package publish

import "fmt"

// MaxIDLen is the longest model id.
const MaxIDLen = 100

// ValidID checks a model id. An id becomes one segment of every key of the
// model (models/{id}/…), so it is restricted to lowercase letters, digits
// and the separators '-', '_' and '.', starts and ends with a letter or
// digit, and has no "..": nothing path-like, nothing a store or URL would
// reinterpret. It also may not contain 16 or more hex digits in a row,
// because the origin marks keys holding such a run as content-addressed and
// serves them as immutable for a year — which the pointer must never be.
func ValidID(id string) error {
	if id == "" {
		return badID("the model id is empty")
	}
	if len(id) > MaxIDLen {
		return badID(fmt.Sprintf("the model id is %d bytes, at most %d are allowed", len(id), MaxIDLen))
	}
	hexRun := 0
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		switch {
		case alnum:
		case c == '-' || c == '_' || c == '.':
			if i == 0 || i == len(id)-1 {
				return badID("a model id starts and ends with a lowercase letter or digit")
			}
			if c == '.' && id[i-1] == '.' {
				return badID(`a model id may not contain ".."`)
			}
		default:
			return badID(fmt.Sprintf("a model id holds only lowercase letters, digits, '-', '_' and '.'; %q is not allowed", rune(c)))
		}
		if '0' <= c && c <= '9' || 'a' <= c && c <= 'f' {
			hexRun++
			if hexRun >= 16 {
				return badID("a model id may not contain 16 or more hex digits in a row (the origin would cache its pointer as immutable content)")
			}
		} else {
			hexRun = 0
		}
	}
	return nil
}
