//go:build !linux

package server

import "errors"

// canSendfile: elsewhere bodies are sent from memory only (writev); the
// header-with-MSG_MORE-then-sendfile sequence is Linux's.
const canSendfile = false

func (c *zcConn) sendFile(uintptr) bool {
	c.err = errors.New("server: sendfile is only used on Linux")
	return true
}

// openFileBudget: no files are held open for sendfile.
func openFileBudget() int64 { return 0 }
