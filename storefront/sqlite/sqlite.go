// Package sqlite is the embedded storefront backend: every store of
// storefront.Stores in one SQLite file (modernc.org/sqlite, pure Go), so
// `make run` needs no database server.
//
// Writes go through one connection whose transactions begin IMMEDIATE: SQLite
// allows one writer at a time anyway, and taking the write lock at BEGIN
// means a checkout's read-check-decrement can't interleave with another's
// (no oversell, no SQLITE_BUSY upgrade deadlocks). Reads use a separate pool,
// which WAL mode lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/strata3d/strata/storefront"
)

//go:embed schema.sql
var schema string

// schemaVersion is stored in PRAGMA user_version; bump it with every change
// to schema.sql and add the upgrade step to migrate.
const schemaVersion = 1

// DB is an open storefront database. It implements every store interface.
type DB struct {
	w *sql.DB // one connection, IMMEDIATE transactions
	r *sql.DB // readers
}

var (
	_ storefront.ProductStore   = (*DB)(nil)
	_ storefront.SessionStore   = (*DB)(nil)
	_ storefront.CartStore      = (*DB)(nil)
	_ storefront.CustomerStore  = (*DB)(nil)
	_ storefront.InventoryStore = (*DB)(nil)
	_ storefront.OrderStore     = (*DB)(nil)
)

// Open opens (creating if needed) the database file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: a database path is required")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	db := &DB{w: w}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	q.Set("_txlock", "deferred")
	q.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	db.r = r
	return db, nil
}

func (db *DB) migrate(ctx context.Context) error {
	var v int
	if err := db.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("sqlite: read schema version: %w", err)
	}
	switch {
	case v == schemaVersion:
		return nil
	case v > schemaVersion:
		return fmt.Errorf("sqlite: the database has schema version %d, newer than this binary's %d", v, schemaVersion)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("sqlite: apply schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return tx.Commit()
}

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.r.PingContext(ctx) }

// Stores returns db as every store.
func (db *DB) Stores() storefront.Stores {
	return storefront.Stores{Products: db, Sessions: db, Carts: db, Customers: db, Inventory: db, Orders: db}
}

// Sweep deletes sessions and guest carts past their expiry; SQLite has no TTL.
func (db *DB) Sweep(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	for _, q := range []string{
		"DELETE FROM sessions WHERE expires_ns < ?",
		"DELETE FROM carts WHERE expires_ns > 0 AND expires_ns < ?",
	} {
		res, err := db.w.ExecContext(ctx, q, now.UnixNano())
		if err != nil {
			return n, err
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE), committing when fn
// returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func isUnique(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return false
}

// ns and fromNS store times as Unix nanoseconds, 0 for the zero time.
var ns, fromNS = storefront.UnixNanos, storefront.FromUnixNanos

func notFound(what string) error {
	return &storefront.Error{Code: storefront.CodeNotFound, Message: "No such " + what + "."}
}

var errConflict = &storefront.Error{Code: storefront.CodeConflict, Message: "The record changed or already exists."}
