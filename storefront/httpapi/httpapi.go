// Package httpapi is the storefront's JSON API under /api/v1, a net/http
// handler the origin mounts at /api/ (server.Deps.API). It is the only
// storefront package that speaks HTTP: it parses requests, carries the
// session cookie, enforces CSRF and admin tokens, and maps storefront errors
// to RFC 9457 problems in one place (problem.go).
//
// Routes are Go 1.22+ ServeMux patterns kept in one table (routes.go), which
// the OpenAPI document (openapi.yaml, served at /api/v1/openapi.yaml) is
// tested against in both directions.
package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/strata3d/strata/storefront"
)

// WebhookVerifier checks a payment provider's webhook signature and
// translates the event (stripepay.Webhooks implements it for Stripe).
type WebhookVerifier interface {
	// VerifyWebhook checks signature over payload. ok is false for valid
	// events the storefront does not act on.
	VerifyWebhook(payload []byte, signature string) (ev storefront.PaymentEvent, ok bool, err error)
}

// Config configures the API.
type Config struct {
	// AdminToken is the bearer token of /api/v1/admin/…; empty disables the
	// admin API (403). Use at least 32 random characters.
	AdminToken string
	// TrustedOrigins are origins (scheme://host[:port]) other than the API's
	// own allowed to make cookie-authenticated state changes, e.g. a web shop
	// on another host. Default none.
	TrustedOrigins []string
	// ClientIPHeader names a header carrying the client's address, set by a
	// trusted proxy in front (CloudFront's "CloudFront-Viewer-Address",
	// "X-Real-IP"). Empty uses the connection's peer address. Only set it when
	// every request passes that proxy (the origin secret guarantees it), or
	// clients can choose their rate-limit bucket.
	ClientIPHeader string
	// StripeWebhooks verifies POST /api/v1/webhooks/stripe; nil answers 404.
	StripeWebhooks WebhookVerifier
	// Logger receives server-side errors. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	var errs []error
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		errs = append(errs, errors.New("httpapi: the admin token must be at least 16 characters"))
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range c.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("httpapi: trusted origin: %w", err))
		}
	}
	if strings.ContainsAny(c.ClientIPHeader, " :\r\n") {
		errs = append(errs, fmt.Errorf("httpapi: %q is not a header name", c.ClientIPHeader))
	}
	return errors.Join(errs...)
}

// API is the storefront's HTTP handler.
type API struct {
	svc      *storefront.Service
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	handler  http.Handler
	adminSum [32]byte
}

// New builds the API over svc.
func New(svc *storefront.Service, cfg Config) (*API, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &API{svc: svc, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if cfg.AdminToken != "" {
		a.adminSum = sha256.Sum256([]byte(cfg.AdminToken))
	}
	for _, rt := range a.routes() {
		a.mux.Handle(rt.method+" "+rt.path, a.endpoint(rt))
	}
	// Browsers' cross-origin state changes are refused before any handler
	// runs: Sec-Fetch-Site (or Origin against Host) must say same-origin or a
	// trusted origin. Webhooks come from servers with their own signatures.
	cop := http.NewCrossOriginProtection()
	for _, o := range cfg.TrustedOrigins {
		_ = cop.AddTrustedOrigin(o) // validated above
	}
	cop.AddInsecureBypassPattern("POST /api/v1/webhooks/stripe")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.problem(w, r, &storefront.Error{Code: storefront.CodeForbidden, Message: "Cross-origin request refused."})
	}))
	a.handler = cop.Handler(http.HandlerFunc(a.route))
	return a, nil
}

// ServeHTTP answers a request under /api/.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// The origin's fasthttp adaptor does not recover handler panics; one
		// bad request must not take the process down.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.log.Error("httpapi: panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
			a.problem(w, r, storefront.Errorf(storefront.CodeInternal, "Internal error."))
		}
	}()
	a.handler.ServeHTTP(w, r)
}

// route dispatches to the mux, answering unmatched requests with problems:
// 405 with Allow when another method matches the path, 404 otherwise.
func (a *API) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.mux.Handler(r); pattern != "" {
		a.mux.ServeHTTP(w, r)
		return
	}
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		if contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		a.problem(w, r, &storefront.Error{Code: codeMethodNotAllowed, Message: "This route accepts " + strings.Join(allow, ", ") + "."})
		return
	}
	a.problem(w, r, storefront.Errorf(storefront.CodeNotFound, "No such route."))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isAdmin checks the bearer token in constant time (over hashes, so the
// token's length does not leak either).
func (a *API) isAdmin(r *http.Request) error {
	if a.cfg.AdminToken == "" {
		return storefront.Errorf(storefront.CodeForbidden, "The admin API is disabled.")
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	if !ok || subtle.ConstantTimeCompare(sum[:], a.adminSum[:]) != 1 {
		return &storefront.Error{Code: storefront.CodeUnauthenticated, Message: "A valid admin bearer token is required."}
	}
	return nil
}
