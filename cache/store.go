// Package cache is Strata's caching tier: an in-memory ristretto cache of
// range-aligned chunks in front of an object store (a local directory by
// default, S3 in production).
//
// The trade-off it makes: bytes are cached in fixed, aligned chunks rather than
// whole objects, so a 64 KiB range in a 200 MB GLB costs one chunk of memory and
// one store GET, at the price of assembling a response from several chunks when a
// range crosses a boundary.
package cache

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// Errors a Store returns. Implementations wrap them, so callers test with errors.Is.
var (
	// ErrNotFound means the key has no object.
	ErrNotFound = errors.New("object not found")
	// ErrNotModified answers a Get whose IfNoneMatch equals the object's current ETag.
	ErrNotModified = errors.New("object not modified")
	// ErrPreconditionFailed answers a Get whose IfMatch differs from the object's current ETag.
	ErrPreconditionFailed = errors.New("object changed")
	// ErrInvalidKey means the key is not a clean object key (see ValidKey).
	ErrInvalidKey = errors.New("invalid object key")
)

// ObjectInfo describes one version of a stored object.
type ObjectInfo struct {
	// Key is the object's path in the store, slash-separated, without a leading slash.
	Key string
	// Size is the object's length in bytes.
	Size int64
	// ModTime is the object's last modification time (second precision is enough).
	ModTime time.Time
	// ETag is a strong validator without quotes: equal for equal bytes on every
	// instance that serves the object. Stores derive it from the content
	// (ContentHash), or from S3's own ETag when no content hash is recorded.
	ETag string
	// ContentType is the type recorded in the store, if any; the server decides by extension.
	ContentType string
	// Version is the store's version id (S3 VersionId), empty where the store has none.
	Version string
}

// ByteRange selects Length bytes starting at Offset. A Length below zero means
// "to the end of the object".
type ByteRange struct {
	Offset int64
	Length int64
}

// All selects a whole object.
var All = ByteRange{Offset: 0, Length: -1}

// GetOptions make a Get conditional.
type GetOptions struct {
	// IfMatch, when set, makes the Get fail with ErrPreconditionFailed unless the
	// object's current ETag equals it. The tier uses it so that chunks of two
	// versions are never mixed.
	IfMatch string
	// IfNoneMatch, when set, makes the Get return ErrNotModified (and no body)
	// when the object's current ETag equals it. The tier revalidates with it.
	IfNoneMatch string
}

// Object is an open object body. Body holds exactly the requested range
// (clamped to the object's size); the caller closes it.
type Object struct {
	Info ObjectInfo
	Body io.ReadCloser
}

// PutOptions describe an object being written.
type PutOptions struct {
	// ContentType is recorded with the object where the store supports it.
	ContentType string
}

// Store is an object store. Implementations are safe for concurrent use.
type Store interface {
	// Stat returns the current version's info, or ErrNotFound.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// Get opens the given byte range of the current version. A range that starts
	// at or beyond the end yields an empty body (not an error).
	Get(ctx context.Context, key string, r ByteRange, opts GetOptions) (*Object, error)
	// Put writes an object atomically: readers see the old or the new bytes, never a mix.
	// size may be -1 when unknown.
	Put(ctx context.Context, key string, body io.Reader, size int64, opts PutOptions) (ObjectInfo, error)
	// Delete removes an object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every object whose key starts with prefix, in key order.
	// Returning an error from fn stops the listing and returns that error.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	// Ping checks that the store is reachable (for /readyz).
	Ping(ctx context.Context) error
}

// ErrNoFile answers OpenFile on a store whose objects are not local files.
var ErrNoFile = errors.New("store has no local files")

// FileOpener is implemented by stores whose objects are local files, so that
// a server can hand their bytes to the kernel (sendfile) instead of copying
// them. Wrapping stores forward it with OpenFile.
type FileOpener interface {
	// OpenFile opens key's file for reading if it holds the version etag
	// names, and fails with ErrPreconditionFailed if it holds another. The
	// file stays that version while open: stores replace objects by rename.
	OpenFile(ctx context.Context, key, etag string) (*os.File, error)
}

// OpenFile opens key's file in s if s keeps local files (see FileOpener), or
// fails with ErrNoFile.
func OpenFile(ctx context.Context, s Store, key, etag string) (*os.File, error) {
	if fo, ok := s.(FileOpener); ok {
		return fo.OpenFile(ctx, key, etag)
	}
	return nil, ErrNoFile
}
