// Package s3store is a cache.Store over an S3 bucket, on AWS or on an
// S3-compatible server (versitygw, MinIO, Ceph).
//
// Its main trade-off is the ETag. Strata's ETag is a content hash, so that the
// same bytes carry the same ETag in this store, in the fs store and on every
// instance; S3's own ETag is an MD5 only sometimes (not for multipart uploads or
// SSE-KMS). Put therefore hashes the body before uploading it and records the
// SHA-256 as user metadata in the same PutObject, which costs a local spool of
// the body (memory up to Config.SpoolMemory, then a temporary file) but keeps
// the write a single atomic request. Objects written by other tools carry no
// such metadata and keep S3's ETag, which is equally stable across instances.
//
// S3 evaluates If-Match/If-None-Match only against its own ETag, so the store
// remembers which S3 ETag goes with each content hash it has seen (a bounded
// memo fed by every response). A conditional Get thus stays one request on the
// hot path; when the memo does not know the ETag, the Get is sent
// unconditionally and the condition is evaluated on the response headers,
// which is still one request.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/strata3d/strata/cache"
)

// memoPerGeneration bounds the ETag memo: two generations of this many entries
// (about 150 bytes each) cover the working set of chunk fetches without
// growing with the bucket.
const memoPerGeneration = 16384

// Store is a cache.Store over one bucket (and optional key prefix). It is safe
// for concurrent use.
type Store struct {
	client      *s3.Client
	bucket      string
	prefix      string
	memo        *etagMemo
	spoolMemory int64
	spoolDir    string
}

var _ cache.Store = (*Store)(nil)

// Option adjusts how New builds the S3 client.
type Option func(*options)

type options struct {
	credentials aws.CredentialsProvider
}

// WithCredentials makes the store sign with p instead of the SDK's default
// credential chain: tests and embedders with their own secrets use it.
func WithCredentials(p aws.CredentialsProvider) Option {
	return func(o *options) { o.credentials = p }
}

// New validates cfg and builds a Store. It does not contact S3: a store whose
// bucket is briefly unreachable must still start, so that the tier can serve
// what it has; use Ping for readiness.
func New(ctx context.Context, cfg Config, opts ...Option) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}

	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = cfg.DialTimeout
			d.KeepAlive = 30 * time.Second
		}).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = cfg.MaxIdleConnsPerHost
			t.MaxIdleConnsPerHost = cfg.MaxIdleConnsPerHost
			t.IdleConnTimeout = 90 * time.Second
			t.TLSHandshakeTimeout = 10 * time.Second
			t.ResponseHeaderTimeout = cfg.ResponseHeaderTimeout
			t.ExpectContinueTimeout = time.Second
		})
	loadOpts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(cfg.Region),
		awsconfig.WithHTTPClient(httpClient),
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = cfg.MaxRetries
				so.MaxBackoff = cfg.RetryMaxBackoff
			})
		}),
	}
	if o.credentials != nil {
		loadOpts = append(loadOpts, awsconfig.WithCredentialsProvider(o.credentials))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("s3store: load AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(so *s3.Options) {
		if cfg.Endpoint != "" {
			so.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		so.UsePathStyle = cfg.PathStyle
		// Put sends its own SHA-256 checksum; reads are not re-hashed, because
		// chunk reads are ranged (S3 has no checksum for a range) and TLS
		// already guards the transfer. "When required" also keeps the SDK from
		// sending checksum trailers some S3-compatible servers reject.
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		so.DisableLogOutputChecksumValidationSkipped = true
	})
	return &Store{
		client:      client,
		bucket:      cfg.Bucket,
		prefix:      cfg.keyPrefix(),
		memo:        newETagMemo(memoPerGeneration),
		spoolMemory: cfg.SpoolMemory,
		spoolDir:    cfg.SpoolDir,
	}, nil
}

func (s *Store) objectKey(key string) *string { return aws.String(s.prefix + key) }

func invalidKey(op, key string) error {
	return fmt.Errorf("s3store: %s %q: %w", op, key, cache.ErrInvalidKey)
}

// Stat returns the current version's info (HeadObject).
func (s *Store) Stat(ctx context.Context, key string) (cache.ObjectInfo, error) {
	if !cache.ValidKey(key) {
		return cache.ObjectInfo{}, invalidKey("stat", key)
	}
	return s.head(ctx, "stat", key, cache.GetOptions{})
}

