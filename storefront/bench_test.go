package storefront_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/dynamo/dynamotest"
	"github.com/strata3d/strata/storefront/postgres/pgtest"
	"github.com/strata3d/strata/storefront/sqlite"
)

// Benchmarks of the service on each backend: sqlite (the embedded default)
// and aws (catalog in DynamoDB — dynalite here — and orders in PostgreSQL).
// Besides ns/op they report ops/s (all goroutines together) and the p99
// latency of one operation.

var benchBackends = []struct {
	name string
	open func(b *testing.B) storefront.Stores
}{
	{"sqlite", func(b *testing.B) storefront.Stores {
		db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db.Stores()
	}},
	{"aws", func(b *testing.B) storefront.Stores {
		dyn, pg := dynamotest.MustOpen(b), pgtest.MustOpen(b)
		return storefront.Stores{Products: dyn, Sessions: dyn, Carts: dyn, Customers: pg, Inventory: pg, Orders: pg}
	}},
}

const benchProducts, benchCategories = 200, 5

func benchService(b *testing.B, stores storefront.Stores) *storefront.Service {
	cfg := storefront.DefaultConfig()
	cfg.Password = storefront.PasswordConfig{MemoryKiB: 64, Iterations: 1, Parallelism: 1, InsecureLowCost: true}
	cfg.LoginPerIP = storefront.RateConfig{}
	svc, err := storefront.New(cfg, stores, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := range benchProducts {
		_, err := svc.CreateProduct(ctx, storefront.Product{
			Slug: fmt.Sprintf("product-%d", i), Title: fmt.Sprintf("Product %d", i), Category: fmt.Sprintf("cat-%d", i%benchCategories),
			Tags: []string{"oak"}, Price: int64(1000 + i*7%500), Currency: "EUR",
			Variants: []storefront.Variant{{SKU: fmt.Sprintf("SKU-%d", i), Stock: 1_000_000}},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return svc
}

// latencies collects per-operation times from parallel goroutines.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(ds []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, ds...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	p99 := l.all[min(len(l.all)-1, len(l.all)*99/100)]
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(l.all))/elapsed.Seconds(), "ops/s")
}

// runParallel runs op from every goroutine, timing each call.
func runParallel(b *testing.B, setup func() (op func(i int) error)) {
	var lat latencies
	var seq atomic.Int64
	b.SetParallelism(4) // stores wait on the network; keep more requests in flight than cores
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		op := setup()
		var local []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if err := op(int(seq.Add(1))); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t0))
		}
		lat.add(local)
	})
	elapsed := time.Since(start)
	b.StopTimer()
	lat.report(b, elapsed)
}

func BenchmarkCatalogGet(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			svc := benchService(b, be.open(b))
			ctx := context.Background()
			runParallel(b, func() func(int) error {
				return func(i int) error {
					_, err := svc.Product(ctx, fmt.Sprintf("product-%d", rand.IntN(benchProducts)))
					return err
				}
			})
		})
	}
}

func BenchmarkCatalogList(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			svc := benchService(b, be.open(b))
			ctx := context.Background()
			sorts := []string{storefront.SortNewest, storefront.SortPriceAsc, storefront.SortPriceDesc}
			runParallel(b, func() func(int) error {
				return func(i int) error {
					page, err := svc.ListProducts(ctx, storefront.ProductQuery{Category: fmt.Sprintf("cat-%d", i%benchCategories), Sort: sorts[i%3], Limit: 20})
					if err == nil && len(page.Products) != 20 {
						err = fmt.Errorf("page of %d", len(page.Products))
					}
					return err
				}
			})
		})
	}
}

// BenchmarkCheckout times checkouts of one line each, by one customer per
// goroutine; an operation is add-to-cart plus checkout, the p99 is the
// checkout's alone.
func BenchmarkCheckout(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			svc := benchService(b, be.open(b))
			ctx := context.Background()
			var lat latencies
			var customers atomic.Int64
			addr := storefront.CheckoutRequest{Shipping: storefront.Address{Name: "Ada", Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"}}
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				email := fmt.Sprintf("bench%d@example.com", customers.Add(1))
				if _, err := svc.SignUp(ctx, storefront.SignUp{Email: email, Password: "benchmark password"}, "127.0.0.1"); err != nil {
					b.Error(err)
					return
				}
				_, sess, _, err := svc.Login(ctx, email, "benchmark password", "127.0.0.1", nil)
				if err != nil {
					b.Error(err)
					return
				}
				var local []time.Duration
				for i := 0; pb.Next(); i++ {
					if _, err := svc.AddToCart(ctx, sess, fmt.Sprintf("SKU-%d", rand.IntN(benchProducts)), 1); err != nil {
						b.Error(err)
						return
					}
					t0 := time.Now()
					if _, _, err := svc.Checkout(ctx, sess, fmt.Sprint(email, "-", i), addr); err != nil {
						b.Error(err)
						return
					}
					local = append(local, time.Since(t0))
				}
				lat.add(local)
			})
			elapsed := time.Since(start)
			b.StopTimer()
			lat.report(b, elapsed)
		})
	}
}
