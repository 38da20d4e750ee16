package storefront

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sort"
	"time"
)

// ValidIdempotencyKey reports whether k can be an Idempotency-Key: 1-255
// visible ASCII characters (UUIDs and ULIDs fit easily).
func ValidIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Checkout turns the session's cart into an order. key is the request's
// Idempotency-Key: the same key with the same request returns the order the
// first request placed (replayed = true) without charging again; with another
// request it is refused (CodeIdempotencyReused); while the first request runs,
// others are refused (CodeIdempotencyPending).
//
// Steps: claim the key; price the cart from the catalog; in one transaction
// decrement stock, store the order and its payment and complete the claim;
// then create the payment at the provider (idempotent on the payment id, so a
// retry after a lost answer finds the same payment).
func (s *Service) Checkout(ctx context.Context, sess *Session, key string, req CheckoutRequest) (o *Order, replayed bool, err error) {
	if sess == nil || sess.CustomerID == "" {
		return nil, false, Errorf(CodeUnauthenticated, "Log in to check out.")
	}
	if !ValidIdempotencyKey(key) {
		return nil, false, &Error{Code: CodeMalformed, Message: "An Idempotency-Key header of 1-255 visible ASCII characters is required.",
			Fields: []FieldError{{Field: "Idempotency-Key", Message: "is required"}}}
	}
	req.Normalize()
	if err := req.Validate(); err != nil {
		return nil, false, err
	}
	canonical, err := json.Marshal(req)
	if err != nil {
		return nil, false, Wrap(CodeInternal, err, "Internal error.")
	}
	hash := sha256.Sum256(canonical)
	now := s.now().UTC()
	claim := IdempotencyClaim{
		CustomerID: sess.CustomerID, Key: key, RequestHash: hash[:], Token: NewID("clm"),
		Now: now, LeaseUntil: now.Add(s.cfg.IdempotencyLease),
	}
	res, err := s.stores.Orders.ClaimIdempotencyKey(ctx, claim)
	if err != nil {
		return nil, false, storeErr(err)
	}
	switch res.Outcome {
	case IdempotencyReplay:
		o, err := s.loadOrder(ctx, res.OrderID)
		if err != nil {
			return nil, false, err
		}
		o, err = s.ensurePayment(ctx, o)
		return o, true, err
	case IdempotencyMismatch:
		return nil, false, Errorf(CodeIdempotencyReused, "This Idempotency-Key was used with a different request.")
	case IdempotencyInFlight:
		return nil, false, &Error{Code: CodeIdempotencyPending, Message: "A request with this Idempotency-Key is in progress; retry shortly.", RetryAfter: time.Second}
	}

	o, err = s.placeOrder(ctx, sess, req, claim)
	if err != nil {
		// Nothing was placed, so the key is freed for a retry. If even this
		// fails (the database is gone), the lease frees it later.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if rerr := s.stores.Orders.ReleaseIdempotencyKey(rctx, claim.CustomerID, claim.Key, claim.Token); rerr != nil {
			s.log.Warn("storefront: idempotency key not released", "err", rerr)
		}
		cancel()
		return nil, false, err
	}
	// The order holds the lines now; a cart left behind by a failure here
	// only costs the customer a click.
	if err := s.stores.Carts.DeleteCart(ctx, CustomerCartID(sess.CustomerID)); err != nil {
		s.log.Warn("storefront: cart not cleared after checkout", "order", o.ID, "err", err)
	}
	o, err = s.ensurePayment(ctx, o)
	return o, false, err
}

