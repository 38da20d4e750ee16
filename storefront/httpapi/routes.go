package httpapi

import (
	"net/http"

	"github.com/strata3d/strata/storefront"
)

// access says what a route requires of the caller.
type access int

const (
	public  access = iota // anyone; no session lookup
	session               // the session cookie is read when present
	admin                 // the admin bearer token
)

// route is one entry of the API's routing table.
type route struct {
	method, path string
	access       access
	fn           func(w http.ResponseWriter, r *http.Request, c *call) error
}

// call is what the endpoint wrapper resolved for a handler.
type call struct {
	sess *storefront.Session // nil without a live session
}

// routes is the API: every pattern the mux serves, and nothing else.
func (a *API) routes() []route {
	return []route{
		{"GET", "/api/v1/openapi.yaml", public, a.openAPI},

		{"GET", "/api/v1/products", public, a.listProducts},
		{"GET", "/api/v1/products/{ref}", public, a.getProduct},

		{"POST", "/api/v1/customers", session, a.signUp},
		{"GET", "/api/v1/customers/me", session, a.me},
		{"POST", "/api/v1/sessions", session, a.login},
		{"DELETE", "/api/v1/sessions/current", session, a.logout},

		{"GET", "/api/v1/cart", session, a.getCart},
		{"POST", "/api/v1/cart/items", session, a.addCartItem},
		{"PATCH", "/api/v1/cart/items/{sku}", session, a.updateCartItem},
		{"DELETE", "/api/v1/cart/items/{sku}", session, a.removeCartItem},

		{"POST", "/api/v1/checkout", session, a.checkout},
		{"GET", "/api/v1/orders", session, a.listOrders},
		{"GET", "/api/v1/orders/{id}", session, a.getOrder},
		{"POST", "/api/v1/orders/{id}/cancel", session, a.cancelOrder},

		{"GET", "/api/v1/admin/products", admin, a.adminListProducts},
		{"POST", "/api/v1/admin/products", admin, a.adminCreateProduct},
		{"GET", "/api/v1/admin/products/{id}", admin, a.adminGetProduct},
		{"PUT", "/api/v1/admin/products/{id}", admin, a.adminUpdateProduct},
		{"DELETE", "/api/v1/admin/products/{id}", admin, a.adminDeleteProduct},
		{"GET", "/api/v1/admin/orders/{id}", admin, a.adminGetOrder},
		{"POST", "/api/v1/admin/orders/{id}/cancel", admin, a.adminCancel},
		{"POST", "/api/v1/admin/orders/{id}/fulfill", admin, a.adminFulfill},
		{"POST", "/api/v1/admin/orders/{id}/refund", admin, a.adminRefund},

		{"POST", "/api/v1/webhooks/stripe", public, a.stripeWebhook},
	}
}

// Routes lists the API's routes as "METHOD /path/{param}".
func (a *API) Routes() []string {
	var out []string
	for _, rt := range a.routes() {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

// endpoint wraps a route: access checks, session lookup, error mapping.
func (a *API) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{}
		var err error
		switch rt.access {
		case admin:
			err = a.isAdmin(r)
		case session:
			// Answers differ per session; shared caches must not mix them.
			w.Header().Add("Vary", "Cookie")
			c.sess, err = a.readSession(r)
		}
		if err == nil {
			err = rt.fn(w, r, c)
		}
		if err != nil {
			a.problem(w, r, err)
		}
	})
}
