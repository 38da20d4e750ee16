//go:build linux

package server

import (
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

// canSendfile: Linux sends the header with MSG_MORE and the body with
// sendfile, so both leave in the same packets.
const canSendfile = true

// sendFile runs in the socket's RawConn.Write: it reports false to wait for
// the socket to drain, true when done (c.err says how).
func (c *zcConn) sendFile(fd uintptr) bool {
	for len(c.held) > 0 {
		n, err := unix.SendmsgN(int(fd), c.held, nil, nil, unix.MSG_MORE|unix.MSG_NOSIGNAL)
		if n > 0 {
			c.held = c.held[n:]
		}
		switch err {
		case nil:
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			c.err = err
			return true
		}
	}
	for c.n > 0 {
		n, err := unix.Sendfile(int(fd), c.file.fd, &c.off, int(min(c.n, maxSendfile)))
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
	return true
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
