// Package server is Strata's HTTP edge: a fasthttp origin that serves 3D assets
// to browser viewers and to CloudFront with exact RFC 9110/9111 semantics
// (ranges, preconditions, validators, precompressed variants, CORS).
//
// It is the only package that imports fasthttp. The HTTP rules themselves are
// pure functions in server/httpsem; this package wires them to requests and to
// the cache tier. The trade-off: the hot path avoids net/http's allocations and
// per-request stat calls (metadata and bytes come from the in-memory tier), at
// the cost of writing header handling that net/http would have given for free.
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/server/httpsem"
)

// Deps are the collaborators a Server is built from.
type Deps struct {
	// Tier is the cache tier assets are read through. Required.
	Tier *cache.Tier
	// Logger receives application logs. Default: JSON to stderr.
	Logger *slog.Logger
	// Registry collects metrics served at /metrics; the tier's and the store's
	// collectors should be registered on it too. Default: a new registry.
	Registry *prometheus.Registry
	// AccessLog receives the JSON access log. Default: stdout.
	AccessLog io.Writer

	// API, when set, answers every request under /api/ (the storefront's JSON
	// API). It is a net/http handler adapted once: the API is not the hot path,
	// and net/http gives its handlers cookies, CSRF protection and a familiar
	// shape. Bodies are bounded by Config.MaxBodyBytes.
	API http.Handler
	// Admin, when set, answers every request under /admin/ (publishing);
	// bodies are bounded by Config.MaxUploadBytes.
	Admin http.Handler
	// Web, when set, answers GET and HEAD requests that no other route takes
	// (the web storefront's pages), including /. Without it / redirects to
	// /assets/index.html.
	Web http.Handler
}

// Server is the origin. Create it with New, run it with Serve or ListenAndServe,
// stop it with Shutdown.
type Server struct {
	cfg      Config
	tier     *cache.Tier
	log      *slog.Logger
	access   *accessLog
	metrics  *metrics
	registry *prometheus.Registry
	problems *renderedProblems
	cors     corsPolicy
	policy   httpsem.CachePolicy
	secrets  [][]byte
	// secretKey is the lower-cased origin-secret header name, nil without secrets.
	secretKey []byte
	fast      *fasthttp.Server

	metricsHandler fasthttp.RequestHandler
	apiHandler     fasthttp.RequestHandler
	adminHandler   fasthttp.RequestHandler
	webHandler     fasthttp.RequestHandler

	// base is the context of store work started by requests. It is not tied to
	// fasthttp's shutdown channel, so a draining server finishes in-flight reads.
	base     context.Context
	stopBase context.CancelFunc
	draining atomic.Bool
	ready    readiness
	ids      *requestIDs
	hot      *hotTable
	timeouts *connTimeouts
	linger   *lingerer // closes after error answers (linger.go)

	// openFiles counts the object files held open for sendfile; at
	// maxOpenFiles no more are opened and the tier's bytes serve.
	openFiles    atomic.Int64
	maxOpenFiles int64

	// Listeners given to Serve, closed by Shutdown; stopped is set once
	// Shutdown has begun, after which Serve returns at once.
	lnMu      sync.Mutex
	listeners []net.Listener
	stopped   bool

	maintainOnce sync.Once // one maintenance loop, however many listeners
}

