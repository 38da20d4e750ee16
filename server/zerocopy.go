package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

var crlfCRLF = []byte("\r\n\r\n")

// zeroCopyMin is the smallest body handed to the socket directly (writev from
// memory) instead of being copied through fasthttp's write buffer, and then
// again into the connection's held bytes when the answer is deferred. Below
// it, two copies of a few hundred bytes cost less than the stand-in stream's
// bookkeeping. armedBody makes fasthttp flush the header block before the
// body whatever its size, which is what passes the header to zcConn.
const zeroCopyMin = 2 << 10

// sendfileMin is the smallest body sent with sendfile from a held-open file
// (where the store is a local directory); below it, bytes from memory leave
// in one writev, where sendfile takes a second system call.
const sendfileMin = 16 << 10

// maxSendfilePages bounds the file pages a body sent with sendfile may span:
// the kernel moves them through a pipe of 16 pages, and a body that needs a
// second fill was slower than one writev from cached chunks in the origin
// benchmark (random 64 KiB ranges, which span 17 pages: 0.82× against 0.99×
// nginx), while whole files of up to 64 KiB were faster (0.99× against 0.94×,
// p99 4.4 ms against 6.5 ms). So sendfile serves small files and aligned
// windows; everything else is sent from memory.
const maxSendfilePages = 16

// sendfileLarge is the smallest page-aligned body sent with sendfile however
// many pages it spans: there the copy writev makes costs more than the extra
// pipe fills. In the standard suite's range-sequential (page-aligned 256 KiB
// ranges, 8 connections) writev from chunks reached 0.70× nginx, sendfile
// 0.97×, though with p99 at 6.8 ms against nginx's 4.0 (1.7 ms with writev).
// Unaligned 256 KiB ranges were 11 % slower with sendfile than with writev
// (wrk, 8 connections), so they keep writev.
const sendfileLarge = 128 << 10

const pageSize = 4096

// sendfilePages is the number of file pages bytes [off, off+n) touch.
func sendfilePages(off, n int64) int64 {
	return (off%pageSize + n + pageSize - 1) / pageSize
}

// sendfileSuits reports whether bytes [off, off+n) of a file are best sent
// with sendfile rather than writev from cached chunks (see the bounds above).
func sendfileSuits(off, n int64) bool {
	return n >= sendfileMin && (sendfilePages(off, n) <= maxSendfilePages || n >= sendfileLarge && off%pageSize == 0)
}

// maxSendfile bounds one sendfile call, so a huge body yields to the poller
// between slices instead of holding the socket in one call.
const maxSendfile = 4 << 20

// noRead stands in for an armed body in the stream fasthttp is given: an
// *os.File (so fasthttp flushes the header and hands the body to the
// connection's ReadFrom), closed (so reading it fails). Nil where /dev/null
// can't be opened, which turns zero copy off.
var noRead = func() *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	f.Close()
	return f
}()

// zcListener hands out TCP connections wrapped in zcConn.
type zcListener struct {
	net.Listener
	writeTimeout time.Duration // the server's, for deferred answers at Close
	linger       *lingerer     // the server's lingering closes; nil closes at once
}

func (l zcListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c, nil
	}
	z := &zcConn{TCPConn: tc, raw: raw, writeTimeout: l.writeTimeout, lingerMark: lingerMark{linger: l.linger}}
	z.sendFn = z.sendFile
	z.sock.bind(z)
	return z, nil
}

