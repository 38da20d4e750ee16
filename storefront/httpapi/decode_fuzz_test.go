package httpapi

import (
	"errors"
	"net/url"
	"testing"

	"github.com/strata3d/strata/storefront"
)

// FuzzDecodeCheckout: request bodies are attacker-controlled. Decoding must
// never panic, and every failure must be one of our own public errors
// (malformed or invalid), never encoding/json's text.
func FuzzDecodeCheckout(f *testing.F) {
	f.Add([]byte(`{"shipping":{"name":"Ada","line1":"1 Main","city":"Berlin","postal_code":"10115","country":"DE"}}`))
	f.Add([]byte(`{"shipping":{"name":1}}`))
	f.Add([]byte(`{"shipping":null,"extra":true}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req storefront.CheckoutRequest
		err := decodeBytes(body, &req)
		if err == nil {
			return
		}
		var e *storefront.Error
		if !errors.As(err, &e) || (e.Code != storefront.CodeMalformed && e.Code != storefront.CodeInvalid) {
			t.Fatalf("error %v is not a public malformed/invalid error", err)
		}
		for _, f := range e.Fields {
			if len(f.Field) > 256 {
				t.Fatalf("unbounded field name %q", f.Field)
			}
		}
	})
}

// FuzzParseProductQuery: query strings are attacker-controlled; parsing must
// not panic and any accepted query must validate or be refused as invalid.
func FuzzParseProductQuery(f *testing.F) {
	f.Add("category=chairs&min_price=100&max_price=200&sort=price_asc&limit=5")
	f.Add("limit=0&q=a+b+c")
	f.Add("min_price=9223372036854775808&limit=-1")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseProductQuery(v)
		if err != nil {
			if storefront.ErrorCode(err) != storefront.CodeInvalid {
				t.Fatalf("parse error %v", err)
			}
			return
		}
		q.Normalize()
		if err := q.Validate(); err != nil && storefront.ErrorCode(err) != storefront.CodeInvalid {
			t.Fatalf("validate error %v", err)
		}
		if q.Validate() == nil && (q.Limit < 1 || q.Limit > 100) {
			t.Fatalf("limit %d passed validation", q.Limit)
		}
	})
}
