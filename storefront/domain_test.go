package storefront_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/storefront"
)

func TestOrderStateMachine(t *testing.T) {
	all := []storefront.OrderStatus{storefront.OrderPending, storefront.OrderPaid, storefront.OrderFulfilled, storefront.OrderCancelled, storefront.OrderRefunded}
	allowed := map[string]bool{
		"pending→paid": true, "pending→cancelled": true,
		"paid→fulfilled": true, "paid→refunded": true,
		"fulfilled→refunded": true,
	}
	for _, from := range all {
		for _, to := range all {
			key := fmt.Sprintf("%s→%s", from, to)
			if got := from.CanTransition(to); got != allowed[key] {
				t.Errorf("%s: %v, want %v", key, got, allowed[key])
			}
		}
	}
	returns := map[string]bool{"pending→cancelled": true, "paid→refunded": true, "fulfilled→refunded": false}
	for key, want := range returns {
		var from, to storefront.OrderStatus
		parts := strings.Split(key, "→")
		from, to = storefront.OrderStatus(parts[0]), storefront.OrderStatus(parts[1])
		if got := from.ReturnsStock(to); got != want {
			t.Errorf("%s returns stock: %v, want %v", key, got, want)
		}
	}
	if storefront.OrderStatus("shipped").Valid() || !storefront.OrderPaid.Valid() {
		t.Error("Valid")
	}
}

func validProduct() storefront.Product {
	return storefront.Product{Slug: "oak-chair", Title: "Oak chair", Price: 100, Currency: "eur", Category: " Chairs ",
		Tags: []string{"Oak", "oak", " living "}, Variants: []storefront.Variant{{SKU: "C-1"}}, Images: []storefront.Image{{URL: "https://cdn.example/c.jpg"}}}
}

func TestProductValidation(t *testing.T) {
	p := validProduct()
	p.Normalize()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Currency != "EUR" || p.Category != "chairs" || fmt.Sprint(p.Tags) != "[oak living]" || p.Variants[0].Price != 100 {
		t.Fatalf("normalized %+v", p)
	}
	cases := []struct {
		field  string
		mutate func(*storefront.Product)
	}{
		{"slug", func(p *storefront.Product) { p.Slug = "Oak Chair" }},
		{"slug", func(p *storefront.Product) { p.Slug = "prd_x" }},
		{"title", func(p *storefront.Product) { p.Title = "" }},
		{"title", func(p *storefront.Product) { p.Title = strings.Repeat("é", 201) }},
		{"price", func(p *storefront.Product) { p.Price = -1 }},
		{"currency", func(p *storefront.Product) { p.Currency = "EU" }},
		{"category", func(p *storefront.Product) { p.Category = "a/b" }},
		{"tags", func(p *storefront.Product) { p.Tags = []string{"no spaces allowed"} }},
		{"model_id", func(p *storefront.Product) { p.ModelID = "../x" }},
		{"variants", func(p *storefront.Product) { p.Variants = nil }},
		{"variants[1].sku", func(p *storefront.Product) { p.Variants = append(p.Variants, storefront.Variant{SKU: "C-1"}) }},
		{"variants[0].sku", func(p *storefront.Product) { p.Variants[0].SKU = "has space" }},
		{"variants[0].stock", func(p *storefront.Product) { p.Variants[0].Stock = -3 }},
		{"images[0].url", func(p *storefront.Product) { p.Images[0].URL = "javascript:alert(1)" }},
		{"images[0].url", func(p *storefront.Product) { p.Images[0].URL = "//evil.example/x.jpg" }},
		{"images[0].url", func(p *storefront.Product) { p.Images[0].URL = "http://cdn.example/x.jpg" }},
	}
	for _, tc := range cases {
		p := validProduct()
		tc.mutate(&p)
		p.Normalize()
		err := p.Validate()
		var e *storefront.Error
		if !errors.As(err, &e) || e.Code != storefront.CodeInvalid {
			t.Errorf("%s: %v, want an invalid error", tc.field, err)
			continue
		}
		found := false
		for _, f := range e.Fields {
			found = found || f.Field == tc.field
		}
		if !found {
			t.Errorf("%s: fields %+v", tc.field, e.Fields)
		}
	}
}