// zcConn is a TCP connection that can send a response body without copying
// it through fasthttp's write buffer. The handler arms it with the body (a
// list of byte slices, or a window of a shared file) and gives fasthttp the
// stand-in stream zcConn returns. fasthttp then writes the header block into
// its buffer and flushes it to Write, which holds it back, and passes the body
// stream to ReadFrom, which sends header and body together: one writev for
// slices, or the header (MSG_MORE, so it leaves in the body's first packet)
// and sendfile for a file. Unarmed, it is the plain TCP connection.
//
// Only the connection's serving goroutine arms it and writes to it.
type zcConn struct {
	*net.TCPConn
	raw syscall.RawConn

	armed   bool
	lines   []byte   // prepared header lines the armed answer's header block ends with (extendHeader)
	heldBuf []byte   // bytes flushed since arming: the header block, after any pipelined answers before it
	held    []byte   // what of heldBuf is still to send
	parts   [][]byte // the body from memory, or
	file    *sharedFile
	off     int64 // the body from file, at off, n bytes
	n       int64
	body    io.LimitedReader // the stand-in stream given to fasthttp

	// iov lists held bytes and parts for writev.
	iov    [][]byte
	sendFn func(uintptr) bool // sendFile, bound once
	sent   int64
	err    error

	sock sockCalls // how reads and writes reach the socket (per system)

	// mu guards a deferred answer (pending, and the body while pending) from
	// a Close by another goroutine.
	mu           sync.Mutex
	writeTimeout time.Duration // for the deferred answer Close sends
	pending      atomic.Bool   // an answer taken by ReadFrom is still to be sent (deferSends); cleared once sent
	trusting     atomic.Bool   // waiting for a request without having asked the socket
	nudged       atomic.Bool   // the sweeper ended such a wait (nudge)
	pipelined    bool          // the client sent a request before its previous answer left: send at once
	deferNext    bool          // the answer fasthttp writes next is complete in memory (answered)
	failed       error         // sending a deferred answer failed: the connection is done

	clock connClock // the connection's timeout phase (connTimeouts)

	remoteText []byte // the client's address as the access log writes it (appendIP)

	lingerMark // Close lingers once marked (lingerOnClose)
}

// setPhase moves the connection's timeout clock, where the server keeps one.
func (c *zcConn) setPhase(p connPhase) {
	if c.clock.t != nil {
		c.clock.t.set(&c.clock, p)
	}
}

// nudge ends a wait for the next request that began without asking the
// socket, by a read deadline in the past; the reader then lifts it and reads
// as usual (sendThenRead). The sweeper calls it, from its own goroutine, for
// connections idle for a tick: a request whose readiness notice the wait
// missed is then read a tick late at worst, never lost.
func (c *zcConn) nudge() {
	if c.trusting.Load() && !c.nudged.Swap(true) {
		_ = c.SetReadDeadline(time.Unix(1, 0))
	}
}

// unnudge reports whether err is a nudge's deadline, and lifts it. A nudge
// may land after the wait it was meant for has ended, on a later read: any
// read of the connection passes its error through here.
func (c *zcConn) unnudge(err error) bool {
	if !c.nudged.Load() || !errors.Is(err, os.ErrDeadlineExceeded) || !c.nudged.Swap(false) {
		return false
	}
	return c.SetReadDeadline(time.Time{}) == nil
}

// Read reads the next bytes of the request stream, after sending a deferred
// answer.
func (c *zcConn) Read(p []byte) (int, error) {
	c.deferNext = false
	if c.pending.Load() {
		return c.sock.sendThenRead(c, p)
	}
	return c.sock.read(c, p)
}

// connOf returns ctx's connection if it can send bodies without a copy.
func connOf(ctx *fasthttp.RequestCtx) *zcConn {
	c, _ := ctx.Conn().(*zcConn)
	return c
}

// armParts makes parts, n bytes in all, the body of the response being
// built; the returned stream is for ctx.Response.SetBodyStream. The slices
// must stay unmodified until the response is written (cached chunks are).
func (c *zcConn) armParts(parts [][]byte, n int64) io.Reader {
	c.disarm()
	c.parts = append(c.parts, parts...)
	return c.arm(n)
}

// armFile makes n bytes of f from off the body; f must have been acquired,
// and is released once sent (or when the connection re-arms).
func (c *zcConn) armFile(f *sharedFile, off, n int64) io.Reader {
	c.disarm()
	c.file, c.off = f, off
	return c.arm(n)
}

