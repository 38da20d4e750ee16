package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/fsstore"
	"github.com/strata3d/strata/cache/s3store"
	"github.com/strata3d/strata/lod/publish"
	"github.com/strata3d/strata/server"
)

// serveConfig is everything `strata serve` is configured with.
type serveConfig struct {
	Server    server.Config
	Cache     cache.Config
	Store     string // "fs" or "s3"
	AssetsDir string
	S3        s3store.Config
	Demo      bool
	LogLevel  string
	// MemoryLimit is the Go runtime's soft memory limit in bytes; 0 leaves the
	// runtime alone. Default: the tier's budget plus memorySlack, so evicted
	// chunks are collected before the heap doubles the budget.
	MemoryLimit int64
	// Procs is how many threads run Go code at once (GOMAXPROCS); autoProcs
	// (the default) is procsPerCPU per CPU the runtime found. GOMAXPROCS in the
	// environment wins.
	Procs int
	// Publish configures model publishing (publish.go).
	Publish publishConfig
	// Storefront configures the storefront API (storefront.go).
	Storefront storefrontConfig
}

// memorySlack is what the process needs beyond the cache budget: buffers of
// in-flight requests, the runtime, metrics.
const memorySlack = 32 << 20

func defaultServeConfig() serveConfig {
	return serveConfig{
		Server:      server.DefaultConfig(),
		Cache:       cache.DefaultConfig(),
		Store:       "fs",
		AssetsDir:   "./data/assets",
		S3:          s3store.DefaultConfig(),
		Demo:        true,
		LogLevel:    "info",
		MemoryLimit: autoMemoryLimit,
		Procs:       autoProcs,
		Publish:     defaultPublishConfig(),
		Storefront:  defaultStorefrontConfig(),
	}
}