func (s *Service) placeOrder(ctx context.Context, sess *Session, req CheckoutRequest, claim IdempotencyClaim) (*Order, error) {
	cart, err := s.loadCart(ctx, CustomerCartID(sess.CustomerID))
	if err != nil {
		return nil, err
	}
	if len(cart.Lines) == 0 {
		return nil, Errorf(CodeInvalid, "The cart is empty.")
	}
	priced, err := s.price(ctx, cart)
	if err != nil {
		return nil, err
	}
	// Stock shortages are left to the transaction, which is the only place
	// that can judge them race-free; anything else wrong with the cart stops
	// the checkout here.
	var problems []FieldError
	for _, p := range priced.Problems {
		if !isStockProblem(priced, p) {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 || len(priced.Lines) == 0 {
		return nil, &Error{Code: CodeInvalid, Message: "The cart holds items that can't be bought; review it.", Fields: problems}
	}
	now := s.now().UTC()
	o := &Order{
		ID: NewID("ord"), CustomerID: sess.CustomerID, Status: OrderPending, Currency: priced.Currency,
		Subtotal: priced.Subtotal, Total: priced.Total, Shipping: req.Shipping, CreatedAt: now, UpdatedAt: now,
	}
	for _, l := range priced.Lines {
		o.Lines = append(o.Lines, OrderLine{SKU: l.SKU, ProductID: l.ProductID, Title: l.Title, Options: l.Options,
			UnitPrice: l.UnitPrice, Quantity: l.Quantity, LineTotal: l.LineTotal})
	}
	// Stores decrement stock in line order; sorting by SKU gives every
	// transaction the same lock order, so two checkouts can't deadlock.
	sort.Slice(o.Lines, func(i, j int) bool { return o.Lines[i].SKU < o.Lines[j].SKU })
	o.Payment = &Payment{ID: NewID("pay"), OrderID: o.ID, Provider: s.payments.Name(), Status: PaymentPending,
		Amount: o.Total, Currency: o.Currency, CreatedAt: now, UpdatedAt: now}
	if err := s.stores.Orders.PlaceOrder(ctx, o, claim); err != nil {
		switch {
		case errors.Is(err, ErrOutOfStock):
			return nil, err
		case errors.Is(err, ErrConflict):
			return nil, &Error{Code: CodeIdempotencyPending, Message: "A request with this Idempotency-Key is in progress; retry shortly.", RetryAfter: time.Second}
		}
		return nil, storeErr(err)
	}
	return o, nil
}

func isStockProblem(c PricedCart, p FieldError) bool {
	for _, l := range c.Lines {
		if l.SKU == p.Field {
			return true
		}
	}
	return false
}

// ensurePayment creates an order's payment at the provider if that has not
// happened yet, and records the answer. A provider failure leaves the order
// pending: the error says to retry, and a retry with the same
// Idempotency-Key lands here again.
func (s *Service) ensurePayment(ctx context.Context, o *Order) (*Order, error) {
	p := o.Payment
	if o.Status != OrderPending || p == nil || p.Status != PaymentPending {
		return o, nil
	}
	res, err := s.payments.Create(ctx, PaymentRequest{
		PaymentID: p.ID, OrderID: o.ID, CustomerID: o.CustomerID, Amount: p.Amount, Currency: p.Currency,
		IdempotencyKey: "strata-create-" + p.ID,
	})
	if err != nil {
		s.log.Warn("storefront: payment provider failed", "order", o.ID, "err", err)
		return nil, &Error{Code: CodeUnavailable, RetryAfter: 2 * time.Second, cause: err,
			Message: "The order is placed but the payment provider did not answer; retry with the same Idempotency-Key."}
	}
	upd := PaymentUpdate{PaymentID: p.ID, Ref: res.Ref, Status: res.Status, ClientSecret: res.ClientSecret, At: s.now().UTC()}
	if res.Status == PaymentSucceeded {
		got, err := s.stores.Orders.TransitionOrder(ctx, Transition{OrderID: o.ID, From: OrderPending, To: OrderPaid, Payment: &upd, At: upd.At})
		if err == nil {
			return got, nil
		}
		if !errors.Is(err, ErrConflict) {
			return nil, storeErr(err)
		}
		// Moved meanwhile (a webhook was faster): the stored state is right.
	} else if err := s.stores.Orders.UpdatePayment(ctx, upd); err != nil {
		return nil, storeErr(err)
	}
	return s.loadOrder(ctx, o.ID)
}

func (s *Service) loadOrder(ctx context.Context, id string) (*Order, error) {
	o, err := s.stores.Orders.Order(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "No such order.")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return o, nil
}