// armedBody makes stream, from armParts or armFile, n bytes long, the body of
// resp. The header block is flushed as soon as fasthttp has written it, so it
// reaches Write while the body is armed: fasthttp flushes before a body stream
// of its own accord only for an *os.File of more than 8 KiB, and a small body
// would otherwise be read through its buffer (from noRead, which fails).
func armedBody(resp *fasthttp.Response, stream io.Reader, n int64) {
	resp.ImmediateHeaderFlush = true
	resp.SetBodyStream(stream, int(n))
}

// extendHeader adds lines ("Name: value\r\n" each) to the header block of
// the armed answer, at its end: fasthttp writes the status line and what
// varies by request, the caller's prepared lines follow. lines must stay
// unmodified until the answer is sent (a hot entry's are never modified).
func (c *zcConn) extendHeader(lines []byte) { c.lines = lines }

func (c *zcConn) arm(n int64) io.Reader {
	c.armed, c.n = true, n
	c.lines = nil
	c.heldBuf = c.heldBuf[:0]
	c.body = io.LimitedReader{R: noRead, N: n}
	return &c.body
}

// disarm sends a deferred answer (answers to pipelined requests are not
// deferred after that) and forgets the armed body.
func (c *zcConn) disarm() {
	if c.pending.Load() {
		c.pipelined = true
		if err := c.flush(); err != nil && c.failed == nil {
			c.failed = err
		}
	}
	c.drop()
	c.armed = false
}

// drop forgets the body, releasing its file.
func (c *zcConn) drop() {
	if c.file != nil {
		c.file.release()
		c.file = nil
	}
	clear(c.parts)
	c.parts = c.parts[:0]
	c.lines = nil
}

// Write holds back what fasthttp flushes while a body is armed.
func (c *zcConn) Write(p []byte) (int, error) {
	if c.armed {
		c.heldBuf = append(c.heldBuf, p...)
		return len(p), nil
	}
	if err := c.flush(); err != nil {
		return 0, err
	}
	deferIt := c.deferNext && deferSends && !c.pipelined && len(p) <= maxDeferredWrite
	c.deferNext = false // only the answer's first write may be all of it
	if deferIt {
		// A whole answer from fasthttp's write buffer, flushed before it
		// reads again: it leaves with that read, like an armed one. p is
		// fasthttp's buffer, so it is copied.
		c.heldBuf = append(c.heldBuf[:0], p...)
		c.held = c.heldBuf
		c.pending.Store(true)
		return len(p), nil
	}
	return c.sock.write(c, p)
}

// maxDeferredWrite bounds an answer from the write buffer that is deferred
// (Write); the copy stays with the connection, so this bounds its memory.
const maxDeferredWrite = 8 << 10

// answered tells the connection that the answer fasthttp writes next is
// complete (not a stream the handler still produces) and that the
// connection stays open after it, so that ReadFrom or Write may defer it.
func (c *zcConn) answered() { c.deferNext = true }

// ReadFrom takes the held bytes and the armed body when fasthttp passes the
// stand-in stream; anything else goes to the TCP connection. Where the system
// allows (deferSends), the answer is not sent here but by the next Read,
// which then waits for the next request without first asking the socket for
// it (see sockCalls.sendThenRead).
func (c *zcConn) ReadFrom(r io.Reader) (int64, error) {
	lr, ok := r.(*io.LimitedReader)
	if !c.armed || !ok || lr.R != noRead {
		if err := c.flush(); err != nil {
			return 0, err
		}
		return c.TCPConn.ReadFrom(r)
	}
	c.armed = false
	if len(c.lines) > 0 {
		// The header block ends with an empty line: the lines go before it.
		if !bytes.HasSuffix(c.heldBuf, crlfCRLF) {
			c.drop()
			return 0, errors.New("server: the header block to extend is incomplete")
		}
		c.heldBuf = append(c.heldBuf[:len(c.heldBuf)-2], c.lines...)
		c.heldBuf = append(c.heldBuf, crlfCRLF[2:]...)
		c.lines = nil
	}
	c.held = c.heldBuf
	if lr.N != c.n {
		c.drop()
		return 0, errors.New("server: zero-copy body length changed after arming")
	}
	if c.failed != nil {
		c.drop()
		return 0, c.failed
	}
	deferIt := c.deferNext && deferSends && !c.pipelined
	c.deferNext = false
	if deferIt {
		c.pending.Store(true)
		return c.n, nil
	}
	return c.send()
}

