package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/strata3d/strata/storefront"
)

// Keys of the products table: one item per product and one claim item per
// slug and per SKU.
func productPK(id string) string { return "p#" + id }
func slugPK(slug string) string  { return "s#" + slug }
func skuPK(sku string) string    { return "k#" + sku }

func pkKey(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk)}
}

// claimKeys are the claim items a product owns.
func claimKeys(p *storefront.Product) []string {
	keys := []string{slugPK(p.Slug)}
	for _, v := range p.Variants {
		keys = append(keys, skuPK(v.SKU))
	}
	return keys
}

// Sort keys order the indexes: zero-padded so string order is numeric order,
// with the id as the tie-breaker every backend uses.
func newestSK(p *storefront.Product) string { return fmt.Sprintf("%020d#%s", ns(p.CreatedAt), p.ID) }
func priceSK(p *storefront.Product) string  { return fmt.Sprintf("%019d#%s", p.Price, p.ID) }

func productItem(p *storefront.Product) (map[string]types.AttributeValue, error) {
	c := *p
	c.Variants = slices.Clone(p.Variants)
	for i := range c.Variants {
		c.Variants[i].Stock = 0
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	tags := make([]types.AttributeValue, len(p.Tags))
	for i, t := range p.Tags {
		tags[i] = str(t)
	}
	item := map[string]types.AttributeValue{
		"pk": str(productPK(p.ID)), "doc": str(string(doc)), "version": num(p.Version),
		"gsi_all": str("all"), "newest_sk": str(newestSK(p)), "price_sk": str(priceSK(p)),
		"price": num(p.Price), "title_lc": str(strings.ToLower(p.Title)), "tags": &types.AttributeValueMemberL{Value: tags},
	}
	if p.Category != "" {
		item["cat"] = str(p.Category)
	}
	return item, nil
}

func decodeProduct(item map[string]types.AttributeValue) (*storefront.Product, error) {
	var p storefront.Product
	if err := json.Unmarshal([]byte(getS(item, "doc")), &p); err != nil {
		return nil, fmt.Errorf("dynamo: corrupt product item: %w", err)
	}
	p.Version = getN(item, "version")
	return &p, nil
}

func (s *Store) getProduct(ctx context.Context, id string) (*storefront.Product, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.products, Key: pkKey(productPK(id)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if out.Item == nil {
		return nil, notFound("product")
	}
	return decodeProduct(out.Item)
}

// claim makes productID the owner of the claim item pk, taking over a claim
// that is stale: older than the grace period and not used by its owner.
func (s *Store) claim(ctx context.Context, pk, productID string) error {
	now := s.now().UnixNano()
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 &s.products,
		Item:                      map[string]types.AttributeValue{"pk": str(pk), "product_id": str(productID), "claimed_at": num(now)},
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR product_id = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(productID)},
	})
	if !isConditionFailed(err) {
		return err
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.products, Key: pkKey(pk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	if out.Item == nil {
		return errConflict // released meanwhile; the caller may retry
	}
	owner, at := getS(out.Item, "product_id"), getN(out.Item, "claimed_at")
	if now-at < int64(s.claimGrace) {
		return errConflict
	}
	p, err := s.getProduct(ctx, owner)
	switch {
	case err == nil && slices.Contains(claimKeys(p), pk):
		return errConflict
	case err != nil && storefront.ErrorCode(err) != storefront.CodeNotFound:
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 &s.products,
		Item:                      map[string]types.AttributeValue{"pk": str(pk), "product_id": str(productID), "claimed_at": num(now)},
		ConditionExpression:       aws.String("product_id = :owner AND claimed_at = :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": str(owner), ":at": num(at)},
	})
	if isConditionFailed(err) {
		return errConflict
	}
	return err
}

// release deletes claims still owned by productID. A failure only leaves a
// stale claim, which claim() takes over later, so errors are not returned.
func (s *Store) release(ctx context.Context, productID string, pks []string) {
	ctx = context.WithoutCancel(ctx)
	for _, pk := range pks {
		s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: &s.products, Key: pkKey(pk),
			ConditionExpression:       aws.String("product_id = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(productID)},
		})
	}
}

// claimAll claims pks in order; on failure it releases what it claimed.
func (s *Store) claimAll(ctx context.Context, productID string, pks []string) error {
	for i, pk := range pks {
		if err := s.claim(ctx, pk, productID); err != nil {
			s.release(ctx, productID, pks[:i])
			return err
		}
	}
	return nil
}

func (s *Store) CreateProduct(ctx context.Context, p *storefront.Product) error {
	p.Version = 1
	item, err := productItem(p)
	if err != nil {
		return err
	}
	keys := claimKeys(p)
	if err := s.claimAll(ctx, p.ID, keys); err != nil {
		p.Version = 0
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.products, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if err != nil {
		p.Version = 0
		// The id is taken: these claims are ours only if the existing
		// product doesn't use them, which a same-id product may.
		if isConditionFailed(err) {
			if cur, gerr := s.getProduct(ctx, p.ID); gerr == nil {
				s.release(ctx, p.ID, without(keys, claimKeys(cur)))
			}
			return errConflict
		}
		s.release(ctx, p.ID, keys)
		return err
	}
	return nil
}

// without returns the elements of a not in b.
func without(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func (s *Store) UpdateProduct(ctx context.Context, p *storefront.Product) error {
	cur, err := s.getProduct(ctx, p.ID)
	if err != nil {
		return err
	}
	if cur.Version != p.Version {
		return errConflict
	}
	next := *p
	next.Version = p.Version + 1
	item, err := productItem(&next)
	if err != nil {
		return err
	}
	added, removed := without(claimKeys(p), claimKeys(cur)), without(claimKeys(cur), claimKeys(p))
	if err := s.claimAll(ctx, p.ID, added); err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.products, Item: item,
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(p.Version)},
	})
	if err != nil {
		s.release(ctx, p.ID, added)
		if isConditionFailed(err) {
			if _, gerr := s.getProduct(ctx, p.ID); storefront.ErrorCode(gerr) == storefront.CodeNotFound {
				return gerr
			}
			return errConflict
		}
		return err
	}
	s.release(ctx, p.ID, removed)
	p.Version = next.Version
	return nil
}

