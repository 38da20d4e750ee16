package storefront

import (
	"strings"
	"time"
	"unicode/utf8"
)

// OrderStatus is a state of the order state machine:
//
//	pending ──► paid ──► fulfilled
//	   │          │          │
//	   ▼          ▼          │
//	cancelled  refunded ◄────┘
//
// Stock returns to the inventory whenever an order that has not shipped ends
// (cancelled, or refunded from paid); a refund after fulfilment leaves stock
// as it is, because the goods left the warehouse.
type OrderStatus string

const (
	OrderPending   OrderStatus = "pending"
	OrderPaid      OrderStatus = "paid"
	OrderFulfilled OrderStatus = "fulfilled"
	OrderCancelled OrderStatus = "cancelled"
	OrderRefunded  OrderStatus = "refunded"
)

var transitions = map[OrderStatus][]OrderStatus{
	OrderPending:   {OrderPaid, OrderCancelled},
	OrderPaid:      {OrderFulfilled, OrderRefunded},
	OrderFulfilled: {OrderRefunded},
}

// CanTransition reports whether an order may move from s to to.
func (s OrderStatus) CanTransition(to OrderStatus) bool {
	for _, t := range transitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

// ReturnsStock reports whether moving from s to to puts the order's
// quantities back into stock.
func (s OrderStatus) ReturnsStock(to OrderStatus) bool {
	return (to == OrderCancelled || to == OrderRefunded) && s != OrderFulfilled
}

// Valid reports whether s is a known status.
func (s OrderStatus) Valid() bool {
	switch s {
	case OrderPending, OrderPaid, OrderFulfilled, OrderCancelled, OrderRefunded:
		return true
	}
	return false
}

// Order is a placed order. Its lines are a snapshot of the catalog at checkout.
type Order struct {
	ID         string      `json:"id"`
	CustomerID string      `json:"customer_id"`
	Status     OrderStatus `json:"status"`
	Currency   string      `json:"currency"`
	Lines      []OrderLine `json:"lines"`
	Subtotal   int64       `json:"subtotal"`
	Total      int64       `json:"total"`
	Shipping   Address     `json:"shipping"`
	Payment    *Payment    `json:"payment,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// OrderLine is one line of an order at the price charged.
type OrderLine struct {
	SKU       string            `json:"sku"`
	ProductID string            `json:"product_id"`
	Title     string            `json:"title"`
	Options   map[string]string `json:"options,omitempty"`
	UnitPrice int64             `json:"unit_price"`
	Quantity  int               `json:"quantity"`
	LineTotal int64             `json:"line_total"`
}

// Address is a shipping address.
type Address struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2
}

// CheckoutRequest is the body of a checkout. The lines come from the cart, not
// from the request, so a client can't choose prices.
type CheckoutRequest struct {
	Shipping Address `json:"shipping"`
}

// Normalize trims the address.
func (r *CheckoutRequest) Normalize() {
	a := &r.Shipping
	for _, p := range []*string{&a.Name, &a.Line1, &a.Line2, &a.City, &a.PostalCode} {
		*p = strings.TrimSpace(*p)
	}
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
}

// Validate reports every invalid field.
func (r *CheckoutRequest) Validate() error {
	var v validation
	a := r.Shipping
	check := func(field, s string, required bool, max int) {
		n := utf8.RuneCountInString(s)
		if (required && n == 0) || n > max || !utf8.ValidString(s) {
			if required {
				v.add(field, "is required, at most %d characters", max)
			} else {
				v.add(field, "must be at most %d characters", max)
			}
		}
	}
	check("shipping.name", a.Name, true, 200)
	check("shipping.line1", a.Line1, true, 200)
	check("shipping.line2", a.Line2, false, 200)
	check("shipping.city", a.City, true, 100)
	check("shipping.postal_code", a.PostalCode, true, 20)
	if len(a.Country) != 2 || a.Country[0] < 'A' || a.Country[0] > 'Z' || a.Country[1] < 'A' || a.Country[1] > 'Z' {
		v.add("shipping.country", "must be an ISO 3166-1 alpha-2 code such as DE")
	}
	return v.err()
}

// OrderPage is one page of a customer's orders, newest first.
type OrderPage struct {
	Orders     []Order `json:"orders"`
	NextCursor string  `json:"next_cursor,omitempty"`
}
