package server

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Lingering close. When the server answers an error before it has read the
// whole request (a body over the bound, headers too large, a request it cannot
// parse) and then closes, the client's unread bytes are still in the socket's
// receive queue. Closing such a socket makes the kernel send a reset instead
// of a FIN, and a reset can reach the client before it has read the answer:
// it sees "connection reset" or "broken pipe" where the server said 413.
//
// So such a connection closes as nginx's lingering_close does: it shuts down
// its sending side (the answer, then a FIN, leave in order), reads and
// discards what the client still sends until the client closes its end, goes
// quiet for lingerQuiet, or lingerLimit has passed, and only then closes.

const (
	// lingerLimit bounds the whole wait, however steadily the client sends.
	lingerLimit = 5 * time.Second
	// lingerQuiet ends the wait when the client sends nothing for this long.
	lingerQuiet = time.Second
	// maxLingering bounds the connections lingering at once; past it, a
	// connection closes at once, as it would without lingering.
	maxLingering = 512
)

// lingerer runs the lingering closes of one server's connections, a bounded
// number at a time.
type lingerer struct {
	limit, quiet time.Duration // lingerLimit and lingerQuiet; tests shorten them
	max          int           // connections lingering at once
	bufs         sync.Pool     // discard buffers

	// active counts lingering connections; idle is closed when it drops to
	// zero with a waitUntil waiting. (A WaitGroup may not be added to while
	// Wait runs, and connections close while Shutdown waits.)
	mu     sync.Mutex
	active int
	idle   chan struct{}
}

func newLingerer(max int) *lingerer {
	l := &lingerer{limit: lingerLimit, quiet: lingerQuiet, max: max}
	l.bufs.New = func() any { b := make([]byte, 16<<10); return &b }
	return l
}

// close half-closes tc and closes it for good in the background, once the
// client has stopped sending (see above). With max connections lingering
// already, or a socket that cannot half-close, it closes at once.
func (l *lingerer) close(tc *net.TCPConn) error {
	if !l.begin() {
		return tc.Close()
	}
	if err := tc.CloseWrite(); err != nil {
		l.done()
		return tc.Close()
	}
	go func() {
		defer l.done()
		l.drain(tc, time.Now().Add(l.limit))
		tc.Close()
	}()
	return nil
}

// begin counts a lingering close in, unless max are lingering already.
func (l *lingerer) begin() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active >= l.max {
		return false
	}
	l.active++
	return true
}

// lingering counts the connections lingering now.
func (l *lingerer) lingering() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.active
}

// drain reads and discards from tc until EOF, an error, l.quiet without
// data, or end.
func (l *lingerer) drain(tc *net.TCPConn, end time.Time) {
	bp := l.bufs.Get().(*[]byte)
	defer l.bufs.Put(bp)
	for {
		next := time.Now().Add(l.quiet)
		if next.After(end) {
			next = end
		}
		if err := tc.SetReadDeadline(next); err != nil {
			return
		}
		if _, err := tc.Read(*bp); err != nil {
			return
		}
	}
}

// waitUntil returns when every lingering connection has closed, or when ctx
// ends. Each closes within lingerLimit anyway.
func (l *lingerer) waitUntil(ctx context.Context) {
	l.mu.Lock()
	if l.active == 0 {
		l.mu.Unlock()
		return
	}
	if l.idle == nil {
		l.idle = make(chan struct{})
	}
	idle := l.idle
	l.mu.Unlock()
	select {
	case <-idle:
	case <-ctx.Done():
	}
}

// done counts a lingering close as finished.
func (l *lingerer) done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.active--
	if l.active == 0 && l.idle != nil {
		close(l.idle)
		l.idle = nil
	}
}

// lingerOnClose marks a connection whose next Close is to linger (see above).
// The error answers fasthttp sends for a request it could not read are
// followed by its Close; handleParseError marks the connection first.
type lingerOnClose interface{ lingerOnClose() }

// lingerMark is what a connection (zcConn, lingerConn) needs to linger: the
// server's lingerer and the mark.
type lingerMark struct {
	linger *lingerer // nil closes at once
	marked atomic.Bool
}

func (m *lingerMark) lingerOnClose() { m.marked.Store(true) }

// closeTCP closes tc, lingering if the connection was marked.
func (m *lingerMark) closeTCP(tc *net.TCPConn) error {
	if m.linger != nil && m.marked.Load() {
		return m.linger.close(tc)
	}
	return tc.Close()
}

// lingerListener hands out TCP connections that can linger when they close,
// where zero copy (whose zcConn does the same) is off.
type lingerListener struct {
	net.Listener
	linger *lingerer
}

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		// Embedding *net.TCPConn keeps its ReadFrom, and with it fasthttp's
		// sendfile of file bodies.
		return &lingerConn{TCPConn: tc, lingerMark: lingerMark{linger: l.linger}}, nil
	}
	return c, nil
}

// lingerConn is a TCP connection whose Close lingers once marked.
type lingerConn struct {
	*net.TCPConn
	lingerMark
}

func (c *lingerConn) Close() error { return c.closeTCP(c.TCPConn) }
