package storefront

import (
	"context"
	"time"
)

// PaymentStatus is where a payment stands with its provider.
type PaymentStatus string

const (
	// PaymentPending: recorded with the order, not yet created at the provider
	// (or the provider call failed and a retry will create it).
	PaymentPending PaymentStatus = "pending"
	// PaymentRequiresAction: created at the provider, waiting for the
	// customer (Stripe's requires_payment_method / requires_action).
	PaymentRequiresAction PaymentStatus = "requires_action"
	PaymentSucceeded      PaymentStatus = "succeeded"
	PaymentFailed         PaymentStatus = "failed"
	PaymentCancelled      PaymentStatus = "cancelled"
	// PaymentRefundPending: the order is refunded or cancelled after payment
	// and the provider refund has not been confirmed yet.
	PaymentRefundPending PaymentStatus = "refund_pending"
	PaymentRefunded      PaymentStatus = "refunded"
)

// Payment is the record of an order's payment.
type Payment struct {
	ID          string        `json:"id"`
	OrderID     string        `json:"order_id"`
	Provider    string        `json:"provider"`
	ProviderRef string        `json:"provider_ref,omitempty"`
	Status      PaymentStatus `json:"status"`
	Amount      int64         `json:"amount"`
	Currency    string        `json:"currency"`
	// ClientSecret lets the browser confirm a Stripe PaymentIntent; it is only
	// shown to the order's customer.
	ClientSecret string    `json:"client_secret,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// PaymentRequest asks a provider to collect an order's total.
type PaymentRequest struct {
	PaymentID  string
	OrderID    string
	CustomerID string
	Amount     int64
	Currency   string
	// IdempotencyKey makes the provider call safe to repeat: a retry after a
	// lost response returns the first attempt's payment instead of a second
	// charge.
	IdempotencyKey string
}

// PaymentResult is what a provider answered.
type PaymentResult struct {
	Ref          string
	Status       PaymentStatus
	ClientSecret string
}

// PaymentProvider collects and returns money. Every method must be idempotent
// for one idempotency key, because the service repeats calls whose outcome it
// did not learn.
type PaymentProvider interface {
	// Name is stored with each payment ("offline", "stripe").
	Name() string
	Create(ctx context.Context, req PaymentRequest) (PaymentResult, error)
	// Cancel voids a payment that has not succeeded.
	Cancel(ctx context.Context, ref, idempotencyKey string) error
	// Refund returns a succeeded payment's amount in full.
	Refund(ctx context.Context, ref string, amount int64, idempotencyKey string) error
}

// OfflinePayments is the provider of the embedded default: payment is taken
// outside Strata (on delivery, by invoice), so a payment succeeds at once and
// cancels and refunds only change records. Its refs derive from the payment
// id, so repeated calls agree.
type OfflinePayments struct{}

func (OfflinePayments) Name() string { return "offline" }

func (OfflinePayments) Create(_ context.Context, req PaymentRequest) (PaymentResult, error) {
	return PaymentResult{Ref: "offline_" + req.PaymentID, Status: PaymentSucceeded}, nil
}

func (OfflinePayments) Cancel(context.Context, string, string) error { return nil }

func (OfflinePayments) Refund(context.Context, string, int64, string) error { return nil }
