package httpapi_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata3d/strata/storefront"
)

func TestCheckoutFlow(t *testing.T) {
	for _, backend := range []string{"sqlite", "aws"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, options{backend: backend})
			e.mustProduct(t, "chair", 12900, map[string]int{"CHAIR-1": 5})
			e.mustProduct(t, "vase", 4500, map[string]int{"VASE-1": 5})
			c := e.shopper(t, "buyer@example.com")
			c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "CHAIR-1", "quantity": 2})
			c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "VASE-1", "quantity": 1})

			problem(t, c.do("POST", "/api/v1/checkout", shipping), 400, "malformed") // no Idempotency-Key
			problem(t, e.client(t).do("POST", "/api/v1/checkout", shipping, "Idempotency-Key", "k0"), 401, "unauthenticated")
			p := problem(t, c.do("POST", "/api/v1/checkout", map[string]any{"shipping": map[string]string{"name": "A"}}, "Idempotency-Key", "k0"), 422, "invalid")
			if len(p.Errors) < 4 {
				t.Errorf("address errors %+v", p.Errors)
			}

			r := c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "order-1")
			var o storefront.Order
			r.decode(t, &o)
			if r.Header.Get("Idempotent-Replayed") != "" || r.Header.Get("Location") != "/api/v1/orders/"+o.ID {
				t.Errorf("headers %v", r.Header)
			}
			if o.Status != storefront.OrderPaid || o.Total != 2*12900+4500 || len(o.Lines) != 2 || o.Payment == nil ||
				o.Payment.Status != storefront.PaymentSucceeded || o.Payment.Provider != "offline" || o.Shipping.Country != "GB" {
				t.Fatalf("order %s", r.Body)
			}
			stock := func() (int, int) {
				var a, b storefront.Product
				c.must(200, "GET", "/api/v1/products/chair", nil).decode(t, &a)
				c.must(200, "GET", "/api/v1/products/vase", nil).decode(t, &b)
				return a.Variants[0].Stock, b.Variants[0].Stock
			}
			if a, b := stock(); a != 3 || b != 4 {
				t.Fatalf("stock after checkout %d, %d; want 3, 4", a, b)
			}
			var cart storefront.PricedCart
			c.must(200, "GET", "/api/v1/cart", nil).decode(t, &cart)
			if len(cart.Lines) != 0 {
				t.Fatalf("cart not cleared: %+v", cart)
			}

			// Same key, same body: the same order, replayed, nothing charged or taken.
			r = c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "order-1")
			var again storefront.Order
			r.decode(t, &again)
			if again.ID != o.ID || r.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay gave %s (%v)", r.Body, r.Header)
			}
			if a, b := stock(); a != 3 || b != 4 {
				t.Fatalf("stock after replay %d, %d", a, b)
			}
			// Same key, another body.
			other := map[string]any{"shipping": map[string]string{"name": "Bob", "line1": "2 Elm", "city": "Paris", "postal_code": "75001", "country": "FR"}}
			problem(t, c.do("POST", "/api/v1/checkout", other, "Idempotency-Key", "order-1"), 422, "idempotency_mismatch")
			// A new key with an empty cart.
			problem(t, c.do("POST", "/api/v1/checkout", shipping, "Idempotency-Key", "order-2"), 422, "invalid")

			// Orders belong to their customer.
			var page storefront.OrderPage
			c.must(200, "GET", "/api/v1/orders", nil).decode(t, &page)
			if len(page.Orders) != 1 || page.Orders[0].ID != o.ID {
				t.Fatalf("orders %+v", page)
			}
			c.must(200, "GET", "/api/v1/orders/"+o.ID, nil)
			stranger := e.shopper(t, "stranger@example.com")
			problem(t, stranger.do("GET", "/api/v1/orders/"+o.ID, nil), 404, "not_found")
			problem(t, stranger.do("POST", "/api/v1/orders/"+o.ID+"/cancel", nil), 404, "not_found")
			stranger.must(200, "GET", "/api/v1/orders", nil).decode(t, &page)
			if len(page.Orders) != 0 {
				t.Fatalf("stranger sees %+v", page)
			}
			problem(t, e.client(t).do("GET", "/api/v1/orders", nil), 401, "unauthenticated")

			// The state machine: paid can't be cancelled by the customer;
			// refunded from paid returns the stock.
			problem(t, c.do("POST", "/api/v1/orders/"+o.ID+"/cancel", nil), 409, "invalid_transition")
			adm := e.admin(t)
			adm.must(200, "POST", "/api/v1/admin/orders/"+o.ID+"/refund", nil).decode(t, &o)
			if o.Status != storefront.OrderRefunded || o.Payment.Status != storefront.PaymentRefunded {
				t.Fatalf("refunded order %+v %+v", o, o.Payment)
			}
			if a, b := stock(); a != 5 || b != 5 {
				t.Fatalf("stock after refund %d, %d; want 5, 5", a, b)
			}
			problem(t, adm.do("POST", "/api/v1/admin/orders/"+o.ID+"/fulfill", nil), 409, "invalid_transition")

			// A fulfilled order's refund keeps the stock (the goods shipped).
			c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "VASE-1", "quantity": 2})
			c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "order-3").decode(t, &o)
			adm.must(200, "POST", "/api/v1/admin/orders/"+o.ID+"/fulfill", nil).decode(t, &o)
			if o.Status != storefront.OrderFulfilled {
				t.Fatalf("fulfilled %+v", o)
			}
			adm.must(200, "POST", "/api/v1/admin/orders/"+o.ID+"/refund", nil)
			if _, b := stock(); b != 3 {
				t.Fatalf("vase stock %d after refunding a shipped order, want 3", b)
			}
			problem(t, adm.do("POST", "/api/v1/admin/orders/ord_aaaaaaaaaaaaaaaaaaaaaaaa/refund", nil), 404, "not_found")
		})
	}
}

