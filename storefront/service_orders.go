package storefront

import (
	"context"
	"errors"
	"time"
)

// Orders pages through the session customer's orders, newest first.
func (s *Service) Orders(ctx context.Context, sess *Session, cursor string, limit int) (OrderPage, error) {
	if sess == nil || sess.CustomerID == "" {
		return OrderPage{}, Errorf(CodeUnauthenticated, "Log in first.")
	}
	if limit == 0 {
		limit = 20
	}
	if limit < 1 || limit > 100 {
		return OrderPage{}, &Error{Code: CodeInvalid, Message: "The request has invalid fields.", Fields: []FieldError{{Field: "limit", Message: "must be 1-100"}}}
	}
	if len(cursor) > 512 {
		return OrderPage{}, &Error{Code: CodeInvalid, Message: "The request has invalid fields.", Fields: []FieldError{{Field: "cursor", Message: "is not a cursor"}}}
	}
	page, err := s.stores.Orders.CustomerOrders(ctx, sess.CustomerID, cursor, limit)
	if err != nil {
		return OrderPage{}, storeErr(err)
	}
	if page.Orders == nil {
		page.Orders = []Order{}
	}
	for i := range page.Orders {
		hideSecret(&page.Orders[i])
	}
	return page, nil
}

// hideSecret drops a payment's client secret from orders no longer waiting
// for the customer to pay.
func hideSecret(o *Order) {
	if o.Payment != nil && (o.Status != OrderPending || o.Payment.Status == PaymentSucceeded) {
		o.Payment.ClientSecret = ""
	}
}

// Order returns one of the session customer's orders. Another customer's
// order is "not found", so ids can't be probed.
func (s *Service) Order(ctx context.Context, sess *Session, id string) (*Order, error) {
	if sess == nil || sess.CustomerID == "" {
		return nil, Errorf(CodeUnauthenticated, "Log in first.")
	}
	if !ValidID("ord", id) {
		return nil, Errorf(CodeNotFound, "No such order.")
	}
	o, err := s.loadOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	if o.CustomerID != sess.CustomerID {
		return nil, Errorf(CodeNotFound, "No such order.")
	}
	hideSecret(o)
	return o, nil
}

// AdminOrder returns any order.
func (s *Service) AdminOrder(ctx context.Context, id string) (*Order, error) {
	if !ValidID("ord", id) {
		return nil, Errorf(CodeNotFound, "No such order.")
	}
	return s.loadOrder(ctx, id)
}

func invalidTransition(from, to OrderStatus) error {
	return Errorf(CodeInvalidTransition, "A %s order can't become %s.", from, to)
}

// CancelOrder cancels one of the customer's pending orders: the payment is
// voided at the provider first (if the customer paid meanwhile the provider
// refuses, and the order stays to be paid), then the order is cancelled and
// its stock returned in one transaction.
func (s *Service) CancelOrder(ctx context.Context, sess *Session, id string) (*Order, error) {
	o, err := s.Order(ctx, sess, id)
	if err != nil {
		return nil, err
	}
	return s.cancel(ctx, o)
}

// AdminCancelOrder cancels any pending order (an abandoned one, say).
func (s *Service) AdminCancelOrder(ctx context.Context, id string) (*Order, error) {
	o, err := s.AdminOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.cancel(ctx, o)
}

// CancelStaleOrders cancels orders left pending longer than age — checkouts
// whose customer never paid — so their stock returns to sale. It returns how
// many it cancelled; orders paid meanwhile are skipped.
func (s *Service) CancelStaleOrders(ctx context.Context, age time.Duration) (int, error) {
	ids, err := s.stores.Orders.StalePendingOrders(ctx, s.now().UTC().Add(-age), 100)
	if err != nil {
		return 0, storeErr(err)
	}
	n := 0
	for _, id := range ids {
		o, err := s.loadOrder(ctx, id)
		if err == nil {
			_, err = s.cancel(ctx, o)
		}
		switch {
		case err == nil:
			n++
		case ErrorCode(err) == CodeInvalidTransition || ErrorCode(err) == CodeConflict || ErrorCode(err) == CodeNotFound:
			// Paid or cancelled meanwhile.
		default:
			return n, err
		}
	}
	return n, nil
}

func (s *Service) cancel(ctx context.Context, o *Order) (*Order, error) {
	if !o.Status.CanTransition(OrderCancelled) {
		return nil, invalidTransition(o.Status, OrderCancelled)
	}
	if p := o.Payment; p != nil && p.ProviderRef != "" && p.Status != PaymentSucceeded {
		if err := s.payments.Cancel(ctx, p.ProviderRef, "strata-cancel-"+p.ID); err != nil {
			s.log.Warn("storefront: payment not cancelled", "order", o.ID, "err", err)
			return nil, Wrap(CodeUnavailable, err, "The payment could not be cancelled; retry shortly.")
		}
	}
	t := Transition{OrderID: o.ID, From: o.Status, To: OrderCancelled, ReturnStock: o.Status.ReturnsStock(OrderCancelled), At: s.now().UTC()}
	if o.Payment != nil {
		t.Payment = &PaymentUpdate{PaymentID: o.Payment.ID, Status: PaymentCancelled, At: t.At}
	}
	got, err := s.transition(ctx, t)
	if err != nil {
		return nil, err
	}
	hideSecret(got)
	return got, nil
}

func (s *Service) transition(ctx context.Context, t Transition) (*Order, error) {
	got, err := s.stores.Orders.TransitionOrder(ctx, t)
	switch {
	case errors.Is(err, ErrConflict):
		return nil, Errorf(CodeConflict, "The order changed meanwhile; reload it.")
	case errors.Is(err, ErrNotFound):
		return nil, Errorf(CodeNotFound, "No such order.")
	case err != nil:
		return nil, storeErr(err)
	}
	return got, nil
}

