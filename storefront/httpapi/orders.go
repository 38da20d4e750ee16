package httpapi

import (
	"net/http"
	"strconv"

	"github.com/strata3d/strata/storefront"
)

// replayHeader marks a checkout answer that repeats an earlier request's
// outcome (same Idempotency-Key, same body) instead of placing an order.
const replayHeader = "Idempotent-Replayed"

func (a *API) checkout(w http.ResponseWriter, r *http.Request, c *call) error {
	var in storefront.CheckoutRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	o, replayed, err := a.svc.Checkout(r.Context(), c.sess, r.Header.Get("Idempotency-Key"), in)
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set(replayHeader, "true")
	}
	w.Header().Set("Location", "/api/v1/orders/"+o.ID)
	return reply(w, r, http.StatusCreated, o)
}

func (a *API) listOrders(w http.ResponseWriter, r *http.Request, c *call) error {
	limit := 0
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n == 0 {
			return &storefront.Error{Code: storefront.CodeInvalid, Message: "The request has invalid fields.",
				Fields: []storefront.FieldError{{Field: "limit", Message: "must be 1-100"}}}
		}
		limit = n
	}
	page, err := a.svc.Orders(r.Context(), c.sess, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, page)
}

func (a *API) getOrder(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := a.svc.Order(r.Context(), c.sess, r.PathValue("id"))
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, o)
}

func (a *API) cancelOrder(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := a.svc.CancelOrder(r.Context(), c.sess, r.PathValue("id"))
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, o)
}
