//go:build linux

package server

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// canSendfile: Linux sends the header with MSG_MORE and the body with
// sendfile, so both leave in the same packets.
const canSendfile = true

// deferSends: on Linux an answer ReadFrom takes is sent by the next Read (see
// sockCalls.sendThenRead).
const deferSends = true

// sendFile runs in the socket's RawConn.Write: it reports false to wait for
// the socket to drain, true when done (c.err says how).
func (c *zcConn) sendFile(fd uintptr) bool {
	for len(c.held) > 0 {
		n, e := rawSend(fd, c.held, unix.MSG_MORE|unix.MSG_NOSIGNAL)
		switch stepOf(e) {
		case callDone:
			c.held = c.held[n:]
		case callWait:
			return false
		case callFailed:
			c.err = e
			return true
		}
	}
	for c.n > 0 {
		n, err := c.sendfileSlice(fd)
		if n > 0 {
			c.n -= int64(n)
			c.sent += int64(n)
		}
		switch {
		case err == unix.EAGAIN:
			return false
		case err == unix.EINTR:
		case err != nil:
			c.err = err
			return true
		case n == 0:
			// The file is shorter than its version: the response is cut
			// short and the connection closed, never padded.
			c.err = io.ErrUnexpectedEOF
			return true
		}
	}
	c.file.warm.Store(true)
	return true
}

// sendfileSlice sends the next slice of the armed file. Until the file has
// been sent once it makes the ordinary call, which the scheduler hands off if
// it blocks reading the disk. After that the file's pages are in the page
// cache (the hot table holds files that are asked for again and again) and
// the call is raw, like the socket calls of sockCalls: otherwise it would
// wake sysmon as often as they did, which cost about 10 % of the CPU of a
// 64 KiB GET (3,700 against 7,000 involuntary context switches in 6 s).
func (c *zcConn) sendfileSlice(fd uintptr) (int, error) {
	count := int(min(c.n, maxSendfile))
	if !c.file.warm.Load() {
		return unix.Sendfile(int(fd), c.file.fd, &c.off, count)
	}
	n, _, e := unix.RawSyscall6(unix.SYS_SENDFILE, fd, uintptr(c.file.fd), uintptr(unsafe.Pointer(&c.off)), uintptr(count), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// openFileBudget is how many object files the hot table may hold open for
// sendfile: a quarter of the process's descriptor limit, at most one per
// hot slot, so connections and the store keep the rest.
func openFileBudget() int64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 64
	}
	return int64(min(lim.Cur/4, hotSlots))
}

// sockCalls runs the connection's socket reads and writes as raw system calls
// inside its syscall.RawConn, which still parks the goroutine in the poller
// while the socket is not ready.
//
// The reason is the scheduler. A call made through package syscall tells the
// runtime it may block, and when every P has been idle for a moment the first
// such call wakes sysmon, which then polls every 20 µs for its next
// millisecond. Between bursts of requests that happens dozens of times a
// second, and on two busy cores the wake-ups cost more CPU per request than
// Strata's own code. Calls on a non-blocking socket never block, so they
// need none of that, just as the runtime's own poller calls don't. Sends
// from object files are raw only once their pages are cached (sendfileSlice).
type sockCalls struct {
	conn                                              *zcConn
	readFn, writeFn, writevFn, sendFn, sendThenReadFn func(fd uintptr) bool // bound once

	buf  []byte       // what the current call reads into or writes from
	done int64        // bytes moved by the current call
	err  error        // the current call's error
	vec  []unix.Iovec // writev's list, consumed as it is sent
	vecs []unix.Iovec // vec's backing array, reused
	left int64        // bytes of vec still to send

	sending bool // sendThenRead: the deferred answer is not all out, and mu is held
	waited  bool // a read found nothing and waited in the poller
}

func (s *sockCalls) bind(c *zcConn) {
	s.conn = c
	s.readFn, s.writeFn, s.writevFn = s.readSome, s.writeAll, s.writevAll
	s.sendFn, s.sendThenReadFn = s.sendSome, s.sendThenReadSome
}

func (s *sockCalls) read(c *zcConn, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.buf, s.done, s.err = p, 0, nil
	err := c.raw.Read(s.readFn)
	for err != nil && c.unnudge(err) {
		err = c.raw.Read(s.readFn)
	}
	return s.readResult(c, err)
}

