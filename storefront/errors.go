package storefront

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Code is a stable, machine-readable error code. Clients may switch on it; the
// HTTP layer maps each code to one status.
type Code string

const (
	CodeMalformed          Code = "malformed"            // the request can't be parsed (bad JSON, wrong content type)
	CodeInvalid            Code = "invalid"              // the request parses but fails validation
	CodeUnauthenticated    Code = "unauthenticated"      // no valid session or credentials
	CodeForbidden          Code = "forbidden"            // authenticated, but not allowed
	CodeNotFound           Code = "not_found"            // no such resource (or not the caller's)
	CodeConflict           Code = "conflict"             // the resource changed or already exists
	CodeOutOfStock         Code = "out_of_stock"         // not enough stock for a checkout
	CodeInvalidTransition  Code = "invalid_transition"   // an order can't move to the requested state
	CodeIdempotencyReused  Code = "idempotency_mismatch" // one Idempotency-Key, two different requests
	CodeIdempotencyPending Code = "idempotency_in_flight"
	CodeRateLimited        Code = "rate_limited"
	CodeUnavailable        Code = "unavailable" // a store or provider failed; retrying may succeed
	CodeInternal           Code = "internal"
)

// FieldError names one invalid field of a request and says why, in words a
// client may show.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Shortage is one line of a checkout that the stock can't fill.
type Shortage struct {
	SKU       string `json:"sku"`
	Requested int    `json:"requested"`
	Available int    `json:"available"`
}

// Error is the one error type of the storefront. Message is public: it is
// written for the client and never holds internal text; the wrapped cause is
// for logs only.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// Shortages lists the lines a checkout could not fill (CodeOutOfStock).
	Shortages []Shortage
	// RetryAfter, when positive, tells a client when to try again (rate limits,
	// unavailable stores).
	RetryAfter time.Duration
	cause      error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is(err, ErrNotFound) match any *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && len(t.Fields) == 0
}

// Errorf returns an *Error with a public message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with a public message and an internal cause.
func Wrap(code Code, cause error, message string) *Error {
	return &Error{Code: code, Message: message, cause: cause}
}

// Sentinels for errors.Is; stores return errors that match them.
var (
	ErrNotFound   = &Error{Code: CodeNotFound}
	ErrConflict   = &Error{Code: CodeConflict}
	ErrOutOfStock = &Error{Code: CodeOutOfStock}
)

// ErrorCode returns the code of err: its own when it is (or wraps) an *Error,
// CodeInternal otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// validation collects field errors and turns them into one CodeInvalid error.
type validation struct{ fields []FieldError }

func (v *validation) add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validation) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "The request has invalid fields.", Fields: v.fields}
}

// unavailable wraps a store failure: the client learns only that it may retry.
func unavailable(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: CodeUnavailable, Message: "The store is unavailable; retry shortly.", RetryAfter: 2 * time.Second, cause: err}
}

func itoa(i int) string { return strconv.Itoa(i) }
