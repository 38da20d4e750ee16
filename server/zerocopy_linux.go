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
	readFn, writeFn, writevFn func(fd uintptr) bool // bound once

	buf  []byte       // what the current call reads into or writes from
	done int64        // bytes moved by the current call
	err  error        // the current call's error
	vec  []unix.Iovec // writev's list, consumed as it is sent
	vecs []unix.Iovec // vec's backing array, reused
	left int64        // bytes of vec still to send
}

func (s *sockCalls) bind() {
	s.readFn, s.writeFn, s.writevFn = s.readSome, s.writeAll, s.writevAll
}

func (s *sockCalls) read(c *zcConn, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.buf, s.done, s.err = p, 0, nil
	err := c.raw.Read(s.readFn)
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

func (s *sockCalls) readSome(fd uintptr) bool {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.buf))), uintptr(len(s.buf)))
		switch stepOf(e) {
		case callDone:
			s.done = int64(n)
			return true
		case callWait:
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
	s.vecs, s.left = s.vecs[:0], 0
	for _, p := range parts {
		if len(p) > 0 {
			s.vecs = append(s.vecs, unix.Iovec{Base: unsafe.SliceData(p), Len: uint64(len(p))})
			s.left += int64(len(p))
		}
	}
	s.vec, s.done, s.err = s.vecs, 0, nil
	err := c.raw.Write(s.writevFn)
	clear(s.vecs) // drop the pointers into the body
	s.vec = nil
	if err == nil {
		err = s.err
	}
	if err != nil {
		return s.done, opError("writev", c, err)
	}
	return s.done, nil
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
