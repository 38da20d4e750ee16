// Package pgtest gives tests PostgreSQL stores in schemas of their own on the
// server scripts/testenv.sh points STRATA_TEST_POSTGRES at.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/strata3d/strata/storefront/postgres"
)

// TestDSNEnv names the variable scripts/testenv.sh sets to the test
// database's DSN.
const TestDSNEnv = "STRATA_TEST_POSTGRES"

// MustOpen opens a migrated database in a schema of its own, dropped when
// the test ends, so parallel tests and packages never see each other's rows.
// Without STRATA_TEST_POSTGRES the test fails (or skips under -short).
func MustOpen(tb testing.TB) *postgres.DB {
	tb.Helper()
	dsn := os.Getenv(TestDSNEnv)
	if dsn == "" {
		if testing.Short() {
			tb.Skip(TestDSNEnv + " is not set (run the tests through scripts/testenv.sh run)")
		}
		tb.Fatal(TestDSNEnv + " is not set: run the tests through scripts/testenv.sh run")
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "strata_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{DSN: dsn, Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db.Close()
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			tb.Errorf("drop test schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop test schema: %v", err)
		}
	})
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}
