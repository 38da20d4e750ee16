package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/strata3d/strata/storefront"
)

func (db *DB) CreateCustomer(ctx context.Context, c *storefront.Customer) error {
	_, err := db.pool.Exec(ctx, "INSERT INTO customers (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
		c.ID, c.Email, c.Name, c.PasswordHash, c.CreatedAt)
	if pgCode(err) == uniqueViolation {
		return errConflict
	}
	return err
}

func (db *DB) customerWhere(ctx context.Context, where string, arg any) (*storefront.Customer, error) {
	var c storefront.Customer
	err := db.pool.QueryRow(ctx, "SELECT id, email, name, password_hash, created_at FROM customers WHERE "+where, arg).
		Scan(&c.ID, &c.Email, &c.Name, &c.PasswordHash, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("customer")
	}
	if err != nil {
		return nil, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return &c, nil
}

func (db *DB) Customer(ctx context.Context, id string) (*storefront.Customer, error) {
	return db.customerWhere(ctx, "id = $1", id)
}

func (db *DB) CustomerByEmail(ctx context.Context, email string) (*storefront.Customer, error) {
	return db.customerWhere(ctx, "email = $1", email)
}

func (db *DB) SetPasswordHash(ctx context.Context, id, hash string) error {
	tag, err := db.pool.Exec(ctx, "UPDATE customers SET password_hash = $1 WHERE id = $2", hash, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("customer")
	}
	return nil
}

func (db *DB) SetStock(ctx context.Context, sku string, quantity int) error {
	if quantity < 0 {
		return &storefront.Error{Code: storefront.CodeInvalid, Message: "Stock can't be negative."}
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO stock (sku, quantity) VALUES ($1, $2)
		ON CONFLICT (sku) DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()`, sku, quantity)
	return err
}

func (db *DB) Stock(ctx context.Context, skus []string) (map[string]int, error) {
	out := make(map[string]int, len(skus))
	if len(skus) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, "SELECT sku, quantity FROM stock WHERE sku = ANY($1)", skus)
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
