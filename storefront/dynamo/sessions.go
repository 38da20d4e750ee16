package dynamo

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/strata3d/strata/storefront"
)

// ttl is DynamoDB's TTL value: epoch seconds. AWS deletes expired items
// within days, not at once, which is why expiry is also checked on read.
func ttl(t time.Time) types.AttributeValue { return num(t.Unix()) }

func (s *Store) CreateSession(ctx context.Context, sess *storefront.Session) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.sessions,
		Item: map[string]types.AttributeValue{
			"id": str(sess.ID), "customer_id": str(sess.CustomerID), "cart_id": str(sess.CartID),
			"created": num(ns(sess.CreatedAt)), "last_seen": num(ns(sess.LastSeenAt)), "expires": num(ns(sess.ExpiresAt)),
			"ttl": ttl(sess.ExpiresAt),
		},
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	if isConditionFailed(err) {
		return errConflict
	}
	return err
}

func (s *Store) Session(ctx context.Context, id string) (*storefront.Session, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.sessions, Key: map[string]types.AttributeValue{"id": str(id)}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if out.Item == nil {
		return nil, notFound("session")
	}
	it := out.Item
	return &storefront.Session{ID: getS(it, "id"), CustomerID: getS(it, "customer_id"), CartID: getS(it, "cart_id"),
		CreatedAt: fromNS(getN(it, "created")), LastSeenAt: fromNS(getN(it, "last_seen")), ExpiresAt: fromNS(getN(it, "expires"))}, nil
}

func (s *Store) TouchSession(ctx context.Context, id string, lastSeen, expiresAt time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.sessions,
		Key:                 map[string]types.AttributeValue{"id": str(id)},
		UpdateExpression:    aws.String("SET last_seen = :seen, expires = :exp, #ttl = :ttl"),
		ConditionExpression: aws.String("attribute_exists(id)"),
		// ttl is a reserved word in DynamoDB expressions.
		ExpressionAttributeNames:  map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":seen": num(ns(lastSeen)), ":exp": num(ns(expiresAt)), ":ttl": ttl(expiresAt)},
	})
	if isConditionFailed(err) {
		return notFound("session")
	}
	return err
}

func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.sessions, Key: map[string]types.AttributeValue{"id": str(id)}})
	return err
}

func (s *Store) Cart(ctx context.Context, id string) (*storefront.Cart, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.carts, Key: map[string]types.AttributeValue{"id": str(id)}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if out.Item == nil {
		return nil, notFound("cart")
	}
	it := out.Item
	c := &storefront.Cart{ID: id, Version: getN(it, "version"), UpdatedAt: fromNS(getN(it, "updated")), ExpiresAt: fromNS(getN(it, "expires"))}
	if err := json.Unmarshal([]byte(getS(it, "lines")), &c.Lines); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Store) SaveCart(ctx context.Context, c *storefront.Cart) error {
	lines, err := json.Marshal(c.Lines)
	if err != nil {
		return err
	}
	if c.Lines == nil {
		lines = []byte("[]")
	}
	item := map[string]types.AttributeValue{
		"id": str(c.ID), "lines": str(string(lines)), "version": num(c.Version + 1),
		"updated": num(ns(c.UpdatedAt)), "expires": num(ns(c.ExpiresAt)),
	}
	if !c.ExpiresAt.IsZero() {
		item["ttl"] = ttl(c.ExpiresAt)
	}
	in := &dynamodb.PutItemInput{TableName: &s.carts, Item: item}
	if c.Version == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(id)")
	} else {
		in.ConditionExpression = aws.String("version = :v")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(c.Version)}
	}
	if _, err := s.db.PutItem(ctx, in); err != nil {
		if isConditionFailed(err) {
			return errConflict
		}
		return err
	}
	c.Version++
	return nil
}

func (s *Store) DeleteCart(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.carts, Key: map[string]types.AttributeValue{"id": str(id)}})
	return err
}