func (s *Store) DeleteProduct(ctx context.Context, id string) error {
	cur, err := s.getProduct(ctx, id)
	if err != nil {
		return err
	}
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.products, Key: pkKey(productPK(id)),
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(cur.Version)},
	})
	if isConditionFailed(err) {
		if _, gerr := s.getProduct(ctx, id); storefront.ErrorCode(gerr) == storefront.CodeNotFound {
			return gerr
		}
		return errConflict
	}
	if err != nil {
		return err
	}
	s.release(ctx, id, claimKeys(cur))
	return nil
}

func (s *Store) Product(ctx context.Context, id string) (*storefront.Product, error) {
	return s.getProduct(ctx, id)
}

// byClaim resolves a slug or SKU claim to the product that uses it.
func (s *Store) byClaim(ctx context.Context, pk string) (*storefront.Product, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.products, Key: pkKey(pk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if out.Item == nil {
		return nil, notFound("product")
	}
	p, err := s.getProduct(ctx, getS(out.Item, "product_id"))
	if err != nil {
		return nil, err
	}
	if !slices.Contains(claimKeys(p), pk) {
		return nil, notFound("product") // a stale claim
	}
	return p, nil
}

func (s *Store) ProductBySlug(ctx context.Context, slug string) (*storefront.Product, error) {
	return s.byClaim(ctx, slugPK(slug))
}

func (s *Store) ProductBySKU(ctx context.Context, sku string) (*storefront.Product, error) {
	return s.byClaim(ctx, skuPK(sku))
}

// listCursor is where a page ended: enough to rebuild the index's
// ExclusiveStartKey, plus the listing it belongs to.
type listCursor struct {
	Sort     string `json:"s"`
	Category string `json:"c,omitempty"`
	SK       string `json:"k"`
	ID       string `json:"id"`
}

// queryPageSize is how many index items one Query reads. Filters apply after
// the read, so a selective filter may need several Queries per page.
const queryPageSize = 100

func (s *Store) ListProducts(ctx context.Context, q storefront.ProductQuery) (storefront.ProductPage, error) {
	in := &dynamodb.QueryInput{TableName: &s.products, Limit: aws.Int32(queryPageSize)}
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	hashAttr, hashValue := "gsi_all", "all"
	if q.Category != "" {
		hashAttr, hashValue = "cat", q.Category
	}
	rangeAttr := "newest_sk"
	in.ScanIndexForward = aws.Bool(false)
	switch q.Sort {
	case storefront.SortPriceAsc:
		rangeAttr, in.ScanIndexForward = "price_sk", aws.Bool(true)
	case storefront.SortPriceDesc:
		rangeAttr = "price_sk"
	}
	switch {
	case q.Category != "" && rangeAttr == "price_sk":
		in.IndexName = aws.String(indexCatPrice)
	case q.Category != "":
		in.IndexName = aws.String(indexCatNewest)
	case rangeAttr == "price_sk":
		in.IndexName = aws.String(indexAllPrice)
	default:
		in.IndexName = aws.String(indexAllNewest)
	}
	names["#h"] = hashAttr
	values[":h"] = str(hashValue)
	in.KeyConditionExpression = aws.String("#h = :h")

	var filters []string
	if q.Tag != "" {
		filters, values[":tag"] = append(filters, "contains(tags, :tag)"), str(q.Tag)
	}
	if q.MinPrice != nil {
		filters, values[":min"] = append(filters, "price >= :min"), num(*q.MinPrice)
	}
	if q.MaxPrice != nil {
		filters, values[":max"] = append(filters, "price <= :max"), num(*q.MaxPrice)
	}
	for i, w := range q.SearchWords() {
		v := ":w" + strconv.Itoa(i)
		filters, values[v] = append(filters, "(contains(title_lc, "+v+") OR contains(tags, "+v+"))"), str(w)
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = names, values

	if q.Cursor != "" {
		var c listCursor
		if !storefront.DecodeCursor(q.Cursor, &c) || c.Sort != q.Sort || c.Category != q.Category || !storefront.ValidID("prd", c.ID) || !strings.HasSuffix(c.SK, "#"+c.ID) {
			return storefront.ProductPage{}, storefront.BadCursor()
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{"pk": str(productPK(c.ID)), hashAttr: str(hashValue), rangeAttr: str(c.SK)}
	}

	// Read until one product past the page is found (so NextCursor is only
	// set when there is more) or the index ends.
	var items []map[string]types.AttributeValue
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return storefront.ProductPage{}, err
		}
		items = append(items, out.Items...)
		if len(items) > q.Limit || out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	var page storefront.ProductPage
	if len(items) > q.Limit {
		items = items[:q.Limit]
		last := items[q.Limit-1]
		id := strings.TrimPrefix(getS(last, "pk"), "p#")
		page.NextCursor = storefront.EncodeCursor(listCursor{Sort: q.Sort, Category: q.Category, SK: getS(last, rangeAttr), ID: id})
	}
	for _, it := range items {
		p, err := decodeProduct(it)
		if err != nil {
			return storefront.ProductPage{}, err
		}
		page.Products = append(page.Products, *p)
	}
	return page, nil
}
