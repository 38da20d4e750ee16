package s3store

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/strata3d/strata/cache"
)

// Config configures a Store. The command line maps --s3-bucket, --s3-prefix,
// --s3-region, --s3-endpoint, --s3-path-style, … (and STRATA_S3_* variables) onto
// these fields one to one.
//
// Credentials are not part of the Config: they come from the AWS SDK's default
// chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, shared config and credentials
// files, web identity, ECS/EC2 roles), so secrets never travel through flags.
type Config struct {
	// Bucket is the S3 bucket holding the assets. Required.
	Bucket string
	// Prefix is a key prefix inside the bucket, e.g. "assets/": store key "a/b.glb"
	// is S3 key "assets/a/b.glb", and List never reports keys outside it. A non-empty
	// prefix is normalised to end with "/". Default "" (the whole bucket).
	Prefix string
	// Region is the bucket's AWS region, used for signing. Default "us-east-1",
	// which S3-compatible servers accept.
	Region string
	// Endpoint is the base URL of an S3-compatible server (versitygw, MinIO, Ceph),
	// e.g. "http://127.0.0.1:7070". Default "" (AWS's endpoint for Region).
	Endpoint string
	// PathStyle selects path-style addressing (http://host/bucket/key) instead of
	// virtual-hosted style (http://bucket.host/key). Most S3-compatible servers
	// need it. Default false.
	PathStyle bool
	// MaxRetries is how many attempts the SDK makes per request, the first one
	// included (the SDK's MaxAttempts); 1 disables retries. Retries back off with
	// jitter up to RetryMaxBackoff. Default 3.
	MaxRetries int
	// RetryMaxBackoff caps the pause between two attempts. The SDK's own default
	// (20 s) outlives most request deadlines of an origin, so ours is shorter.
	// Default 1 s.
	RetryMaxBackoff time.Duration
	// DialTimeout bounds establishing one TCP connection. Default 5 s.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for a response's headers once a request
	// is sent; it catches a server that accepts connections but hangs. Bodies are
	// bounded by the caller's context instead. Default 30 s.
	ResponseHeaderTimeout time.Duration
	// MaxIdleConnsPerHost is the size of the keep-alive pool to the endpoint. The
	// tier fetches chunks of many objects concurrently; a pool smaller than that
	// concurrency turns into new TCP (and TLS) handshakes. Default 256.
	MaxIdleConnsPerHost int
	// SpoolMemory is how many bytes of a Put body are buffered in memory while the
	// body's SHA-256 is computed (the hash must be known before the upload starts,
	// see Put); larger bodies spill to a temporary file in SpoolDir. Default 8 MiB.
	SpoolMemory int64
	// SpoolDir is the directory for spilled Put bodies. Default "" (os.TempDir()).
	SpoolDir string
}

// DefaultConfig returns a Config with every default filled in and no bucket.
func DefaultConfig() Config {
	return Config{
		Region:                "us-east-1",
		MaxRetries:            3,
		RetryMaxBackoff:       time.Second,
		DialTimeout:           5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		MaxIdleConnsPerHost:   256,
		SpoolMemory:           8 << 20,
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("s3store: "+format, args...))
	}
	switch {
	case c.Bucket == "":
		bad("bucket is required")
	case len(c.Bucket) < 3 || len(c.Bucket) > 255 || strings.ContainsAny(c.Bucket, "/\\ \t\r\n"):
		// Lenient on purpose: legacy us-east-1 buckets may hold capitals and
		// underscores, so only names no server accepts are refused here.
		bad("bucket %q is not a valid bucket name", c.Bucket)
	}
	if p := strings.TrimSuffix(c.Prefix, "/"); c.Prefix != "" && !cache.ValidKey(p) {
		bad("prefix %q must be slash-separated clean segments without a leading slash", c.Prefix)
	}
	if c.Region == "" {
		bad("region is required")
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("endpoint %q must be an http:// or https:// URL", c.Endpoint)
		}
	}
	if c.MaxRetries < 1 {
		bad("max retries must be at least 1 (one attempt), got %d", c.MaxRetries)
	}
	if c.RetryMaxBackoff <= 0 {
		bad("retry max backoff must be positive, got %s", c.RetryMaxBackoff)
	}
	if c.DialTimeout <= 0 {
		bad("dial timeout must be positive, got %s", c.DialTimeout)
	}
	if c.ResponseHeaderTimeout <= 0 {
		bad("response header timeout must be positive, got %s", c.ResponseHeaderTimeout)
	}
	if c.MaxIdleConnsPerHost < 1 {
		bad("max idle connections per host must be at least 1, got %d", c.MaxIdleConnsPerHost)
	}
	if c.SpoolMemory < 0 {
		bad("spool memory must not be negative, got %d", c.SpoolMemory)
	}
	return errors.Join(errs...)
}

// keyPrefix returns Prefix normalised to end with "/" (or empty).
func (c Config) keyPrefix() string {
	if c.Prefix == "" || strings.HasSuffix(c.Prefix, "/") {
		return c.Prefix
	}
	return c.Prefix + "/"
}
