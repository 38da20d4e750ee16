package storefront

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Customer is a shopper's account.
type Customer struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	// PasswordHash is a PHC argon2id string; it never leaves the service.
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// SignUp is the input of a new account.
type SignUp struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// Password length bounds: NIST SP 800-63B asks for at least 8 characters and
// at least 64 allowed; the upper bound keeps hashing input small.
const (
	minPassword = 8
	maxPassword = 256
)

// NormalizeEmail returns the canonical form accounts are looked up by: the
// address trimmed and lower-cased. (Local parts are case-sensitive by RFC, but
// no real mailbox provider treats them so, and two accounts differing only in
// case are a support nightmare.)
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Validate checks a sign-up and normalizes its email.
func (s *SignUp) Validate() error {
	var v validation
	s.Email = NormalizeEmail(s.Email)
	s.Name = strings.TrimSpace(s.Name)
	if !validEmail(s.Email) {
		v.add("email", "must be an email address")
	}
	if n := utf8.RuneCountInString(s.Password); n < minPassword || len(s.Password) > maxPassword || !utf8.ValidString(s.Password) {
		v.add("password", "must be %d-%d characters", minPassword, maxPassword)
	}
	if utf8.RuneCountInString(s.Name) > 200 || !utf8.ValidString(s.Name) {
		v.add("name", "must be at most 200 characters")
	}
	return v.err()
}

func validEmail(s string) bool {
	if len(s) < 3 || len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}