// TestConcurrentCheckoutsDoNotOversell is the first proof: 50
// customers check out the last 10 items at once on PostgreSQL.
func TestConcurrentCheckoutsDoNotOversell(t *testing.T) {
	const buyers, stock = 50, 10
	e := startEnv(t, options{backend: "aws"})
	e.mustProduct(t, "lamp", 8900, map[string]int{"LAMP-1": stock})
	shoppers := make([]*client, buyers)
	for i := range shoppers {
		shoppers[i] = e.shopper(t, fmt.Sprintf("rush%d@example.com", i))
		shoppers[i].must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "LAMP-1"})
	}
	start := make(chan struct{})
	results := make([]response, buyers)
	var wg sync.WaitGroup
	for i, c := range shoppers {
		wg.Go(func() {
			<-start
			results[i] = c.do("POST", "/api/v1/checkout", shipping, "Idempotency-Key", fmt.Sprint("rush-", i))
		})
	}
	close(start)
	wg.Wait()
	placed, refused := 0, 0
	for _, r := range results {
		switch r.StatusCode {
		case 201:
			placed++
		default:
			p := problem(t, r, 409, "out_of_stock")
			if len(p.Shortages) != 1 || p.Shortages[0].SKU != "LAMP-1" || p.Shortages[0].Available != 0 {
				t.Errorf("shortages %+v", p.Shortages)
			}
			refused++
		}
	}
	if placed != stock || refused != buyers-stock {
		t.Fatalf("%d orders placed and %d refused; want %d and %d", placed, refused, stock, buyers-stock)
	}
	db := e.PG.Pool()
	var orders, payments, sold, left int
	q := func(sql string, v *int) {
		if err := db.QueryRow(context.Background(), sql).Scan(v); err != nil {
			t.Fatal(err)
		}
	}
	q("SELECT count(*) FROM orders", &orders)
	q("SELECT count(*) FROM payments", &payments)
	q("SELECT coalesce(sum(quantity), 0) FROM order_lines", &sold)
	q("SELECT quantity FROM stock WHERE sku = 'LAMP-1'", &left)
	if orders != stock || payments != stock || sold != stock || left != 0 {
		t.Fatalf("database holds %d orders, %d payments, %d sold, stock %d; want %d, %d, %d, 0", orders, payments, sold, left, stock, stock, stock)
	}
}

