package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/strata3d/strata/storefront"
)

func mustSetStock(tb testing.TB, s storefront.InventoryStore, stock map[string]int) {
	tb.Helper()
	for sku, q := range stock {
		if err := s.SetStock(context.Background(), sku, q); err != nil {
			tb.Fatalf("set stock %s: %v", sku, err)
		}
	}
}

func checkStock(tb testing.TB, s storefront.InventoryStore, want map[string]int) {
	tb.Helper()
	var skus []string
	for sku := range want {
		skus = append(skus, sku)
	}
	got, err := s.Stock(context.Background(), skus)
	if err != nil {
		tb.Fatal(err)
	}
	for sku, q := range want {
		if got[sku] != q {
			tb.Fatalf("stock of %s is %d, want %d (all: %v)", sku, got[sku], q, got)
		}
	}
}

func testInventory(t *testing.T, s storefront.Stores) {
	mustSetStock(t, s.Inventory, map[string]int{"A": 3, "B": 0})
	mustSetStock(t, s.Inventory, map[string]int{"A": 5})
	got, err := s.Inventory.Stock(context.Background(), []string{"A", "B", "C"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["A"] != 5 || got["B"] != 0 {
		t.Fatalf("stock %v, want A=5 B=0 and no C", got)
	}
	if got, err := s.Inventory.Stock(context.Background(), nil); err != nil || len(got) != 0 {
		t.Fatalf("no SKUs: %v, %v", got, err)
	}
}

// Claim makes an idempotency claim for customer and key over body at now.
func Claim(customer, key, body string, now time.Time) storefront.IdempotencyClaim {
	h := sha256.Sum256([]byte(body))
	return storefront.IdempotencyClaim{CustomerID: customer, Key: key, RequestHash: h[:], Token: storefront.NewID("clm"),
		Now: now, LeaseUntil: now.Add(30 * time.Second)}
}

func mustClaim(tb testing.TB, s storefront.OrderStore, c storefront.IdempotencyClaim, want storefront.IdempotencyOutcome) storefront.IdempotencyResult {
	tb.Helper()
	res, err := s.ClaimIdempotencyKey(context.Background(), c)
	if err != nil {
		tb.Fatal(err)
	}
	if res.Outcome != want {
		tb.Fatalf("claim %s: outcome %d, want %d", c.Key, res.Outcome, want)
	}
	return res
}

// NewOrder builds a pending order of customer for lines (sku → quantity) at
// 1000 minor units each.
func NewOrder(customer string, at time.Time, lines map[string]int) *storefront.Order {
	o := &storefront.Order{ID: storefront.NewID("ord"), CustomerID: customer, Status: storefront.OrderPending, Currency: "EUR",
		Shipping:  storefront.Address{Name: "Ada", Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"},
		CreatedAt: at, UpdatedAt: at}
	for _, sku := range sortedKeys(lines) {
		q := lines[sku]
		o.Lines = append(o.Lines, storefront.OrderLine{SKU: sku, ProductID: "prd_x", Title: "Item " + sku,
			Options: map[string]string{"size": "m"}, UnitPrice: 1000, Quantity: q, LineTotal: 1000 * int64(q)})
		o.Subtotal += 1000 * int64(q)
	}
	o.Total = o.Subtotal
	o.Payment = &storefront.Payment{ID: storefront.NewID("pay"), OrderID: o.ID, Provider: "offline", Status: storefront.PaymentPending,
		Amount: o.Total, Currency: "EUR", CreatedAt: at, UpdatedAt: at}
	return o
}

func sortedKeys(m map[string]int) []string {
	return slices.Sorted(maps.Keys(m))
}

func testIdempotencyClaims(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	cus := MustCustomer(t, s.Customers, "claims@example.com")
	first := Claim(cus.ID, "key-1", "body", base)
	mustClaim(t, s.Orders, first, storefront.IdempotencyClaimed)
	mustClaim(t, s.Orders, Claim(cus.ID, "key-1", "body", base.Add(time.Second)), storefront.IdempotencyInFlight)
	mustClaim(t, s.Orders, Claim(cus.ID, "key-1", "other body", base.Add(time.Second)), storefront.IdempotencyMismatch)
	// Keys belong to a customer: another customer's same key is independent.
	other := MustCustomer(t, s.Customers, "claims2@example.com")
	mustClaim(t, s.Orders, Claim(other.ID, "key-1", "other body", base), storefront.IdempotencyClaimed)

	// Only the holder's token releases a claim.
	if err := s.Orders.ReleaseIdempotencyKey(ctx, cus.ID, "key-1", "clm_wrong"); err != nil {
		t.Fatal(err)
	}
	mustClaim(t, s.Orders, Claim(cus.ID, "key-1", "body", base.Add(time.Second)), storefront.IdempotencyInFlight)
	if err := s.Orders.ReleaseIdempotencyKey(ctx, cus.ID, "key-1", first.Token); err != nil {
		t.Fatal(err)
	}
	second := Claim(cus.ID, "key-1", "body", base.Add(2*time.Second))
	mustClaim(t, s.Orders, second, storefront.IdempotencyClaimed)

	// After the lease, a retry takes the key over from a holder that died.
	late := Claim(cus.ID, "key-1", "body", second.LeaseUntil.Add(time.Millisecond))
	mustClaim(t, s.Orders, late, storefront.IdempotencyClaimed)
	mustClaim(t, s.Orders, Claim(cus.ID, "key-1", "body", late.Now), storefront.IdempotencyInFlight)
}

func testPlaceOrder(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	cus := MustCustomer(t, s.Customers, "place@example.com")
	mustSetStock(t, s.Inventory, map[string]int{"P-A": 5, "P-B": 2})
	claim := Claim(cus.ID, "k", "body", base)
	mustClaim(t, s.Orders, claim, storefront.IdempotencyClaimed)
	o := NewOrder(cus.ID, base, map[string]int{"P-A": 3, "P-B": 2})
	if err := s.Orders.PlaceOrder(ctx, o, claim); err != nil {
		t.Fatal(err)
	}
	checkStock(t, s.Inventory, map[string]int{"P-A": 2, "P-B": 0})
	got, err := s.Orders.Order(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CustomerID != cus.ID || got.Status != storefront.OrderPending || got.Total != 5000 || len(got.Lines) != 2 ||
		got.Lines[0].SKU != "P-A" || got.Lines[0].Quantity != 3 || got.Lines[0].LineTotal != 3000 || got.Lines[1].Options["size"] != "m" ||
		got.Shipping != o.Shipping || !got.CreatedAt.Equal(base) {
		t.Fatalf("order %+v", got)
	}
	if p := got.Payment; p == nil || p.ID != o.Payment.ID || p.Status != storefront.PaymentPending || p.Amount != 5000 || p.Provider != "offline" {
		t.Fatalf("payment %+v", got.Payment)
	}
	res := mustClaim(t, s.Orders, Claim(cus.ID, "k", "body", base.Add(time.Minute)), storefront.IdempotencyReplay)
	if res.OrderID != o.ID {
		t.Fatalf("replay order %q, want %q", res.OrderID, o.ID)
	}
	if _, err := s.Orders.Order(ctx, storefront.NewID("ord")); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("missing order: %v", err)
	}

	upd := storefront.PaymentUpdate{PaymentID: o.Payment.ID, Ref: "pi_123", Status: storefront.PaymentRequiresAction, ClientSecret: "pi_123_secret", At: base.Add(time.Second)}
	if err := s.Orders.UpdatePayment(ctx, upd); err != nil {
		t.Fatal(err)
	}
	// Empty ref and secret keep the stored ones.
	if err := s.Orders.UpdatePayment(ctx, storefront.PaymentUpdate{PaymentID: o.Payment.ID, Status: storefront.PaymentFailed, At: base.Add(2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Orders.Payment(ctx, o.Payment.ID)
	if err != nil || p.ProviderRef != "pi_123" || p.ClientSecret != "pi_123_secret" || p.Status != storefront.PaymentFailed || p.OrderID != o.ID {
		t.Fatalf("payment %+v, %v", p, err)
	}
	if err := s.Orders.UpdatePayment(ctx, storefront.PaymentUpdate{PaymentID: "pay_missing", Status: storefront.PaymentFailed}); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("update missing payment: %v", err)
	}
}

func testPlaceOrderOutOfStock(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	cus := MustCustomer(t, s.Customers, "short@example.com")
	mustSetStock(t, s.Inventory, map[string]int{"S-A": 5, "S-B": 1})
	claim := Claim(cus.ID, "k", "body", base)
	mustClaim(t, s.Orders, claim, storefront.IdempotencyClaimed)
	o := NewOrder(cus.ID, base, map[string]int{"S-A": 2, "S-B": 2, "S-C": 1})
	err := s.Orders.PlaceOrder(ctx, o, claim)
	if !errors.Is(err, storefront.ErrOutOfStock) {
		t.Fatalf("PlaceOrder: %v, want ErrOutOfStock", err)
	}
	var e *storefront.Error
	errors.As(err, &e)
	want := []storefront.Shortage{{SKU: "S-B", Requested: 2, Available: 1}, {SKU: "S-C", Requested: 1, Available: 0}}
	if fmt.Sprint(e.Shortages) != fmt.Sprint(want) {
		t.Fatalf("shortages %v, want %v", e.Shortages, want)
	}
	checkStock(t, s.Inventory, map[string]int{"S-A": 5, "S-B": 1})
	if _, err := s.Orders.Order(ctx, o.ID); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("refused order was stored: %v", err)
	}
	// The claim is still the caller's to release.
	mustClaim(t, s.Orders, Claim(cus.ID, "k", "body", base.Add(time.Second)), storefront.IdempotencyInFlight)
}

func testPlaceOrderLostClaim(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	cus := MustCustomer(t, s.Customers, "lost@example.com")
	mustSetStock(t, s.Inventory, map[string]int{"L-A": 5})
	slow := Claim(cus.ID, "k", "body", base)
	mustClaim(t, s.Orders, slow, storefront.IdempotencyClaimed)
	retry := Claim(cus.ID, "k", "body", slow.LeaseUntil.Add(time.Second))
	mustClaim(t, s.Orders, retry, storefront.IdempotencyClaimed)
	// The slow holder finishes after losing its lease: it must not place a
	// second order, and its stock decrement must roll back.
	if err := s.Orders.PlaceOrder(ctx, NewOrder(cus.ID, base, map[string]int{"L-A": 1}), slow); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("PlaceOrder with a lost claim: %v, want ErrConflict", err)
	}
	checkStock(t, s.Inventory, map[string]int{"L-A": 5})
	o := NewOrder(cus.ID, base, map[string]int{"L-A": 1})
	if err := s.Orders.PlaceOrder(ctx, o, retry); err != nil {
		t.Fatal(err)
	}
	checkStock(t, s.Inventory, map[string]int{"L-A": 4})
	page, err := s.Orders.CustomerOrders(ctx, cus.ID, "", 10)
	if err != nil || len(page.Orders) != 1 || page.Orders[0].ID != o.ID {
		t.Fatalf("orders %+v, %v; want exactly %s", page, err, o.ID)
	}
}

// testPlaceOrderConcurrent: more buyers than stock, all at once.
func testPlaceOrderConcurrent(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	cus := MustCustomer(t, s.Customers, "rush@example.com")
	const stock, buyers = 4, 12
	mustSetStock(t, s.Inventory, map[string]int{"R-A": stock, "R-B": 100})
	var wg sync.WaitGroup
	results := make(chan error, buyers)
	for i := range buyers {
		wg.Go(func() {
			claim := Claim(cus.ID, fmt.Sprint("k", i), "body", base)
			if _, err := s.Orders.ClaimIdempotencyKey(ctx, claim); err != nil {
				results <- err
				return
			}
			results <- s.Orders.PlaceOrder(ctx, NewOrder(cus.ID, base.Add(time.Duration(i)*time.Second), map[string]int{"R-A": 1, "R-B": 1}), claim)
		})
	}
	wg.Wait()
	close(results)
	var placed, short int
	for err := range results {
		switch {
		case err == nil:
			placed++
		case errors.Is(err, storefront.ErrOutOfStock):
			short++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if placed != stock || short != buyers-stock {
		t.Fatalf("%d placed, %d out of stock; want %d and %d", placed, short, stock, buyers-stock)
	}
	checkStock(t, s.Inventory, map[string]int{"R-A": 0, "R-B": 100 - stock})
}

func testTransitions(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	cus := MustCustomer(t, s.Customers, "trans@example.com")
	mustSetStock(t, s.Inventory, map[string]int{"T-A": 10})
	place := func(key string, q int) *storefront.Order {
		t.Helper()
		claim := Claim(cus.ID, key, "body", base)
		mustClaim(t, s.Orders, claim, storefront.IdempotencyClaimed)
		o := NewOrder(cus.ID, base, map[string]int{"T-A": q})
		if err := s.Orders.PlaceOrder(ctx, o, claim); err != nil {
			t.Fatal(err)
		}
		return o
	}
	o := place("a", 3)
	at := base.Add(time.Minute)
	got, err := s.Orders.TransitionOrder(ctx, storefront.Transition{OrderID: o.ID, From: storefront.OrderPending, To: storefront.OrderPaid, At: at,
		Payment: &storefront.PaymentUpdate{PaymentID: o.Payment.ID, Ref: "ref-1", Status: storefront.PaymentSucceeded, At: at}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != storefront.OrderPaid || got.Payment.Status != storefront.PaymentSucceeded || got.Payment.ProviderRef != "ref-1" || !got.UpdatedAt.Equal(at) {
		t.Fatalf("after pay %+v %+v", got, got.Payment)
	}
	if _, err := s.Orders.TransitionOrder(ctx, storefront.Transition{OrderID: o.ID, From: storefront.OrderPending, To: storefront.OrderCancelled, ReturnStock: true, At: at}); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("transition from a stale state: %v, want ErrConflict", err)
	}
	checkStock(t, s.Inventory, map[string]int{"T-A": 7})
	if _, err := s.Orders.TransitionOrder(ctx, storefront.Transition{OrderID: o.ID, From: storefront.OrderPaid, To: storefront.OrderRefunded, ReturnStock: true, At: at}); err != nil {
		t.Fatal(err)
	}
	checkStock(t, s.Inventory, map[string]int{"T-A": 10})

	o2 := place("b", 4)
	checkStock(t, s.Inventory, map[string]int{"T-A": 6})
	got, err = s.Orders.TransitionOrder(ctx, storefront.Transition{OrderID: o2.ID, From: storefront.OrderPending, To: storefront.OrderCancelled, ReturnStock: true, At: at,
		Payment: &storefront.PaymentUpdate{PaymentID: o2.Payment.ID, Status: storefront.PaymentCancelled, At: at}})
	if err != nil || got.Status != storefront.OrderCancelled || got.Payment.Status != storefront.PaymentCancelled {
		t.Fatalf("cancel: %+v, %v", got, err)
	}
	checkStock(t, s.Inventory, map[string]int{"T-A": 10})
	if _, err := s.Orders.TransitionOrder(ctx, storefront.Transition{OrderID: storefront.NewID("ord"), From: storefront.OrderPending, To: storefront.OrderPaid, At: at}); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("transition of a missing order: %v, want ErrNotFound", err)
	}
}

func testCustomerOrdersPaging(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	cus := MustCustomer(t, s.Customers, "pages@example.com")
	other := MustCustomer(t, s.Customers, "other@example.com")
	mustSetStock(t, s.Inventory, map[string]int{"O-A": 100})
	var want []string
	for i := range 5 {
		claim := Claim(cus.ID, fmt.Sprint("k", i), "body", base)
		mustClaim(t, s.Orders, claim, storefront.IdempotencyClaimed)
		// Two orders share a creation time: the id breaks the tie.
		o := NewOrder(cus.ID, base.Add(time.Duration(min(i, 3))*time.Second), map[string]int{"O-A": 1})
		if err := s.Orders.PlaceOrder(ctx, o, claim); err != nil {
			t.Fatal(err)
		}
		want = append(want, o.ID)
	}
	claim := Claim(other.ID, "k", "body", base)
	mustClaim(t, s.Orders, claim, storefront.IdempotencyClaimed)
	if err := s.Orders.PlaceOrder(ctx, NewOrder(other.ID, base.Add(time.Hour), map[string]int{"O-A": 1}), claim); err != nil {
		t.Fatal(err)
	}
	// Newest first; orders 3 and 4 share a time, so the larger id comes first.
	wantOrder := []string{}
	if want[3] > want[4] {
		wantOrder = append(wantOrder, want[3], want[4])
	} else {
		wantOrder = append(wantOrder, want[4], want[3])
	}
	wantOrder = append(wantOrder, want[2], want[1], want[0])

	var got []string
	cursor := ""
	for range 10 {
		page, err := s.Orders.CustomerOrders(ctx, cus.ID, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Orders) > 2 {
			t.Fatalf("page of %d", len(page.Orders))
		}
		for _, o := range page.Orders {
			if o.CustomerID != cus.ID || len(o.Lines) != 1 || o.Payment == nil {
				t.Fatalf("order %+v", o)
			}
			got = append(got, o.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(wantOrder) {
		t.Fatalf("orders %v, want %v", got, wantOrder)
	}
	if _, err := s.Orders.CustomerOrders(ctx, cus.ID, "not-a-cursor", 2); storefront.ErrorCode(err) != storefront.CodeInvalid {
		t.Fatalf("bad cursor: %v, want CodeInvalid", err)
	}
}

func testStalePendingOrders(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	cus := MustCustomer(t, s.Customers, "stale@example.com")
	mustSetStock(t, s.Inventory, map[string]int{"ST-A": 10})
	var ids []string
	for i := range 3 {
		claim := Claim(cus.ID, fmt.Sprint("k", i), "body", base)
		mustClaim(t, s.Orders, claim, storefront.IdempotencyClaimed)
		o := NewOrder(cus.ID, base.Add(time.Duration(i)*time.Minute), map[string]int{"ST-A": 1})
		if err := s.Orders.PlaceOrder(ctx, o, claim); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	if _, err := s.Orders.TransitionOrder(ctx, storefront.Transition{OrderID: ids[1], From: storefront.OrderPending, To: storefront.OrderPaid, At: base}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		before time.Time
		limit  int
		want   []string
	}{
		{base, 10, nil},
		{base.Add(90 * time.Second), 10, []string{ids[0]}},
		{base.Add(time.Hour), 10, []string{ids[0], ids[2]}},
		{base.Add(time.Hour), 1, []string{ids[0]}},
	} {
		got, err := s.Orders.StalePendingOrders(ctx, tc.before, tc.limit)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("before %v limit %d: %v, %v; want %v", tc.before, tc.limit, got, err, tc.want)
		}
	}
}
