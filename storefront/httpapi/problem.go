package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/strata3d/strata/storefront"
)

// codeMethodNotAllowed is the HTTP layer's own code for 405s.
const codeMethodNotAllowed storefront.Code = "method_not_allowed"

// status maps each storefront code to its one HTTP status. This table is the
// only place the mapping lives.
func status(c storefront.Code) int {
	switch c {
	case storefront.CodeMalformed:
		return http.StatusBadRequest
	case storefront.CodeUnauthenticated:
		return http.StatusUnauthorized
	case storefront.CodeForbidden:
		return http.StatusForbidden
	case storefront.CodeNotFound:
		return http.StatusNotFound
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case storefront.CodeConflict, storefront.CodeOutOfStock, storefront.CodeInvalidTransition, storefront.CodeIdempotencyPending:
		return http.StatusConflict
	case storefront.CodeInvalid, storefront.CodeIdempotencyReused:
		return http.StatusUnprocessableEntity
	case storefront.CodeRateLimited:
		return http.StatusTooManyRequests
	case storefront.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem document with Strata's extensions.
type Problem struct {
	Type      string                  `json:"type"`
	Title     string                  `json:"title"`
	Status    int                     `json:"status"`
	Code      string                  `json:"code"`
	Detail    string                  `json:"detail"`
	Instance  string                  `json:"instance,omitempty"`
	Errors    []storefront.FieldError `json:"errors,omitempty"`
	Shortages []storefront.Shortage   `json:"shortages,omitempty"`
}

// problem writes err as a problem document. Only an *storefront.Error's public
// parts reach the client; anything else is logged and answered as a bare 500
// (or 503 when the request's own deadline ran out).
func (a *API) problem(w http.ResponseWriter, r *http.Request, err error) {
	var e *storefront.Error
	if !errors.As(err, &e) {
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			e = &storefront.Error{Code: storefront.CodeUnavailable, Message: "The request was interrupted; retry.", RetryAfter: time.Second}
		default:
			e = storefront.Errorf(storefront.CodeInternal, "Internal error.")
		}
		a.log.Error("httpapi: unexpected error", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if e.Code == storefront.CodeInternal || e.Code == storefront.CodeUnavailable {
		a.log.Warn("httpapi: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	st := status(e.Code)
	p := Problem{Type: "about:blank", Title: http.StatusText(st), Status: st, Code: string(e.Code), Detail: e.Message,
		Instance: r.URL.Path, Errors: e.Fields, Shortages: e.Shortages}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if e.Code == storefront.CodeUnauthenticated {
		h.Set("WWW-Authenticate", `Bearer realm="strata"`)
	}
	w.WriteHeader(st)
	if r.Method != http.MethodHead {
		json.NewEncoder(w).Encode(p)
	}
}

// reply writes v as JSON with status.
func reply(w http.ResponseWriter, r *http.Request, st int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(st)
	if r.Method != http.MethodHead {
		w.Write(append(b, '\n'))
	}
	return nil
}
