package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/strata3d/strata/storefront"
)

// querier is what reads need; *sql.DB and *sql.Tx both have it.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) ClaimIdempotencyKey(ctx context.Context, c storefront.IdempotencyClaim) (storefront.IdempotencyResult, error) {
	var res storefront.IdempotencyResult
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var hash []byte
		var state, token string
		var lease int64
		var orderID sql.NullString
		err := tx.QueryRowContext(ctx, "SELECT request_hash, state, token, lease_until_ns, order_id FROM idempotency_keys WHERE customer_id = ? AND key = ?",
			c.CustomerID, c.Key).Scan(&hash, &state, &token, &lease, &orderID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (customer_id, key, request_hash, state, token, lease_until_ns, created_ns)
				VALUES (?, ?, ?, 'in_flight', ?, ?, ?)`, c.CustomerID, c.Key, c.RequestHash, c.Token, ns(c.LeaseUntil), ns(c.Now))
			res.Outcome = storefront.IdempotencyClaimed
			return err
		case err != nil:
			return err
		case !bytes.Equal(hash, c.RequestHash):
			res.Outcome = storefront.IdempotencyMismatch
		case state == "done":
			res.Outcome, res.OrderID = storefront.IdempotencyReplay, orderID.String
		case lease > ns(c.Now):
			res.Outcome = storefront.IdempotencyInFlight
		default:
			// The holder's lease ran out (it crashed): take the key over.
			_, err := tx.ExecContext(ctx, "UPDATE idempotency_keys SET token = ?, lease_until_ns = ? WHERE customer_id = ? AND key = ?",
				c.Token, ns(c.LeaseUntil), c.CustomerID, c.Key)
			res.Outcome = storefront.IdempotencyClaimed
			return err
		}
		return nil
	})
	return res, err
}

func (db *DB) ReleaseIdempotencyKey(ctx context.Context, customerID, key, token string) error {
	_, err := db.w.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE customer_id = ? AND key = ? AND token = ? AND state = 'in_flight'", customerID, key, token)
	return err
}

func (db *DB) PlaceOrder(ctx context.Context, o *storefront.Order, claim storefront.IdempotencyClaim) error {
	shipping, err := json.Marshal(o.Shipping)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		// The write lock is held since BEGIN IMMEDIATE, so the check inside
		// each UPDATE can't race another checkout.
		var short []storefront.Shortage
		for _, l := range o.Lines {
			res, err := tx.ExecContext(ctx, "UPDATE stock SET quantity = quantity - ? WHERE sku = ? AND quantity >= ?", l.Quantity, l.SKU, l.Quantity)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				var have int
				if err := tx.QueryRowContext(ctx, "SELECT quantity FROM stock WHERE sku = ?", l.SKU).Scan(&have); err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
				short = append(short, storefront.Shortage{SKU: l.SKU, Requested: l.Quantity, Available: have})
			}
		}
		if len(short) > 0 {
			return &storefront.Error{Code: storefront.CodeOutOfStock, Message: "Not enough stock for every item.", Shortages: short}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO orders (id, customer_id, status, currency, subtotal, total, shipping, created_ns, updated_ns)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, o.ID, o.CustomerID, o.Status, o.Currency, o.Subtotal, o.Total, string(shipping), ns(o.CreatedAt), ns(o.UpdatedAt)); err != nil {
			return err
		}
		for i, l := range o.Lines {
			opts, err := json.Marshal(l.Options)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO order_lines (order_id, line_no, sku, product_id, title, options, unit_price, quantity)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, o.ID, i, l.SKU, l.ProductID, l.Title, string(opts), l.UnitPrice, l.Quantity); err != nil {
				return err
			}
		}
		if p := o.Payment; p != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO payments (id, order_id, provider, provider_ref, status, amount, currency, client_secret, created_ns, updated_ns)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, o.ID, p.Provider, p.ProviderRef, p.Status, p.Amount, p.Currency, p.ClientSecret, ns(p.CreatedAt), ns(p.UpdatedAt)); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, "UPDATE idempotency_keys SET state = 'done', order_id = ? WHERE customer_id = ? AND key = ? AND token = ? AND state = 'in_flight'",
			o.ID, claim.CustomerID, claim.Key, claim.Token)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errConflict // the lease ran out and a retry took the key
		}
		return nil
	})
}

func (db *DB) Order(ctx context.Context, id string) (*storefront.Order, error) {
	return loadOrder(ctx, db.r, id)
}

func loadOrder(ctx context.Context, q querier, id string) (*storefront.Order, error) {
	var o storefront.Order
	var shipping string
	var created, updated int64
	err := q.QueryRowContext(ctx, "SELECT id, customer_id, status, currency, subtotal, total, shipping, created_ns, updated_ns FROM orders WHERE id = ?", id).
		Scan(&o.ID, &o.CustomerID, &o.Status, &o.Currency, &o.Subtotal, &o.Total, &shipping, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("order")
	}
	if err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = fromNS(created), fromNS(updated)
	if err := json.Unmarshal([]byte(shipping), &o.Shipping); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, "SELECT sku, product_id, title, options, unit_price, quantity FROM order_lines WHERE order_id = ? ORDER BY line_no", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l storefront.OrderLine
		var opts string
		if err := rows.Scan(&l.SKU, &l.ProductID, &l.Title, &opts, &l.UnitPrice, &l.Quantity); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(opts), &l.Options); err != nil {
			return nil, err
		}
		l.LineTotal = l.UnitPrice * int64(l.Quantity)
		o.Lines = append(o.Lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	p, err := loadPayment(ctx, q, "order_id = ?", id)
	switch {
	case err == nil:
		o.Payment = p
	case !errors.Is(err, storefront.ErrNotFound):
		return nil, err
	}
	return &o, nil
}

func loadPayment(ctx context.Context, q querier, where string, arg any) (*storefront.Payment, error) {
	var p storefront.Payment
	var created, updated int64
	err := q.QueryRowContext(ctx, "SELECT id, order_id, provider, provider_ref, status, amount, currency, client_secret, created_ns, updated_ns FROM payments WHERE "+where, arg).
		Scan(&p.ID, &p.OrderID, &p.Provider, &p.ProviderRef, &p.Status, &p.Amount, &p.Currency, &p.ClientSecret, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("payment")
	}
	if err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = fromNS(created), fromNS(updated)
	return &p, nil
}

func (db *DB) Payment(ctx context.Context, id string) (*storefront.Payment, error) {
	return loadPayment(ctx, db.r, "id = ?", id)
}

type orderCursor struct {
	Key int64  `json:"k"`
	ID  string `json:"id"`
}

func (db *DB) CustomerOrders(ctx context.Context, customerID, cursor string, limit int) (storefront.OrderPage, error) {
	query := "SELECT id, created_ns FROM orders WHERE customer_id = ?"
	args := []any{customerID}
	if cursor != "" {
		var c orderCursor
		if !storefront.DecodeCursor(cursor, &c) || !storefront.ValidID("ord", c.ID) {
			return storefront.OrderPage{}, storefront.BadCursor()
		}
		query += " AND (created_ns < ? OR (created_ns = ? AND id < ?))"
		args = append(args, c.Key, c.Key, c.ID)
	}
	query += " ORDER BY created_ns DESC, id DESC LIMIT ?"
	args = append(args, limit+1)
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return storefront.OrderPage{}, err
	}
	type key struct {
		id string
		ns int64
	}
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.id, &k.ns); err != nil {
			rows.Close()
			return storefront.OrderPage{}, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return storefront.OrderPage{}, err
	}
	var page storefront.OrderPage
	if len(keys) > limit {
		keys = keys[:limit]
		page.NextCursor = storefront.EncodeCursor(orderCursor{Key: keys[limit-1].ns, ID: keys[limit-1].id})
	}
	for _, k := range keys {
		o, err := loadOrder(ctx, db.r, k.id)
		if err != nil {
			return storefront.OrderPage{}, err
		}
		page.Orders = append(page.Orders, *o)
	}
	return page, nil
}

func (db *DB) TransitionOrder(ctx context.Context, t storefront.Transition) (*storefront.Order, error) {
	var out *storefront.Order
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE orders SET status = ?, updated_ns = ? WHERE id = ? AND status = ?", t.To, ns(t.At), t.OrderID, t.From)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, "SELECT 1 FROM orders WHERE id = ?", t.OrderID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return notFound("order")
			}
			return errConflict
		}
		if t.ReturnStock {
			// "WHERE true" disambiguates SQLite's INSERT … SELECT … ON CONFLICT.
			if _, err := tx.ExecContext(ctx, `INSERT INTO stock (sku, quantity)
				SELECT sku, SUM(quantity) FROM order_lines WHERE order_id = ? AND true GROUP BY sku
				ON CONFLICT (sku) DO UPDATE SET quantity = stock.quantity + excluded.quantity`, t.OrderID); err != nil {
				return err
			}
		}
		if t.Payment != nil {
			if err := updatePayment(ctx, tx, *t.Payment); err != nil {
				return err
			}
		}
		out, err = loadOrder(ctx, tx, t.OrderID)
		return err
	})
	return out, err
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func updatePayment(ctx context.Context, e execer, u storefront.PaymentUpdate) error {
	res, err := e.ExecContext(ctx, `UPDATE payments SET status = ?, updated_ns = ?,
		provider_ref = CASE WHEN ? = '' THEN provider_ref ELSE ? END,
		client_secret = CASE WHEN ? = '' THEN client_secret ELSE ? END
		WHERE id = ?`, u.Status, ns(u.At), u.Ref, u.Ref, u.ClientSecret, u.ClientSecret, u.PaymentID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("payment")
	}
	return nil
}

func (db *DB) UpdatePayment(ctx context.Context, u storefront.PaymentUpdate) error {
	return updatePayment(ctx, db.w, u)
}

func (db *DB) StalePendingOrders(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT id FROM orders WHERE status = 'pending' AND created_ns < ? ORDER BY created_ns LIMIT ?", ns(before), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
