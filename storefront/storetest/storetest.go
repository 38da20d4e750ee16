// Package storetest is the contract every storefront store implementation
// meets. Each backend package runs the parts of the suite it implements
// against a real instance (a SQLite file, a PostgreSQL schema, dynalite
// tables), so the service above relies on one set of semantics: optimistic
// versions, uniqueness as ErrConflict, keyset pagination that never skips or
// repeats, and checkouts that are all-or-nothing.
package storetest

import (
	"testing"
	"time"

	"github.com/strata3d/strata/storefront"
)

// NewStores returns fresh, empty stores for one test; only the fields a group
// of tests needs must be set. It registers its own cleanup with t.
type NewStores func(t *testing.T) storefront.Stores

type test struct {
	name string
	fn   func(t *testing.T, s storefront.Stores)
}

func run(t *testing.T, newStores NewStores, tests []test) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStores(t))
		})
	}
}

// Run runs every group; newStores must set every store.
func Run(t *testing.T, newStores NewStores) {
	RunProducts(t, newStores)
	RunSessions(t, newStores)
	RunCarts(t, newStores)
	RunCustomers(t, newStores)
	RunOrders(t, newStores)
}

// RunProducts checks a ProductStore (Stores.Products).
func RunProducts(t *testing.T, newStores NewStores) {
	run(t, newStores, []test{
		{"ProductCreateAndGet", testProductCreateAndGet},
		{"ProductUniqueness", testProductUniqueness},
		{"ProductUpdate", testProductUpdate},
		{"ProductDelete", testProductDelete},
		{"ProductList", testProductList},
		{"ProductListBadCursor", testProductListBadCursor},
	})
}

// RunSessions checks a SessionStore (Stores.Sessions).
func RunSessions(t *testing.T, newStores NewStores) {
	run(t, newStores, []test{{"Sessions", testSessions}})
}

// RunCarts checks a CartStore (Stores.Carts).
func RunCarts(t *testing.T, newStores NewStores) {
	run(t, newStores, []test{
		{"CartVersions", testCartVersions},
		{"CartConcurrentUpdates", testCartConcurrent},
	})
}

// RunCustomers checks a CustomerStore (Stores.Customers).
func RunCustomers(t *testing.T, newStores NewStores) {
	run(t, newStores, []test{{"Customers", testCustomers}})
}

// RunOrders checks an OrderStore with its InventoryStore and CustomerStore
// (Stores.Orders, Stores.Inventory, Stores.Customers), which share a database.
func RunOrders(t *testing.T, newStores NewStores) {
	run(t, newStores, []test{
		{"Inventory", testInventory},
		{"IdempotencyClaims", testIdempotencyClaims},
		{"PlaceOrder", testPlaceOrder},
		{"PlaceOrderOutOfStock", testPlaceOrderOutOfStock},
		{"PlaceOrderLostClaim", testPlaceOrderLostClaim},
		{"PlaceOrderConcurrent", testPlaceOrderConcurrent},
		{"Transitions", testTransitions},
		{"CustomerOrdersPaging", testCustomerOrdersPaging},
		{"StalePendingOrders", testStalePendingOrders},
	})
}

// base is a fixed instant all fixtures are relative to (stores keep at least
// microseconds; PostgreSQL keeps no more).
var base = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
