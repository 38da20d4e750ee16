package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/lod"
)

// Error is the one error type of publishing: an HTTP status, a short public
// title and a detail that is safe to show the uploader. The admin handler
// maps it to an RFC 9457 problem once; Err keeps the cause for logs.
type Error struct {
	Status int    // HTTP status: 400, 404, 413, 415, 422, 503
	Title  string // short, fixed per kind of problem
	Detail string // what is wrong with this request, for the client
	Err    error  // the cause, for logs; may hold internal detail
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("publish: %s: %s: %v", e.Title, e.Detail, e.Err)
	}
	return fmt.Sprintf("publish: %s: %s", e.Title, e.Detail)
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinels for errors.Is; every *Error returned wraps one of them or a
// cause that tells more.
var (
	// ErrInvalidID: the model id is not a valid id (see ValidID).
	ErrInvalidID = errors.New("invalid model id")
	// ErrJobNotFound: no job with that id is known.
	ErrJobNotFound = errors.New("job not found")
	// ErrBusy: too many jobs are waiting; try again later.
	ErrBusy = errors.New("publishing queue full")
	// ErrClosed: the publisher is shutting down.
	ErrClosed = errors.New("publisher closed")
)

func badID(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Title: "Invalid model id", Detail: detail, Err: ErrInvalidID}
}

func unsupportedType(detail string) *Error {
	return &Error{Status: http.StatusUnsupportedMediaType, Title: "Unsupported upload type", Detail: detail}
}

func badUpload(detail string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Title: "Invalid model", Detail: detail}
}

func tooLarge(detail string) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Title: "Upload too large", Detail: detail}
}

func unavailable(detail string, err error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Title: "Publishing unavailable", Detail: detail, Err: err}
}

// bakeError maps an error of lod.Bake to an *Error: input problems keep the
// baker's message (it names what is wrong and where, and holds nothing
// internal), anything else is an internal failure whose text stays in logs.
func bakeError(err error) *Error {
	var ie *lod.InputError
	if errors.As(err, &ie) {
		msg := strings.TrimPrefix(ie.Error(), "lod: ")
		if errors.Is(err, lod.ErrLimit) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Title: "Model exceeds a limit", Detail: msg, Err: err}
		}
		return &Error{Status: http.StatusUnprocessableEntity, Title: "Invalid model", Detail: msg, Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Status: http.StatusServiceUnavailable, Title: "Bake interrupted", Detail: "the bake was interrupted; it resumes when the publisher starts again", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Title: "Bake failed", Detail: "the baker failed on this model; the operator's logs have the details", Err: err}
}

// storeError wraps a store failure; it is retried.
func storeError(op string, err error) *Error {
	if errors.Is(err, cache.ErrInvalidKey) {
		return &Error{Status: http.StatusBadRequest, Title: "Invalid key", Detail: "a file name cannot be stored", Err: err}
	}
	return unavailable("the store failed; try again later", fmt.Errorf("%s: %w", op, err))
}

// retryable reports whether a failed job attempt may succeed if run again:
// store failures and interruptions, not problems with the input.
func retryable(err error) bool {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Status == http.StatusServiceUnavailable
	}
	return true
}

// AsError returns err as an *Error, mapping anything else to a 500 whose
// text stays internal.
func AsError(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	if errors.Is(err, ErrClosed) {
		return unavailable("the publisher is shutting down; try again", err)
	}
	return &Error{Status: http.StatusInternalServerError, Title: "Internal error", Detail: "publishing failed; the operator's logs have the details", Err: err}
}