// readResult is what a read returns after its RawConn.Read.
func (s *sockCalls) readResult(c *zcConn, err error) (int, error) {
	s.buf = nil
	switch {
	case err != nil:
		return 0, opError("read", c, err)
	case s.err != nil:
		return 0, opError("read", c, s.err)
	case s.done == 0:
		return 0, io.EOF
	}
	return int(s.done), nil
}

// readSome reads with recvfrom, not read: read(2) on a socket goes through
// the file layer (file position lock, rw_verify_area, the iov_iter of
// sock_read_iter) before it reaches the socket, recvfrom straight to it. That
// was about 2 % of the kernel time per request, as nginx's recv shows.
func (s *sockCalls) readSome(fd uintptr) bool {
	for {
		n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.buf))), uintptr(len(s.buf)), 0, 0, 0)
		switch stepOf(e) {
		case callDone:
			s.done = int64(n)
			return true
		case callWait:
			s.waited = true
			return false
		case callFailed:
			s.err = e
			return true
		}
	}
}

func (s *sockCalls) write(c *zcConn, p []byte) (int, error) {
	s.buf, s.done, s.err = p, 0, nil
	err := c.raw.Write(s.writeFn)
	s.buf = nil
	if err == nil {
		err = s.err
	}
	if err != nil {
		return int(s.done), opError("write", c, err)
	}
	return int(s.done), nil
}

func (s *sockCalls) writeAll(fd uintptr) bool {
	for int(s.done) < len(s.buf) {
		rest := s.buf[s.done:]
		n, e := rawSend(fd, rest, unix.MSG_NOSIGNAL)
		switch stepOf(e) {
		case callDone:
			s.done += int64(n)
		case callWait:
			return false
		case callFailed:
			s.err = e
			return true
		}
	}
	return true
}

func (s *sockCalls) writev(c *zcConn, parts [][]byte) (int64, error) {
	s.setVec(parts)
	err := c.raw.Write(s.writevFn)
	s.clearVec()
	if err == nil {
		err = s.err
	}
	if err != nil {
		return s.done, opError("writev", c, err)
	}
	return s.done, nil
}

// setVec makes parts writev's list.
func (s *sockCalls) setVec(parts [][]byte) {
	s.vecs, s.left = s.vecs[:0], 0
	for _, p := range parts {
		if len(p) > 0 {
			s.vecs = append(s.vecs, unix.Iovec{Base: unsafe.SliceData(p), Len: uint64(len(p))})
			s.left += int64(len(p))
		}
	}
	s.vec, s.done, s.err = s.vecs, 0, nil
}

// clearVec drops the list's pointers into the body.
func (s *sockCalls) clearVec() {
	clear(s.vecs)
	s.vec = nil
}

// sendThenRead sends the deferred answer and then reads the next request,
// both inside one RawConn.Read, which saves a system call per request.
//
// An ordinary Read after the answer asks the socket first, and finds nothing
// (EAGAIN): a client that waits for an answer has not sent its next request
// yet. Only then may it wait in the poller, because RawConn.Read forgets a
// readiness notice that arrived before it was called. Here that forgetting
// happens before the answer is sent, so whatever the client sends in reply
// to the answer raises a notice the wait sees: the first call skips the read
// and waits at once. nginx reads once per request for the same reason: it
// trusts its event loop's notices.
//
// A request the client sent before this answer left (pipelining) may have
// raised its notice before RawConn.Read forgot it, so a connection whose
// client pipelines sends its answers at once (zcConn.pipelined), and the
// timeout sweeper wakes a connection that waits this way for longer than a
// tick (connTimeouts.nudge), after which it reads as usual.
func (s *sockCalls) sendThenRead(c *zcConn, p []byte) (int, error) {
	c.mu.Lock()
	if !c.pending.Load() { // Close sent it meanwhile
		c.mu.Unlock()
		return s.read(c, p)
	}
	c.pending.Store(false) // mu is held until the answer is out
	if c.file != nil {
		c.sent, c.err = 0, nil
	} else {
		s.setVec(c.answerParts())
	}
	s.buf, s.done, s.err, s.sending = p, 0, nil, true
	err := c.raw.Read(s.sendThenReadFn)
	for err != nil && s.sending && c.unnudge(err) {
		// A late nudge's deadline stopped RawConn.Read before the send.
		err = c.raw.Read(s.sendThenReadFn)
	}
	if c.trusting.Load() { // still set when the wait ended without a notice
		c.trusting.Store(false) // (a Store is a locked instruction: skip it when it changes nothing)
	}
	if s.sending {
		// The answer is not all out: the send buffer filled up, or the
		// connection failed.
		return s.finishSend(c, p, err)
	}
	if err != nil && c.unnudge(err) {
		// The sweeper ended the wait: read as usual, asking the socket first.
		// A request found at once is one whose notice the wait missed: the
		// client pipelines, so its later answers are sent at once.
		s.waited = false
		n, err := s.read(c, p)
		if n > 0 && !s.waited {
			c.pipelined = true
		}
		return n, err
	}
	return s.readResult(c, err)
}

