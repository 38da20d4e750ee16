package postgres

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/strata3d/strata/storefront"
)

func (db *DB) ClaimIdempotencyKey(ctx context.Context, c storefront.IdempotencyClaim) (storefront.IdempotencyResult, error) {
	var res storefront.IdempotencyResult
	// A concurrent release can delete the row between the insert and the
	// select; the next round then inserts.
	for range 3 {
		found := false
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (customer_id, key, request_hash, state, token, lease_until, created_at)
				VALUES ($1, $2, $3, 'in_flight', $4, $5, $6) ON CONFLICT (customer_id, key) DO NOTHING`,
				c.CustomerID, c.Key, c.RequestHash, c.Token, c.LeaseUntil, c.Now)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				found, res.Outcome = true, storefront.IdempotencyClaimed
				return nil
			}
			var hash []byte
			var state string
			var lease time.Time
			var orderID *string
			err = tx.QueryRow(ctx, `SELECT request_hash, state, lease_until, order_id FROM idempotency_keys
				WHERE customer_id = $1 AND key = $2 FOR UPDATE`, c.CustomerID, c.Key).Scan(&hash, &state, &lease, &orderID)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			found = true
			switch {
			case !bytes.Equal(hash, c.RequestHash):
				res.Outcome = storefront.IdempotencyMismatch
			case state == "done":
				res.Outcome, res.OrderID = storefront.IdempotencyReplay, *orderID
			case lease.After(c.Now):
				res.Outcome = storefront.IdempotencyInFlight
			default:
				// The holder's lease ran out (it crashed): take the key over.
				res.Outcome = storefront.IdempotencyClaimed
				_, err = tx.Exec(ctx, "UPDATE idempotency_keys SET token = $3, lease_until = $4 WHERE customer_id = $1 AND key = $2",
					c.CustomerID, c.Key, c.Token, c.LeaseUntil)
			}
			return err
		})
		if err != nil || found {
			return res, err
		}
	}
	return res, errors.New("postgres: idempotency key kept vanishing")
}

func (db *DB) ReleaseIdempotencyKey(ctx context.Context, customerID, key, token string) error {
	_, err := db.pool.Exec(ctx, "DELETE FROM idempotency_keys WHERE customer_id = $1 AND key = $2 AND token = $3 AND state = 'in_flight'",
		customerID, key, token)
	return err
}

func (db *DB) PlaceOrder(ctx context.Context, o *storefront.Order, claim storefront.IdempotencyClaim) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// One round trip for every decrement. Lines come sorted by SKU, so
		// row locks are always taken in the same order.
		b := &pgx.Batch{}
		for _, l := range o.Lines {
			b.Queue("UPDATE stock SET quantity = quantity - $1, updated_at = now() WHERE sku = $2 AND quantity >= $1", l.Quantity, l.SKU)
		}
		br := tx.SendBatch(ctx, b)
		var short []storefront.Shortage
		for _, l := range o.Lines {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return err
			}
			if tag.RowsAffected() == 0 {
				short = append(short, storefront.Shortage{SKU: l.SKU, Requested: l.Quantity})
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
		if len(short) > 0 {
			for i := range short {
				err := tx.QueryRow(ctx, "SELECT quantity FROM stock WHERE sku = $1", short[i].SKU).Scan(&short[i].Available)
				if err != nil && !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
			}
			return &storefront.Error{Code: storefront.CodeOutOfStock, Message: "Not enough stock for every item.", Shortages: short}
		}

		b = &pgx.Batch{}
		b.Queue(`INSERT INTO orders (id, customer_id, status, currency, subtotal, total, shipping, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, o.ID, o.CustomerID, o.Status, o.Currency, o.Subtotal, o.Total, o.Shipping, o.CreatedAt, o.UpdatedAt)
		for i, l := range o.Lines {
			opts := l.Options
			if opts == nil {
				opts = map[string]string{}
			}
			b.Queue(`INSERT INTO order_lines (order_id, line_no, sku, product_id, title, options, unit_price, quantity)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, o.ID, i, l.SKU, l.ProductID, l.Title, opts, l.UnitPrice, l.Quantity)
		}
		if p := o.Payment; p != nil {
			b.Queue(`INSERT INTO payments (id, order_id, provider, provider_ref, status, amount, currency, client_secret, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, p.ID, o.ID, p.Provider, p.ProviderRef, p.Status, p.Amount, p.Currency, p.ClientSecret, p.CreatedAt, p.UpdatedAt)
		}
		b.Queue(`INSERT INTO order_events (order_id, from_status, to_status, at) VALUES ($1, '', $2, $3)`, o.ID, o.Status, o.CreatedAt)
		b.Queue(`UPDATE idempotency_keys SET state = 'done', order_id = $1
			WHERE customer_id = $2 AND key = $3 AND token = $4 AND state = 'in_flight'`, o.ID, claim.CustomerID, claim.Key, claim.Token)
		br = tx.SendBatch(ctx, b)
		var tag interface{ RowsAffected() int64 }
		for range b.Len() {
			t, err := br.Exec()
			if err != nil {
				br.Close()
				return err
			}
			tag = t
		}
		if err := br.Close(); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errConflict // the lease ran out and a retry took the key
		}
		return nil
	})
}

