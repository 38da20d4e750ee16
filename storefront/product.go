package storefront

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Product is one item of the catalog. Prices are integer minor units of
// Currency (cents for EUR and USD), never floats.
type Product struct {
	ID          string   `json:"id"`
	Slug        string   `json:"slug"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	Tags        []string `json:"tags"`
	// Price is the price shown in listings and the default of each variant,
	// in minor units; list filters compare against it.
	Price    int64     `json:"price"`
	Currency string    `json:"currency"`
	Variants []Variant `json:"variants"`
	Images   []Image   `json:"images"`
	// ModelID names the 3D model whose manifest the viewer streams
	// (/models/{model_id}/manifest.json); empty for products without one.
	ModelID   string    `json:"model_id,omitempty"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Variant is one purchasable form of a product.
type Variant struct {
	SKU     string            `json:"sku"`
	Options map[string]string `json:"options,omitempty"`
	// Price in minor units; 0 on input means the product's price.
	Price int64 `json:"price"`
	// Stock is the quantity on hand. It lives in the inventory store, not with
	// the product: product stores neither read nor write it.
	Stock int `json:"stock"`
}

// Image is a picture of a product.
type Image struct {
	URL string `json:"url"`
	Alt string `json:"alt,omitempty"`
}

// Variant returns the variant with sku.
func (p *Product) Variant(sku string) (Variant, bool) {
	for _, v := range p.Variants {
		if v.SKU == sku {
			return v, true
		}
	}
	return Variant{}, false
}

// SKUs lists the product's variant SKUs.
func (p *Product) SKUs() []string {
	out := make([]string, len(p.Variants))
	for i, v := range p.Variants {
		out[i] = v.SKU
	}
	return out
}

// Limits of product fields; they bound item sizes in every store (a DynamoDB
// item must stay under 400 KB).
const (
	maxTitle       = 200
	maxDescription = 10000
	maxTags        = 20
	maxVariants    = 100
	maxOptions     = 10
	maxImages      = 20
	maxPrice       = 100_000_000_00 // 100 million units of the currency
	maxStock       = 1_000_000
)

var (
	slugRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	skuRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	curRE  = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ValidSlug reports whether s is a lower-case, hyphen-separated slug of at most
// max bytes.
func ValidSlug(s string, max int) bool { return len(s) <= max && slugRE.MatchString(s) }

// ValidSKU reports whether s can be a SKU.
func ValidSKU(s string) bool { return skuRE.MatchString(s) }

// Normalize trims and lower-cases what is case-insensitive, and fills variant
// prices from the product price. Call it before Validate.
func (p *Product) Normalize() {
	p.Slug = strings.TrimSpace(p.Slug)
	p.Title = strings.TrimSpace(p.Title)
	p.Category = strings.ToLower(strings.TrimSpace(p.Category))
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	var tags []string
	for _, t := range p.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	p.Tags = tags
	for i := range p.Variants {
		p.Variants[i].SKU = strings.TrimSpace(p.Variants[i].SKU)
		if p.Variants[i].Price == 0 {
			p.Variants[i].Price = p.Price
		}
	}
	if p.Images == nil {
		p.Images = []Image{}
	}
	if p.Tags == nil {
		p.Tags = []string{}
	}
}

// Validate reports every invalid field of p at once.
func (p *Product) Validate() error {
	var v validation
	if !ValidSlug(p.Slug, 80) {
		v.add("slug", "must be 1-80 lower-case letters, digits and single hyphens")
	}
	if n := utf8.RuneCountInString(p.Title); n == 0 || n > maxTitle || !utf8.ValidString(p.Title) {
		v.add("title", "must be 1-%d characters", maxTitle)
	}
	if utf8.RuneCountInString(p.Description) > maxDescription || !utf8.ValidString(p.Description) {
		v.add("description", "must be at most %d characters", maxDescription)
	}
	if p.Category != "" && !ValidSlug(p.Category, 60) {
		v.add("category", "must be a slug of at most 60 characters")
	}
	if len(p.Tags) > maxTags {
		v.add("tags", "at most %d tags", maxTags)
	}
	for _, t := range p.Tags {
		if !ValidSlug(t, 40) {
			v.add("tags", "tag %q must be a slug of at most 40 characters", t)
			break
		}
	}
	if p.Price < 0 || p.Price > maxPrice {
		v.add("price", "must be 0-%d minor units", int64(maxPrice))
	}
	if !curRE.MatchString(p.Currency) {
		v.add("currency", "must be an ISO 4217 code such as EUR")
	}
	if p.ModelID != "" && !ValidSlug(p.ModelID, 80) {
		v.add("model_id", "must be a slug of at most 80 characters")
	}
	if len(p.Variants) == 0 || len(p.Variants) > maxVariants {
		v.add("variants", "must hold 1-%d variants", maxVariants)
	}
	seen := map[string]bool{}
	for i, vr := range p.Variants {
		f := "variants[" + strconv.Itoa(i) + "]"
		if !ValidSKU(vr.SKU) {
			v.add(f+".sku", "must be 1-64 letters, digits, dots, underscores or hyphens")
		} else if seen[vr.SKU] {
			v.add(f+".sku", "duplicate SKU %q", vr.SKU)
		}
		seen[vr.SKU] = true
		if vr.Price < 0 || vr.Price > maxPrice {
			v.add(f+".price", "must be 0-%d minor units", int64(maxPrice))
		}
		if vr.Stock < 0 || vr.Stock > maxStock {
			v.add(f+".stock", "must be 0-%d", maxStock)
		}
		if len(vr.Options) > maxOptions {
			v.add(f+".options", "at most %d options", maxOptions)
		}
		for k, val := range vr.Options {
			if k == "" || len(k) > 40 || len(val) > 100 || !utf8.ValidString(k) || !utf8.ValidString(val) {
				v.add(f+".options", "option names must be 1-40 bytes and values at most 100")
				break
			}
		}
	}
	if len(p.Images) > maxImages {
		v.add("images", "at most %d images", maxImages)
	}
	for i, im := range p.Images {
		if !validImageURL(im.URL) {
			v.add("images["+strconv.Itoa(i)+"].url", "must be an https:// URL or an absolute path")
		}
		if len(im.Alt) > 200 {
			v.add("images["+strconv.Itoa(i)+"].alt", "must be at most 200 bytes")
		}
	}
	return v.err()
}

func validImageURL(s string) bool {
	if len(s) == 0 || len(s) > 2000 {
		return false
	}
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		_, err := url.Parse(s)
		return err == nil
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// Sort orders of product listings. Every order ends with the id, so pages
// never skip or repeat a product that shares a price or a creation time.
const (
	SortNewest    = "newest"     // created_at descending (the default)
	SortPriceAsc  = "price_asc"  // price ascending
	SortPriceDesc = "price_desc" // price descending
)

// ProductQuery selects and orders a page of the catalog.
type ProductQuery struct {
	Category string
	Tag      string
	// MinPrice and MaxPrice bound Product.Price (inclusive); nil is unbounded.
	MinPrice, MaxPrice *int64
	// Search matches products whose title contains every word, or carries it
	// as a tag (case-insensitive).
	Search string
	Sort   string
	// Limit is the page size, 1-100. Default 20.
	Limit int
	// Cursor continues a previous page; it is opaque and belongs to the store
	// that issued it (and to the same Sort).
	Cursor string
}

// ProductPage is one page of a listing. NextCursor is empty on the last page.
type ProductPage struct {
	Products   []Product `json:"products"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// Normalize fills defaults and lower-cases the filters.
func (q *ProductQuery) Normalize() {
	q.Category = strings.ToLower(strings.TrimSpace(q.Category))
	q.Tag = strings.ToLower(strings.TrimSpace(q.Tag))
	q.Search = strings.Join(strings.Fields(strings.ToLower(q.Search)), " ")
	if q.Sort == "" {
		q.Sort = SortNewest
	}
	if q.Limit == 0 {
		q.Limit = 20
	}
}

// Validate reports every invalid field of q.
func (q *ProductQuery) Validate() error {
	var v validation
	if q.Category != "" && !ValidSlug(q.Category, 60) {
		v.add("category", "must be a category slug")
	}
	if q.Tag != "" && !ValidSlug(q.Tag, 40) {
		v.add("tag", "must be a tag slug")
	}
	if q.MinPrice != nil && (*q.MinPrice < 0 || *q.MinPrice > maxPrice) {
		v.add("min_price", "must be 0-%d", int64(maxPrice))
	}
	if q.MaxPrice != nil && (*q.MaxPrice < 0 || *q.MaxPrice > maxPrice) {
		v.add("max_price", "must be 0-%d", int64(maxPrice))
	}
	if q.MinPrice != nil && q.MaxPrice != nil && *q.MinPrice > *q.MaxPrice {
		v.add("min_price", "must not exceed max_price")
	}
	if len(q.Search) > 100 || len(q.SearchWords()) > 5 || !utf8.ValidString(q.Search) {
		v.add("q", "at most 5 words and 100 bytes")
	}
	switch q.Sort {
	case SortNewest, SortPriceAsc, SortPriceDesc:
	default:
		v.add("sort", "must be newest, price_asc or price_desc")
	}
	if q.Limit < 1 || q.Limit > 100 {
		v.add("limit", "must be 1-100")
	}
	if len(q.Cursor) > 1024 {
		v.add("cursor", "is not a cursor")
	}
	return v.err()
}

// SearchWords splits the search text into its words.
func (q *ProductQuery) SearchWords() []string { return strings.Fields(q.Search) }

// Matches reports whether p passes q's filters (not its cursor). Stores that
// filter in code use it, so every store agrees on what a filter means.
func (q *ProductQuery) Matches(p *Product) bool {
	if q.Category != "" && p.Category != q.Category {
		return false
	}
	if q.Tag != "" && !slices.Contains(p.Tags, q.Tag) {
		return false
	}
	if q.MinPrice != nil && p.Price < *q.MinPrice {
		return false
	}
	if q.MaxPrice != nil && p.Price > *q.MaxPrice {
		return false
	}
	title := strings.ToLower(p.Title)
	for _, w := range q.SearchWords() {
		if !strings.Contains(title, w) && !slices.Contains(p.Tags, w) {
			return false
		}
	}
	return true
}
