package publish

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/strata3d/strata/cache"
)

// PublicView returns store without PrivatePrefix: keys under it are not
// found, not listed and not writable. The origin serves every key of the
// store it is given, so it must be given this view, while the publisher
// writes originals and records to the store itself.
func PublicView(store cache.Store) cache.Store { return publicView{store} }

type publicView struct{ cache.Store }

func private(key string) bool { return strings.HasPrefix(key, PrivatePrefix) }

func (v publicView) Stat(ctx context.Context, key string) (cache.ObjectInfo, error) {
	if private(key) {
		return cache.ObjectInfo{}, fmt.Errorf("publish: %q: %w", key, cache.ErrNotFound)
	}
	return v.Store.Stat(ctx, key)
}

func (v publicView) Get(ctx context.Context, key string, r cache.ByteRange, opts cache.GetOptions) (*cache.Object, error) {
	if private(key) {
		return nil, fmt.Errorf("publish: %q: %w", key, cache.ErrNotFound)
	}
	return v.Store.Get(ctx, key, r, opts)
}

// OpenFile opens a public object's local file where the store keeps one.
func (v publicView) OpenFile(ctx context.Context, key, etag string) (*os.File, error) {
	if private(key) {
		return nil, fmt.Errorf("publish: %q: %w", key, cache.ErrNotFound)
	}
	return cache.OpenFile(ctx, v.Store, key, etag)
}

func (v publicView) Put(ctx context.Context, key string, body io.Reader, size int64, opts cache.PutOptions) (cache.ObjectInfo, error) {
	if private(key) {
		return cache.ObjectInfo{}, fmt.Errorf("publish: %q is private: %w", key, cache.ErrInvalidKey)
	}
	return v.Store.Put(ctx, key, body, size, opts)
}

func (v publicView) Delete(ctx context.Context, key string) error {
	if private(key) {
		return fmt.Errorf("publish: %q is private: %w", key, cache.ErrInvalidKey)
	}
	return v.Store.Delete(ctx, key)
}

func (v publicView) List(ctx context.Context, prefix string, fn func(cache.ObjectInfo) error) error {
	return v.Store.List(ctx, prefix, func(info cache.ObjectInfo) error {
		if private(info.Key) {
			return nil
		}
		return fn(info)
	})
}