// head runs HeadObject with opts. A refusal of a memo-translated If-Match is
// re-checked without translation, since only a content-hash mismatch counts.
func (s *Store) head(ctx context.Context, op, key string, opts cache.GetOptions) (cache.ObjectInfo, error) {
	c := s.conditions(key, opts)
	for {
		out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
			Bucket:      &s.bucket,
			Key:         s.objectKey(key),
			IfMatch:     c.ifMatch,
			IfNoneMatch: c.ifNoneMatch,
		})
		if err != nil {
			if c.ifMatch != nil && errors.Is(classify(err), cache.ErrPreconditionFailed) {
				c = s3Conditions{}
				continue
			}
			return cache.ObjectInfo{}, wrapErr(op, key, err)
		}
		info, s3ETag := headers{
			eTag:         out.ETag,
			lastModified: out.LastModified,
			contentType:  out.ContentType,
			versionID:    out.VersionId,
			metadata:     out.Metadata,
		}.info(key, aws.ToInt64(out.ContentLength))
		s.memo.learn(key, info.ETag, s3ETag)
		if err := evaluate(opts, info.ETag); err != nil {
			return cache.ObjectInfo{}, fmt.Errorf("s3store: %s %q: %w", op, key, err)
		}
		return info, nil
	}
}

// s3Conditions are a Get's conditions in S3's terms: our ETags replaced by the
// S3 ETags the memo knows for them, or nothing.
type s3Conditions struct {
	ifMatch, ifNoneMatch *string
}

// conditions translates opts. It translates all of them or none: sending only
// one condition to S3 could let S3 answer 304 where RFC 9110's order (If-Match
// first) demands 412.
func (s *Store) conditions(key string, opts cache.GetOptions) s3Conditions {
	var c s3Conditions
	if opts.IfMatch != "" {
		e, ok := s.memo.lookup(key, opts.IfMatch)
		if !ok {
			return s3Conditions{}
		}
		c.ifMatch = aws.String(`"` + e + `"`)
	}
	if opts.IfNoneMatch != "" {
		e, ok := s.memo.lookup(key, opts.IfNoneMatch)
		if !ok {
			return s3Conditions{}
		}
		c.ifNoneMatch = aws.String(`"` + e + `"`)
	}
	return c
}

// evaluate checks opts against the object's current ETag, in RFC 9110 order.
// It runs on every response, translated or not, so a stale memo entry can
// never make a condition pass that the content hash fails.
func evaluate(opts cache.GetOptions, etag string) error {
	if opts.IfMatch != "" && opts.IfMatch != etag {
		return cache.ErrPreconditionFailed
	}
	if opts.IfNoneMatch != "" && opts.IfNoneMatch == etag {
		return cache.ErrNotModified
	}
	return nil
}

// Get opens a byte range of the current version (GetObject with a Range
// header), honouring opts in one request whenever the memo knows the S3 ETag.
func (s *Store) Get(ctx context.Context, key string, r cache.ByteRange, opts cache.GetOptions) (*cache.Object, error) {
	if !cache.ValidKey(key) {
		return nil, invalidKey("get", key)
	}
	if r.Offset < 0 {
		return nil, fmt.Errorf("s3store: get %q: negative range offset %d", key, r.Offset)
	}
	if r.Length == 0 {
		// HTTP cannot ask for zero bytes; the info is all there is to return.
		info, err := s.head(ctx, "get", key, opts)
		if err != nil {
			return nil, err
		}
		return &cache.Object{Info: info, Body: http.NoBody}, nil
	}
	// Each retry below means the object changed between two requests; a third
	// change in a row is reported rather than chased.
	for attempt := 0; attempt < 3; attempt++ {
		c := s.conditions(key, opts)
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
			Bucket:      &s.bucket,
			Key:         s.objectKey(key),
			Range:       rangeHeader(r),
			IfMatch:     c.ifMatch,
			IfNoneMatch: c.ifNoneMatch,
		})
		if err == nil {
			return s.object(key, r, opts, out)
		}
		switch kind := classify(err); {
		case kind == cache.ErrPreconditionFailed && c.ifMatch != nil:
			// S3 refused the S3 ETag the memo holds for opts.IfMatch. Usually the
			// object changed; but the same bytes rewritten can get a new S3 ETag
			// (multipart, SSE-KMS), so a HEAD, which carries no body, decides.
			info, herr := s.head(ctx, "get", key, cache.GetOptions{})
			if herr != nil {
				return nil, herr
			}
			if info.ETag != opts.IfMatch {
				return nil, fmt.Errorf("s3store: get %q: %w", key, cache.ErrPreconditionFailed)
			}
			// The HEAD taught the memo the new S3 ETag; try again with it.
		case kind == errInvalidRange:
			// S3 answers 416 for a range starting at or after the end; the
			// contract wants an empty body, which needs the object's info.
			info, herr := s.head(ctx, "get", key, opts)
			if herr != nil {
				return nil, herr
			}
			if r.Offset >= info.Size {
				return &cache.Object{Info: info, Body: http.NoBody}, nil
			}
			// The object grew meanwhile; the range is satisfiable now.
		default:
			return nil, wrapErr("get", key, err)
		}
	}
	return nil, fmt.Errorf("s3store: get %q: object kept changing during the request", key)
}

