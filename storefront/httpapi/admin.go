package httpapi

import (
	"errors"
	"io"
	"net/http"

	"github.com/strata3d/strata/storefront"
)

func (a *API) adminListProducts(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := parseProductQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := a.svc.ListProducts(r.Context(), q)
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, page)
}

func (a *API) adminCreateProduct(w http.ResponseWriter, r *http.Request, c *call) error {
	var p storefront.Product
	if err := decode(r, &p); err != nil {
		return err
	}
	got, err := a.svc.CreateProduct(r.Context(), p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/admin/products/"+got.ID)
	return reply(w, r, http.StatusCreated, got)
}

func (a *API) adminGetProduct(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if !storefront.ValidID("prd", id) {
		return storefront.Errorf(storefront.CodeNotFound, "No such product.")
	}
	p, err := a.svc.Product(r.Context(), id)
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, p)
}

func (a *API) adminUpdateProduct(w http.ResponseWriter, r *http.Request, c *call) error {
	var p storefront.Product
	if err := decode(r, &p); err != nil {
		return err
	}
	id := r.PathValue("id")
	if p.ID != "" && p.ID != id {
		return &storefront.Error{Code: storefront.CodeInvalid, Message: "The request has invalid fields.",
			Fields: []storefront.FieldError{{Field: "id", Message: "must match the path"}}}
	}
	if !storefront.ValidID("prd", id) {
		return storefront.Errorf(storefront.CodeNotFound, "No such product.")
	}
	got, err := a.svc.UpdateProduct(r.Context(), id, p)
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, got)
}

func (a *API) adminDeleteProduct(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if !storefront.ValidID("prd", id) {
		return storefront.Errorf(storefront.CodeNotFound, "No such product.")
	}
	if err := a.svc.DeleteProduct(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) adminGetOrder(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := a.svc.AdminOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, o)
}

func (a *API) adminCancel(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := a.svc.AdminCancelOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, o)
}

func (a *API) adminFulfill(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := a.svc.FulfillOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, o)
}

func (a *API) adminRefund(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := a.svc.RefundOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, o)
}

// stripeWebhook verifies a Stripe event and applies it. A 2xx tells Stripe
// to stop redelivering, so only failures a retry can fix answer 5xx.
func (a *API) stripeWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	if a.cfg.StripeWebhooks == nil {
		return storefront.Errorf(storefront.CodeNotFound, "No such route.")
	}
	payload, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return malformed("The body could not be read.")
	}
	ev, ok, err := a.cfg.StripeWebhooks.VerifyWebhook(payload, r.Header.Get("Stripe-Signature"))
	if err != nil {
		a.log.Warn("httpapi: webhook refused", "err", err)
		return malformed("The webhook signature or payload is invalid.")
	}
	if ok {
		err := a.svc.HandlePaymentEvent(r.Context(), ev)
		if err != nil && !errors.Is(err, storefront.ErrNotFound) {
			return err
		}
	}
	return reply(w, r, http.StatusOK, map[string]bool{"received": true})
}
