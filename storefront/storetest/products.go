package storetest

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/storefront"
)

// MustProduct returns a valid product with one variant per sku.
func MustProduct(tb testing.TB, slug string, price int64, created time.Time, skus ...string) *storefront.Product {
	tb.Helper()
	p := &storefront.Product{
		ID: storefront.NewID("prd"), Slug: slug, Title: "Product " + slug, Description: "A thing.",
		Category: "chairs", Tags: []string{"wood"}, Price: price, Currency: "EUR",
		Images: []storefront.Image{{URL: "/assets/" + slug + ".jpg", Alt: slug}}, ModelID: "tufted-armchair",
		CreatedAt: created, UpdatedAt: created,
	}
	for _, s := range skus {
		p.Variants = append(p.Variants, storefront.Variant{SKU: s, Options: map[string]string{"color": "oak"}, Price: price})
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		tb.Fatalf("fixture product %s: %v", slug, err)
	}
	return p
}

func mustCreate(tb testing.TB, s storefront.ProductStore, p *storefront.Product) {
	tb.Helper()
	if err := s.CreateProduct(context.Background(), p); err != nil {
		tb.Fatalf("create %s: %v", p.Slug, err)
	}
}

func sameProduct(tb testing.TB, got, want *storefront.Product) {
	tb.Helper()
	if got.ID != want.ID || got.Slug != want.Slug || got.Title != want.Title || got.Price != want.Price ||
		got.Currency != want.Currency || got.Category != want.Category || got.ModelID != want.ModelID ||
		got.Version != want.Version || got.Description != want.Description {
		tb.Fatalf("product %+v, want %+v", got, want)
	}
	if !slices.Equal(got.Tags, want.Tags) || len(got.Variants) != len(want.Variants) || len(got.Images) != len(want.Images) {
		tb.Fatalf("product tags/variants/images %v %v %v, want %v %v %v", got.Tags, got.Variants, got.Images, want.Tags, want.Variants, want.Images)
	}
	for i, v := range got.Variants {
		w := want.Variants[i]
		if v.SKU != w.SKU || v.Price != w.Price || v.Options["color"] != w.Options["color"] || v.Stock != 0 {
			tb.Fatalf("variant %d %+v, want %+v (stock is not the product store's)", i, v, w)
		}
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		tb.Fatalf("created %v, want %v", got.CreatedAt, want.CreatedAt)
	}
}

func testProductCreateAndGet(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	p := MustProduct(t, "oak-chair", 12900, base, "CHAIR-OAK", "CHAIR-ASH")
	p.Variants[0].Stock = 7 // must not be stored
	mustCreate(t, s.Products, p)
	if p.Version != 1 {
		t.Fatalf("version after create %d, want 1", p.Version)
	}
	want := *p
	want.Variants = slices.Clone(p.Variants)
	want.Variants[0].Stock = 0
	for name, get := range map[string]func() (*storefront.Product, error){
		"id":   func() (*storefront.Product, error) { return s.Products.Product(ctx, p.ID) },
		"slug": func() (*storefront.Product, error) { return s.Products.ProductBySlug(ctx, "oak-chair") },
		"sku":  func() (*storefront.Product, error) { return s.Products.ProductBySKU(ctx, "CHAIR-ASH") },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("by %s: %v", name, err)
		}
		sameProduct(t, got, &want)
	}
	for name, get := range map[string]func() (*storefront.Product, error){
		"id":   func() (*storefront.Product, error) { return s.Products.Product(ctx, storefront.NewID("prd")) },
		"slug": func() (*storefront.Product, error) { return s.Products.ProductBySlug(ctx, "no-such") },
		"sku":  func() (*storefront.Product, error) { return s.Products.ProductBySKU(ctx, "NO-SUCH") },
	} {
		if _, err := get(); !errors.Is(err, storefront.ErrNotFound) {
			t.Errorf("missing by %s: %v, want ErrNotFound", name, err)
		}
	}
}

func testProductUniqueness(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	mustCreate(t, s.Products, MustProduct(t, "lamp", 100, base, "LAMP-1"))
	cases := []struct {
		name string
		p    *storefront.Product
	}{
		{"slug taken", MustProduct(t, "lamp", 100, base, "LAMP-2")},
		{"sku taken", MustProduct(t, "lamp-b", 100, base, "LAMP-3", "LAMP-1")},
	}
	for _, tc := range cases {
		if err := s.Products.CreateProduct(ctx, tc.p); !errors.Is(err, storefront.ErrConflict) {
			t.Fatalf("%s: %v, want ErrConflict", tc.name, err)
		}
	}
	// A refused product claims nothing: its other slug and SKUs stay free.
	free := MustProduct(t, "lamp-b", 100, base, "LAMP-2", "LAMP-3")
	mustCreate(t, s.Products, free)
	if got, err := s.Products.ProductBySKU(ctx, "LAMP-3"); err != nil || got.ID != free.ID {
		t.Fatalf("LAMP-3 → %v, %v; want %s", got, err, free.ID)
	}
	dup := MustProduct(t, "lamp-c", 100, base, "LAMP-4")
	dup.ID = free.ID
	if err := s.Products.CreateProduct(ctx, dup); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("duplicate id: %v, want ErrConflict", err)
	}
	if _, err := s.Products.ProductBySlug(ctx, "lamp-c"); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("refused product's slug is claimed: %v", err)
	}
}

