package storefront

import (
	"context"
	"time"
)

// The stores below are split by concern because the production deployment
// splits them across databases: products, sessions and carts (key-value,
// read-heavy, per-item writes) in DynamoDB; customers, stock, orders, payments
// and idempotency keys (which must change together in one transaction) in
// PostgreSQL. The embedded default implements all of them in one SQLite file.
//
// Every store returns errors matching ErrNotFound and ErrConflict (errors.Is)
// for those cases; any other error is a store failure.

// ProductStore keeps the catalog. Products' variant stock is not its business
// (see InventoryStore); it ignores Variant.Stock on writes and reads it as 0.
type ProductStore interface {
	// CreateProduct stores a new product with Version 1. ErrConflict when the
	// id, the slug or one of the SKUs is taken.
	CreateProduct(ctx context.Context, p *Product) error
	// UpdateProduct replaces a product if p.Version is the stored version,
	// then increments p.Version. ErrNotFound when the product is gone,
	// ErrConflict when the version moved or the new slug or a new SKU is taken.
	UpdateProduct(ctx context.Context, p *Product) error
	// DeleteProduct removes a product and frees its slug and SKUs.
	DeleteProduct(ctx context.Context, id string) error
	Product(ctx context.Context, id string) (*Product, error)
	ProductBySlug(ctx context.Context, slug string) (*Product, error)
	ProductBySKU(ctx context.Context, sku string) (*Product, error)
	// ListProducts returns a page of products matching q (normalized and
	// valid), ordered by q.Sort then by id. A cursor the store can't read is a
	// CodeInvalid error.
	ListProducts(ctx context.Context, q ProductQuery) (ProductPage, error)
}

// SessionStore keeps sessions by id (the hash of the cookie token). It does
// not judge expiry — the service does, on every read — but it may drop
// sessions after ExpiresAt (DynamoDB's TTL, SQLite's sweep).
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, id string) (*Session, error)
	// TouchSession records activity; ErrNotFound when the session is gone.
	TouchSession(ctx context.Context, id string, lastSeen, expiresAt time.Time) error
	// DeleteSession removes a session; removing a missing one is not an error.
	DeleteSession(ctx context.Context, id string) error
}

// CartStore keeps carts with optimistic locking.
type CartStore interface {
	Cart(ctx context.Context, id string) (*Cart, error)
	// SaveCart creates the cart when c.Version is 0 (ErrConflict if it
	// exists) or replaces it when c.Version is the stored version
	// (ErrConflict otherwise); on success c.Version is incremented.
	SaveCart(ctx context.Context, c *Cart) error
	DeleteCart(ctx context.Context, id string) error
}

// CustomerStore keeps accounts.
type CustomerStore interface {
	// CreateCustomer stores a new account; ErrConflict when the email is taken.
	CreateCustomer(ctx context.Context, c *Customer) error
	Customer(ctx context.Context, id string) (*Customer, error)
	// CustomerByEmail finds an account by its normalized email.
	CustomerByEmail(ctx context.Context, email string) (*Customer, error)
	SetPasswordHash(ctx context.Context, id, hash string) error
}

// InventoryStore keeps the stock of each SKU. Checkouts decrement it inside
// OrderStore.PlaceOrder, in the order's transaction, so both stores live in
// the same database.
type InventoryStore interface {
	// SetStock sets the quantity on hand of sku (an admin's count).
	SetStock(ctx context.Context, sku string, quantity int) error
	// Stock returns the quantity of each known SKU; unknown SKUs are absent.
	Stock(ctx context.Context, skus []string) (map[string]int, error)
}