// send sends the held bytes and the body, and drops the body. Only when it
// is done does it clear pending: a Read that sees pending waits for mu, so it
// never uses the socket calls' state while Close sends with them.
func (c *zcConn) send() (int64, error) {
	defer c.pending.Store(false)
	defer c.drop()
	if c.file != nil {
		return c.sendArmedFile()
	}
	n, err := c.sock.writev(c, c.answerParts())
	clear(c.iov)
	return max(n-int64(len(c.held)), 0), err
}

// answerParts lists the held bytes and the body from memory, for writev.
func (c *zcConn) answerParts() [][]byte {
	c.iov = append(c.iov[:0], c.held)
	c.iov = append(c.iov, c.parts...)
	return c.iov
}

// flush sends a deferred answer now.
func (c *zcConn) flush() error {
	if !c.pending.Load() { // only this goroutine sets it
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pending.Load() {
		return nil
	}
	_, err := c.send()
	return err
}

// closeFlushWait bounds how long Close waits for a deferred answer to leave:
// fasthttp's Shutdown closes idle connections one by one, so a client that
// stopped reading must not hold up the shutdown for a whole write timeout.
const closeFlushWait = 5 * time.Second

// Close sends a deferred answer before closing, within the write timeout and
// closeFlushWait. fasthttp's Shutdown closes idle connections from another
// goroutine, and a connection is idle to fasthttp as soon as its answer has
// been handed over, so the answer may still be here, or leaving (mu waits
// for that). A connection marked by lingerOnClose closes by lingering.
func (c *zcConn) Close() error {
	c.mu.Lock()
	if c.pending.Load() {
		wait := closeFlushWait
		if c.writeTimeout > 0 {
			wait = min(wait, c.writeTimeout)
		}
		_ = c.SetWriteDeadline(time.Now().Add(wait))
		_, _ = c.send() // the peer may be gone: closing is what matters
	}
	c.mu.Unlock()
	return c.closeTCP(c.TCPConn)
}

func (c *zcConn) sendArmedFile() (int64, error) {
	c.sent, c.err = 0, nil
	if err := c.raw.Write(c.sendFn); err != nil {
		return c.sent, err
	}
	return c.sent, c.err
}

// sharedFile is an open object file shared by the requests sending from it.
// Its descriptor is used directly by sendfile, so it is closed only when the
// last user is done: the owner (a hot-table entry) holds one reference, each
// send in progress another.
type sharedFile struct {
	f    *os.File
	fd   int
	refs atomic.Int64
	open *atomic.Int64 // the server's count of open shared files
	warm atomic.Bool   // a send from it has completed: its pages are cached
}

func newSharedFile(f *os.File, open *atomic.Int64) (*sharedFile, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	sf := &sharedFile{f: f, open: open}
	if err := rc.Control(func(fd uintptr) { sf.fd = int(fd) }); err != nil {
		return nil, err
	}
	sf.refs.Store(1)
	open.Add(1)
	return sf, nil
}

// acquire takes a reference, unless the file is already closed.
func (sf *sharedFile) acquire() bool {
	for {
		r := sf.refs.Load()
		if r <= 0 {
			return false
		}
		if sf.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// release drops a reference and closes the file after the last.
func (sf *sharedFile) release() {
	if sf.refs.Add(-1) == 0 {
		sf.f.Close()
		sf.open.Add(-1)
	}
}
