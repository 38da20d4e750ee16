package storefront

import "time"

// Cart is what a store keeps of a cart: SKUs and quantities only. Prices are
// never stored with a cart; PricedCart recomputes them from the catalog on
// every read, so a client can't set a price and a stale one can't linger.
type Cart struct {
	ID    string
	Lines []CartLine
	// Version increments on every save; Save refuses a cart whose Version is
	// not the stored one (optimistic locking). 0 means "not stored yet".
	Version   int64
	UpdatedAt time.Time
	// ExpiresAt is when a store may drop the cart (guest carts); zero keeps it.
	ExpiresAt time.Time
}

// CartLine is one SKU in a cart.
type CartLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Bounds of a cart, so a cart item stays small and a checkout's transaction short.
const (
	MaxCartLines    = 50
	MaxLineQuantity = 99
)

// Quantity returns the quantity of sku in the cart.
func (c *Cart) Quantity(sku string) int {
	for _, l := range c.Lines {
		if l.SKU == sku {
			return l.Quantity
		}
	}
	return 0
}

// set sets sku's quantity, removing the line at 0 and appending new lines.
func (c *Cart) set(sku string, qty int) {
	for i, l := range c.Lines {
		if l.SKU == sku {
			if qty <= 0 {
				c.Lines = append(c.Lines[:i], c.Lines[i+1:]...)
			} else {
				c.Lines[i].Quantity = qty
			}
			return
		}
	}
	if qty > 0 {
		c.Lines = append(c.Lines, CartLine{SKU: sku, Quantity: qty})
	}
}

// PricedCart is a cart as the client sees it: every price from the catalog.
type PricedCart struct {
	Lines    []PricedLine `json:"lines"`
	Currency string       `json:"currency,omitempty"`
	Subtotal int64        `json:"subtotal"`
	Total    int64        `json:"total"`
	Items    int          `json:"items"`
	// Problems lists lines that can't be bought as they are (gone from the
	// catalog, short of stock); checkout refuses while it is not empty.
	Problems []FieldError `json:"problems,omitempty"`
}

// PricedLine is a cart line with its current catalog data.
type PricedLine struct {
	SKU       string            `json:"sku"`
	ProductID string            `json:"product_id"`
	Slug      string            `json:"slug"`
	Title     string            `json:"title"`
	Options   map[string]string `json:"options,omitempty"`
	ModelID   string            `json:"model_id,omitempty"`
	UnitPrice int64             `json:"unit_price"`
	Quantity  int               `json:"quantity"`
	LineTotal int64             `json:"line_total"`
	Available int               `json:"available"`
}
