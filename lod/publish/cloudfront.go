package publish

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// CloudFront invalidates paths of one distribution through the CloudFront
// API. Wrap it in a Batcher: CloudFront limits invalidations in progress and
// bills per path.
type CloudFront struct {
	client       *cloudfront.Client
	distribution string
}

// NewCloudFront returns an Invalidator for the distribution (its id, such as
// "E2QWRUHAPOMQZL") through client.
func NewCloudFront(client *cloudfront.Client, distributionID string) (*CloudFront, error) {
	if client == nil || distributionID == "" {
		return nil, errors.New("publish: CloudFront needs a client and a distribution id")
	}
	return &CloudFront{client: client, distribution: distributionID}, nil
}

// Invalidate creates one invalidation for "/"+key of every key. A retry of
// the same batch by a Batcher reuses the batch's caller reference, so
// CloudFront does not start a second invalidation when the first request
// went through but its answer was lost.
func (c *CloudFront) Invalidate(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	paths := make([]string, len(keys))
	for i, k := range keys {
		paths[i] = cdnPath(k)
	}
	ref, ok := ctx.Value(batchRefKey{}).(string)
	if !ok {
		ref = fmt.Sprintf("strata-%d", time.Now().UnixNano())
	}
	_, err := c.client.CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(c.distribution),
		InvalidationBatch: &types.InvalidationBatch{
			CallerReference: aws.String(ref),
			Paths:           &types.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	})
	if err != nil {
		return fmt.Errorf("publish: CloudFront invalidation of %d paths: %w", len(paths), err)
	}
	return nil
}

// cdnPath is the URL path of a store key, each segment escaped.
func cdnPath(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/" + strings.Join(segs, "/")
}

// batchRefKey carries a batch's caller reference through retries.
type batchRefKey struct{}
