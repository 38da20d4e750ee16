package storefront

import (
	"context"
	"errors"
	"time"
)

// cartID is the cart a session shops with: the customer's, or the guest
// cart bound to the session.
func cartID(sess *Session) string {
	if sess.CustomerID != "" {
		return CustomerCartID(sess.CustomerID)
	}
	return sess.CartID
}

// cartExpiry keeps guest carts as long as their session may live; customer
// carts stay.
func (s *Service) cartExpiry(sess *Session) time.Time {
	if sess.CustomerID != "" {
		return time.Time{}
	}
	return sess.CreatedAt.Add(s.cfg.SessionMaxAge)
}

// Cart returns the session's cart priced from the catalog. A nil session has
// an empty cart.
func (s *Service) Cart(ctx context.Context, sess *Session) (PricedCart, error) {
	if sess == nil || cartID(sess) == "" {
		return PricedCart{Lines: []PricedLine{}}, nil
	}
	c, err := s.loadCart(ctx, cartID(sess))
	if err != nil {
		return PricedCart{}, err
	}
	return s.price(ctx, c)
}

func (s *Service) loadCart(ctx context.Context, id string) (*Cart, error) {
	c, err := s.stores.Carts.Cart(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return &Cart{ID: id}, nil
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return c, nil
}

// price looks every line up in the catalog and the inventory.
func (s *Service) price(ctx context.Context, c *Cart) (PricedCart, error) {
	out := PricedCart{Lines: []PricedLine{}}
	var skus []string
	for _, l := range c.Lines {
		skus = append(skus, l.SKU)
	}
	stock := map[string]int{}
	if len(skus) > 0 {
		var err error
		if stock, err = s.stores.Inventory.Stock(ctx, skus); err != nil {
			return PricedCart{}, storeErr(err)
		}
	}
	for _, l := range c.Lines {
		p, err := s.stores.Products.ProductBySKU(ctx, l.SKU)
		if errors.Is(err, ErrNotFound) {
			out.Problems = append(out.Problems, FieldError{Field: l.SKU, Message: "is no longer sold"})
			continue
		}
		if err != nil {
			return PricedCart{}, storeErr(err)
		}
		v, _ := p.Variant(l.SKU)
		line := PricedLine{
			SKU: l.SKU, ProductID: p.ID, Slug: p.Slug, Title: p.Title, Options: v.Options, ModelID: p.ModelID,
			UnitPrice: v.Price, Quantity: l.Quantity, LineTotal: v.Price * int64(l.Quantity), Available: stock[l.SKU],
		}
		switch {
		case out.Currency == "":
			out.Currency = p.Currency
		case out.Currency != p.Currency:
			out.Problems = append(out.Problems, FieldError{Field: l.SKU, Message: "is priced in " + p.Currency + ", the cart in " + out.Currency})
			continue
		}
		if line.Available < l.Quantity {
			out.Problems = append(out.Problems, FieldError{Field: l.SKU, Message: "has only " + itoa(line.Available) + " in stock"})
		}
		out.Lines = append(out.Lines, line)
		out.Subtotal += line.LineTotal
		out.Items += l.Quantity
	}
	// No shipping or tax rules yet: the total is the subtotal, computed here
	// so clients never add prices themselves.
	out.Total = out.Subtotal
	return out, nil
}

// updateCart applies fn to the stored cart and saves it, retrying when
// another request saved it meanwhile (optimistic locking).
func (s *Service) updateCart(ctx context.Context, id string, expires time.Time, fn func(*Cart) error) (*Cart, error) {
	for range 8 {
		c, err := s.loadCart(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := fn(c); err != nil {
			return nil, err
		}
		c.UpdatedAt, c.ExpiresAt = s.now().UTC(), expires
		err = s.stores.Carts.SaveCart(ctx, c)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeErr(err)
		}
		return c, nil
	}
	return nil, Errorf(CodeConflict, "The cart is being changed by another request; retry.")
}

// AddToCart adds quantity of sku to the session's cart.
func (s *Service) AddToCart(ctx context.Context, sess *Session, sku string, quantity int) (PricedCart, error) {
	return s.changeCart(ctx, sess, sku, quantity, true)
}

// SetCartQuantity sets sku's quantity; 0 removes the line.
func (s *Service) SetCartQuantity(ctx context.Context, sess *Session, sku string, quantity int) (PricedCart, error) {
	return s.changeCart(ctx, sess, sku, quantity, false)
}

// RemoveFromCart removes sku's line.
func (s *Service) RemoveFromCart(ctx context.Context, sess *Session, sku string) (PricedCart, error) {
	if sess == nil || cartID(sess) == "" {
		return PricedCart{}, Errorf(CodeNotFound, "The cart has no such item.")
	}
	c, err := s.updateCart(ctx, cartID(sess), s.cartExpiry(sess), func(c *Cart) error {
		if c.Quantity(sku) == 0 {
			return Errorf(CodeNotFound, "The cart has no such item.")
		}
		c.set(sku, 0)
		return nil
	})
	if err != nil {
		return PricedCart{}, err
	}
	return s.price(ctx, c)
}

func (s *Service) changeCart(ctx context.Context, sess *Session, sku string, quantity int, add bool) (PricedCart, error) {
	if sess == nil || cartID(sess) == "" {
		return PricedCart{}, Errorf(CodeUnauthenticated, "A session is required.")
	}
	var v validation
	if !ValidSKU(sku) {
		v.add("sku", "must be a SKU")
	}
	lo := 1
	if !add {
		lo = 0
	}
	if quantity < lo || quantity > MaxLineQuantity {
		v.add("quantity", "must be %d-%d", lo, MaxLineQuantity)
	}
	if err := v.err(); err != nil {
		return PricedCart{}, err
	}
	if _, err := s.stores.Products.ProductBySKU(ctx, sku); err != nil {
		if errors.Is(err, ErrNotFound) {
			return PricedCart{}, &Error{Code: CodeNotFound, Message: "No product has this SKU.", Fields: []FieldError{{Field: "sku", Message: "is not sold"}}}
		}
		return PricedCart{}, storeErr(err)
	}
	stock, err := s.stores.Inventory.Stock(ctx, []string{sku})
	if err != nil {
		return PricedCart{}, storeErr(err)
	}
	c, err := s.updateCart(ctx, cartID(sess), s.cartExpiry(sess), func(c *Cart) error {
		q := quantity
		if add {
			q += c.Quantity(sku)
		}
		if q > MaxLineQuantity {
			return &Error{Code: CodeInvalid, Message: "The request has invalid fields.", Fields: []FieldError{{Field: "quantity", Message: "a line holds at most " + itoa(MaxLineQuantity)}}}
		}
		if q > stock[sku] {
			return &Error{Code: CodeOutOfStock, Message: "Not enough stock.", Shortages: []Shortage{{SKU: sku, Requested: q, Available: stock[sku]}}}
		}
		if c.Quantity(sku) == 0 && q > 0 && len(c.Lines) >= MaxCartLines {
			return &Error{Code: CodeInvalid, Message: "The cart is full.", Fields: []FieldError{{Field: "sku", Message: "a cart holds at most " + itoa(MaxCartLines) + " lines"}}}
		}
		if !add && q == 0 && c.Quantity(sku) == 0 {
			return Errorf(CodeNotFound, "The cart has no such item.")
		}
		c.set(sku, q)
		return nil
	})
	if err != nil {
		return PricedCart{}, err
	}
	return s.price(ctx, c)
}

// mergeCart moves a guest cart's lines into a customer's cart (quantities
// add up, capped per line and per cart) and deletes the guest cart.
func (s *Service) mergeCart(ctx context.Context, guestID, customerCartID string) error {
	guest, err := s.stores.Carts.Cart(ctx, guestID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(guest.Lines) > 0 {
		_, err = s.updateCart(ctx, customerCartID, time.Time{}, func(c *Cart) error {
			for _, l := range guest.Lines {
				q := min(c.Quantity(l.SKU)+l.Quantity, MaxLineQuantity)
				if c.Quantity(l.SKU) == 0 && len(c.Lines) >= MaxCartLines {
					continue
				}
				c.set(l.SKU, q)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return s.stores.Carts.DeleteCart(ctx, guestID)
}