func TestProductQueryMatches(t *testing.T) {
	p := validProduct()
	p.Title = "Tufted Velvet Armchair"
	p.Normalize()
	n := func(v int64) *int64 { return &v }
	cases := []struct {
		q    storefront.ProductQuery
		want bool
	}{
		{storefront.ProductQuery{}, true},
		{storefront.ProductQuery{Category: "CHAIRS"}, true},
		{storefront.ProductQuery{Category: "lamps"}, false},
		{storefront.ProductQuery{Tag: "oak"}, true},
		{storefront.ProductQuery{Tag: "oa"}, false}, // tags match whole
		{storefront.ProductQuery{Search: "velvet"}, true},
		{storefront.ProductQuery{Search: "VEL"}, true}, // titles match parts
		{storefront.ProductQuery{Search: "velvet living"}, true},
		{storefront.ProductQuery{Search: "velvet leather"}, false},
		{storefront.ProductQuery{MinPrice: n(100), MaxPrice: n(100)}, true},
		{storefront.ProductQuery{MinPrice: n(101)}, false},
		{storefront.ProductQuery{MaxPrice: n(99)}, false},
	}
	for _, tc := range cases {
		q := tc.q
		q.Normalize()
		if got := q.Matches(&p); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.q, got, tc.want)
		}
	}
	bad := storefront.ProductQuery{Search: "a b c d e f", Limit: 101, Sort: "random"}
	bad.Normalize()
	var e *storefront.Error
	if err := bad.Validate(); !errors.As(err, &e) || len(e.Fields) != 3 {
		t.Fatalf("invalid query: %v", err)
	}
}

func TestLimiter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := storefront.NewLimiter(storefront.RateConfig{Burst: 3, Every: 10 * time.Second}, 2)
	for i := range 3 {
		if ok, _ := l.Allow("a", t0); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	ok, wait := l.Allow("a", t0)
	if ok || wait != 10*time.Second {
		t.Fatalf("4th attempt: %v, wait %v; want refused for 10s", ok, wait)
	}
	if ok, _ := l.Check("a", t0.Add(5*time.Second)); ok {
		t.Fatal("half a token is not a token")
	}
	if ok, _ := l.Allow("a", t0.Add(10*time.Second)); !ok {
		t.Fatal("refilled token refused")
	}
	if ok, _ := l.Check("fresh", t0); !ok || l.Len() != 1 {
		t.Fatalf("Check must not create buckets (len %d)", l.Len())
	}
	// Memory is bounded: the least recently used bucket goes first.
	l.Allow("b", t0)
	l.Allow("c", t0)
	if l.Len() != 2 {
		t.Fatalf("%d buckets, bound 2", l.Len())
	}
	if ok, _ := l.Check("a", t0); !ok {
		t.Fatal("evicted bucket still limits")
	}
	off := storefront.NewLimiter(storefront.RateConfig{}, 1)
	for range 100 {
		if ok, _ := off.Allow("x", t0); !ok {
			t.Fatal("a zero burst disables the limit")
		}
	}
}

func TestClientIPKey(t *testing.T) {
	cases := map[string]string{
		"203.0.113.7":          "203.0.113.7",
		"::ffff:203.0.113.7":   "203.0.113.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "2001:db8:1:3::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an ip":            "not an ip",
	}
	for in, want := range cases {
		if got := storefront.ClientIPKey(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

func TestIdsAndKeys(t *testing.T) {
	id := storefront.NewID("ord")
	if !storefront.ValidID("ord", id) || storefront.ValidID("prd", id) || storefront.ValidID("ord", id+"a") || storefront.NewID("ord") == id {
		t.Fatalf("ids: %q", id)
	}
	tok, err := storefront.NewSessionToken()
	if err != nil || len(tok) != 43 || storefront.SessionID(tok) == tok || len(storefront.SessionID(tok)) != 64 {
		t.Fatalf("token %q", tok)
	}
	for k, want := range map[string]bool{"a": true, strings.Repeat("k", 255): true, "": false, strings.Repeat("k", 256): false, "has space": false, "tab\t": false, "ünï": false} {
		if storefront.ValidIdempotencyKey(k) != want {
			t.Errorf("key %q: want %v", k, want)
		}
	}
}

func TestErrorsMatchSentinels(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", storefront.Errorf(storefront.CodeNotFound, "No such product."))
	if !errors.Is(err, storefront.ErrNotFound) || errors.Is(err, storefront.ErrConflict) || storefront.ErrorCode(err) != storefront.CodeNotFound {
		t.Fatal("sentinel matching")
	}
	if storefront.ErrorCode(errors.New("disk on fire")) != storefront.CodeInternal {
		t.Fatal("plain errors are internal")
	}
	w := storefront.Wrap(storefront.CodeUnavailable, errors.New("dial tcp: refused"), "Retry.")
	if w.Message != "Retry." || !strings.Contains(w.Error(), "refused") {
		t.Fatalf("wrap %+v", w)
	}
}
