// Package s3test gives tests a real S3 server: the shared versitygw that
// scripts/testenv.sh runs (Endpoint), a private versitygw process a test can
// stop and restart (StartGateway), and throw-away buckets on either
// (NewBucket). It never fakes S3; when the environment lacks what a test
// needs, the test fails with the command that provides it (or skips under
// -short).
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/strata3d/strata/cache/s3store"
)

// Environment variables set by scripts/testenv.sh run.
const (
	EnvEndpoint  = "STRATA_TEST_S3_ENDPOINT"
	EnvAccessKey = "STRATA_TEST_S3_ACCESS_KEY"
	EnvSecretKey = "STRATA_TEST_S3_SECRET_KEY"
	EnvBinary    = "STRATA_TEST_VERSITYGW"
)

// The keys scripts/testenv.sh gives its gateway, used when the variables are unset.
const (
	defaultAccessKey = "strata-test"
	defaultSecretKey = "strata-test-secret"
)

// cleanupTimeout bounds emptying and deleting a bucket after a test.
const cleanupTimeout = 30 * time.Second

// require returns the environment variable name, failing tb when it is unset
// (or skipping it in -short mode, where integration tests may be left out).
func require(tb testing.TB, name string) string {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		msg := name + " is not set: run the tests via `scripts/testenv.sh run go test ./...` or `make test`"
		if testing.Short() {
			tb.Skip(msg)
		}
		tb.Fatal(msg)
	}
	return v
}

// Endpoint returns the URL of the shared versitygw (STRATA_TEST_S3_ENDPOINT).
func Endpoint(tb testing.TB) string {
	tb.Helper()
	return require(tb, EnvEndpoint)
}

// Credentials returns the static credentials every test gateway accepts:
// STRATA_TEST_S3_ACCESS_KEY/STRATA_TEST_S3_SECRET_KEY, or testenv.sh's defaults.
func Credentials() aws.CredentialsProvider {
	access, secret := os.Getenv(EnvAccessKey), os.Getenv(EnvSecretKey)
	if access == "" || secret == "" {
		access, secret = defaultAccessKey, defaultSecretKey
	}
	return credentials.NewStaticCredentialsProvider(access, secret, "")
}

// Client returns a plain SDK client for endpoint, for preparing what the store
// would not write itself (objects without Strata metadata, bucket versioning).
func Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  Credentials(),
	})
}

// StoreConfig returns the s3store configuration for bucket at endpoint.
func StoreConfig(endpoint, bucket string) s3store.Config {
	cfg := s3store.DefaultConfig()
	cfg.Bucket = bucket
	cfg.Endpoint = endpoint
	cfg.PathStyle = true
	return cfg
}

// NewStore opens an s3store.Store on bucket at endpoint with the test credentials.
func NewStore(tb testing.TB, endpoint, bucket string) *s3store.Store {
	tb.Helper()
	st, err := s3store.New(context.Background(), StoreConfig(endpoint, bucket), s3store.WithCredentials(Credentials()))
	if err != nil {
		tb.Fatalf("s3test: open store: %v", err)
	}
	return st
}

// NewBucket creates a bucket with a unique name at endpoint and deletes it,
// with every object and version in it, when tb finishes.
func NewBucket(tb testing.TB, endpoint string) string {
	tb.Helper()
	name := bucketName(tb.Name())
	client := Client(endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		tb.Fatalf("s3test: create bucket %s at %s: %v", name, endpoint, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := removeBucket(ctx, client, name); err != nil {
			tb.Errorf("s3test: remove bucket %s: %v", name, err)
		}
	})
	return name
}

// bucketName turns a test name into a valid, unique bucket name: lowercase
// letters, digits and single hyphens, at most 63 bytes.
func bucketName(testName string) string {
	var b strings.Builder
	b.WriteString("strata-")
	for _, c := range strings.ToLower(testName) {
		switch {
		case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
			b.WriteRune(c)
		case !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	var random [6]byte
	rand.Read(random[:])
	suffix := hex.EncodeToString(random[:])
	base := strings.TrimSuffix(b.String(), "-")
	if len(base) > 63-1-len(suffix) {
		base = strings.TrimSuffix(base[:63-1-len(suffix)], "-")
	}
	return base + "-" + suffix
}

// removeBucket deletes every version (or, where the server has no versioning,
// every object) and then the bucket.
func removeBucket(ctx context.Context, client *s3.Client, bucket string) error {
	if err := deleteVersions(ctx, client, bucket); err != nil {
		if err := deleteObjects(ctx, client, bucket); err != nil {
			return err
		}
	}
	_, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket})
	return err
}

func deleteVersions(ctx context.Context, client *s3.Client, bucket string) error {
	pages := s3.NewListObjectVersionsPaginator(client, &s3.ListObjectVersionsInput{Bucket: &bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		var errs []error
		del := func(key, version *string) {
			_, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: key, VersionId: version})
			errs = append(errs, err)
		}
		for _, v := range page.Versions {
			del(v.Key, v.VersionId)
		}
		for _, m := range page.DeleteMarkers {
			del(m.Key, m.VersionId)
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return nil
}

func deleteObjects(ctx context.Context, client *s3.Client, bucket string) error {
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: o.Key}); err != nil {
				return err
			}
		}
	}
	return nil
}

// EnableVersioning turns versioning on for bucket; the gateway must have been
// started with versioning (GatewayConfig.Versioning).
func EnableVersioning(tb testing.TB, endpoint, bucket string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	_, err := Client(endpoint).PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		tb.Fatalf("s3test: enable versioning on %s: %v", bucket, err)
	}
}
