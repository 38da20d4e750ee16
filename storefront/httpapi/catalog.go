package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/strata3d/strata/storefront"
)

// parseProductQuery reads a listing's query parameters; bad numbers are
// field errors like any other validation failure.
func parseProductQuery(v url.Values) (storefront.ProductQuery, error) {
	q := storefront.ProductQuery{Category: v.Get("category"), Tag: v.Get("tag"), Search: v.Get("q"), Sort: v.Get("sort"), Cursor: v.Get("cursor")}
	var fields []storefront.FieldError
	num := func(name string) *int64 {
		s := v.Get(name)
		if s == "" {
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fields = append(fields, storefront.FieldError{Field: name, Message: "must be an integer"})
			return nil
		}
		return &n
	}
	q.MinPrice, q.MaxPrice = num("min_price"), num("max_price")
	if l := num("limit"); l != nil {
		q.Limit = int(max(min(*l, 1000), -1))
		if q.Limit == 0 {
			q.Limit = -1 // an explicit 0 is invalid, not "the default"
		}
	}
	if len(fields) > 0 {
		return q, &storefront.Error{Code: storefront.CodeInvalid, Message: "The request has invalid fields.", Fields: fields}
	}
	return q, nil
}

// catalogCache lets browsers and CDNs keep catalog answers briefly; stock
// shown may lag by that much, which checkout (the only authority) corrects.
const catalogCache = "public, max-age=30, stale-while-revalidate=30"

func (a *API) listProducts(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := parseProductQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := a.svc.ListProducts(r.Context(), q)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", catalogCache)
	return reply(w, r, http.StatusOK, page)
}

func (a *API) getProduct(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := a.svc.Product(r.Context(), r.PathValue("ref"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", catalogCache)
	return reply(w, r, http.StatusOK, p)
}

type cartItemRequest struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

type quantityRequest struct {
	Quantity *int `json:"quantity"`
}

func (a *API) getCart(w http.ResponseWriter, r *http.Request, c *call) error {
	cart, err := a.svc.Cart(r.Context(), c.sess)
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, cart)
}

func (a *API) addCartItem(w http.ResponseWriter, r *http.Request, c *call) error {
	var in cartItemRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Quantity == 0 {
		in.Quantity = 1
	}
	sess, err := a.ensureSession(w, r, c)
	if err != nil {
		return err
	}
	cart, err := a.svc.AddToCart(r.Context(), sess, in.SKU, in.Quantity)
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, cart)
}

func (a *API) updateCartItem(w http.ResponseWriter, r *http.Request, c *call) error {
	var in quantityRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Quantity == nil {
		return &storefront.Error{Code: storefront.CodeInvalid, Message: "The request has invalid fields.",
			Fields: []storefront.FieldError{{Field: "quantity", Message: "is required"}}}
	}
	if c.sess == nil {
		return storefront.Errorf(storefront.CodeNotFound, "The cart has no such item.")
	}
	cart, err := a.svc.SetCartQuantity(r.Context(), c.sess, r.PathValue("sku"), *in.Quantity)
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, cart)
}

func (a *API) removeCartItem(w http.ResponseWriter, r *http.Request, c *call) error {
	cart, err := a.svc.RemoveFromCart(r.Context(), c.sess, r.PathValue("sku"))
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, cart)
}