func testProductUpdate(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	p := MustProduct(t, "sofa", 50000, base, "SOFA-1", "SOFA-2")
	mustCreate(t, s.Products, p)
	other := MustProduct(t, "table", 900, base, "TABLE-1")
	mustCreate(t, s.Products, other)

	stale := *p
	upd := *p
	upd.Slug, upd.Title, upd.Price = "sofa-deluxe", "Deluxe sofa", 60000
	upd.Variants = []storefront.Variant{{SKU: "SOFA-1", Price: 60000}, {SKU: "SOFA-3", Price: 61000}}
	if err := s.Products.UpdateProduct(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	if upd.Version != 2 {
		t.Fatalf("version %d, want 2", upd.Version)
	}
	got, err := s.Products.ProductBySlug(ctx, "sofa-deluxe")
	if err != nil || got.Title != "Deluxe sofa" || got.Price != 60000 || got.Version != 2 {
		t.Fatalf("updated: %+v, %v", got, err)
	}
	if _, err := s.Products.ProductBySlug(ctx, "sofa"); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("old slug still resolves: %v", err)
	}
	if _, err := s.Products.ProductBySKU(ctx, "SOFA-2"); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("removed SKU still resolves: %v", err)
	}
	if got, err := s.Products.ProductBySKU(ctx, "SOFA-3"); err != nil || got.ID != p.ID {
		t.Fatalf("new SKU: %v, %v", got, err)
	}
	// The freed slug and SKU can be taken by another product.
	mustCreate(t, s.Products, MustProduct(t, "sofa", 1, base, "SOFA-2"))

	if err := s.Products.UpdateProduct(ctx, &stale); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("stale version: %v, want ErrConflict", err)
	}
	clash := upd
	clash.Slug = "table"
	if err := s.Products.UpdateProduct(ctx, &clash); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("slug of another product: %v, want ErrConflict", err)
	}
	clash = upd
	clash.Variants = []storefront.Variant{{SKU: "TABLE-1", Price: 1}}
	if err := s.Products.UpdateProduct(ctx, &clash); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("SKU of another product: %v, want ErrConflict", err)
	}
	// Refused updates changed nothing.
	if got, err := s.Products.ProductBySlug(ctx, "sofa-deluxe"); err != nil || got.Version != 2 {
		t.Fatalf("after refused updates: %+v, %v", got, err)
	}
	if got, err := s.Products.ProductBySKU(ctx, "TABLE-1"); err != nil || got.ID != other.ID {
		t.Fatalf("TABLE-1 moved: %+v, %v", got, err)
	}
	missing := *MustProduct(t, "ghost", 1, base, "GHOST-1")
	missing.Version = 1
	if err := s.Products.UpdateProduct(ctx, &missing); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("update missing: %v, want ErrNotFound", err)
	}
}

func testProductDelete(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	p := MustProduct(t, "vase", 100, base, "VASE-1")
	mustCreate(t, s.Products, p)
	if err := s.Products.DeleteProduct(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Products.Product(ctx, p.ID); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("deleted product: %v", err)
	}
	if _, err := s.Products.ProductBySKU(ctx, "VASE-1"); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("deleted product's SKU: %v", err)
	}
	if err := s.Products.DeleteProduct(ctx, p.ID); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("delete twice: %v, want ErrNotFound", err)
	}
	mustCreate(t, s.Products, MustProduct(t, "vase", 100, base, "VASE-1"))
}