// droppingProxy forwards each request to target, reads the whole answer and
// then closes the client's connection without sending it: a response lost
// on the way back, after the server did the work.
func droppingProxy(tb testing.TB, target string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				req.RequestURI = ""
				req.URL.Scheme, req.URL.Host = "http", target
				resp, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestRetryAfterDroppedResponse is the second proof: the answer to a
// checkout is lost, the client retries with the same key, and still exactly
// one order and one payment exist.
func TestRetryAfterDroppedResponse(t *testing.T) {
	for _, backend := range []string{"sqlite", "aws"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, options{backend: backend})
			e.mustProduct(t, "sofa", 90000, map[string]int{"SOFA-1": 3})
			c := e.shopper(t, "retry@example.com")
			c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "SOFA-1"})

			lossy := *c
			lossy.base = droppingProxy(t, e.URL[len("http://"):])
			if _, err := tryDo(&lossy, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "retry-1"); err == nil {
				t.Fatal("the proxy delivered a response")
			}
			// The retry finds the order the lost request placed.
			var o storefront.Order
			r := c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "retry-1")
			r.decode(t, &o)
			if r.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("the retry placed a new order: %s", r.Body)
			}
			var page storefront.OrderPage
			c.must(200, "GET", "/api/v1/orders", nil).decode(t, &page)
			if len(page.Orders) != 1 || page.Orders[0].ID != o.ID || page.Orders[0].Payment == nil {
				t.Fatalf("orders after retry: %+v", page)
			}
			var p storefront.Product
			c.must(200, "GET", "/api/v1/products/sofa", nil).decode(t, &p)
			if p.Variants[0].Stock != 2 {
				t.Fatalf("stock %d, want 2", p.Variants[0].Stock)
			}
			if e.PG != nil {
				var payments int
				if err := e.PG.Pool().QueryRow(context.Background(), "SELECT count(*) FROM payments").Scan(&payments); err != nil || payments != 1 {
					t.Fatalf("%d payments, %v; want 1", payments, err)
				}
			}
		})
	}
}

// tryDo is client.do that returns transport errors instead of failing.
func tryDo(c *client, method, path string, body any, headers ...string) (response, error) {
	var out response
	var err error
	func() {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("%v", v)
			}
		}()
		ft := &fatalTB{TB: c.tb}
		cc := *c
		cc.tb = ft
		out = cc.do(method, path, body, headers...)
		err = ft.err
	}()
	return out, err
}