// OrderStore keeps orders, their payments and checkout idempotency keys.
type OrderStore interface {
	// ClaimIdempotencyKey records that a checkout with (customer, key) has
	// started, or reports what became of an earlier one.
	ClaimIdempotencyKey(ctx context.Context, c IdempotencyClaim) (IdempotencyResult, error)
	// ReleaseIdempotencyKey forgets a claim whose checkout failed before
	// placing an order, so a retry runs again. Only the claim's own token
	// releases it.
	ReleaseIdempotencyKey(ctx context.Context, customerID, key, token string) error
	// PlaceOrder, in one transaction: decrements the stock of every line
	// (failing with an ErrOutOfStock *Error listing the shortages when any
	// line can't be filled), stores the order, its lines and its payment, and
	// completes the idempotency claim (ErrConflict if the claim was taken
	// over). Nothing is written unless everything is.
	PlaceOrder(ctx context.Context, o *Order, claim IdempotencyClaim) error
	// Order returns an order with its lines and payment.
	Order(ctx context.Context, id string) (*Order, error)
	// CustomerOrders pages through a customer's orders, newest first.
	CustomerOrders(ctx context.Context, customerID, cursor string, limit int) (OrderPage, error)
	// TransitionOrder moves an order from t.From to t.To, in one transaction
	// with returning stock (t.ReturnStock) and updating the payment
	// (t.Payment). ErrConflict when the order is not in t.From.
	TransitionOrder(ctx context.Context, t Transition) (*Order, error)
	// UpdatePayment records what a provider said about a payment.
	UpdatePayment(ctx context.Context, u PaymentUpdate) error
	Payment(ctx context.Context, id string) (*Payment, error)
	// StalePendingOrders lists up to limit ids of orders still pending that
	// were created before before, oldest first.
	StalePendingOrders(ctx context.Context, before time.Time, limit int) ([]string, error)
}

// IdempotencyClaim identifies one checkout attempt under an Idempotency-Key.
type IdempotencyClaim struct {
	CustomerID string
	Key        string
	// RequestHash is the SHA-256 of the canonical request; the same key with
	// another hash is a different request.
	RequestHash []byte
	// Token identifies this attempt; only it may complete or release the claim.
	Token string
	Now   time.Time
	// LeaseUntil is when an unfinished claim may be taken over by a retry
	// (its holder crashed or lost its database connection).
	LeaseUntil time.Time
}

// IdempotencyOutcome says what ClaimIdempotencyKey found.
type IdempotencyOutcome int

const (
	// IdempotencyClaimed: the caller holds the key and runs the checkout.
	IdempotencyClaimed IdempotencyOutcome = iota
	// IdempotencyReplay: an earlier request with the same body placed OrderID.
	IdempotencyReplay
	// IdempotencyInFlight: an earlier request with the same body is running.
	IdempotencyInFlight
	// IdempotencyMismatch: the key was used with another body.
	IdempotencyMismatch
)

// IdempotencyResult is the outcome of a claim.
type IdempotencyResult struct {
	Outcome IdempotencyOutcome
	OrderID string
}

// Transition is one step of the order state machine.
type Transition struct {
	OrderID     string
	From, To    OrderStatus
	ReturnStock bool
	// Payment, when set, updates the order's payment in the same transaction.
	Payment *PaymentUpdate
	At      time.Time
}

// PaymentUpdate sets a payment's provider data. Empty Ref and ClientSecret
// leave the stored values.
type PaymentUpdate struct {
	PaymentID    string
	Ref          string
	Status       PaymentStatus
	ClientSecret string
	At           time.Time
}

// Stores bundles one implementation of each store.
type Stores struct {
	Products  ProductStore
	Sessions  SessionStore
	Carts     CartStore
	Customers CustomerStore
	Inventory InventoryStore
	Orders    OrderStore
}

func (s Stores) validate() error {
	if s.Products == nil || s.Sessions == nil || s.Carts == nil || s.Customers == nil || s.Inventory == nil || s.Orders == nil {
		return Errorf(CodeInternal, "storefront: every store is required")
	}
	return nil
}

// UnixNanos is t as Unix nanoseconds, for stores that keep times as
// integers; 0 stands for the zero time.
func UnixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// FromUnixNanos is the time UnixNanos stored.
func FromUnixNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
