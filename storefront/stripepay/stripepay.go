// Package stripepay is the Stripe payment provider of the storefront
// (stripe-go, PaymentIntents) and the verifier of Stripe's webhooks.
//
// Checkout creates a PaymentIntent whose client secret the browser confirms
// with Stripe.js; the order becomes paid when Stripe's
// payment_intent.succeeded webhook arrives. Every call carries an idempotency
// key derived from Strata's payment id, so a retry after a lost answer finds
// the same PaymentIntent instead of charging twice.
package stripepay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/strata3d/strata/storefront"
)

// Config configures the provider.
type Config struct {
	// SecretKey is the Stripe API key (sk_live_… or sk_test_…). Required.
	SecretKey string
	// Endpoint overrides Stripe's API URL (stripe-mock in tests). Default ""
	// (https://api.stripe.com).
	Endpoint string
	// Timeout bounds one API call. Default 20 s.
	Timeout time.Duration
	// MaxNetworkRetries is how often stripe-go retries a call that failed on
	// the network (safe: every call has an idempotency key). Default 2.
	MaxNetworkRetries int64
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	var errs []error
	if c.SecretKey == "" {
		errs = append(errs, errors.New("stripepay: a secret key is required"))
	} else if !strings.HasPrefix(c.SecretKey, "sk_") && !strings.HasPrefix(c.SecretKey, "rk_") {
		errs = append(errs, errors.New("stripepay: the secret key must start with sk_ or rk_"))
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("stripepay: endpoint %q must be an http(s) URL", c.Endpoint))
		}
	}
	if c.Timeout < 0 || c.MaxNetworkRetries < 0 {
		errs = append(errs, errors.New("stripepay: timeout and retries must not be negative"))
	}
	return errors.Join(errs...)
}

// Provider implements storefront.PaymentProvider with Stripe.
type Provider struct {
	sc *stripe.Client
}

var _ storefront.PaymentProvider = (*Provider)(nil)

// New builds a provider.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 20 * time.Second
	}
	if cfg.MaxNetworkRetries == 0 {
		cfg.MaxNetworkRetries = 2
	}
	bc := &stripe.BackendConfig{
		HTTPClient:        &http.Client{Timeout: cfg.Timeout},
		MaxNetworkRetries: stripe.Int64(cfg.MaxNetworkRetries),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull}, // errors are returned, and logged by the service
	}
	if cfg.Endpoint != "" {
		bc.URL = stripe.String(cfg.Endpoint)
	}
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, bc)
	sc := stripe.NewClient(cfg.SecretKey, stripe.WithBackends(&stripe.Backends{API: backend, Connect: backend, Uploads: backend, MeterEvents: backend}))
	return &Provider{sc: sc}, nil
}

// Name is "stripe".
func (p *Provider) Name() string { return "stripe" }

func status(s stripe.PaymentIntentStatus) storefront.PaymentStatus {
	switch s {
	case stripe.PaymentIntentStatusSucceeded:
		return storefront.PaymentSucceeded
	case stripe.PaymentIntentStatusCanceled:
		return storefront.PaymentCancelled
	}
	// requires_payment_method, requires_confirmation, requires_action,
	// processing, requires_capture: the customer or Stripe still has to act.
	return storefront.PaymentRequiresAction
}

// Create creates a PaymentIntent for the order, with Strata's ids in its
// metadata so webhooks can be matched to payments.
func (p *Provider) Create(ctx context.Context, req storefront.PaymentRequest) (storefront.PaymentResult, error) {
	params := &stripe.PaymentIntentCreateParams{
		Amount:                  stripe.Int64(req.Amount),
		Currency:                stripe.String(strings.ToLower(req.Currency)),
		AutomaticPaymentMethods: &stripe.PaymentIntentCreateAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)},
		Description:             stripe.String("Strata order " + req.OrderID),
	}
	params.Context = ctx
	params.AddMetadata("payment_id", req.PaymentID)
	params.AddMetadata("order_id", req.OrderID)
	params.AddMetadata("customer_id", req.CustomerID)
	params.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := p.sc.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return storefront.PaymentResult{}, fmt.Errorf("stripepay: create PaymentIntent: %w", err)
	}
	return storefront.PaymentResult{Ref: pi.ID, Status: status(pi.Status), ClientSecret: pi.ClientSecret}, nil
}

