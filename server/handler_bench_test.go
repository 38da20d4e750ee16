package server

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/fsstore"
)

// BenchmarkHandle measures the handler alone (no sockets) on a hot asset, to
// keep the per-request work and allocations of the hot path in view.
func BenchmarkHandle(b *testing.B) {
	dir := b.TempDir()
	for name, size := range map[string]int{"4k.bin": 4 << 10, "big.glb": 20 << 20} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	store, err := fsstore.New(dir)
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	ccfg := cache.DefaultConfig()
	ccfg.MaxBytes = 256 << 20
	tier, err := cache.New(store, ccfg, logger, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tier.Close()
	srv, err := New(DefaultConfig(), Deps{Tier: tier, Logger: logger, AccessLog: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name, uri, rng string
		status         int
	}{
		{"get-4k", "/assets/4k.bin", "", 200},
		{"range-64k", "/assets/big.glb", "bytes=5000000-5065535", 206},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var req fasthttp.Request
			req.SetRequestURI(c.uri)
			if c.rng != "" {
				req.Header.Set("Range", c.rng)
			}
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, nil, nil)
			srv.handle(&ctx) // warm the tier
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ctx.Response.Reset()
				srv.handle(&ctx)
			}
			b.StopTimer()
			if got := ctx.Response.StatusCode(); got != c.status {
				b.Fatalf("status %d, want %d", got, c.status)
			}
		})
	}
}