func (db *DB) Order(ctx context.Context, id string) (*storefront.Order, error) {
	return loadOrder(ctx, db.pool, id)
}

// querier is what reads need; the pool and a transaction both have it.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const orderColumns = `o.id, o.customer_id, o.status, o.currency, o.subtotal, o.total, o.shipping, o.created_at, o.updated_at,
	p.id, p.provider, p.provider_ref, p.status, p.amount, p.currency, p.client_secret, p.created_at, p.updated_at`

func scanOrder(row pgx.Row) (*storefront.Order, error) {
	var o storefront.Order
	var pid, provider, ref, status, currency, secret *string
	var amount *int64
	var pcreated, pupdated *time.Time
	if err := row.Scan(&o.ID, &o.CustomerID, &o.Status, &o.Currency, &o.Subtotal, &o.Total, &o.Shipping, &o.CreatedAt, &o.UpdatedAt,
		&pid, &provider, &ref, &status, &amount, &currency, &secret, &pcreated, &pupdated); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	if pid != nil {
		o.Payment = &storefront.Payment{ID: *pid, OrderID: o.ID, Provider: *provider, ProviderRef: *ref, Status: storefront.PaymentStatus(*status),
			Amount: *amount, Currency: *currency, ClientSecret: *secret, CreatedAt: pcreated.UTC(), UpdatedAt: pupdated.UTC()}
	}
	return &o, nil
}

func loadOrder(ctx context.Context, q querier, id string) (*storefront.Order, error) {
	o, err := scanOrder(q.QueryRow(ctx, "SELECT "+orderColumns+" FROM orders o LEFT JOIN payments p ON p.order_id = o.id WHERE o.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("order")
	}
	if err != nil {
		return nil, err
	}
	if err := loadLines(ctx, q, []*storefront.Order{o}); err != nil {
		return nil, err
	}
	return o, nil
}

// loadLines fills the lines of several orders in one query.
func loadLines(ctx context.Context, q querier, orders []*storefront.Order) error {
	if len(orders) == 0 {
		return nil
	}
	byID := map[string]*storefront.Order{}
	var ids []string
	for _, o := range orders {
		byID[o.ID] = o
		ids = append(ids, o.ID)
	}
	rows, err := q.Query(ctx, `SELECT order_id, sku, product_id, title, options, unit_price, quantity FROM order_lines
		WHERE order_id = ANY($1) ORDER BY order_id, line_no`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var l storefront.OrderLine
		if err := rows.Scan(&id, &l.SKU, &l.ProductID, &l.Title, &l.Options, &l.UnitPrice, &l.Quantity); err != nil {
			return err
		}
		if len(l.Options) == 0 {
			l.Options = nil
		}
		l.LineTotal = l.UnitPrice * int64(l.Quantity)
		byID[id].Lines = append(byID[id].Lines, l)
	}
	return rows.Err()
}

func (db *DB) Payment(ctx context.Context, id string) (*storefront.Payment, error) {
	var p storefront.Payment
	err := db.pool.QueryRow(ctx, `SELECT id, order_id, provider, provider_ref, status, amount, currency, client_secret, created_at, updated_at
		FROM payments WHERE id = $1`, id).Scan(&p.ID, &p.OrderID, &p.Provider, &p.ProviderRef, &p.Status, &p.Amount, &p.Currency, &p.ClientSecret, &p.CreatedAt, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("payment")
	}
	if err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

type orderCursor struct {
	Micros int64  `json:"t"`
	ID     string `json:"id"`
}

func (db *DB) CustomerOrders(ctx context.Context, customerID, cursor string, limit int) (storefront.OrderPage, error) {
	query := "SELECT " + orderColumns + " FROM orders o LEFT JOIN payments p ON p.order_id = o.id WHERE o.customer_id = $1"
	args := []any{customerID}
	if cursor != "" {
		var c orderCursor
		if !storefront.DecodeCursor(cursor, &c) || !storefront.ValidID("ord", c.ID) {
			return storefront.OrderPage{}, storefront.BadCursor()
		}
		query += " AND (o.created_at, o.id) < ($2, $3)"
		args = append(args, time.UnixMicro(c.Micros), c.ID)
	}
	query += " ORDER BY o.created_at DESC, o.id DESC LIMIT " + strconv.Itoa(limit+1)
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return storefront.OrderPage{}, err
	}
	var orders []*storefront.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return storefront.OrderPage{}, err
		}
		orders = append(orders, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return storefront.OrderPage{}, err
	}
	var page storefront.OrderPage
	if len(orders) > limit {
		orders = orders[:limit]
		last := orders[limit-1]
		page.NextCursor = storefront.EncodeCursor(orderCursor{Micros: last.CreatedAt.UnixMicro(), ID: last.ID})
	}
	if err := loadLines(ctx, db.pool, orders); err != nil {
		return storefront.OrderPage{}, err
	}
	for _, o := range orders {
		page.Orders = append(page.Orders, *o)
	}
	return page, nil
}

func (db *DB) TransitionOrder(ctx context.Context, t storefront.Transition) (*storefront.Order, error) {
	var out *storefront.Order
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4", t.To, t.At, t.OrderID, t.From)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var one int
			if err := tx.QueryRow(ctx, "SELECT 1 FROM orders WHERE id = $1", t.OrderID).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
				return notFound("order")
			}
			return errConflict
		}
		if t.ReturnStock {
			// In SKU order, like checkouts, so the two can't deadlock.
			if _, err := tx.Exec(ctx, `INSERT INTO stock (sku, quantity)
				SELECT sku, sum(quantity) FROM order_lines WHERE order_id = $1 GROUP BY sku ORDER BY sku
				ON CONFLICT (sku) DO UPDATE SET quantity = stock.quantity + EXCLUDED.quantity, updated_at = now()`, t.OrderID); err != nil {
				return err
			}
		}
		if t.Payment != nil {
			if err := updatePayment(ctx, tx, *t.Payment); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO order_events (order_id, from_status, to_status, at) VALUES ($1, $2, $3, $4)", t.OrderID, t.From, t.To, t.At); err != nil {
			return err
		}
		out, err = loadOrder(ctx, tx, t.OrderID)
		return err
	})
	return out, err
}

func updatePayment(ctx context.Context, tx pgx.Tx, u storefront.PaymentUpdate) error {
	tag, err := tx.Exec(ctx, `UPDATE payments SET status = $1, updated_at = $2,
		provider_ref = CASE WHEN $3 = '' THEN provider_ref ELSE $3 END,
		client_secret = CASE WHEN $4 = '' THEN client_secret ELSE $4 END
		WHERE id = $5`, u.Status, u.At, u.Ref, u.ClientSecret, u.PaymentID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("payment")
	}
	return nil
}

func (db *DB) UpdatePayment(ctx context.Context, u storefront.PaymentUpdate) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return updatePayment(ctx, tx, u) })
}

func (db *DB) StalePendingOrders(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := db.pool.Query(ctx, "SELECT id FROM orders WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2", before, limit)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, err
}