func (c *serveConfig) flags(fs *commandFlags) {
	s, t := &c.Server, &c.Cache
	fs.StringVar(&s.Addr, "addr", s.Addr, "listen address, host:port")
	fs.StringVar(&c.Store, "store", c.Store, "object store: fs (a local directory) or s3")
	fs.StringVar(&c.AssetsDir, "assets-dir", c.AssetsDir, "root directory of the fs store; created if missing")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "generate demo models and an index.html when the store is empty")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "application log level: debug, info, warn or error")

	fs.StringVar(&c.S3.Bucket, "s3-bucket", c.S3.Bucket, "S3 bucket (store s3)")
	fs.StringVar(&c.S3.Prefix, "s3-prefix", c.S3.Prefix, "key prefix inside the bucket, e.g. assets/")
	fs.StringVar(&c.S3.Region, "s3-region", c.S3.Region, "S3 region")
	fs.StringVar(&c.S3.Endpoint, "s3-endpoint", c.S3.Endpoint, "custom S3 endpoint URL for S3-compatible servers; empty means AWS")
	fs.BoolVar(&c.S3.PathStyle, "s3-path-style", c.S3.PathStyle, "path-style S3 addressing (most S3-compatible servers need it)")

	fs.autoBytes(&t.MaxBytes, "cache-bytes", "memory budget of the cache tier; auto is a quarter of physical RAM")
	fs.bytes(&t.ChunkSize, "cache-chunk-size", "size of the aligned chunks the tier caches")
	fs.duration(&t.MetaTTL, "cache-meta-ttl", "how long object metadata is trusted before revalidating with the store")
	fs.duration(&t.NegativeTTL, "cache-negative-ttl", "how long a missing object is remembered")
	fs.duration(&t.StaleIfError, "cache-stale-if-error", "how long past its TTL cached content is served while the store fails")
	fs.duration(&t.StoreTimeout, "store-timeout", "deadline of one store operation")
	fs.Var(memoryLimitFlag{&c.MemoryLimit}, "memory-limit", "Go soft memory limit; auto is the cache budget plus 32MiB, 0 disables (GOMEMLIMIT, when set, wins)")
	fs.Var(procsFlag{&c.Procs}, "procs", "threads running Go code at once (GOMAXPROCS); auto is 4 per CPU (GOMAXPROCS, when set, wins)")
	fs.BoolVar(&t.ReadAhead, "cache-read-ahead", t.ReadAhead, "sequential range readers prefetch the next chunk")

	fs.IntVar(&s.ReadBufferSize, "read-buffer-size", s.ReadBufferSize, "bytes for the request line and headers; more is answered 431")
	fs.IntVar(&s.WriteBufferSize, "write-buffer-size", s.WriteBufferSize, "per-connection response buffer in bytes; responses that fit go out in one write")
	fs.IntVar(&s.MaxURIBytes, "max-uri-bytes", s.MaxURIBytes, "longest request target; longer is answered 414")
	fs.duration(&s.ReadTimeout, "read-timeout", "deadline for reading a request")
	fs.duration(&s.WriteTimeout, "write-timeout", "deadline for writing a response")
	fs.duration(&s.IdleTimeout, "idle-timeout", "keep-alive connections idle this long are closed")
	fs.duration(&s.DrainDelay, "drain-delay", "after SIGTERM, how long /readyz reports draining before the listener closes")
	fs.duration(&s.ShutdownTimeout, "shutdown-timeout", "how long in-flight requests may take to finish at shutdown")
	fs.list(&s.CORSOrigins, "cors-origins", "origins allowed to read assets from browsers, comma-separated; * allows any")
	fs.list(&s.OriginSecrets, "origin-secret", "shared secret(s) CloudFront must send, comma-separated (two while rotating); empty disables the check")
	fs.StringVar(&s.OriginSecretHeader, "origin-secret-header", s.OriginSecretHeader, "header that carries the origin secret")
	fs.duration(&s.MaxAge, "cc-max-age", "Cache-Control max-age of assets without a content hash in their key")
	fs.duration(&s.SMaxAge, "cc-s-maxage", "Cache-Control s-maxage (CDN TTL) of such assets")
	fs.duration(&s.StaleWhileRevalidate, "cc-stale-while-revalidate", "Cache-Control stale-while-revalidate of such assets")
	fs.duration(&s.StaleIfError, "cc-stale-if-error", "Cache-Control stale-if-error of such assets")
	fs.IntVar(&s.MaxRanges, "max-ranges", s.MaxRanges, "most ranges answered as multipart/byteranges; more get the whole object")
	fs.bytes(&s.CompressMinBytes, "compress-min-bytes", "smallest compressible asset given br/gzip variants")
	fs.bytes(&s.CompressMaxBytes, "compress-max-bytes", "largest asset compressed on first request")
	fs.bytes(&s.MaxBodyBytes, "max-body-bytes", "largest request body of the API (/api/); larger is answered 413")
	fs.bytes(&s.MaxUploadBytes, "max-upload-bytes", "largest request body under /admin/ (model uploads); larger is answered 413")
	fs.IntVar(&s.BrotliQuality, "brotli-quality", s.BrotliQuality, "brotli quality of variants, 0-11")
	fs.IntVar(&s.GzipLevel, "gzip-level", s.GzipLevel, "gzip level of variants, 1-9")
	fs.BoolVar(&s.ZeroCopy, "zero-copy", s.ZeroCopy, "send bodies of 2 KiB and more straight to the socket (writev; sendfile for local files from 16 KiB) instead of through the write buffer")
	fs.BoolVar(&s.AccessLog, "access-log", s.AccessLog, "write a JSON access log line per request to stdout")
	fs.IntVar(&s.AccessLogSample, "access-log-sample", s.AccessLogSample, "log one request in N (5xx always logged)")
	c.Publish.flags(fs)
	c.Storefront.flags(fs)
}

// memoryLimit resolves the "auto" memory limit against the cache budget.
func (c *serveConfig) memoryLimit() int64 {
	if c.MemoryLimit == autoMemoryLimit {
		return c.Cache.MemoryBytes() + memorySlack
	}
	return c.MemoryLimit
}

// autoMemoryLimit marks the default: derived from the cache budget.
const autoMemoryLimit = -1

// memoryLimitFlag is a byte size, "auto" or 0.
type memoryLimitFlag struct{ p *int64 }

func (m memoryLimitFlag) String() string {
	if m.p == nil || *m.p == autoMemoryLimit {
		return "auto"
	}
	return formatBytes(*m.p)
}

func (m memoryLimitFlag) Set(s string) error {
	if strings.TrimSpace(s) == "auto" {
		*m.p = autoMemoryLimit
		return nil
	}
	return byteSize{m.p}.Set(s)
}

// Why more threads than CPUs. The server reads and writes its sockets with
// raw system calls, which keep the thread's P (its right to run Go code) for
// the call. A write on loopback delivers to the client inside the call and
// wakes it, and the kernel often switches to the client right there, with the
// P still held: with one P per CPU, ready goroutines then wait for a thread
// the kernel has set aside. With four per CPU the kernel's scheduler shares
// the CPUs among more threads that each hold a P. In the origin benchmark
// (2 CPUs, wrk on the same machine) 4 KiB GETs went from 125k to 145k
// requests/s and p99 from 4.8 to 1.8 ms; 64 KiB GETs and ranges kept their
// rate (within 2 %) with p99 from 3.7 to 2.0 ms.
const procsPerCPU = 4

