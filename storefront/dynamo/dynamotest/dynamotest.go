// Package dynamotest gives tests DynamoDB stores on tables of their own in the
// dynalite that scripts/testenv.sh starts.
package dynamotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/strata3d/strata/storefront/dynamo"
)

// TestEndpointEnv names the variable scripts/testenv.sh sets to a running
// dynalite's URL.
const TestEndpointEnv = "STRATA_TEST_DYNAMO_ENDPOINT"

// MustOpen returns a Store on tables of its own (a random prefix),
// created for the test and deleted after it. Without
// STRATA_TEST_DYNAMO_ENDPOINT the test fails (or skips under -short).
func MustOpen(tb testing.TB) *dynamo.Store {
	tb.Helper()
	endpoint := os.Getenv(TestEndpointEnv)
	if endpoint == "" {
		if testing.Short() {
			tb.Skip(TestEndpointEnv + " is not set (run the tests through scripts/testenv.sh run)")
		}
		tb.Fatal(TestEndpointEnv + " is not set: run the tests through scripts/testenv.sh run")
	}
	b := make([]byte, 6)
	rand.Read(b)
	cfg := dynamo.DefaultConfig()
	cfg.Endpoint = endpoint
	cfg.TablePrefix = "t" + hex.EncodeToString(b) + "_"
	cfg.Credentials = credentials.NewStaticCredentialsProvider("strata-test", "strata-test-secret", "")
	ctx := context.Background()
	s, err := dynamo.New(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.CreateTables(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.DeleteTables(context.Background()); err != nil {
			tb.Errorf("delete test tables: %v", err)
		}
	})
	return s
}