// rangeHeader formats r as an HTTP Range, or nil for the whole object.
func rangeHeader(r cache.ByteRange) *string {
	switch {
	case r.Offset == 0 && r.Length < 0:
		return nil
	case r.Length < 0 || r.Length > math.MaxInt64-r.Offset:
		return aws.String("bytes=" + strconv.FormatInt(r.Offset, 10) + "-")
	default:
		return aws.String("bytes=" + strconv.FormatInt(r.Offset, 10) + "-" + strconv.FormatInt(r.Offset+r.Length-1, 10))
	}
}

// object turns a GetObject response into a cache.Object holding exactly the
// requested range, after evaluating opts on the response's ETag.
func (s *Store) object(key string, r cache.ByteRange, opts cache.GetOptions, out *s3.GetObjectOutput) (*cache.Object, error) {
	size := aws.ToInt64(out.ContentLength)
	// skip is how many leading bytes of the body precede the range: zero for a
	// 206, Offset for a server that ignored Range and sent the whole object.
	var skip int64
	if cr := aws.ToString(out.ContentRange); cr != "" {
		first, _, total, ok := parseContentRange(cr)
		if !ok || first != r.Offset {
			out.Body.Close()
			return nil, fmt.Errorf("s3store: get %q: response range %q does not answer offset %d", key, cr, r.Offset)
		}
		size = total
	} else {
		skip = r.Offset
	}
	info, s3ETag := headers{
		eTag:         out.ETag,
		lastModified: out.LastModified,
		contentType:  out.ContentType,
		versionID:    out.VersionId,
		metadata:     out.Metadata,
	}.info(key, size)
	s.memo.learn(key, info.ETag, s3ETag)
	if err := evaluate(opts, info.ETag); err != nil {
		out.Body.Close()
		return nil, fmt.Errorf("s3store: get %q: %w", key, err)
	}
	want := max(size-r.Offset, 0)
	if r.Length >= 0 && r.Length < want {
		want = r.Length
	}
	body := out.Body
	if want == 0 {
		out.Body.Close()
		body = http.NoBody
	} else if skip > 0 || want < aws.ToInt64(out.ContentLength) {
		body = &window{rc: out.Body, skip: skip, left: want}
	}
	return &cache.Object{Info: info, Body: body}, nil
}

// window passes on left bytes of rc after discarding skip bytes. It only
// serves servers that send more than asked for.
type window struct {
	rc   io.ReadCloser
	skip int64
	left int64
}

func (w *window) Read(p []byte) (int, error) {
	if w.skip > 0 {
		n, err := io.CopyN(io.Discard, w.rc, w.skip)
		w.skip -= n
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	if w.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > w.left {
		p = p[:w.left]
	}
	n, err := w.rc.Read(p)
	w.left -= int64(n)
	if err == io.EOF && w.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (w *window) Close() error { return w.rc.Close() }

// Delete removes key (DeleteObject). In a versioned bucket that adds a delete
// marker; older versions stay, as the bucket's policy intends.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !cache.ValidKey(key) {
		return invalidKey("delete", key)
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: s.objectKey(key)})
	if err != nil && !errors.Is(classify(err), cache.ErrNotFound) {
		return wrapErr("delete", key, err)
	}
	return nil
}

// List calls fn for every object under prefix, in key order (ListObjectsV2,
// whose order is lexicographic by UTF-8 bytes, which stripping the store's
// prefix preserves). Listings carry no metadata, so an object's ETag here is
// S3's: it matches Stat's only for objects Strata did not write. Fetching the
// hash would cost a HEAD per object. Keys that are not valid store keys (such as
// "folder/" markers made by consoles) are skipped.
func (s *Store) List(ctx context.Context, prefix string, fn func(cache.ObjectInfo) error) error {
	if !cache.ValidPrefix(prefix) {
		return invalidKey("list", prefix)
	}
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: &s.bucket,
		Prefix: aws.String(s.prefix + prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return wrapErr("list", prefix, err)
		}
		for _, o := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(o.Key), s.prefix)
			if !ok || !cache.ValidKey(key) {
				continue
			}
			info := cache.ObjectInfo{
				Key:  key,
				Size: aws.ToInt64(o.Size),
				ETag: trimETag(aws.ToString(o.ETag)),
			}
			if o.LastModified != nil {
				info.ModTime = o.LastModified.UTC()
			}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// Ping checks that the bucket is reachable with our credentials (HeadBucket).
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("s3store: ping bucket %q: %w", s.bucket, err)
	}
	return nil
}
