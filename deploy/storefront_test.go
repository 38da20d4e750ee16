package deploy_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	gfdynamo "github.com/awslabs/goformation/v7/cloudformation/dynamodb"

	"github.com/strata3d/strata/deploy"
	"github.com/strata3d/strata/storefront/dynamo"
)

// storefrontTable returns the data stack's global table whose default name is the storefront's default name
// for suffix ("products", …).
func storefrontTable(t *testing.T, suffix string) (*gfdynamo.GlobalTable, string) {
	t.Helper()
	data := mustSet(t).Template("data")
	want := dynamo.DefaultConfig().TablePrefix + suffix
	for id, r := range data.Resources {
		gt, ok := r.(*gfdynamo.GlobalTable)
		if !ok {
			continue
		}
		param, _ := resolveRef(gt.TableName)
		if def, _ := data.Default(param); def == want {
			return gt, id
		}
	}
	t.Fatalf("data.yaml has no table named %q by default (the storefront's default name)", want)
	return nil, ""
}

func resolveRef(p *string) (string, bool) {
	if p == nil {
		return "", false
	}
	return deploy.RefTarget(*p)
}

// TestTableNamesMatchStorefront compares the default table names with the storefront's defaults.
func TestTableNamesMatchStorefront(t *testing.T) {
	for _, suffix := range []string{"products", "sessions", "carts"} {
		storefrontTable(t, suffix)
	}
}

// TestTableSchemasMatchStorefront has the storefront create its tables in dynalite (as `strata migrate` does
// outside AWS) and compares their keys, attributes and indexes with the global tables the data stack creates
// in AWS, where the storefront does not create them.
func TestTableSchemasMatchStorefront(t *testing.T) {
	endpoint := os.Getenv("STRATA_TEST_DYNAMO_ENDPOINT")
	if endpoint == "" {
		if testing.Short() {
			t.Skip("STRATA_TEST_DYNAMO_ENDPOINT is not set (run the tests through scripts/testenv.sh run)")
		}
		t.Fatal("STRATA_TEST_DYNAMO_ENDPOINT is not set: run the tests through scripts/testenv.sh run")
	}
	b := make([]byte, 6)
	rand.Read(b)
	creds := credentials.NewStaticCredentialsProvider("strata-test", "strata-test-secret", "")
	cfg := dynamo.DefaultConfig()
	cfg.Endpoint, cfg.Credentials = endpoint, creds
	cfg.TablePrefix = "deploy" + hex.EncodeToString(b) + "_"
	ctx := context.Background()
	store, err := dynamo.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.DeleteTables(context.Background()); err != nil {
			t.Errorf("delete tables: %v", err)
		}
	})
	client := dynamodb.NewFromConfig(aws.Config{Region: cfg.Region, Credentials: creds}, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
	for _, suffix := range []string{"products", "sessions", "carts"} {
		t.Run(suffix, func(t *testing.T) {
			out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(cfg.TablePrefix + suffix)})
			if err != nil {
				t.Fatal(err)
			}
			live := out.Table
			tpl, id := storefrontTable(t, suffix)

			var liveKeys, tplKeys []string
			for _, k := range live.KeySchema {
				liveKeys = append(liveKeys, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
			}
			for _, k := range tpl.KeySchema {
				tplKeys = append(tplKeys, k.AttributeName+":"+k.KeyType)
			}
			same(t, id+" key schema", liveKeys, tplKeys)

			var liveAttrs, tplAttrs []string
			for _, a := range live.AttributeDefinitions {
				liveAttrs = append(liveAttrs, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
			}
			for _, a := range tpl.AttributeDefinitions {
				tplAttrs = append(tplAttrs, a.AttributeName+":"+a.AttributeType)
			}
			same(t, id+" attributes", liveAttrs, tplAttrs)

			var liveIdx, tplIdx []string
			for _, g := range live.GlobalSecondaryIndexes {
				var keys []string
				for _, k := range g.KeySchema {
					keys = append(keys, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
				}
				liveIdx = append(liveIdx, aws.ToString(g.IndexName)+"("+strings.Join(keys, ",")+")"+string(g.Projection.ProjectionType))
			}
			for _, g := range tpl.GlobalSecondaryIndexes {
				var keys []string
				for _, k := range g.KeySchema {
					keys = append(keys, k.AttributeName+":"+k.KeyType)
				}
				proj := ""
				if g.Projection != nil && g.Projection.ProjectionType != nil {
					proj = *g.Projection.ProjectionType
				}
				tplIdx = append(tplIdx, g.IndexName+"("+strings.Join(keys, ",")+")"+proj)
			}
			same(t, id+" indexes", liveIdx, tplIdx)
		})
	}
}

// same compares two lists as sets of lines (order in DescribeTable is not the template's).
func same(t *testing.T, what string, live, tpl []string) {
	t.Helper()
	sort.Strings(live)
	sort.Strings(tpl)
	if strings.Join(live, " ") != strings.Join(tpl, " ") {
		t.Errorf("%s: storefront creates %v, data.yaml %v", what, live, tpl)
	}
}
