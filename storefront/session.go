package storefront

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// Session is a browser's server-side state. Its ID is the SHA-256 of the
// cookie's token, so a leaked sessions table can't be replayed as cookies.
type Session struct {
	ID string
	// CustomerID is empty for a guest.
	CustomerID string
	// CartID is the guest cart bound to this session; customers' carts are
	// keyed by their id instead (CustomerCartID).
	CartID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is when the session dies if not touched again: the earlier of
	// the idle and the absolute deadline. Stores use it for TTLs and sweeps;
	// the service recomputes both deadlines on every read.
	ExpiresAt time.Time
}

// NewSessionToken returns a cookie value: 256 random bits, base64url.
func NewSessionToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// SessionID derives the stored id from a cookie token.
func SessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// validToken reports whether s looks like a token NewSessionToken made, so a
// junk cookie is turned away before any store round trip.
func validToken(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix + "_" + 120 random bits in lower-case base32: ids can't
// be guessed or enumerated, and never collide with slugs (which have no "_").
func NewID(prefix string) string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		panic("storefront: crypto/rand failed: " + err.Error()) // the kernel's RNG does not fail
	}
	return prefix + "_" + idEncoding.EncodeToString(b)
}

// ValidID reports whether s has the shape NewID(prefix) returns.
func ValidID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != 24 {
		return false
	}
	_, err := idEncoding.DecodeString(rest)
	return err == nil
}

// CustomerCartID is the id of a customer's cart.
func CustomerCartID(customerID string) string { return "c_" + customerID }
