package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/strata3d/strata/storefront"
)

func (db *DB) CreateSession(ctx context.Context, s *storefront.Session) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO sessions (id, customer_id, cart_id, created_ns, last_seen_ns, expires_ns)
		VALUES (?, ?, ?, ?, ?, ?)`, s.ID, s.CustomerID, s.CartID, ns(s.CreatedAt), ns(s.LastSeenAt), ns(s.ExpiresAt))
	if isUnique(err) {
		return errConflict
	}
	return err
}

func (db *DB) Session(ctx context.Context, id string) (*storefront.Session, error) {
	var s storefront.Session
	var created, seen, expires int64
	err := db.r.QueryRowContext(ctx, "SELECT id, customer_id, cart_id, created_ns, last_seen_ns, expires_ns FROM sessions WHERE id = ?", id).
		Scan(&s.ID, &s.CustomerID, &s.CartID, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromNS(created), fromNS(seen), fromNS(expires)
	return &s, nil
}

func (db *DB) TouchSession(ctx context.Context, id string, lastSeen, expiresAt time.Time) error {
	res, err := db.w.ExecContext(ctx, "UPDATE sessions SET last_seen_ns = ?, expires_ns = ? WHERE id = ?", ns(lastSeen), ns(expiresAt), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("session")
	}
	return nil
}

func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.w.ExecContext(ctx, "DELETE FROM sessions WHERE id = ?", id)
	return err
}

func (db *DB) Cart(ctx context.Context, id string) (*storefront.Cart, error) {
	var c storefront.Cart
	var lines string
	var updated, expires int64
	err := db.r.QueryRowContext(ctx, "SELECT id, lines, version, updated_ns, expires_ns FROM carts WHERE id = ?", id).
		Scan(&c.ID, &lines, &c.Version, &updated, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("cart")
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(lines), &c.Lines); err != nil {
		return nil, err
	}
	c.UpdatedAt, c.ExpiresAt = fromNS(updated), fromNS(expires)
	return &c, nil
}

func (db *DB) SaveCart(ctx context.Context, c *storefront.Cart) error {
	lines, err := json.Marshal(c.Lines)
	if err != nil {
		return err
	}
	if c.Lines == nil {
		lines = []byte("[]")
	}
	var res sql.Result
	if c.Version == 0 {
		res, err = db.w.ExecContext(ctx, "INSERT INTO carts (id, lines, version, updated_ns, expires_ns) VALUES (?, ?, 1, ?, ?) ON CONFLICT (id) DO NOTHING",
			c.ID, string(lines), ns(c.UpdatedAt), ns(c.ExpiresAt))
	} else {
		res, err = db.w.ExecContext(ctx, "UPDATE carts SET lines = ?, version = version + 1, updated_ns = ?, expires_ns = ? WHERE id = ? AND version = ?",
			string(lines), ns(c.UpdatedAt), ns(c.ExpiresAt), c.ID, c.Version)
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errConflict
	}
	c.Version++
	return nil
}

func (db *DB) DeleteCart(ctx context.Context, id string) error {
	_, err := db.w.ExecContext(ctx, "DELETE FROM carts WHERE id = ?", id)
	return err
}

func (db *DB) CreateCustomer(ctx context.Context, c *storefront.Customer) error {
	_, err := db.w.ExecContext(ctx, "INSERT INTO customers (id, email, name, password_hash, created_ns) VALUES (?, ?, ?, ?, ?)",
		c.ID, c.Email, c.Name, c.PasswordHash, ns(c.CreatedAt))
	if isUnique(err) {
		return errConflict
	}
	return err
}

func (db *DB) customerWhere(ctx context.Context, where string, arg any) (*storefront.Customer, error) {
	var c storefront.Customer
	var created int64
	err := db.r.QueryRowContext(ctx, "SELECT id, email, name, password_hash, created_ns FROM customers WHERE "+where, arg).
		Scan(&c.ID, &c.Email, &c.Name, &c.PasswordHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("customer")
	}
	if err != nil {
		return nil, err
	}
	c.CreatedAt = fromNS(created)
	return &c, nil
}

func (db *DB) Customer(ctx context.Context, id string) (*storefront.Customer, error) {
	return db.customerWhere(ctx, "id = ?", id)
}

func (db *DB) CustomerByEmail(ctx context.Context, email string) (*storefront.Customer, error) {
	return db.customerWhere(ctx, "email = ?", email)
}

func (db *DB) SetPasswordHash(ctx context.Context, id, hash string) error {
	res, err := db.w.ExecContext(ctx, "UPDATE customers SET password_hash = ? WHERE id = ?", hash, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("customer")
	}
	return nil
}

func (db *DB) SetStock(ctx context.Context, sku string, quantity int) error {
	if quantity < 0 {
		return &storefront.Error{Code: storefront.CodeInvalid, Message: "Stock can't be negative."}
	}
	_, err := db.w.ExecContext(ctx, "INSERT INTO stock (sku, quantity) VALUES (?, ?) ON CONFLICT (sku) DO UPDATE SET quantity = excluded.quantity", sku, quantity)
	return err
}

func (db *DB) Stock(ctx context.Context, skus []string) (map[string]int, error) {
	out := make(map[string]int, len(skus))
	if len(skus) == 0 {
		return out, nil
	}
	list, err := json.Marshal(skus)
	if err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, "SELECT sku, quantity FROM stock WHERE sku IN (SELECT value FROM json_each(?))", string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sku string
		var q int
		if err := rows.Scan(&sku, &q); err != nil {
			return nil, err
		}
		out[sku] = q
	}
	return out, rows.Err()
}
