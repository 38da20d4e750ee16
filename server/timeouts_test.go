package server_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/server"
)

// shortTimeouts gives a test origin timeouts short enough to watch.
func shortTimeouts(read, write, idle time.Duration) func(*server.Config) {
	return func(c *server.Config) {
		c.ReadTimeout, c.WriteTimeout, c.IdleTimeout = read, write, idle
	}
}

// closedWithin waits for the server to end conn (EOF or reset, after reading
// anything it sends) and reports how long that took; it fails the test when
// the connection is still open after max.
func closedWithin(t *testing.T, conn net.Conn, max time.Duration) (time.Duration, string) {
	t.Helper()
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(max))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", max)
	}
	return time.Since(start), string(got)
}

func dial(t *testing.T, base string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestReadTimeoutCutsSlowRequests: a client that sends half a request (or
// nothing) is cut off after ReadTimeout, not held open.
func TestReadTimeoutCutsSlowRequests(t *testing.T) {
	o := startOrigin(t, "", map[string][]byte{"m.glb": randomBytes(100, 40)}, shortTimeouts(400*time.Millisecond, time.Minute, time.Minute))
	t.Run("half a request", func(t *testing.T) {
		conn := dial(t, o.URL)
		if _, err := io.WriteString(conn, "GET /assets/m.glb HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
		took, _ := closedWithin(t, conn, 5*time.Second)
		if took < 300*time.Millisecond {
			t.Errorf("closed after %v, before the 400ms read timeout", took)
		}
	})
	t.Run("nothing at all", func(t *testing.T) {
		conn := dial(t, o.URL)
		took, got := closedWithin(t, conn, 5*time.Second)
		// As with fasthttp's own deadline: a 408 or nothing, then the close.
		if took < 300*time.Millisecond || (got != "" && !strings.HasPrefix(got, "HTTP/1.1 408 ")) {
			t.Errorf("closed after %v with %q", took, got)
		}
	})
	t.Run("a trickle of header bytes", func(t *testing.T) {
		conn := dial(t, o.URL)
		start := time.Now()
		req := "GET /assets/m.glb HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 60)
		var err error
		for i := 0; i < len(req) && err == nil; i++ {
			_, err = conn.Write([]byte{req[i]})
			time.Sleep(25 * time.Millisecond)
		}
		if err == nil {
			t.Fatalf("the server still read a request trickling for %v", time.Since(start))
		}
		t.Logf("cut after %v: %v", time.Since(start), err)
	})
}

// TestIdleTimeoutClosesOnlyIdleConnections: a keep-alive connection with no
// request for IdleTimeout is closed; one that keeps asking stays open past it.
func TestIdleTimeoutClosesOnlyIdleConnections(t *testing.T) {
	o := startOrigin(t, "", map[string][]byte{"m.glb": randomBytes(100, 41)}, shortTimeouts(time.Minute, time.Minute, 400*time.Millisecond))
	request := "GET /assets/m.glb HTTP/1.1\r\nHost: x\r\n\r\n"
	readOne := func(br *bufio.Reader) {
		t.Helper()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}

	busy := dial(t, o.URL)
	busyReader := bufio.NewReader(busy)
	idle := dial(t, o.URL)
	if _, err := io.WriteString(idle, request); err != nil {
		t.Fatal(err)
	}
	idleReader := bufio.NewReader(idle)
	readOne(idleReader)

	// The busy connection asks every 100ms for 1.2s: three idle timeouts.
	for range 12 {
		if _, err := io.WriteString(busy, request); err != nil {
			t.Fatalf("busy connection: %v", err)
		}
		readOne(busyReader)
		time.Sleep(100 * time.Millisecond)
	}
	// By now the idle one must be gone.
	_ = idle.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := idleReader.Read(make([]byte, 1)); err == nil || errors.Is(err, errTimeout(err)) {
		t.Fatalf("idle connection still open (read %d, %v)", n, err)
	}
}

// errTimeout returns err when it is a timeout, so the check above reads as
// "no error, or a timeout, means the connection was still open".
func errTimeout(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	return errors.New("not a timeout")
}

// TestWriteTimeoutCutsStalledReaders: a client that stops reading a large
// response does not hold the connection past WriteTimeout.
func TestWriteTimeoutCutsStalledReaders(t *testing.T) {
	const size = 64 << 20
	o := startOrigin(t, "", map[string][]byte{"huge.glb": make([]byte, size)}, shortTimeouts(time.Minute, 500*time.Millisecond, time.Minute))
	expectCutAfterStall(t, o.URL, "GET /assets/huge.glb HTTP/1.1\r\nHost: x\r\n\r\n", size)
}

// expectCutAfterStall sends requests on a connection with a small receive
// buffer and stops reading for well past the write timeout: the server must
// have closed the connection before the total bytes of answers arrived.
func expectCutAfterStall(t *testing.T, base, requests string, total int64) {
	t.Helper()
	conn := dial(t, base)
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetReadBuffer(16 << 10)
	}
	if _, err := io.WriteString(conn, requests); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // stall well past the write timeout
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after the stall (%d bytes read)", got)
	}
	if got >= total {
		t.Fatalf("read %d bytes: every answer arrived despite the stall", got)
	}
}