// Cancel cancels a PaymentIntent that has not succeeded; Stripe refuses once
// it has, which keeps an order the customer paid meanwhile from being
// cancelled.
func (p *Provider) Cancel(ctx context.Context, ref, idempotencyKey string) error {
	params := &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String("requested_by_customer")}
	params.Context = ctx
	params.SetIdempotencyKey(idempotencyKey)
	if _, err := p.sc.V1PaymentIntents.Cancel(ctx, ref, params); err != nil {
		return fmt.Errorf("stripepay: cancel PaymentIntent: %w", err)
	}
	return nil
}

// Refund refunds a PaymentIntent's amount.
func (p *Provider) Refund(ctx context.Context, ref string, amount int64, idempotencyKey string) error {
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(ref), Amount: stripe.Int64(amount)}
	params.Context = ctx
	params.SetIdempotencyKey(idempotencyKey)
	if _, err := p.sc.V1Refunds.Create(ctx, params); err != nil {
		return fmt.Errorf("stripepay: refund: %w", err)
	}
	return nil
}

// Webhooks verifies Stripe webhook signatures (httpapi.WebhookVerifier).
type Webhooks struct {
	// Secret is the endpoint's signing secret (whsec_…).
	Secret string
	// Tolerance is how old a signature may be; older ones are refused as
	// replays. Default 5 minutes (Stripe's recommendation).
	Tolerance time.Duration
}

// VerifyWebhook checks the Stripe-Signature header over payload with
// stripe-go's webhook package and translates PaymentIntent events. Events of
// other types, and PaymentIntents without Strata's metadata (created outside
// Strata on the same account), are valid but not acted on.
func (w Webhooks) VerifyWebhook(payload []byte, signature string) (storefront.PaymentEvent, bool, error) {
	if w.Secret == "" {
		return storefront.PaymentEvent{}, false, errors.New("stripepay: no webhook secret configured")
	}
	tol := w.Tolerance
	if tol == 0 {
		tol = webhook.DefaultTolerance
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signature, w.Secret, webhook.ConstructEventOptions{
		Tolerance: tol,
		// The event's shape is read below field by field; an account on a
		// newer API version must not be locked out of its own webhooks.
		IgnoreAPIVersionMismatch: true,
	})
	if err != nil {
		return storefront.PaymentEvent{}, false, err
	}
	var typ storefront.PaymentStatus
	switch ev.Type {
	case "payment_intent.succeeded":
		typ = storefront.PaymentSucceeded
	case "payment_intent.payment_failed":
		typ = storefront.PaymentFailed
	case "payment_intent.canceled":
		typ = storefront.PaymentCancelled
	default:
		return storefront.PaymentEvent{}, false, nil
	}
	if ev.Data == nil {
		return storefront.PaymentEvent{}, false, errors.New("stripepay: event without data")
	}
	var pi struct {
		ID       string            `json:"id"`
		Object   string            `json:"object"`
		Metadata map[string]string `json:"metadata"`
	}
	if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil || pi.Object != "payment_intent" || pi.ID == "" {
		return storefront.PaymentEvent{}, false, errors.New("stripepay: event data is not a PaymentIntent")
	}
	id := pi.Metadata["payment_id"]
	if id == "" {
		return storefront.PaymentEvent{}, false, nil
	}
	return storefront.PaymentEvent{Provider: "stripe", Type: typ, PaymentID: id, ProviderRef: pi.ID}, true, nil
}
