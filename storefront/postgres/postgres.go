// Package postgres is the storefront's transactional backend on PostgreSQL
// (pgx v5): customers, stock, orders, order lines, payments and checkout
// idempotency keys — everything a checkout changes, so that one transaction
// covers it.
//
// Oversell protection is the conditional decrement
// `UPDATE stock SET quantity = quantity - $n WHERE sku = $s AND quantity >= $n`
// at READ COMMITTED: concurrent checkouts of one SKU queue on its row lock,
// and each re-checks the condition against the committed quantity, so no
// serialization failures need retrying. CHECK (quantity >= 0) is the
// backstop. Lines are decremented in SKU order, so checkouts can't deadlock.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata3d/strata/storefront"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config configures the connection.
type Config struct {
	// DSN is a PostgreSQL URL or key=value string, e.g.
	// "postgres://strata@db:5432/strata?sslmode=verify-full". pgxpool's
	// pool_max_conns etc. may be given in it. Required.
	DSN string
	// Schema, when set, is where the tables live (created by Migrate if
	// missing); it becomes the connections' search_path. Default "" (the
	// DSN's search_path, normally public).
	Schema string
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.DSN == "" {
		return errors.New("postgres: a DSN is required")
	}
	if c.Schema != "" && !validIdent(c.Schema) {
		return fmt.Errorf("postgres: schema %q must be a lower-case identifier", c.Schema)
	}
	return nil
}

func validIdent(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// DB is a connection pool implementing CustomerStore, InventoryStore and
// OrderStore.
type DB struct {
	pool   *pgxpool.Pool
	schema string
}

var (
	_ storefront.CustomerStore  = (*DB)(nil)
	_ storefront.InventoryStore = (*DB)(nil)
	_ storefront.OrderStore     = (*DB)(nil)
)

// Open connects; it does not migrate (see Migrate).
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.Schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	}
	pc.ConnConfig.RuntimeParams["application_name"] = "strata-storefront"
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &DB{pool: pool, schema: cfg.Schema}, nil
}

// Close closes the pool.
func (db *DB) Close() { db.pool.Close() }

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Pool exposes the pool (tests inspect the database through it).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Migrate applies the embedded migrations not applied yet, each in its own
// transaction, under an advisory lock so instances starting together don't
// race. It returns the names applied.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer conn.Release()
	const lockID = 0x5374726174614d // "StrataM"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
		return nil, fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID)
	if db.schema != "" {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{db.schema}.Sanitize()); err != nil {
			return nil, fmt.Errorf("postgres: create schema: %w", err)
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var applied []string
	for _, path := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		var done bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = $1)", name).Scan(&done); err != nil {
			return applied, fmt.Errorf("postgres: %w", err)
		}
		if done {
			continue
		}
		body, err := migrations.ReadFile(path)
		if err != nil {
			return applied, err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (name) VALUES ($1)", name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("postgres: migration %s: %w", name, err)
		}
		applied = append(applied, name)
	}
	return applied, nil
}

// Pending lists the embedded migrations the database has not applied, so a
// server can refuse to start on an old schema instead of failing per request.
func (db *DB) Pending(ctx context.Context) ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	applied := map[string]bool{}
	rows, err := db.pool.Query(ctx, "SELECT name FROM schema_migrations")
	if pgCode(err) == undefinedTable {
		rows, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if rows != nil {
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			applied[n] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var pending []string
	for _, path := range names {
		if name := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql"); !applied[name] {
			pending = append(pending, name)
		}
	}
	return pending, nil
}

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

const (
	uniqueViolation = "23505"
	undefinedTable  = "42P01"
)

func notFound(what string) error {
	return &storefront.Error{Code: storefront.CodeNotFound, Message: "No such " + what + "."}
}

var errConflict = &storefront.Error{Code: storefront.CodeConflict, Message: "The record changed or already exists."}
