// Command strata-lambda is Strata's serverless bake: an AWS Lambda function
// that publishes each model uploaded under uploads/ in the origin's bucket
// (S3 ObjectCreated notifications), writing artifacts and the pointer
// exactly as `strata serve` does, with the same lod/publish code.
//
// Configuration comes from the environment, with the names `strata serve`
// uses: STRATA_S3_BUCKET (required), STRATA_S3_PREFIX, STRATA_S3_REGION,
// STRATA_S3_ENDPOINT, STRATA_S3_PATH_STYLE, STRATA_CLOUDFRONT_DISTRIBUTION,
// STRATA_PUBLISH_RETENTION and STRATA_PUBLISH_RETENTION_AGE. Credentials are
// the function's role.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/strata3d/strata/cache/s3store"
	"github.com/strata3d/strata/lod/publish"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h, err := newHandler(context.Background(), os.LookupEnv, logger, nil)
	if err != nil {
		logger.Error("strata-lambda: configuration", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// newHandler builds the handler from environment variables; opts reach the
// S3 store (tests pass their credentials).
func newHandler(ctx context.Context, env func(string) (string, bool), logger *slog.Logger, opts []s3store.Option) (*Handler, error) {
	get := func(name string) string { v, _ := env(name); return v }
	s3cfg := s3store.DefaultConfig()
	s3cfg.Bucket = get("STRATA_S3_BUCKET")
	s3cfg.Prefix = get("STRATA_S3_PREFIX")
	if v := get("STRATA_S3_REGION"); v != "" {
		s3cfg.Region = v
	}
	s3cfg.Endpoint = get("STRATA_S3_ENDPOINT")
	var errs []error
	if v := get("STRATA_S3_PATH_STYLE"); v != "" {
		b, err := strconv.ParseBool(v)
		errs = append(errs, err)
		s3cfg.PathStyle = b
	}
	pcfg := publish.DefaultConfig()
	if v := get("STRATA_PUBLISH_RETENTION"); v != "" {
		n, err := strconv.Atoi(v)
		errs = append(errs, err)
		pcfg.Retention = n
	}
	if v := get("STRATA_PUBLISH_RETENTION_AGE"); v != "" {
		d, err := time.ParseDuration(v)
		errs = append(errs, err)
		pcfg.RetentionAge = d
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	store, err := s3store.New(ctx, s3cfg, opts...)
	if err != nil {
		return nil, err
	}
	h := &Handler{store: store, bucket: s3cfg.Bucket, prefix: s3cfg.Prefix, log: logger}
	var invalidators []publish.Invalidator
	if dist := get("STRATA_CLOUDFRONT_DISTRIBUTION"); dist != "" {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("CloudFront: %w", err)
		}
		cf, err := publish.NewCloudFront(cloudfront.NewFromConfig(awsCfg), dist)
		if err != nil {
			return nil, err
		}
		b, err := publish.NewBatcher(cf, publish.DefaultBatchConfig(), logger)
		if err != nil {
			return nil, err
		}
		invalidators = append(invalidators, b)
		h.flush = b.Flush
	}
	// No Start: a Lambda runs each job to the end inside its invocation.
	h.pub, err = publish.New(pcfg, publish.Deps{Store: store, Invalidators: invalidators, Logger: logger})
	if err != nil {
		return nil, err
	}
	return h, nil
}
