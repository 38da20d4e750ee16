package s3store

import (
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/strata3d/strata/cache"
)

// errInvalidRange is S3's 416: the requested range starts at or after the end
// of the object. Get turns it into an empty body; it never leaves the package.
var errInvalidRange = errors.New("range not satisfiable")

// classify maps an SDK error to the cache sentinel it means, or nil when it
// means none of them (network failures, throttling, access denied, a missing
// bucket: all "the store is failing", which the edge answers with 503). A HEAD
// in a missing bucket is a bare 404 and cannot be told from a missing key.
func classify(err error) error {
	var (
		noSuchKey *types.NoSuchKey
		notFound  *types.NotFound
	)
	if errors.As(err, &noSuchKey) || errors.As(err, &notFound) {
		return cache.ErrNotFound
	}
	// An error document's code decides; HEAD responses carry none, and the SDK
	// then uses the status text ("NotFound", "PreconditionFailed", ...) as code.
	// Other codes are failures even when their status is 404: versitygw, for
	// one, answers an unknown access key with 404 XAdminUserNotFound.
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return cache.ErrNotFound
		case "PreconditionFailed":
			return cache.ErrPreconditionFailed
		case "NotModified":
			return cache.ErrNotModified
		case "InvalidRange", "RequestedRangeNotSatisfiable":
			return errInvalidRange
		}
		return nil
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		switch respErr.HTTPStatusCode() {
		case http.StatusNotFound:
			return cache.ErrNotFound
		case http.StatusPreconditionFailed:
			return cache.ErrPreconditionFailed
		case http.StatusNotModified:
			return cache.ErrNotModified
		case http.StatusRequestedRangeNotSatisfiable:
			return errInvalidRange
		}
	}
	return nil
}

// wrapErr adds the operation and key to err and, when err means one of the
// cache sentinels, wraps that too, so that callers can test with errors.Is and
// still log S3's own message and request id.
func wrapErr(op, key string, err error) error {
	if kind := classify(err); kind != nil {
		return fmt.Errorf("s3store: %s %q: %w: %w", op, key, kind, err)
	}
	return fmt.Errorf("s3store: %s %q: %w", op, key, err)
}
