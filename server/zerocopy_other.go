//go:build !linux

package server

import (
	"errors"
	"net"
)

// canSendfile: elsewhere bodies are sent from memory only (writev); the
// header-with-MSG_MORE-then-sendfile sequence is Linux's.
const canSendfile = false

// deferSends: elsewhere answers are sent when fasthttp hands them over.
const deferSends = false

func (c *zcConn) sendFile(uintptr) bool {
	c.err = errors.New("server: sendfile is only used on Linux")
	return true
}

// openFileBudget: no files are held open for sendfile.
func openFileBudget() int64 { return 0 }

// sockCalls: elsewhere the connection reads and writes through package net.
type sockCalls struct {
	out net.Buffers // a field, so that it does not escape to the heap per response
}

func (s *sockCalls) bind(*zcConn) {}

func (s *sockCalls) read(c *zcConn, p []byte) (int, error) { return c.TCPConn.Read(p) }

func (s *sockCalls) write(c *zcConn, p []byte) (int, error) { return c.TCPConn.Write(p) }

func (s *sockCalls) writev(c *zcConn, parts [][]byte) (int64, error) {
	s.out = parts
	n, err := s.out.WriteTo(c.TCPConn)
	s.out = nil
	return n, err
}

func (s *sockCalls) sendThenRead(c *zcConn, p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return s.read(c, p)
}
