package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/strata3d/strata/storefront"
)

// productRow holds what is stored of a product: the document without stock.
func productDoc(p *storefront.Product) (string, string, error) {
	c := *p
	c.Variants = append([]storefront.Variant(nil), p.Variants...)
	for i := range c.Variants {
		c.Variants[i].Stock = 0
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return "", "", err
	}
	tags, err := json.Marshal(p.Tags)
	return string(doc), string(tags), err
}

func (db *DB) CreateProduct(ctx context.Context, p *storefront.Product) error {
	p.Version = 1
	doc, tags, err := productDoc(p)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO products (id, slug, category, price, created_ns, title_lc, tags, version, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Slug, p.Category, p.Price, ns(p.CreatedAt), strings.ToLower(p.Title), tags, p.Version, doc); err != nil {
			return err
		}
		return insertSKUs(ctx, tx, p)
	})
	if isUnique(err) {
		p.Version = 0
		return errConflict
	}
	return err
}

func insertSKUs(ctx context.Context, tx *sql.Tx, p *storefront.Product) error {
	for _, v := range p.Variants {
		if _, err := tx.ExecContext(ctx, "INSERT INTO product_skus (sku, product_id) VALUES (?, ?)", v.SKU, p.ID); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) UpdateProduct(ctx context.Context, p *storefront.Product) error {
	next := *p
	next.Version = p.Version + 1
	doc, tags, err := productDoc(&next)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE products SET slug = ?, category = ?, price = ?, title_lc = ?, tags = ?, version = ?, doc = ?
			WHERE id = ? AND version = ?`,
			p.Slug, p.Category, p.Price, strings.ToLower(p.Title), tags, next.Version, doc, p.ID, p.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, "SELECT 1 FROM products WHERE id = ?", p.ID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return notFound("product")
			}
			return errConflict
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM product_skus WHERE product_id = ?", p.ID); err != nil {
			return err
		}
		return insertSKUs(ctx, tx, p)
	})
	if isUnique(err) {
		return errConflict
	}
	if err == nil {
		p.Version = next.Version
	}
	return err
}

func (db *DB) DeleteProduct(ctx context.Context, id string) error {
	res, err := db.w.ExecContext(ctx, "DELETE FROM products WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("product")
	}
	return nil
}

func (db *DB) productWhere(ctx context.Context, where string, arg any) (*storefront.Product, error) {
	var doc string
	err := db.r.QueryRowContext(ctx, "SELECT doc FROM products WHERE "+where, arg).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("product")
	}
	if err != nil {
		return nil, err
	}
	var p storefront.Product
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func (db *DB) Product(ctx context.Context, id string) (*storefront.Product, error) {
	return db.productWhere(ctx, "id = ?", id)
}

func (db *DB) ProductBySlug(ctx context.Context, slug string) (*storefront.Product, error) {
	return db.productWhere(ctx, "slug = ?", slug)
}

func (db *DB) ProductBySKU(ctx context.Context, sku string) (*storefront.Product, error) {
	return db.productWhere(ctx, "id = (SELECT product_id FROM product_skus WHERE sku = ?)", sku)
}

// listCursor is where a page ended: the sort key and id of its last product.
type listCursor struct {
	Sort string `json:"s"`
	Key  int64  `json:"k"`
	ID   string `json:"id"`
}

func decodeCursor(s, sort string) (listCursor, error) {
	var c listCursor
	if !storefront.DecodeCursor(s, &c) || c.Sort != sort || !storefront.ValidID("prd", c.ID) {
		return c, storefront.BadCursor()
	}
	return c, nil
}

func (db *DB) ListProducts(ctx context.Context, q storefront.ProductQuery) (storefront.ProductPage, error) {
	var where []string
	var args []any
	if q.Category != "" {
		where, args = append(where, "category = ?"), append(args, q.Category)
	}
	if q.Tag != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM json_each(products.tags) WHERE value = ?)"), append(args, q.Tag)
	}
	if q.MinPrice != nil {
		where, args = append(where, "price >= ?"), append(args, *q.MinPrice)
	}
	if q.MaxPrice != nil {
		where, args = append(where, "price <= ?"), append(args, *q.MaxPrice)
	}
	for _, w := range q.SearchWords() {
		where = append(where, "(instr(title_lc, ?) > 0 OR EXISTS (SELECT 1 FROM json_each(products.tags) WHERE value = ?))")
		args = append(args, w, w)
	}
	var order, keyCol string
	switch q.Sort {
	case storefront.SortPriceAsc:
		order, keyCol = "price ASC, id ASC", "price"
	case storefront.SortPriceDesc:
		order, keyCol = "price DESC, id DESC", "price"
	default:
		order, keyCol = "created_ns DESC, id DESC", "created_ns"
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return storefront.ProductPage{}, err
		}
		op := "<"
		if q.Sort == storefront.SortPriceAsc {
			op = ">"
		}
		where = append(where, "("+keyCol+" "+op+" ? OR ("+keyCol+" = ? AND id "+op+" ?))")
		args = append(args, c.Key, c.Key, c.ID)
	}
	query := "SELECT doc, price, created_ns, id FROM products"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + order + " LIMIT ?"
	args = append(args, q.Limit+1)
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return storefront.ProductPage{}, err
	}
	defer rows.Close()
	var page storefront.ProductPage
	var last listCursor
	for rows.Next() {
		var doc, id string
		var price, created int64
		if err := rows.Scan(&doc, &price, &created, &id); err != nil {
			return storefront.ProductPage{}, err
		}
		if len(page.Products) == q.Limit {
			page.NextCursor = storefront.EncodeCursor(last)
			break
		}
		var p storefront.Product
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			return storefront.ProductPage{}, err
		}
		page.Products = append(page.Products, p)
		last = listCursor{Sort: q.Sort, Key: created, ID: id}
		if keyCol == "price" {
			last.Key = price
		}
	}
	return page, rows.Err()
}
