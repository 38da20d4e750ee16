package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// Index names of the products table. Products carry gsi_all = "all" and, when
// categorized, cat; claim items carry neither, so they stay out of every
// index (sparse indexes).
const (
	indexAllNewest = "all_newest"
	indexAllPrice  = "all_price"
	indexCatNewest = "cat_newest"
	indexCatPrice  = "cat_price"
)

// CreateTables creates the products, sessions and carts tables with their
// indexes (on-demand billing) and waits until they are active; existing
// tables are left alone. It then enables TTL on sessions and carts; servers
// without TTL (dynalite) are reported in notes, not as errors, because
// expiry is enforced on read regardless.
func (s *Store) CreateTables(ctx context.Context) (notes []string, err error) {
	str := func(name string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
	}
	key := func(hash, rng string) []types.KeySchemaElement {
		k := []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}}
		if rng != "" {
			k = append(k, types.KeySchemaElement{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange})
		}
		return k
	}
	gsi := func(name, hash, rng string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{IndexName: aws.String(name), KeySchema: key(hash, rng),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}
	}
	tables := []*dynamodb.CreateTableInput{
		{
			TableName:            &s.products,
			AttributeDefinitions: []types.AttributeDefinition{str("pk"), str("gsi_all"), str("cat"), str("newest_sk"), str("price_sk")},
			KeySchema:            key("pk", ""),
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
				gsi(indexAllNewest, "gsi_all", "newest_sk"), gsi(indexAllPrice, "gsi_all", "price_sk"),
				gsi(indexCatNewest, "cat", "newest_sk"), gsi(indexCatPrice, "cat", "price_sk"),
			},
		},
		{TableName: &s.sessions, AttributeDefinitions: []types.AttributeDefinition{str("id")}, KeySchema: key("id", "")},
		{TableName: &s.carts, AttributeDefinitions: []types.AttributeDefinition{str("id")}, KeySchema: key("id", "")},
	}
	for _, in := range tables {
		in.BillingMode = types.BillingModePayPerRequest
		_, err := s.db.CreateTable(ctx, in)
		var inUse *types.ResourceInUseException
		switch {
		case errors.As(err, &inUse):
			notes = append(notes, "table "+*in.TableName+" exists")
		case err != nil:
			return notes, fmt.Errorf("dynamo: create table %s: %w", *in.TableName, err)
		default:
			notes = append(notes, "table "+*in.TableName+" created")
		}
	}
	w := dynamodb.NewTableExistsWaiter(s.db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 2*time.Second
	})
	for _, in := range tables {
		if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName}, 5*time.Minute); err != nil {
			return notes, fmt.Errorf("dynamo: table %s did not become active: %w", *in.TableName, err)
		}
	}
	for _, name := range []string{s.sessions, s.carts} {
		_, err := s.db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)}})
		var api smithy.APIError
		switch {
		case err == nil:
			notes = append(notes, "TTL enabled on "+name)
		case errors.As(err, &api) && (api.ErrorCode() == "UnknownOperationException" || api.ErrorCode() == "ValidationException"):
			// ValidationException: TTL is already enabled.
			notes = append(notes, "TTL not enabled on "+name+": "+api.ErrorCode()+" (expiry is still enforced on read)")
		default:
			return notes, fmt.Errorf("dynamo: enable TTL on %s: %w", name, err)
		}
	}
	return notes, nil
}

// DeleteTables drops the three tables (tests clean up with it).
func (s *Store) DeleteTables(ctx context.Context) error {
	var errs []error
	for _, name := range []string{s.products, s.sessions, s.carts} {
		if _, err := s.db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
