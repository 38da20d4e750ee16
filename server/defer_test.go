package server

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// deferPair is a zero-copy server side and a plain client side of one
// loopback TCP connection, driven the way fasthttp drives a connection.
type deferPair struct {
	z      *zcConn
	client net.Conn
}

func newDeferPair(t *testing.T) *deferPair {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := zcListener{Listener: ln, writeTimeout: time.Minute}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	z, ok := c.(*zcConn)
	if !ok {
		t.Fatalf("accepted %T, want *zcConn", c)
	}
	t.Cleanup(func() { z.Close() })
	return &deferPair{z: z, client: client}
}

// answer hands the connection one answer as fasthttp would: header block
// flushed while armed, then the stand-in body stream.
func (p *deferPair) answer(t *testing.T, header string, body []byte) {
	t.Helper()
	stream := p.z.armParts([][]byte{body}, int64(len(body)))
	p.z.answered()
	if _, err := p.z.Write([]byte(header)); err != nil {
		t.Fatal(err)
	}
	n, err := p.z.ReadFrom(stream)
	if err != nil || n != int64(len(body)) {
		t.Fatalf("ReadFrom: %d, %v", n, err)
	}
}

// expect reads exactly want from the client side.
func (p *deferPair) expect(t *testing.T, want []byte) {
	t.Helper()
	_ = p.client.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(p.client, got); err != nil {
		t.Fatalf("client read: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("client got %q…, want %q…", got[:min(len(got), 40)], want[:min(len(want), 40)])
	}
}

type readResult struct {
	b   []byte
	err error
}

// read runs the server side's next Read in the background.
func (p *deferPair) read() <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		buf := make([]byte, 256)
		n, err := p.z.Read(buf)
		ch <- readResult{buf[:n], err}
	}()
	return ch
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func mustRead(t *testing.T, ch <-chan readResult, want string) {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil || string(r.b) != want {
			t.Fatalf("server read %q, %v; want %q", r.b, r.err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("server read of %q did not return", want)
	}
}

// TestDeferredAnswerLeavesWithTheNextRead: the answer ReadFrom takes leaves
// when fasthttp next reads, and that read then waits for the request without
// asking the socket, and returns it when it comes.
func TestDeferredAnswerLeavesWithTheNextRead(t *testing.T) {
	p := newDeferPair(t)
	body := bytes.Repeat([]byte("b"), 20_000)
	p.answer(t, "HEADER\r\n", body)
	if p.z.pending.Load() != deferSends {
		t.Fatalf("pending %v after ReadFrom, want %v", p.z.pending.Load(), deferSends)
	}
	ch := p.read()
	p.expect(t, append([]byte("HEADER\r\n"), body...))
	if deferSends {
		waitFor(t, "the read waits trusting the poller", p.z.trusting.Load)
	}
	if _, err := p.client.Write([]byte("next request")); err != nil {
		t.Fatal(err)
	}
	mustRead(t, ch, "next request")
	if p.z.trusting.Load() || p.z.pending.Load() || len(p.z.parts) != 0 {
		t.Fatalf("after the read: trusting %v, pending %v, %d parts held", p.z.trusting.Load(), p.z.pending.Load(), len(p.z.parts))
	}
}

// TestNudgeEndsATrustingWait: a nudge turns the wait into an ordinary one
// (no error reaches fasthttp), and a nudge that lands after the wait ended
// does not fail a later read either.
func TestNudgeEndsATrustingWait(t *testing.T) {
	if !deferSends {
		t.Skip("answers are not deferred on this system")
	}
	p := newDeferPair(t)
	p.answer(t, "H1\r\n", []byte("one"))
	ch := p.read()
	p.expect(t, []byte("H1\r\none"))
	waitFor(t, "the read waits trusting the poller", p.z.trusting.Load)
	p.z.nudge()
	waitFor(t, "the nudge is taken", func() bool { return !p.z.nudged.Load() && !p.z.trusting.Load() })
	select {
	case r := <-ch:
		t.Fatalf("a nudged wait returned %q, %v before any request", r.b, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := p.client.Write([]byte("two")); err != nil {
		t.Fatal(err)
	}
	mustRead(t, ch, "two")
	if p.z.pipelined {
		t.Fatal("a request that came after a nudge marked the client as pipelining")
	}

	// A late nudge: its deadline lands while nobody waits.
	p.z.trusting.Store(true)
	p.z.nudge()
	p.z.trusting.Store(false)
	if _, err := p.client.Write([]byte("three")); err != nil {
		t.Fatal(err)
	}
	mustRead(t, p.read(), "three")
}

// TestNudgeFindsARequestTheWaitMissed: a request that reached the socket
// before the read began may have had its readiness notice forgotten (a
// pipelining client); the read then waits until a nudge, and must return the
// request after it.
func TestNudgeFindsARequestTheWaitMissed(t *testing.T) {
	p := newDeferPair(t)
	p.answer(t, "H\r\n", []byte("answer"))
	if _, err := p.client.Write([]byte("early")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the poller take the notice
	ch := p.read()
	p.expect(t, []byte("H\r\nanswer"))
	select {
	case r := <-ch:
		if r.err != nil || string(r.b) != "early" {
			t.Fatalf("server read %q, %v", r.b, r.err)
		}
		return // the notice was still pending: nothing was missed
	case <-time.After(200 * time.Millisecond):
	}
	if !p.z.trusting.Load() {
		t.Fatal("the read neither returned nor waits trusting the poller")
	}
	p.z.nudge()
	mustRead(t, ch, "early")
	if !p.z.pipelined {
		t.Fatal("a request the wait missed did not mark the client as pipelining")
	}
	p.answer(t, "H2\r\n", []byte("at once"))
	if p.z.pending.Load() {
		t.Fatal("an answer to a pipelining client was deferred")
	}
	p.expect(t, []byte("H2\r\nat once"))
}

// TestDeferredAnswersOfPipelinedRequests: a second answer armed while the
// first is still deferred sends the first at once, and the connection stops
// deferring.
func TestDeferredAnswersOfPipelinedRequests(t *testing.T) {
	p := newDeferPair(t)
	p.answer(t, "A\r\n", []byte("first"))
	p.answer(t, "B\r\n", []byte("second"))
	if p.z.pending.Load() {
		t.Fatal("the second answer of a pipelining client was deferred")
	}
	if deferSends && !p.z.pipelined {
		t.Fatal("the connection was not marked as pipelining")
	}
	p.expect(t, []byte("A\r\nfirstB\r\nsecond"))
}

// TestCloseSendsTheDeferredAnswer: a connection closed after its last answer
// (Connection: close) sends that answer first.
func TestCloseSendsTheDeferredAnswer(t *testing.T) {
	p := newDeferPair(t)
	body := bytes.Repeat([]byte("z"), 100_000)
	p.answer(t, "LAST\r\n", body)
	if err := p.z.Close(); err != nil {
		t.Fatal(err)
	}
	p.expect(t, append([]byte("LAST\r\n"), body...))
	if n, err := p.client.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("after the answer: %d bytes, %v; want EOF", n, err)
	}
}

// TestDeferredAnswerToASlowReader: an answer larger than the socket buffers
// finishes as an ordinary write while the client is slow to read.
func TestDeferredAnswerToASlowReader(t *testing.T) {
	p := newDeferPair(t)
	body := bytes.Repeat([]byte("s"), 16<<20)
	p.answer(t, "BIG\r\n", body)
	ch := p.read()
	time.Sleep(100 * time.Millisecond) // the send buffer fills meanwhile
	p.expect(t, append([]byte("BIG\r\n"), body...))
	if _, err := p.client.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	mustRead(t, ch, "after")
}

// TestSweeperNudgesTrustingIdleConnections: the sweeper nudges a zero-copy
// connection that has been idle for a tick while waiting trusting the
// poller, and no other.
func TestSweeperNudgesTrustingIdleConnections(t *testing.T) {
	p := newDeferPair(t)
	tm := newConnTimeouts(time.Minute, time.Minute, time.Minute)
	tm.connState(p.z, fasthttp.StateNew)
	now := tm.now.Load()
	tm.set(&p.z.clock, phaseIdle)
	p.z.trusting.Store(true)
	tm.expire(now + 2*int64(tm.tick) - 1) // the coarse clock lags by up to a tick
	if p.z.nudged.Load() {
		t.Fatal("nudged a connection that may have been idle for less than a tick")
	}
	p.z.trusting.Store(false)
	tm.expire(now + 2*int64(tm.tick))
	if p.z.nudged.Load() {
		t.Fatal("nudged a connection that reads as usual")
	}
	p.z.trusting.Store(true)
	tm.expire(now + 2*int64(tm.tick))
	if !p.z.nudged.Load() {
		t.Fatal("a trusting connection idle for a tick was not nudged")
	}
	p.z.trusting.Store(false)
	if _, err := p.client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	mustRead(t, p.read(), "x")
}

// TestShutdownCloseRacesTheDeferredAnswer: fasthttp's Shutdown closes
// connections it sees idle from its own goroutine, which may be while their
// answer is deferred or leaving; the client must get the whole answer either
// way, and the race detector must find nothing.
func TestShutdownCloseRacesTheDeferredAnswer(t *testing.T) {
	for round := range 30 {
		p := newDeferPair(t)
		body := bytes.Repeat([]byte{byte('a' + round%26)}, 50_000)
		p.answer(t, "R\r\n", body)
		closed := make(chan error, 1)
		go func() {
			if round%3 == 0 {
				time.Sleep(time.Duration(round) * 10 * time.Microsecond)
			}
			closed <- p.z.Close()
		}()
		ch := p.read()
		p.expect(t, append([]byte("R\r\n"), body...))
		if err := <-closed; err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
		if r := <-ch; r.err == nil {
			t.Fatalf("round %d: read %q from a closed connection", round, r.b)
		}
	}
}

// TestLateNudgeBeforeADeferredSend: a nudge's deadline that is still set when
// the next answer is sent must not fail the send (RawConn.Read checks the
// deadline before it calls the send).
func TestLateNudgeBeforeADeferredSend(t *testing.T) {
	if !deferSends {
		t.Skip("answers are not deferred on this system")
	}
	p := newDeferPair(t)
	p.z.trusting.Store(true)
	p.z.nudge()
	p.z.trusting.Store(false)
	p.answer(t, "N\r\n", []byte("nudged"))
	ch := p.read()
	p.expect(t, []byte("N\r\nnudged"))
	if _, err := p.client.Write([]byte("fine")); err != nil {
		t.Fatal(err)
	}
	mustRead(t, ch, "fine")
}

// TestDeferredWriteOfABufferedAnswer: a whole answer flushed from fasthttp's
// write buffer after the handler said it is complete (answered) is copied and
// leaves with the next read; other writes leave at once.
func TestDeferredWriteOfABufferedAnswer(t *testing.T) {
	p := newDeferPair(t)
	buf := []byte("HTTP/1.1 200 OK\r\n\r\nsmall body")
	want := string(buf)
	p.z.answered()
	if n, err := p.z.Write(buf); n != len(buf) || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if p.z.pending.Load() != deferSends {
		t.Fatalf("pending %v after an answered Write, want %v", p.z.pending.Load(), deferSends)
	}
	copy(buf, "XXXXXXXX") // fasthttp reuses its buffer once Write returns
	ch := p.read()
	p.expect(t, []byte(want))
	if _, err := p.client.Write([]byte("req")); err != nil {
		t.Fatal(err)
	}
	mustRead(t, ch, "req")

	// Not answered (a stream's writes), or too large to keep: at once.
	for _, w := range []struct {
		answered bool
		size     int
	}{{false, 100}, {true, maxDeferredWrite + 1}} {
		if w.answered {
			p.z.answered()
		}
		b := bytes.Repeat([]byte("w"), w.size)
		if _, err := p.z.Write(b); err != nil {
			t.Fatal(err)
		}
		if p.z.pending.Load() {
			t.Fatalf("a write of %d bytes (answered %v) was deferred", w.size, w.answered)
		}
		p.expect(t, b)
	}
	if _, err := p.z.Write([]byte("later")); err != nil || p.z.pending.Load() {
		t.Fatalf("a later write after an answer too large to keep: %v, pending %v", err, p.z.pending.Load())
	}
	p.expect(t, []byte("later"))
}

// TestAnswerBeforeCloseLeavesAtOnce: an armed answer the handler did not mark
// as answered (the connection closes after it, or it is a stream) is sent by
// ReadFrom itself.
func TestAnswerBeforeCloseLeavesAtOnce(t *testing.T) {
	p := newDeferPair(t)
	stream := p.z.armParts([][]byte{[]byte("bye")}, 3)
	if _, err := p.z.Write([]byte("C\r\n")); err != nil {
		t.Fatal(err)
	}
	if n, err := p.z.ReadFrom(stream); n != 3 || err != nil {
		t.Fatalf("ReadFrom: %d, %v", n, err)
	}
	if p.z.pending.Load() {
		t.Fatal("an answer not marked as answered was deferred")
	}
	p.expect(t, []byte("C\r\nbye"))
}
