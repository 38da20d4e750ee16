package httpapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/httpapi"
	"github.com/strata3d/strata/storefront/stripepay"
)

const webhookSecret = "whsec_strata_test_secret"

// stripeEvent is a webhook delivery signed as Stripe signs it.
func stripeEvent(typ string, p *storefront.Payment, at time.Time) (string, string) {
	payload := fmt.Sprintf(`{"id":"evt_%d","object":"event","api_version":"2020-08-27","type":%q,`+
		`"data":{"object":{"id":%q,"object":"payment_intent","amount":%d,"metadata":{"payment_id":%q,"order_id":%q}}}}`,
		at.UnixNano(), typ, p.ProviderRef, p.Amount, p.ID, p.OrderID)
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	fmt.Fprintf(mac, "%d.%s", at.Unix(), payload)
	return payload, fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(mac.Sum(nil)))
}

func TestStripePayments(t *testing.T) {
	endpoint := os.Getenv("STRATA_TEST_STRIPE_MOCK")
	if endpoint == "" {
		if testing.Short() {
			t.Skip("STRATA_TEST_STRIPE_MOCK is not set (run the tests through scripts/testenv.sh run)")
		}
		t.Fatal("STRATA_TEST_STRIPE_MOCK is not set: run the tests through scripts/testenv.sh run")
	}
	provider, err := stripepay.New(stripepay.Config{SecretKey: "sk_test_strata", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	e := startEnv(t, options{payments: provider, api: func(c *httpapi.Config) {
		c.StripeWebhooks = stripepay.Webhooks{Secret: webhookSecret}
	}})
	e.mustProduct(t, "sofa", 90000, map[string]int{"SOFA-1": 2})
	c := e.shopper(t, "card@example.com")
	c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "SOFA-1"})
	var o storefront.Order
	c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "stripe-1").decode(t, &o)
	if o.Status != storefront.OrderPending || o.Payment.Provider != "stripe" || o.Payment.Status != storefront.PaymentRequiresAction ||
		o.Payment.ClientSecret == "" || o.Payment.ProviderRef == "" {
		t.Fatalf("order awaiting payment: %+v %+v", o, o.Payment)
	}
	// The replay shows the same PaymentIntent; nothing new is created.
	var again storefront.Order
	c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "stripe-1").decode(t, &again)
	if again.Payment.ProviderRef != o.Payment.ProviderRef || again.Payment.ID != o.Payment.ID {
		t.Fatalf("replayed payment %+v, first %+v", again.Payment, o.Payment)
	}

	hook := e.client(t)
	payload, sig := stripeEvent("payment_intent.succeeded", o.Payment, time.Now())
	problem(t, hook.do("POST", "/api/v1/webhooks/stripe", payload, "Stripe-Signature", sig+"0"), 400, "malformed")
	problem(t, hook.do("POST", "/api/v1/webhooks/stripe", payload), 400, "malformed")
	for range 2 { // Stripe redelivers; the second delivery changes nothing
		hook.must(200, "POST", "/api/v1/webhooks/stripe", payload, "Stripe-Signature", sig, "Sec-Fetch-Site", "cross-site")
	}
	var paid storefront.Order // fresh: decoding over o would keep fields the answer omits
	c.must(200, "GET", "/api/v1/orders/"+o.ID, nil).decode(t, &paid)
	if paid.Status != storefront.OrderPaid || paid.Payment.Status != storefront.PaymentSucceeded || paid.Payment.ClientSecret != "" {
		t.Fatalf("after payment_intent.succeeded: %+v %+v", paid, paid.Payment)
	}
	// A payment Strata does not know is acknowledged, not retried forever.
	ghost := &storefront.Payment{ID: "pay_aaaaaaaaaaaaaaaaaaaaaaaa", OrderID: "ord_x", ProviderRef: "pi_x", Amount: 1}
	payload, sig = stripeEvent("payment_intent.succeeded", ghost, time.Now())
	hook.must(200, "POST", "/api/v1/webhooks/stripe", payload, "Stripe-Signature", sig)

	// A second order is cancelled by its customer before paying: the
	// PaymentIntent is cancelled at Stripe and the stock comes back.
	c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "SOFA-1"})
	var o2 storefront.Order
	c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "stripe-2").decode(t, &o2)
	var sofa storefront.Product
	c.must(200, "GET", "/api/v1/products/sofa", nil).decode(t, &sofa)
	if sofa.Variants[0].Stock != 0 {
		t.Fatalf("stock %d with two orders, want 0", sofa.Variants[0].Stock)
	}
	c.must(200, "POST", "/api/v1/orders/"+o2.ID+"/cancel", nil).decode(t, &o2)
	if o2.Status != storefront.OrderCancelled || o2.Payment.Status != storefront.PaymentCancelled {
		t.Fatalf("cancelled %+v %+v", o2, o2.Payment)
	}
	c.must(200, "GET", "/api/v1/products/sofa", nil).decode(t, &sofa)
	if sofa.Variants[0].Stock != 1 {
		t.Fatalf("stock %d after the cancel, want 1", sofa.Variants[0].Stock)
	}
	problem(t, c.do("POST", "/api/v1/orders/"+o2.ID+"/cancel", nil), 409, "invalid_transition")

	// Abandoned checkouts: an admin cancels one; the sweeper the one left
	// pending past the timeout. Both return their stock; the paid order is
	// not touched.
	stockNow := func() int {
		var p storefront.Product
		c.must(200, "GET", "/api/v1/products/sofa", nil).decode(t, &p)
		return p.Variants[0].Stock
	}
	var o3, o4 storefront.Order
	c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "SOFA-1"})
	c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "stripe-3").decode(t, &o3)
	problem(t, c.do("POST", "/api/v1/admin/orders/"+o3.ID+"/cancel", nil), 401, "unauthenticated")
	e.admin(t).must(200, "POST", "/api/v1/admin/orders/"+o3.ID+"/cancel", nil)
	if got := stockNow(); got != 1 {
		t.Fatalf("stock %d after the admin cancel, want 1", got)
	}
	c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "SOFA-1"})
	c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "stripe-4").decode(t, &o4)
	if n, err := e.Svc.CancelStaleOrders(t.Context(), time.Hour); err != nil || n != 0 {
		t.Fatalf("fresh orders swept: %d, %v", n, err)
	}
	e.Clock.Advance(61 * time.Minute)
	if n, err := e.Svc.CancelStaleOrders(t.Context(), time.Hour); err != nil || n != 1 {
		t.Fatalf("stale sweep cancelled %d, %v; want 1", n, err)
	}
	c.must(200, "GET", "/api/v1/orders/"+o4.ID, nil).decode(t, &o4)
	if o4.Status != storefront.OrderCancelled || stockNow() != 1 {
		t.Fatalf("after the sweep: %s, stock %d", o4.Status, stockNow())
	}

	// The paid order is refunded through Stripe.
	e.admin(t).must(200, "POST", "/api/v1/admin/orders/"+o.ID+"/refund", nil).decode(t, &o)
	if o.Status != storefront.OrderRefunded || o.Payment.Status != storefront.PaymentRefunded {
		t.Fatalf("refunded %+v %+v", o, o.Payment)
	}

	// Without a webhook secret the endpoint does not exist.
	off := startEnv(t, options{})
	problem(t, off.client(t).do("POST", "/api/v1/webhooks/stripe", payload, "Stripe-Signature", sig), 404, "not_found")
}