// New builds a Server from a validated configuration.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Tier == nil {
		return nil, errors.New("server: a cache tier is required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	if deps.AccessLog == nil {
		deps.AccessLog = os.Stdout
	}
	m, err := newMetrics(deps.Registry)
	if err != nil {
		return nil, err
	}
	base, stop := context.WithCancel(context.Background())
	s := &Server{
		cfg:      cfg,
		tier:     deps.Tier,
		log:      deps.Logger,
		metrics:  m,
		registry: deps.Registry,
		problems: newRenderedProblems(),
		cors:     newCORSPolicy(cfg.CORSOrigins),
		policy: httpsem.CachePolicy{
			MaxAge: cfg.MaxAge, SMaxAge: cfg.SMaxAge,
			StaleWhileRevalidate: cfg.StaleWhileRevalidate, StaleIfError: cfg.StaleIfError,
		},
		ids:      newRequestIDs(),
		hot:      newHotTable(),
		timeouts: newConnTimeouts(cfg.ReadTimeout, cfg.WriteTimeout, cfg.IdleTimeout),
		base:     base,
		stopBase: stop,

		maxOpenFiles: openFileBudget(),
		linger:       newLingerer(maxLingering),
	}
	if cfg.AccessLog {
		s.access = newAccessLog(deps.AccessLog, cfg.AccessLogSample)
	}
	for _, sec := range cfg.OriginSecrets {
		s.secrets = append(s.secrets, []byte(sec))
	}
	if len(s.secrets) > 0 {
		s.secretKey = []byte(strings.ToLower(cfg.OriginSecretHeader))
	}
	s.ready.ping = deps.Tier.Store().Ping
	s.metricsHandler = newMetricsHandler(s)
	s.apiHandler = s.adapt(deps.API)
	s.adminHandler = s.adapt(deps.Admin)
	s.webHandler = s.adapt(deps.Web)
	maxBody := cfg.MaxBodyBytes
	if deps.Admin != nil {
		maxBody = cfg.MaxUploadBytes
	}
	s.fast = &fasthttp.Server{
		Handler:         s.handle,
		ErrorHandler:    s.handleParseError,
		Name:            "strata",
		ReadBufferSize:  cfg.ReadBufferSize,
		WriteBufferSize: cfg.WriteBufferSize,
		// Timeouts are enforced by s.timeouts, not by per-request deadlines.
		ConnState:                    s.timeouts.connState,
		MaxRequestBodySize:           int(maxBody),
		NoDefaultContentType:         true,
		DisablePreParseMultipartForm: true,
		CloseOnShutdown:              true,
		Logger:                       fastLogger{s.log},
	}
	return s, nil
}

// ListenAndServe listens on the configured address and serves until Shutdown.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve answers requests on ln until Shutdown. It returns nil after a clean
// shutdown.
func (s *Server) Serve(ln net.Listener) error {
	// Shutdown may come first (a process stopped while starting): fasthttp
	// would then accept on ln forever, so Serve closes it and returns.
	s.lnMu.Lock()
	if s.stopped {
		s.lnMu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners = append(s.listeners, ln)
	s.lnMu.Unlock()
	s.log.Info("serving", "addr", ln.Addr().String())
	s.timeouts.start()
	s.maintainOnce.Do(func() {
		idle := time.NewTicker(idleCheck)
		go func() {
			defer idle.Stop()
			s.maintain(idle.C, minReleaseGap, debug.FreeOSMemory)
		}()
	})
	if s.cfg.ZeroCopy && noRead != nil {
		ln = zcListener{Listener: ln, writeTimeout: s.cfg.WriteTimeout, linger: s.linger}
	} else {
		ln = lingerListener{Listener: ln, linger: s.linger}
	}
	err := s.fast.Serve(ln)
	s.lnMu.Lock()
	stopped := s.stopped
	s.lnMu.Unlock()
	if stopped && errors.Is(err, net.ErrClosed) {
		return nil // closed by Shutdown below, before fasthttp knew of it
	}
	return err
}

// Shutdown drains the server: /readyz turns 503 at once so load balancers stop
// sending traffic, after DrainDelay the listener closes, then in-flight requests
// finish (bounded by ctx and ShutdownTimeout) and the access log is flushed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	if d := s.cfg.DrainDelay; d > 0 {
		s.log.Info("draining", "delay", d.String())
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	s.lnMu.Lock()
	s.stopped = true
	s.lnMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.fast.ShutdownWithContext(ctx)
	// A Serve that started as Shutdown began has handed its listener to
	// fasthttp after fasthttp closed the ones it knew: close every one.
	s.lnMu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.lnMu.Unlock()
	s.linger.waitUntil(ctx)
	s.hot.clear()
	s.timeouts.close()
	s.stopBase()
	if s.access != nil {
		s.access.Close()
	}
	return err
}

// Registry returns the metrics registry served at /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// checkSecret reports whether the request carries a configured origin secret,
// comparing in constant time so the secret can't be guessed byte by byte.
func (s *Server) checkSecret(req *requestHeaders) bool {
	if len(s.secrets) == 0 {
		return true
	}
	got := req.secret
	ok := 0
	for _, want := range s.secrets {
		ok |= subtle.ConstantTimeCompare(got, want)
	}
	return ok == 1
}

// readiness caches the store ping for a second, so a flood of /readyz probes
// does not become a flood of store requests.
type readiness struct {
	ping func(context.Context) error

	mu      sync.Mutex
	checked time.Time
	err     error
}

func (r *readiness) check(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) < time.Second {
		return r.err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	r.err = r.ping(ctx)
	r.checked = time.Now()
	return r.err
}

// fastLogger routes fasthttp's own messages into slog.
type fastLogger struct{ log *slog.Logger }

func (l fastLogger) Printf(format string, args ...any) {
	l.log.Warn("fasthttp", "message", fmt.Sprintf(format, args...))
}