func testProductList(t *testing.T, s storefront.Stores) {
	type fix struct {
		slug, category, title string
		tags                  []string
		price                 int64
		minute                int
	}
	fixtures := []fix{
		{"a", "chairs", "Oak Armchair", []string{"oak", "living"}, 30000, 1},
		{"b", "chairs", "Ash Dining Chair", []string{"ash", "dining"}, 12000, 2},
		{"c", "tables", "Oak Dining Table", []string{"oak", "dining"}, 90000, 3},
		{"d", "lamps", "Drum Floor Lamp", []string{"light"}, 12000, 4},
		{"e", "lamps", "Brass Desk Lamp", []string{"light", "brass"}, 8000, 4}, // same minute as d
		{"f", "chairs", "Velvet Armchair", []string{"velvet", "living"}, 12000, 6},
		{"g", "vases", "Stoneware Vase", []string{"ceramic"}, 4500, 7},
	}
	var all []storefront.Product
	for _, f := range fixtures {
		p := MustProduct(t, f.slug, f.price, base.Add(time.Duration(f.minute)*time.Minute), "SKU-"+strings.ToUpper(f.slug))
		p.Category, p.Title, p.Tags = f.category, f.title, f.tags
		mustCreate(t, s.Products, p)
		all = append(all, *p)
	}
	price := func(n int64) *int64 { return &n }
	queries := []struct {
		name string
		q    storefront.ProductQuery
	}{
		{"everything newest first", storefront.ProductQuery{}},
		{"by price ascending", storefront.ProductQuery{Sort: storefront.SortPriceAsc}},
		{"by price descending", storefront.ProductQuery{Sort: storefront.SortPriceDesc}},
		{"category", storefront.ProductQuery{Category: "chairs"}},
		{"category by price", storefront.ProductQuery{Category: "chairs", Sort: storefront.SortPriceAsc}},
		{"tag", storefront.ProductQuery{Tag: "dining"}},
		{"price range", storefront.ProductQuery{MinPrice: price(8000), MaxPrice: price(12000), Sort: storefront.SortPriceDesc}},
		{"search title word", storefront.ProductQuery{Search: "armchair"}},
		{"search title and tag", storefront.ProductQuery{Search: "OAK dining"}},
		{"search tag only", storefront.ProductQuery{Search: "light"}},
		{"search nothing", storefront.ProductQuery{Search: "granite"}},
		{"combined", storefront.ProductQuery{Category: "lamps", Tag: "light", MaxPrice: price(10000)}},
	}
	for _, tc := range queries {
		q := tc.q
		q.Normalize()
		want := expected(all, q)
		for _, limit := range []int{100, 2, 1} {
			q.Limit = limit
			got := listAll(t, s.Products, q)
			if !slices.Equal(got, want) {
				t.Errorf("%s (limit %d): got %v, want %v", tc.name, limit, got, want)
			}
		}
	}
}

// expected applies q to ps in Go: the meaning every store must match.
func expected(ps []storefront.Product, q storefront.ProductQuery) []string {
	var out []storefront.Product
	for _, p := range ps {
		if q.Matches(&p) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch q.Sort {
		case storefront.SortPriceAsc:
			if a.Price != b.Price {
				return a.Price < b.Price
			}
			return a.ID < b.ID
		case storefront.SortPriceDesc:
			if a.Price != b.Price {
				return a.Price > b.Price
			}
			return a.ID > b.ID
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return a.ID > b.ID
	})
	slugs := []string{}
	for _, p := range out {
		slugs = append(slugs, p.Slug)
	}
	return slugs
}

// listAll follows cursors to the end, failing on a page larger than the limit
// or a loop.
func listAll(tb testing.TB, s storefront.ProductStore, q storefront.ProductQuery) []string {
	tb.Helper()
	slugs := []string{}
	for range 100 {
		page, err := s.ListProducts(context.Background(), q)
		if err != nil {
			tb.Fatalf("list %+v: %v", q, err)
		}
		if len(page.Products) > q.Limit {
			tb.Fatalf("page of %d products, limit %d", len(page.Products), q.Limit)
		}
		for _, p := range page.Products {
			slugs = append(slugs, p.Slug)
		}
		if page.NextCursor == "" {
			return slugs
		}
		q.Cursor = page.NextCursor
	}
	tb.Fatal("cursor loop")
	return nil
}

func testProductListBadCursor(t *testing.T, s storefront.Stores) {
	mustCreate(t, s.Products, MustProduct(t, "x", 1, base, "X-1"))
	mustCreate(t, s.Products, MustProduct(t, "y", 2, base, "Y-1"))
	q := storefront.ProductQuery{Limit: 1}
	q.Normalize()
	page, err := s.Products.ListProducts(context.Background(), q)
	if err != nil || page.NextCursor == "" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	for _, c := range []string{"garbage", "eyJ9", page.NextCursor + "x"} {
		q.Cursor = c
		if _, err := s.Products.ListProducts(context.Background(), q); storefront.ErrorCode(err) != storefront.CodeInvalid {
			t.Errorf("cursor %q: %v, want CodeInvalid", c, err)
		}
	}
	// A cursor belongs to its sort order.
	q.Cursor, q.Sort = page.NextCursor, storefront.SortPriceAsc
	if _, err := s.Products.ListProducts(context.Background(), q); storefront.ErrorCode(err) != storefront.CodeInvalid {
		t.Errorf("cursor of another sort: %v, want CodeInvalid", err)
	}
}
