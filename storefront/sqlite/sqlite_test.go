package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/sqlite"
	"github.com/strata3d/strata/storefront/storetest"
)

// MustOpen opens a fresh database in a temporary directory.
func MustOpen(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "strata.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storefront.Stores { return MustOpen(t).Stores() })
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "strata.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetStock(ctx, "A", 3); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Stock(ctx, []string{"A"})
	if err != nil || got["A"] != 3 {
		t.Fatalf("stock after reopen %v, %v", got, err)
	}
}