// startProcs is the runtime's own GOMAXPROCS, read before serve changes it
// (the CPUs it may use, container limits included).
var startProcs = runtime.GOMAXPROCS(0)

// autoProcs marks the default: procsPerCPU per CPU.
const autoProcs = -1

// procs resolves the thread count; cpus is the runtime's own default.
func (c *serveConfig) procs(cpus int) int {
	if c.Procs == autoProcs {
		return procsPerCPU * cpus
	}
	return c.Procs
}

// procsFlag is a positive count or "auto".
type procsFlag struct{ p *int }

func (f procsFlag) String() string {
	if f.p == nil || *f.p == autoProcs {
		return "auto"
	}
	return strconv.Itoa(*f.p)
}

func (f procsFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "auto" {
		*f.p = autoProcs
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fmt.Errorf("want auto or a count of at least 1, got %q", s)
	}
	*f.p = n
	return nil
}

func (c *serveConfig) validate() error {
	var errs []error
	switch c.Store {
	case "fs":
		if c.AssetsDir == "" {
			errs = append(errs, errors.New("--assets-dir is required with --store fs"))
		}
	case "s3":
		if err := c.S3.Validate(); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("--store must be fs or s3, got %q", c.Store))
	}
	if err := c.Server.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Cache.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Publish.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Storefront.validate(); err != nil {
		errs = append(errs, err)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %w", err))
	}
	return errors.Join(errs...)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := defaultServeConfig()
	fs := newCommandFlags("serve", "usage: strata serve [flags]\n\nRuns the origin: assets at /assets/{key}, probes at /healthz and /readyz, metrics at /metrics.", stderr)
	cfg.flags(fs)
	if err := fs.parseValid(args, cfg.validate); err != nil {
		return err
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	if _, set := osLookupEnv("GOMAXPROCS"); !set {
		n := cfg.procs(startProcs)
		runtime.GOMAXPROCS(n)
		logger.Info("threads", "procs", n)
	}
	if limit := cfg.memoryLimit(); limit > 0 {
		if _, set := osLookupEnv("GOMEMLIMIT"); !set {
			debug.SetMemoryLimit(limit)
			logger.Info("memory limit", "bytes", limit)
		}
	}

	app, err := newServeApp(ctx, cfg, logger, stdout)
	if err != nil {
		return err
	}
	defer app.Close()
	return app.Run(ctx)
}

// serveApp is a built origin: store, tier and server.
type serveApp struct {
	cfg    serveConfig
	log    *slog.Logger
	tier   *cache.Tier
	srv    *server.Server
	ln     net.Listener
	closer []func()
	// publisher bakes and publishes models (publish.go).
	publisher *publish.Publisher
}

func newServeApp(ctx context.Context, cfg serveConfig, logger *slog.Logger, accessLog io.Writer) (*serveApp, error) {
	app := &serveApp{cfg: cfg, log: logger}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	var store cache.Store
	switch cfg.Store {
	case "fs":
		fst, err := fsstore.New(cfg.AssetsDir)
		if err != nil {
			return nil, fmt.Errorf("open assets dir: %w", err)
		}
		store = fst
	case "s3":
		s3s, err := s3store.New(ctx, cfg.S3)
		if err != nil {
			return nil, fmt.Errorf("open S3 store: %w", err)
		}
		store = s3s
	}
	store = cache.Instrument(store, reg)
	// The publisher's private records live in the same store; the origin
	// never serves them.
	tier, err := cache.New(publish.PublicView(store), cfg.Cache, logger, reg)
	if err != nil {
		return nil, err
	}
	app.tier = tier
	app.closer = append(app.closer, tier.Close)
	deps := server.Deps{Tier: tier, Logger: logger, Registry: reg, AccessLog: accessLog}
	if err := wireWeb(&deps, logger); err != nil {
		app.Close()
		return nil, err
	}
	if err := app.wirePublishing(ctx, &deps, store, reg); err != nil {
		app.Close()
		return nil, err
	}
	if err := app.wireStorefront(ctx, &deps); err != nil {
		app.Close()
		return nil, err
	}
	srv, err := server.New(cfg.Server, deps)
	if err != nil {
		app.Close()
		return nil, err
	}
	app.srv = srv
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		app.Close()
		return nil, err
	}
	app.ln = ln
	return app, nil
}

// Addr is the address the app listens on (useful with port 0).
func (a *serveApp) Addr() string { return a.ln.Addr().String() }

// Run serves until ctx is done (SIGINT/SIGTERM), then drains.
func (a *serveApp) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	if err := a.srv.Shutdown(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// Close releases what the app holds.
func (a *serveApp) Close() {
	for i := len(a.closer) - 1; i >= 0; i-- {
		a.closer[i]()
	}
	a.closer = nil
}