// fatalTB turns Fatal into a panic tryDo recovers, so a transport error can
// be an expected outcome.
type fatalTB struct {
	testing.TB
	err error
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatal(args ...any) {
	f.err = fmt.Errorf("%v", fmt.Sprint(args...))
	panic(f.err)
}

// TestKilledConnectionLeavesNothing is the third proof: the database
// connection of a checkout is terminated in the middle of its transaction
// (after the stock decrement, before the order insert); nothing is left
// behind, no stock is lost, and a retry with the same key succeeds.
func TestKilledConnectionLeavesNothing(t *testing.T) {
	e := startEnv(t, options{backend: "aws"})
	e.mustProduct(t, "table", 50000, map[string]int{"TABLE-1": 4})
	c := e.shopper(t, "killed@example.com")
	c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "TABLE-1", "quantity": 2})
	ctx := context.Background()

	// Hold a lock that lets the checkout decrement stock but blocks its
	// INSERT INTO orders, so it waits mid-transaction.
	locker, err := e.PG.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Rollback(ctx)
	var lockerPID int
	if err := locker.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&lockerPID); err != nil {
		t.Fatal(err)
	}
	if _, err := locker.Exec(ctx, "LOCK TABLE orders IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan response, 1)
	go func() {
		r, err := tryDo(c, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "kill-1")
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	victim := waitBlocked(t, e.PG.Pool(), lockerPID)
	var decremented int
	if err := e.PG.Pool().QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE pid = $1 AND locktype = 'transactionid' AND granted", victim).Scan(&decremented); err != nil || decremented == 0 {
		t.Fatalf("the blocked checkout holds no transaction (%v): it has not written the stock yet", err)
	}
	var terminated bool
	if err := e.PG.Pool().QueryRow(ctx, "SELECT pg_terminate_backend($1)", victim).Scan(&terminated); err != nil || !terminated {
		t.Fatalf("terminate backend %d: %v, %v", victim, terminated, err)
	}
	r := <-done
	problem(t, r, 503, "unavailable")
	if err := locker.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	var orders, lines, payments, stock, keys int
	for sql, v := range map[string]*int{
		"SELECT count(*) FROM orders":                                &orders,
		"SELECT count(*) FROM order_lines":                           &lines,
		"SELECT count(*) FROM payments":                              &payments,
		"SELECT quantity FROM stock WHERE sku = 'TABLE-1'":           &stock,
		"SELECT count(*) FROM idempotency_keys WHERE key = 'kill-1'": &keys,
	} {
		if err := e.PG.Pool().QueryRow(ctx, sql).Scan(v); err != nil {
			t.Fatal(err)
		}
	}
	if orders != 0 || lines != 0 || payments != 0 || stock != 4 || keys != 0 {
		t.Fatalf("after the kill: %d orders, %d lines, %d payments, stock %d, %d keys; want 0, 0, 0, 4, 0", orders, lines, payments, stock, keys)
	}
	var o storefront.Order
	r = c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "kill-1")
	r.decode(t, &o)
	if r.Header.Get("Idempotent-Replayed") != "" || o.Status != storefront.OrderPaid {
		t.Fatalf("retry: %s", r.Body)
	}
	if err := e.PG.Pool().QueryRow(ctx, "SELECT quantity FROM stock WHERE sku = 'TABLE-1'").Scan(&stock); err != nil || stock != 2 {
		t.Fatalf("stock after the retry %d, %v; want 2", stock, err)
	}
}

// waitBlocked polls PostgreSQL until a backend waits on a lock held by
// lockerPID, and returns that backend's pid.
func waitBlocked(tb testing.TB, pool *pgxpool.Pool, lockerPID int) int {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pid int
		err := pool.QueryRow(context.Background(), "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", lockerPID).Scan(&pid)
		switch {
		case err == nil:
			return pid
		case !errors.Is(err, pgx.ErrNoRows):
			tb.Fatal(err)
		case time.Now().After(deadline):
			tb.Fatal("no backend blocked on the lock")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not waiting a fixed time
	}
}

// TestConcurrentSameKey: while a checkout runs, another request with its key
// is refused with 409; after it finishes, the key replays its order.
func TestConcurrentSameKey(t *testing.T) {
	e := startEnv(t, options{backend: "aws"})
	e.mustProduct(t, "vase", 4500, map[string]int{"VASE-1": 4})
	c := e.shopper(t, "twice@example.com")
	c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "VASE-1"})
	ctx := context.Background()
	locker, err := e.PG.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Rollback(ctx)
	var lockerPID int
	locker.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&lockerPID)
	if _, err := locker.Exec(ctx, "LOCK TABLE orders IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	first := make(chan response, 1)
	go func() {
		r, err := tryDo(c, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "same")
		if err != nil {
			t.Error(err)
		}
		first <- r
	}()
	waitBlocked(t, e.PG.Pool(), lockerPID)
	problem(t, c.do("POST", "/api/v1/checkout", shipping, "Idempotency-Key", "same"), 409, "idempotency_in_flight")
	locker.Rollback(ctx)
	r := <-first
	if r.StatusCode != 201 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first request: %d %s", r.StatusCode, r.Body)
	}
	again := c.must(201, "POST", "/api/v1/checkout", shipping, "Idempotency-Key", "same")
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("after the first finished: %s", again.Body)
	}
	var n int
	e.PG.Pool().QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&n)
	if n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}