// FulfillOrder marks a paid order as shipped.
func (s *Service) FulfillOrder(ctx context.Context, id string) (*Order, error) {
	o, err := s.AdminOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	if !o.Status.CanTransition(OrderFulfilled) {
		return nil, invalidTransition(o.Status, OrderFulfilled)
	}
	return s.transition(ctx, Transition{OrderID: id, From: o.Status, To: OrderFulfilled, At: s.now().UTC()})
}

// RefundOrder refunds a paid or fulfilled order. The transition comes first
// (with the payment marked refund_pending), so two admins can't refund twice;
// then the provider refunds, keyed by the payment id. When the provider fails,
// calling RefundOrder again retries the provider only.
func (s *Service) RefundOrder(ctx context.Context, id string) (*Order, error) {
	o, err := s.AdminOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case o.Status == OrderRefunded && o.Payment != nil && o.Payment.Status == PaymentRefundPending:
		// A previous refund reached the database but not the provider.
	case o.Status.CanTransition(OrderRefunded):
		t := Transition{OrderID: id, From: o.Status, To: OrderRefunded, ReturnStock: o.Status.ReturnsStock(OrderRefunded), At: s.now().UTC()}
		if o.Payment != nil {
			t.Payment = &PaymentUpdate{PaymentID: o.Payment.ID, Status: PaymentRefundPending, At: t.At}
		}
		if o, err = s.transition(ctx, t); err != nil {
			return nil, err
		}
	default:
		return nil, invalidTransition(o.Status, OrderRefunded)
	}
	return s.refundPayment(ctx, o)
}

func (s *Service) refundPayment(ctx context.Context, o *Order) (*Order, error) {
	p := o.Payment
	if p == nil {
		return o, nil
	}
	if p.ProviderRef != "" {
		if err := s.payments.Refund(ctx, p.ProviderRef, p.Amount, "strata-refund-"+p.ID); err != nil {
			s.log.Warn("storefront: refund failed at the provider", "order", o.ID, "err", err)
			return nil, Wrap(CodeUnavailable, err, "The order is refunded but the payment provider did not confirm; retry the refund.")
		}
	}
	if err := s.stores.Orders.UpdatePayment(ctx, PaymentUpdate{PaymentID: p.ID, Status: PaymentRefunded, At: s.now().UTC()}); err != nil {
		return nil, storeErr(err)
	}
	return s.loadOrder(ctx, o.ID)
}

// PaymentEvent is a provider's notification about a payment, verified by the
// provider package (e.g. a Stripe webhook signature).
type PaymentEvent struct {
	Provider string
	// Type is one of the PaymentStatus values the event reports:
	// succeeded, failed, cancelled or refunded.
	Type PaymentStatus
	// PaymentID is Strata's payment id, which the provider carries back
	// (Stripe: the PaymentIntent's metadata).
	PaymentID   string
	ProviderRef string
}

// HandlePaymentEvent applies a provider's notification. Every branch checks
// the stored state first, so a redelivered event changes nothing.
func (s *Service) HandlePaymentEvent(ctx context.Context, ev PaymentEvent) error {
	p, err := s.stores.Orders.Payment(ctx, ev.PaymentID)
	if errors.Is(err, ErrNotFound) {
		return Errorf(CodeNotFound, "No such payment.")
	}
	if err != nil {
		return storeErr(err)
	}
	if p.Provider != ev.Provider || (p.ProviderRef != "" && p.ProviderRef != ev.ProviderRef) {
		return Errorf(CodeNotFound, "No such payment.")
	}
	o, err := s.loadOrder(ctx, p.OrderID)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	upd := PaymentUpdate{PaymentID: p.ID, Ref: ev.ProviderRef, Status: ev.Type, At: now}
	switch ev.Type {
	case PaymentSucceeded:
		switch o.Status {
		case OrderPending:
			_, err := s.stores.Orders.TransitionOrder(ctx, Transition{OrderID: o.ID, From: OrderPending, To: OrderPaid, Payment: &upd, At: now})
			if errors.Is(err, ErrConflict) {
				return s.HandlePaymentEvent(ctx, ev) // moved meanwhile; judge again
			}
			return storeErr(err)
		case OrderCancelled:
			// Paid after the order was cancelled (the customer's browser
			// confirmed before the cancel reached the provider): give the
			// money back.
			s.log.Warn("storefront: payment succeeded on a cancelled order; refunding", "order", o.ID)
			if p.Status == PaymentRefunded {
				return nil
			}
			if err := s.payments.Refund(ctx, ev.ProviderRef, p.Amount, "strata-refund-"+p.ID); err != nil {
				return Wrap(CodeUnavailable, err, "Refund failed; redeliver.")
			}
			upd.Status = PaymentRefunded
			return storeErr(s.stores.Orders.UpdatePayment(ctx, upd))
		}
		return nil
	case PaymentFailed:
		if p.Status == PaymentPending || p.Status == PaymentRequiresAction {
			return storeErr(s.stores.Orders.UpdatePayment(ctx, upd))
		}
		return nil
	case PaymentCancelled:
		if o.Status == OrderPending {
			_, err := s.stores.Orders.TransitionOrder(ctx, Transition{OrderID: o.ID, From: OrderPending, To: OrderCancelled, ReturnStock: true, Payment: &upd, At: now})
			if errors.Is(err, ErrConflict) {
				return s.HandlePaymentEvent(ctx, ev)
			}
			return storeErr(err)
		}
		return nil
	case PaymentRefunded:
		if p.Status != PaymentRefunded {
			return storeErr(s.stores.Orders.UpdatePayment(ctx, upd))
		}
		return nil
	}
	return nil
}