// finishSend ends a sendThenRead whose answer did not all leave inside the
// RawConn.Read: after a failure it reports it; when the send buffer filled
// up (no error) it finishes the answer as an ordinary write, under the write
// timeout, and then reads as usual.
func (s *sockCalls) finishSend(c *zcConn, p []byte, err error) (int, error) {
	s.buf = nil
	if err == nil {
		err = s.err
	}
	if err == nil {
		c.setPhase(phaseWriting)
		if err = c.raw.Write(s.sendFn); err == nil {
			err = s.err
		}
		c.setPhase(phaseIdle)
	}
	s.endSend(c)
	if err != nil {
		return 0, opError("write", c, err)
	}
	return s.read(c, p)
}

// endSend forgets the sent answer and lets Close have the connection.
func (s *sockCalls) endSend(c *zcConn) {
	if c.file == nil {
		s.clearVec()
		clear(c.iov)
	}
	c.drop()
	s.sending = false
	c.mu.Unlock()
}

// sendSome sends what is left of the deferred answer, from its file or its
// list; false means: wait for the socket to drain. A failure is in s.err.
func (s *sockCalls) sendSome(fd uintptr) bool {
	c := s.conn
	if c.file == nil {
		return s.writevAll(fd)
	}
	if !c.sendFile(fd) {
		return false
	}
	if c.err != nil {
		s.err = c.err
	}
	return true
}

// sendThenReadSome is sendThenRead's RawConn.Read function.
func (s *sockCalls) sendThenReadSome(fd uintptr) bool {
	if !s.sending {
		s.conn.trusting.Store(false)
		return s.readSome(fd)
	}
	if !s.sendSome(fd) || s.err != nil {
		return true // finishSend waits for the socket, or reports the failure
	}
	s.endSend(s.conn) // release the body (its file) before what may be a long wait
	s.done = 0
	s.conn.trusting.Store(true)
	return false // the answer is out: wait for the next request
}

// maxIovecs is the kernel's bound on one writev's list (UIO_MAXIOV).
const maxIovecs = 1024

func (s *sockCalls) writevAll(fd uintptr) bool {
	for s.left > 0 {
		n, _, e := unix.RawSyscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&s.vec[0])), uintptr(min(len(s.vec), maxIovecs)))
		switch stepOf(e) {
		case callAgain:
			continue
		case callWait:
			return false
		case callFailed:
			s.err = e
			return true
		}
		s.done += int64(n)
		s.left -= int64(n)
		for n > 0 {
			if n < uintptr(s.vec[0].Len) {
				s.vec[0].Base = (*byte)(unsafe.Add(unsafe.Pointer(s.vec[0].Base), n))
				s.vec[0].Len -= uint64(n)
				break
			}
			n -= uintptr(s.vec[0].Len)
			s.vec = s.vec[1:]
		}
	}
	return true
}

// callStep is what a raw call's errno means for the loop around it.
type callStep uint8

const (
	callDone   callStep = iota // no error: take the result
	callAgain                  // interrupted (EINTR): make the call again
	callWait                   // the socket is not ready (EAGAIN): wait in the poller
	callFailed                 // any other error
)

func stepOf(e unix.Errno) callStep {
	switch e {
	case 0:
		return callDone
	case unix.EINTR:
		return callAgain
	case unix.EAGAIN:
		return callWait
	}
	return callFailed
}

// rawSend is send(2) as a raw system call.
func rawSend(fd uintptr, p []byte, flags int) (int, unix.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), uintptr(flags), 0, 0)
	return int(n), e
}

// opError wraps a socket call's error as package net would; errors of the
// RawConn (a deadline, a closed connection) already are.
func opError(op string, c *zcConn, err error) error {
	if _, ok := err.(*net.OpError); ok {
		return err
	}
	if errno, ok := err.(unix.Errno); ok {
		err = os.NewSyscallError(op, errno)
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
