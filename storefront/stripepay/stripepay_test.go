package stripepay_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/stripepay"
)

// mustProvider returns a provider talking to the stripe-mock that
// scripts/testenv.sh started.
func mustProvider(tb testing.TB) *stripepay.Provider {
	tb.Helper()
	endpoint := os.Getenv("STRATA_TEST_STRIPE_MOCK")
	if endpoint == "" {
		if testing.Short() {
			tb.Skip("STRATA_TEST_STRIPE_MOCK is not set (run the tests through scripts/testenv.sh run)")
		}
		tb.Fatal("STRATA_TEST_STRIPE_MOCK is not set: run the tests through scripts/testenv.sh run")
	}
	p, err := stripepay.New(stripepay.Config{SecretKey: "sk_test_strata", Endpoint: endpoint})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestPaymentIntentLifecycle(t *testing.T) {
	p := mustProvider(t)
	ctx := context.Background()
	res, err := p.Create(ctx, storefront.PaymentRequest{PaymentID: "pay_1", OrderID: "ord_1", CustomerID: "cus_1",
		Amount: 12900, Currency: "EUR", IdempotencyKey: "strata-create-pay_1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Ref, "pi_") || res.ClientSecret == "" || res.Status != storefront.PaymentRequiresAction {
		t.Fatalf("create: %+v", res)
	}
	if err := p.Cancel(ctx, res.Ref, "strata-cancel-pay_1"); err != nil {
		t.Fatal(err)
	}
	if err := p.Refund(ctx, res.Ref, 12900, "strata-refund-pay_1"); err != nil {
		t.Fatal(err)
	}
}

func TestProviderErrorsAreReturned(t *testing.T) {
	mustProvider(t)
	// stripe-mock refuses live keys, as Stripe refuses a revoked one.
	p, err := stripepay.New(stripepay.Config{SecretKey: "sk_live_revoked", Endpoint: os.Getenv("STRATA_TEST_STRIPE_MOCK")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Create(context.Background(), storefront.PaymentRequest{PaymentID: "pay_2", Amount: 100, Currency: "EUR", IdempotencyKey: "k"}); err == nil {
		t.Fatal("Create with a refused key succeeded")
	}
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		name string
		cfg  stripepay.Config
		ok   bool
	}{
		{"test key", stripepay.Config{SecretKey: "sk_test_x"}, true},
		{"restricted key and mock", stripepay.Config{SecretKey: "rk_live_x", Endpoint: "http://127.0.0.1:12111"}, true},
		{"no key", stripepay.Config{}, false},
		{"publishable key", stripepay.Config{SecretKey: "pk_test_x"}, false},
		{"bad endpoint", stripepay.Config{SecretKey: "sk_test_x", Endpoint: "127.0.0.1:12111"}, false},
	}
	for _, tc := range cases {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

const secret = "whsec_test_0123456789"

// sign computes a Stripe-Signature header the way Stripe does: HMAC-SHA256
// over "timestamp.payload" with the endpoint secret.
func sign(secret string, at time.Time, payload string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.%s", at.Unix(), payload)
	return fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(mac.Sum(nil)))
}

func event(typ, object string) string {
	return `{"id":"evt_1","object":"event","api_version":"2020-08-27","created":1700000000,"type":"` + typ +
		`","data":{"object":` + object + `}}`
}

func TestVerifyWebhook(t *testing.T) {
	w := stripepay.Webhooks{Secret: secret}
	pi := `{"id":"pi_123","object":"payment_intent","metadata":{"payment_id":"pay_abc"}}`
	now := time.Now()
	cases := []struct {
		name    string
		payload string
		sig     string
		want    storefront.PaymentEvent
		ok      bool
		err     bool
	}{
		{"succeeded", event("payment_intent.succeeded", pi), "", storefront.PaymentEvent{Provider: "stripe", Type: storefront.PaymentSucceeded, PaymentID: "pay_abc", ProviderRef: "pi_123"}, true, false},
		{"failed", event("payment_intent.payment_failed", pi), "", storefront.PaymentEvent{Provider: "stripe", Type: storefront.PaymentFailed, PaymentID: "pay_abc", ProviderRef: "pi_123"}, true, false},
		{"canceled", event("payment_intent.canceled", pi), "", storefront.PaymentEvent{Provider: "stripe", Type: storefront.PaymentCancelled, PaymentID: "pay_abc", ProviderRef: "pi_123"}, true, false},
		{"other type", event("customer.created", `{"id":"cus_1","object":"customer"}`), "", storefront.PaymentEvent{}, false, false},
		{"not Strata's", event("payment_intent.succeeded", `{"id":"pi_9","object":"payment_intent","metadata":{}}`), "", storefront.PaymentEvent{}, false, false},
		{"wrong secret", event("payment_intent.succeeded", pi), sign("whsec_other", now, event("payment_intent.succeeded", pi)), storefront.PaymentEvent{}, false, true},
		{"tampered", event("payment_intent.succeeded", pi), sign(secret, now, event("payment_intent.succeeded", strings.Replace(pi, "abc", "xyz", 1))), storefront.PaymentEvent{}, false, true},
		{"replayed old signature", event("payment_intent.succeeded", pi), sign(secret, now.Add(-time.Hour), event("payment_intent.succeeded", pi)), storefront.PaymentEvent{}, false, true},
		{"no signature", event("payment_intent.succeeded", pi), "-", storefront.PaymentEvent{}, false, true},
		{"data is not a PaymentIntent", event("payment_intent.succeeded", `{"id":"ch_1","object":"charge"}`), "", storefront.PaymentEvent{}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sig := tc.sig
			switch sig {
			case "":
				sig = sign(secret, now, tc.payload)
			case "-":
				sig = ""
			}
			got, ok, err := w.VerifyWebhook([]byte(tc.payload), sig)
			if (err != nil) != tc.err || ok != tc.ok || got != tc.want {
				t.Fatalf("got %+v, %v, %v; want %+v, %v, error %v", got, ok, err, tc.want, tc.ok, tc.err)
			}
		})
	}
	if _, _, err := (stripepay.Webhooks{}).VerifyWebhook([]byte(event("payment_intent.succeeded", pi)), sign("", now, "x")); err == nil {
		t.Error("a verifier without a secret accepted an event")
	}
}
