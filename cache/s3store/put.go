package s3store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/strata3d/strata/cache"
)

// maxPutSize is S3's limit for a single PutObject. Larger objects would need a
// multipart upload, which Put does not do: GLBs stay far below 5 GiB.
const maxPutSize = 5 << 30

// spoolChunk is the copy buffer of the spool; the context is checked between
// chunks, so a cancelled Put stops reading a slow body within one chunk.
const spoolChunk = 256 << 10

// Put writes key in one PutObject, which S3 makes atomic.
//
// The body's SHA-256 must be known before the request starts, because it
// travels as user metadata (x-amz-meta-strata-sha256) in the request headers.
// So Put first copies the body into a spool while hashing it: memory up to
// Config.SpoolMemory, a temporary file beyond. Uploading and then adding the
// metadata with CopyObject would avoid the copy but let readers see the object
// without its hash, that is with a different ETag, in between. The spool also
// makes the body seekable, which the SDK needs to retry an upload, and the
// hash doubles as the SigV4 payload hash and as an x-amz-checksum-sha256 that
// S3 verifies, so a body corrupted on the way is refused.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, size int64, opts cache.PutOptions) (cache.ObjectInfo, error) {
	if !cache.ValidKey(key) {
		return cache.ObjectInfo{}, invalidKey("put", key)
	}
	if size < -1 || size > maxPutSize {
		return cache.ObjectInfo{}, fmt.Errorf("s3store: put %q: size %d outside [-1, %d]", key, size, int64(maxPutSize))
	}
	sp, err := s.spool(ctx, body, size)
	if err != nil {
		return cache.ObjectInfo{}, fmt.Errorf("s3store: put %q: %w", key, err)
	}
	defer sp.close()

	hexSum := hex.EncodeToString(sp.sum)
	in := &s3.PutObjectInput{
		Bucket:         &s.bucket,
		Key:            s.objectKey(key),
		Body:           sp.body,
		ContentLength:  aws.Int64(sp.size),
		Metadata:       map[string]string{metaSHA256: hexSum},
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sp.sum)),
	}
	if opts.ContentType != "" {
		in.ContentType = aws.String(opts.ContentType)
	}
	out, err := s.client.PutObject(ctx, in, withPayloadSHA256(hexSum))
	if err != nil {
		return cache.ObjectInfo{}, wrapErr("put", key, err)
	}
	etag := cache.ContentHash(sp.sum)
	s3ETag := trimETag(aws.ToString(out.ETag))
	s.memo.learn(key, etag, s3ETag)
	return s.putInfo(ctx, key, out, cache.ObjectInfo{
		Key:         key,
		Size:        sp.size,
		ETag:        etag,
		ContentType: opts.ContentType,
		Version:     aws.ToString(out.VersionId),
	}, s3ETag), nil
}

// putInfo completes the info of a finished Put with what PutObject does not
// return (LastModified, the content type S3 defaulted), by a HEAD pinned to the
// version or S3 ETag just written, so that Put and a later Stat agree. If a
// concurrent writer or deleter won the race, the upload still succeeded and
// the info falls back to the response's Date.
func (s *Store) putInfo(ctx context.Context, key string, out *s3.PutObjectOutput, info cache.ObjectInfo, s3ETag string) cache.ObjectInfo {
	in := &s3.HeadObjectInput{Bucket: &s.bucket, Key: s.objectKey(key)}
	switch {
	case info.Version != "":
		in.VersionId = aws.String(info.Version)
	case s3ETag != "":
		in.IfMatch = aws.String(`"` + s3ETag + `"`)
	}
	if head, err := s.client.HeadObject(ctx, in); err == nil {
		got, _ := headers{
			eTag:         head.ETag,
			lastModified: head.LastModified,
			contentType:  head.ContentType,
			versionID:    head.VersionId,
			metadata:     head.Metadata,
		}.info(key, aws.ToInt64(head.ContentLength))
		if got.ETag == info.ETag && got.Size == info.Size {
			return got
		}
	}
	info.ModTime = responseDate(out)
	return info
}

// responseDate is the Date header of a response, or now.
func responseDate(out *s3.PutObjectOutput) time.Time {
	if raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); ok {
		if t, err := http.ParseTime(raw.Header.Get("Date")); err == nil {
			return t.UTC()
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}

// withPayloadSHA256 hands the SDK the body hash Put already has, so the SigV4
// signer neither re-reads the body (plain HTTP) nor falls back to an unsigned
// payload (TLS).
func withPayloadSHA256(hexSum string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("StrataPayloadSHA256",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return next.HandleInitialize(v4.SetPayloadHash(ctx, hexSum), in)
				}), middleware.Before)
		})
	}
}

// spooled is a Put body copied aside, with its length and SHA-256.
type spooled struct {
	body io.ReadSeeker
	size int64
	sum  []byte
	file *os.File // nil while the body fits in memory
}

func (sp *spooled) close() {
	if sp.file != nil {
		sp.file.Close()
		os.Remove(sp.file.Name())
	}
}

// spool copies body (exactly size bytes when size >= 0) aside while hashing it.
func (s *Store) spool(ctx context.Context, body io.Reader, size int64) (_ *spooled, err error) {
	sp := &spooled{}
	defer func() {
		if err != nil {
			sp.close()
		}
	}()
	limit := int64(maxPutSize) + 1
	if size >= 0 {
		limit = size + 1 // one byte more reveals a body longer than announced
	}
	src := io.LimitReader(body, limit)

	var mem bytes.Buffer
	if size >= 0 && size <= s.spoolMemory {
		mem.Grow(int(size))
	}
	h := cache.NewContentHash()
	var sink io.Writer = &mem
	buf := make([]byte, spoolChunk)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if sp.file == nil && int64(mem.Len()+n) > s.spoolMemory {
				if sp.file, err = os.CreateTemp(s.spoolDir, "strata-s3put-*"); err != nil {
					return nil, fmt.Errorf("spool body: %w", err)
				}
				if _, err := sp.file.Write(mem.Bytes()); err != nil {
					return nil, fmt.Errorf("spool body: %w", err)
				}
				mem = bytes.Buffer{}
				sink = sp.file
			}
			if _, err := sink.Write(buf[:n]); err != nil {
				return nil, fmt.Errorf("spool body: %w", err)
			}
			sp.size += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("read body: %w", rerr)
		}
	}
	switch {
	case size >= 0 && sp.size < size:
		return nil, fmt.Errorf("body has %d bytes, %d announced: %w", sp.size, size, io.ErrUnexpectedEOF)
	case size >= 0 && sp.size > size:
		return nil, fmt.Errorf("body is longer than the %d bytes announced", size)
	case sp.size > maxPutSize:
		return nil, fmt.Errorf("body is longer than %d bytes, the limit of one PutObject", int64(maxPutSize))
	}
	sp.sum = h.Sum(nil)
	if sp.file == nil {
		sp.body = bytes.NewReader(mem.Bytes())
		return sp, nil
	}
	if _, err := sp.file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("spool body: %w", err)
	}
	sp.body = sp.file
	return sp, nil
}
