package tier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// StoreTraffic is what one server asked the S3 gateway for, counted by the
// counting proxy between them: the same measuring point for Strata and for
// nginx, whatever each one's own metrics say.
type StoreTraffic struct {
	// ObjectGETs and ObjectHEADs are requests for an object (a path with a
	// key below the bucket).
	ObjectGETs  int64 `json:"object_gets"`
	ObjectHEADs int64 `json:"object_heads"`
	// Other counts every other request: readiness pings of the bucket
	// (HeadBucket), listings, other methods.
	Other int64 `json:"other"`
	// GETBytes is the body bytes the gateway sent in answer to object GETs.
	GETBytes int64 `json:"get_bytes"`
}

// Sub returns the traffic between an earlier snapshot and t.
func (t StoreTraffic) Sub(earlier StoreTraffic) StoreTraffic {
	return StoreTraffic{
		ObjectGETs:  t.ObjectGETs - earlier.ObjectGETs,
		ObjectHEADs: t.ObjectHEADs - earlier.ObjectHEADs,
		Other:       t.Other - earlier.Other,
		GETBytes:    t.GETBytes - earlier.GETBytes,
	}
}

// isObjectPath reports whether a path-style S3 path names an object
// ("/bucket/key…") rather than a bucket or the service.
func isObjectPath(path string) bool {
	bucket, key, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return ok && bucket != "" && key != ""
}

// storeCounter is an in-process reverse proxy on loopback that forwards to
// the gateway untouched (the Host header too, which SigV4 signs) and counts
// requests by method and the bytes of object GET responses.
type storeCounter struct {
	ln        net.Listener
	srv       *http.Server
	transport *http.Transport

	objectGets, objectHeads, other, getBytes atomic.Int64

	mu       sync.Mutex
	inflight int
	idle     chan struct{} // closed and replaced as inflight reaches 0
}

// startStoreCounter starts a counting proxy in front of target (the
// gateway's base URL). Close it when done.
func startStoreCounter(target string) (*storeCounter, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("tier: gateway URL: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tier: counting proxy: %w", err)
	}
	c := &storeCounter{ln: ln, idle: make(chan struct{})}
	close(c.idle)
	c.transport = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     90 * time.Second,
		// The gateway does not compress; asking would only add a header.
		DisableCompression: true,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			// The client signed the Host it connected to (this proxy);
			// rewriting it would break the signature.
			pr.Out.Host = pr.In.Host
		},
		Transport: c.transport,
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request.Method == http.MethodGet && isObjectPath(resp.Request.URL.Path) {
				resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.getBytes}
			}
			return nil
		},
		// Instead of logging to stderr: the server under test sees the 502
		// and reports it in its own way.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	c.srv = &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.serve(rp, w, r) }),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

func (c *storeCounter) serve(rp *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) {
	switch {
	case !isObjectPath(r.URL.Path):
		c.other.Add(1)
	case r.Method == http.MethodGet:
		c.objectGets.Add(1)
	case r.Method == http.MethodHead:
		c.objectHeads.Add(1)
	default:
		c.other.Add(1)
	}
	c.mu.Lock()
	c.inflight++
	if c.inflight == 1 {
		c.idle = make(chan struct{})
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inflight--
		if c.inflight == 0 {
			close(c.idle)
		}
		c.mu.Unlock()
	}()
	rp.ServeHTTP(w, r)
}

// URL is the proxy's base URL, to give a server as its S3 endpoint.
func (c *storeCounter) URL() string { return "http://" + c.ln.Addr().String() }

// Addr is the proxy's host:port.
func (c *storeCounter) Addr() string { return c.ln.Addr().String() }

// Snapshot returns the counts so far.
func (c *storeCounter) Snapshot() StoreTraffic {
	return StoreTraffic{
		ObjectGETs:  c.objectGets.Load(),
		ObjectHEADs: c.objectHeads.Load(),
		Other:       c.other.Load(),
		GETBytes:    c.getBytes.Load(),
	}
}

// idleTimeout bounds WaitIdle: a store request that outlives it is stuck.
const idleTimeout = 30 * time.Second

// WaitIdle returns once no request is being proxied, so that a snapshot
// includes the bytes of every request already started (a server may still
// be filling its cache after its clients got their last byte).
func (c *storeCounter) WaitIdle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, idleTimeout)
	defer cancel()
	c.mu.Lock()
	idle := c.idle
	c.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("tier: store requests still in flight: %w", ctx.Err())
	}
}

// Close stops the proxy and its connections on both sides.
func (c *storeCounter) Close() error {
	defer c.transport.CloseIdleConnections()
	if err := c.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// countingBody adds what is read through it to n.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
