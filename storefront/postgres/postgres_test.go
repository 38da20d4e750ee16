package postgres_test

import (
	"context"
	"testing"

	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/postgres/pgtest"
	"github.com/strata3d/strata/storefront/storetest"
)

func TestContract(t *testing.T) {
	storetest.RunCustomers(t, func(t *testing.T) storefront.Stores {
		db := pgtest.MustOpen(t)
		return storefront.Stores{Customers: db, Inventory: db, Orders: db}
	})
	storetest.RunOrders(t, func(t *testing.T) storefront.Stores {
		db := pgtest.MustOpen(t)
		return storefront.Stores{Customers: db, Inventory: db, Orders: db}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := pgtest.MustOpen(t)
	applied, err := db.Migrate(context.Background())
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, %v; want nothing", applied, err)
	}
}

func TestPending(t *testing.T) {
	db := pgtest.MustOpen(t)
	pending, err := db.Pending(context.Background())
	if err != nil || len(pending) != 0 {
		t.Fatalf("after migrating: pending %v, %v", pending, err)
	}
	if _, err := db.Pool().Exec(context.Background(), "DELETE FROM schema_migrations"); err != nil {
		t.Fatal(err)
	}
	pending, err = db.Pending(context.Background())
	if err != nil || len(pending) == 0 || pending[0] != "0001_init" {
		t.Fatalf("with an empty history: pending %v, %v", pending, err)
	}
}

func TestStockCheckIsABackstop(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	if err := db.SetStock(ctx, "A", 1); err != nil {
		t.Fatal(err)
	}
	// Even an unconditional decrement can't take stock below zero.
	_, err := db.Pool().Exec(ctx, "UPDATE stock SET quantity = quantity - 2 WHERE sku = 'A'")
	if err == nil {
		t.Fatal("stock went negative")
	}
}
