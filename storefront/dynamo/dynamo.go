// Package dynamo keeps the storefront's catalog, sessions and carts in
// DynamoDB (aws-sdk-go-v2): the read-heavy, per-item data that scales out.
//
// Nothing here needs DynamoDB transactions or TTL (dynalite, the local test
// server, has neither). Every write is one conditional PutItem/UpdateItem on
// a version attribute (optimistic locking); uniqueness of slugs and SKUs is
// enforced by claim items written with attribute_not_exists before the
// product, and released after it changes. A crash between those steps leaves
// a claim whose product does not use it; such a claim is taken over once it
// is older than a grace period. Sessions and carts carry a TTL attribute for
// AWS, and the service checks expiry on every read anyway.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/strata3d/strata/storefront"
)

// Config configures the client. Credentials come from the AWS SDK's default
// chain (environment, shared files, instance or task role), like the S3 store.
type Config struct {
	// Region is the AWS region. Default "us-east-1".
	Region string
	// Endpoint is the base URL of a DynamoDB-compatible server (dynalite,
	// DynamoDB Local), e.g. "http://127.0.0.1:8000". Default "" (AWS).
	Endpoint string
	// TablePrefix is prepended to the table names products, sessions and
	// carts, so several shops or stages share an account. Default "strata_".
	TablePrefix string
	// MaxAttempts bounds the SDK's attempts per request (retries included).
	// Default 3.
	MaxAttempts int
	// Credentials overrides the default chain (tests use static ones).
	Credentials aws.CredentialsProvider
	// ClaimGrace is how old a slug or SKU claim whose product does not use it
	// must be before another product may take it over. It must exceed the
	// longest create or update (a few round trips). Default 1 minute.
	ClaimGrace time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Region: "us-east-1", TablePrefix: "strata_", MaxAttempts: 3, ClaimGrace: time.Minute}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Region == "" {
		errs = append(errs, errors.New("dynamo: region is required"))
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("dynamo: endpoint %q must be an http:// or https:// URL", c.Endpoint))
		}
	}
	for _, r := range c.TablePrefix {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			errs = append(errs, fmt.Errorf("dynamo: table prefix %q may hold only letters, digits, _ - and .", c.TablePrefix))
			break
		}
	}
	if len(c.TablePrefix) > 200 {
		errs = append(errs, errors.New("dynamo: table prefix is too long"))
	}
	if c.ClaimGrace < time.Second {
		errs = append(errs, errors.New("dynamo: claim grace must be at least 1s"))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, errors.New("dynamo: max attempts must be at least 1"))
	}
	return errors.Join(errs...)
}

// Store implements ProductStore, SessionStore and CartStore.
type Store struct {
	db                        *dynamodb.Client
	products, sessions, carts string
	// claimGrace is how old a claim whose product does not use it must be
	// before another product may take it (see the package comment).
	claimGrace time.Duration
	now        func() time.Time
}

var (
	_ storefront.ProductStore = (*Store)(nil)
	_ storefront.SessionStore = (*Store)(nil)
	_ storefront.CartStore    = (*Store)(nil)
)

// New builds a Store; it does not create tables (see CreateTables).
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = 5 * time.Second }).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 64
			t.ResponseHeaderTimeout = 10 * time.Second
		})
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(cfg.Region),
		awsconfig.WithHTTPClient(httpClient),
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = cfg.MaxAttempts })
		}),
	}
	if cfg.Credentials != nil {
		opts = append(opts, awsconfig.WithCredentialsProvider(cfg.Credentials))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("dynamo: load AWS configuration: %w", err)
	}
	client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	return &Store{
		db:       client,
		products: cfg.TablePrefix + "products", sessions: cfg.TablePrefix + "sessions", carts: cfg.TablePrefix + "carts",
		claimGrace: cfg.ClaimGrace, now: time.Now,
	}, nil
}

// Client is the DynamoDB client (tests write raw items through it).
func (s *Store) Client() *dynamodb.Client { return s.db }

// Tables names the products, sessions and carts tables.
func (s *Store) Tables() (products, sessions, carts string) { return s.products, s.sessions, s.carts }

// Ping checks the products table answers.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &s.products})
	return err
}

func isConditionFailed(err error) bool {
	var e *types.ConditionalCheckFailedException
	return errors.As(err, &e)
}

func notFound(what string) error {
	return &storefront.Error{Code: storefront.CodeNotFound, Message: "No such " + what + "."}
}

var errConflict = &storefront.Error{Code: storefront.CodeConflict, Message: "The record changed or already exists."}

// Attribute helpers.
func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func getS(item map[string]types.AttributeValue, k string) string {
	if v, ok := item[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]types.AttributeValue, k string) int64 {
	if v, ok := item[k].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

// ns and fromNS store times as Unix nanoseconds, 0 for the zero time.
var ns, fromNS = storefront.UnixNanos, storefront.FromUnixNanos
