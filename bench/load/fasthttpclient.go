package load

// This is the only file of bench/load that imports fasthttp (see the package
// comment): everything else speaks in exchanges.

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// dialTimeout bounds connecting; the request timeout bounds the rest.
const dialTimeout = 5 * time.Second

// exchange is one request and what the generator needs of its response.
// A worker reuses one exchange for all its requests.
type exchange struct {
	method  string
	url     []byte
	headers [][2]string
	body    []byte
	timeout time.Duration
	// keepBody copies the response body into respBody (for captures and
	// manifests); otherwise only its length is kept.
	keepBody bool
	// wantHeaders are response headers to copy into gotHeaders.
	wantHeaders []string

	status       int
	bodyLen      int64
	respBody     []byte
	contentRange string
	setCookies   []string
	gotHeaders   []string
}

func (x *exchange) reset() {
	x.headers = x.headers[:0]
	x.body = x.body[:0]
	x.url = x.url[:0]
	x.keepBody, x.wantHeaders = false, nil
	x.status, x.bodyLen, x.contentRange = 0, 0, ""
	x.respBody = x.respBody[:0]
	x.setCookies = x.setCookies[:0]
	x.gotHeaders = x.gotHeaders[:0]
}

// httpClient sends exchanges; one per run, shared by its workers.
type httpClient struct {
	c *fasthttp.Client
}

func newHTTPClient(connections int, allowRemote bool) *httpClient {
	d := dialer(allowRemote, loopbackOnly)
	return &httpClient{c: &fasthttp.Client{
		Dial:                func(addr string) (net.Conn, error) { return d.Dial("tcp", addr) },
		MaxConnsPerHost:     connections,
		MaxConnWaitTimeout:  time.Minute, // a worker waits for a connection rather than fail
		MaxIdleConnDuration: time.Minute,
		// A retried request would hide a failure and double-count time.
		MaxIdemponentCallAttempts: 1,
		RetryIfErr:                func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		ReadBufferSize:            16 << 10,
		WriteBufferSize:           16 << 10,
		// Send paths exactly as the scenario wrote them, and no User-Agent
		// beyond our own.
		DisablePathNormalizing:        true,
		DisableHeaderNamesNormalizing: true,
		NoDefaultUserAgentHeader:      true,
	}}
}

func (h *httpClient) close() { h.c.CloseIdleConnections() }

// do sends x and fills its response fields. The error's kind (for the
// errors-by-kind table) comes from errorKind.
func (h *httpClient) do(x *exchange) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURIBytes(x.url)
	req.Header.SetMethod(x.method)
	req.Header.Set("User-Agent", "strata-bench")
	for _, kv := range x.headers {
		req.Header.Set(kv[0], kv[1])
	}
	if len(x.body) > 0 {
		req.SetBodyRaw(x.body)
	}
	if err := h.c.DoTimeout(req, resp, x.timeout); err != nil {
		return err
	}
	x.status = resp.StatusCode()
	body := resp.Body()
	x.bodyLen = int64(len(body))
	if x.keepBody {
		x.respBody = append(x.respBody[:0], body...)
	}
	x.contentRange = string(resp.Header.Peek("Content-Range"))
	for _, v := range resp.Header.Cookies() {
		x.setCookies = append(x.setCookies, string(v))
	}
	for _, name := range x.wantHeaders {
		x.gotHeaders = append(x.gotHeaders, string(resp.Header.Peek(name)))
	}
	return nil
}

// errorKind names a transport error for the errors-by-kind table.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrRemote):
		return "remote_refused"
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, fasthttp.ErrDialTimeout):
		return "connect_timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connect_refused"
	case errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection_closed"
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return "no_free_connection"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	default:
		return "io"
	}
}
