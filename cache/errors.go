package cache

import "errors"

// Errors the Tier returns, besides the Store sentinels it passes through
// (ErrNotFound, ErrInvalidKey). Callers test with errors.Is.
var (
	// ErrUnavailable means the store failed or timed out and nothing usable
	// was cached; the server answers 503 with Retry-After.
	ErrUnavailable = errors.New("store unavailable")
	// ErrChanged means the object changed (or vanished) between the Stat that
	// produced a Meta and a Read of its bytes. The Meta has been invalidated,
	// so a retry with a fresh Stat sees the new version.
	ErrChanged = errors.New("object changed during read")
	// ErrTooLarge means an object is bigger than a Derived computation accepts.
	ErrTooLarge = errors.New("object too large")
)
