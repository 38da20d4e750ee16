package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// lingerPair is the server and client sides of one loopback TCP connection.
func lingerPair(t *testing.T) (server *net.TCPConn, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = client.SetDeadline(time.Now().Add(30 * time.Second))
	return c.(*net.TCPConn), client
}

// waitLingering waits for l's connections to close, failing the test if they
// are still open after a generous bound.
func waitLingering(t *testing.T, l *lingerer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l.waitUntil(ctx)
	if ctx.Err() != nil {
		t.Fatal("the lingering close did not end")
	}
	if n := l.lingering(); n != 0 {
		t.Fatalf("%d connections still lingering", n)
	}
}

// The answer and then a FIN reach the client, whose body still goes through;
// the close completes when the client closes its end.
func TestLingerDrainsUntilTheClientCloses(t *testing.T) {
	l := newLingerer(4)
	l.quiet, l.limit = time.Hour, time.Hour // only the client's close ends it
	srv, client := lingerPair(t)
	if _, err := srv.Write([]byte("answer")); err != nil {
		t.Fatal(err)
	}
	if err := l.close(srv); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte{'x'}, 8<<20)
	if _, err := client.Write(body); err != nil {
		t.Fatalf("the client's body after the close: %v", err)
	}
	got, err := io.ReadAll(client)
	if err != nil || string(got) != "answer" {
		t.Fatalf("client read %q, %v; want the answer, then EOF", got, err)
	}
	client.Close()
	waitLingering(t, l)
}

// A client that neither sends nor closes is dropped after the quiet time.
func TestLingerEndsWhenTheClientGoesQuiet(t *testing.T) {
	l := newLingerer(4)
	l.quiet, l.limit = 50*time.Millisecond, time.Hour
	srv, client := lingerPair(t)
	if _, err := client.Write([]byte("part of a body")); err != nil {
		t.Fatal(err)
	}
	if err := l.close(srv); err != nil {
		t.Fatal(err)
	}
	waitLingering(t, l)
	// Fully closed now: what the client sends next is refused with a reset.
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = client.Write([]byte("more"))
		if err == nil {
			_, err = client.Read(make([]byte, 1))
			if err == io.EOF {
				err = nil // the FIN; the reset follows the write
			}
		}
	}
	if err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("writes after the close: %v, want a reset", err)
	}
}

// A client that keeps sending is cut off at the limit.
func TestLingerEndsAtTheLimit(t *testing.T) {
	l := newLingerer(4)
	l.quiet, l.limit = time.Hour, 100*time.Millisecond
	srv, client := lingerPair(t)
	if err := l.close(srv); err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() {
		piece := make([]byte, 4<<10)
		for {
			if _, err := client.Write(piece); err != nil {
				sent <- err
				return
			}
		}
	}()
	waitLingering(t, l)
	if err := <-sent; err == nil {
		t.Fatal("the client's writes never failed")
	}
}

// With every slot taken a connection closes at once, as without lingering.
func TestLingerWithoutASlotClosesAtOnce(t *testing.T) {
	l := newLingerer(1)
	l.quiet, l.limit = time.Hour, time.Hour
	first, firstClient := lingerPair(t)
	if err := l.close(first); err != nil {
		t.Fatal(err)
	}
	second, _ := lingerPair(t)
	if err := l.close(second); err != nil {
		t.Fatal(err)
	}
	if _, err := second.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after a close without a slot: %v, want net.ErrClosed", err)
	}
	if n := l.lingering(); n != 1 {
		t.Fatalf("%d connections lingering, want the first", n)
	}
	firstClient.Close()
	waitLingering(t, l)
}
