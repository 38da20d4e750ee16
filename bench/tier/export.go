package tier

import (
	"context"
	"strings"

	"github.com/strata3d/strata/bench/origin"
)

// This file is the harness's API for sibling harnesses (bench/suite): the
// S3 gateway, nginx's proxy_cache + slice in front of it, and Strata over
// it, started exactly as this package's cold phase starts them.

// Gateway is a versitygw process on loopback with one bucket that
// anonymous clients may read.
type Gateway struct{ g *gateway }

// Bucket is the bucket's name.
const Bucket = bucket

// StartGateway starts versitygw with its data under dir. The caller must
// Stop it.
func StartGateway(ctx context.Context, bin, dir string) (*Gateway, error) {
	g, err := startGateway(ctx, bin, dir)
	if err != nil {
		return nil, err
	}
	return &Gateway{g}, nil
}

// Endpoint is http://127.0.0.1:PORT.
func (g *Gateway) Endpoint() string { return g.g.endpoint }

// Put stores body under key the way Strata's S3 store writes objects, and
// checks that an anonymous reader (nginx) gets its bytes.
func (g *Gateway) Put(ctx context.Context, key string, body []byte) error {
	return g.g.put(ctx, key, body)
}

// Stop ends the gateway; safe on nil.
func (g *Gateway) Stop() error {
	if g == nil {
		return nil
	}
	return g.g.stop()
}

// StartProxyNginx starts nginx with proxy_cache and the slice module in
// front of the gateway's bucket, serving /assets/{key}; its files and its
// (empty) cache live under dir. The caller must Stop it.
func StartProxyNginx(ctx context.Context, bin, dir string, g *Gateway, slice int64) (*origin.Process, error) {
	return startProxyNginx(ctx, bin, dir, strings.TrimPrefix(g.g.endpoint, "http://"), slice, false)
}

// StrataS3 describes a `strata serve --store s3` over a Gateway.
type StrataS3 struct {
	Bin string
	// Extra flags appended to the command line.
	Extra []string
	// Dir receives strata.log.
	Dir        string
	CacheBytes int64
	ChunkSize  int64
}

// StartStrataS3 starts Strata serving the gateway's bucket with an empty
// cache and waits for /readyz. The caller must Stop it.
func StartStrataS3(ctx context.Context, g *Gateway, s StrataS3) (*origin.Process, error) {
	return startStrata(ctx, strataSpec{
		bin: s.Bin, extra: s.Extra, dir: s.Dir, storeURL: g.g.endpoint,
		cacheBytes: s.CacheBytes, chunkSize: s.ChunkSize, env: g.g.strataEnv(),
	})
}

// VersitygwVersion is what `versitygw --version` says, best-effort.
func VersitygwVersion(ctx context.Context, bin string) string { return versitygwVersion(ctx, bin) }
