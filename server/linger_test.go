package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/server"
)

// startUploadOrigin serves an admin mount with a 64 KiB upload bound, with
// zero copy on or off (the two ways a connection closes).
func startUploadOrigin(t *testing.T, zeroCopy bool) *origin {
	t.Helper()
	return startOriginDeps(t, "", nil, func(c *server.Config) {
		c.MaxBodyBytes = 4 << 10
		c.MaxUploadBytes = 64 << 10
		c.ZeroCopy = zeroCopy
	}, server.Deps{Admin: echoHandler("admin")})
}

// postHeader opens a connection to o and sends the header of an upload of
// length bytes, without its body; the connection closes when the test ends.
func postHeader(t *testing.T, o *origin, length int64) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(o.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := fmt.Fprintf(c, "POST /admin/models/chair HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", length); err != nil {
		t.Fatal(err)
	}
	return c
}

func eachCloseMode(t *testing.T, test func(t *testing.T, o *origin)) {
	for _, zc := range []bool{true, false} {
		t.Run(fmt.Sprintf("zero copy %v", zc), func(t *testing.T) {
			test(t, startUploadOrigin(t, zc))
		})
	}
}

// A client that sends a whole body over the bound must get the 413, not a
// reset: the server reads and discards the rest of the body before it closes.
// Without the lingering close the body's later writes fail (the closed socket
// answers them with a reset), and the answer is often lost with them.
func TestOversizedBodyLeavesTheAnswerReadable(t *testing.T) {
	eachCloseMode(t, func(t *testing.T, o *origin) {
		const size = 4 << 20
		c := postHeader(t, o, size)
		piece := bytes.Repeat([]byte{'x'}, 64<<10)
		for sent := 0; sent < size; sent += len(piece) {
			if _, err := c.Write(piece); err != nil {
				t.Fatalf("writing the body at %d of %d bytes: %v", sent, size, err)
			}
		}
		r, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		defer r.Body.Close()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Fatalf("reading the answer's body: %v", err)
		}
		checkProblem(t, response{r, body}, 413)
		if !r.Close {
			t.Error("the answer does not close the connection")
		}
	})
}

// The same through net/http, many times: every POST over the bound gets its
// 413 (before lingering, a few in a hundred failed with a broken pipe).
func TestOversizedBodiesThroughNetHTTP(t *testing.T) {
	eachCloseMode(t, func(t *testing.T, o *origin) {
		body := bytes.Repeat([]byte{'x'}, 1<<20)
		for i := range 40 {
			resp, err := client.Post(o.URL+"/admin/models/chair", "application/octet-stream", bytes.NewReader(body))
			if err != nil {
				t.Fatalf("POST %d: %v", i, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 413 {
				t.Fatalf("POST %d: status %d, want 413 (%.200q)", i, resp.StatusCode, b)
			}
		}
	})
}

// A client that sends part of a body and then waits for the answer gets it,
// and then the end of the connection (the server's FIN), not a reset.
func TestOversizedBodyAnswerReachesAWaitingClient(t *testing.T) {
	eachCloseMode(t, func(t *testing.T, o *origin) {
		c := postHeader(t, o, 1<<30)
		if _, err := c.Write(bytes.Repeat([]byte{'x'}, 100<<10)); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(c) // the answer, then EOF
		if err != nil {
			t.Fatalf("reading: %v (after %q)", err, got)
		}
		r, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
		if err != nil {
			t.Fatalf("parsing %q: %v", got, err)
		}
		r.Body.Close()
		if r.StatusCode != 413 {
			t.Fatalf("status %d, want 413", r.StatusCode)
		}
	})
}

// Shutdown waits for a lingering connection, and the connection still ends.
func TestShutdownWaitsForALingeringClose(t *testing.T) {
	o := startUploadOrigin(t, true)
	c := postHeader(t, o, 1<<30)
	br := bufio.NewReader(c)
	r, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	if r.StatusCode != 413 {
		t.Fatalf("status %d, want 413", r.StatusCode)
	}
	// The client neither sends nor closes: the linger ends on its quiet.
	if err := o.Server.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after Shutdown: read %v, want EOF", err)
	}
}
