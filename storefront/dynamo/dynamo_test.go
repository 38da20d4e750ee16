package dynamo_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/dynamo"
	"github.com/strata3d/strata/storefront/dynamo/dynamotest"
	"github.com/strata3d/strata/storefront/storetest"
)

func TestContract(t *testing.T) {
	newStores := func(t *testing.T) storefront.Stores {
		s := dynamotest.MustOpen(t)
		return storefront.Stores{Products: s, Sessions: s, Carts: s}
	}
	storetest.RunProducts(t, newStores)
	storetest.RunSessions(t, newStores)
	storetest.RunCarts(t, newStores)
}

// putClaim writes a claim item as a crashed writer would have left it.
func putClaim(t *testing.T, s *dynamo.Store, pk, productID string, at time.Time) {
	t.Helper()
	table, _, _ := s.Tables()
	_, err := s.Client().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}, "product_id": &types.AttributeValueMemberS{Value: productID},
		"claimed_at": &types.AttributeValueMemberN{Value: strconv.FormatInt(at.UnixNano(), 10)},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStaleClaims: claims left by a crash between the claim and the product
// write block their slug or SKU only for the grace period, and never make a
// lookup answer with the wrong product.
func TestStaleClaims(t *testing.T) {
	s := dynamotest.MustOpen(t)
	ctx := context.Background()
	now := time.Now()
	mk := func(slug string, skus ...string) *storefront.Product {
		return storetest.MustProduct(t, slug, 100, now, skus...)
	}
	a := mk("alpha", "A-1")
	if err := s.CreateProduct(ctx, a); err != nil {
		t.Fatal(err)
	}

	// A fresh claim of a product that does not exist yet may be a create in
	// progress: it holds.
	putClaim(t, s, "s#ghost", storefront.NewID("prd"), now)
	if err := s.CreateProduct(ctx, mk("ghost", "G-1")); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("fresh foreign claim: %v, want ErrConflict", err)
	}
	if _, err := s.ProductBySlug(ctx, "ghost"); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("a claim without its product resolves: %v", err)
	}
	// An old one is a crash's leftover: taken over.
	putClaim(t, s, "s#ghost", storefront.NewID("prd"), now.Add(-2*time.Minute))
	g := mk("ghost", "G-1")
	if err := s.CreateProduct(ctx, g); err != nil {
		t.Fatalf("stale claim not taken over: %v", err)
	}
	if got, err := s.ProductBySlug(ctx, "ghost"); err != nil || got.ID != g.ID {
		t.Fatalf("ghost → %v, %v", got, err)
	}

	// A claim pointing at a live product that does not use it (a crash
	// after a SKU change) resolves to nothing, and is taken over when old.
	putClaim(t, s, "k#B-1", a.ID, now.Add(-2*time.Minute))
	if _, err := s.ProductBySKU(ctx, "B-1"); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("stale SKU claim resolves: %v", err)
	}
	b := mk("beta", "B-1")
	if err := s.CreateProduct(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ProductBySKU(ctx, "B-1"); err != nil || got.ID != b.ID {
		t.Fatalf("B-1 → %v, %v", got, err)
	}
	// A claim in use is never taken, however old.
	putClaim(t, s, "s#alpha", a.ID, now.Add(-time.Hour))
	if err := s.CreateProduct(ctx, mk("alpha", "A-2")); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("claim in use: %v, want ErrConflict", err)
	}
}
