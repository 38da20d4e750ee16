package publish

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/strata3d/strata/cache"
)

// maxRecordBytes bounds the JSON records and manifests read back from the
// store; they are a few KiB.
const maxRecordBytes = 16 << 20

func (p *Publisher) put(ctx context.Context, key string, data []byte, contentType string) error {
	if _, err := p.store.Put(ctx, key, bytes.NewReader(data), int64(len(data)), cache.PutOptions{ContentType: contentType}); err != nil {
		return storeError("store "+key, err)
	}
	return nil
}

// get reads a whole object of at most limit bytes. A missing key gives an
// error wrapping cache.ErrNotFound.
func (p *Publisher) get(ctx context.Context, key string, limit int64) ([]byte, error) {
	obj, err := p.store.Get(ctx, key, cache.All, cache.GetOptions{})
	if err != nil {
		return nil, err
	}
	defer obj.Body.Close()
	if obj.Info.Size > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d expected", key, obj.Info.Size, limit)
	}
	data, err := io.ReadAll(io.LimitReader(obj.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is more than the %d bytes expected", key, limit)
	}
	return data, nil
}

// list returns the infos of every key under prefix, in key order.
func (p *Publisher) list(ctx context.Context, prefix string) ([]cache.ObjectInfo, error) {
	var out []cache.ObjectInfo
	err := p.store.List(ctx, prefix, func(info cache.ObjectInfo) error {
		out = append(out, info)
		return nil
	})
	return out, err
}
