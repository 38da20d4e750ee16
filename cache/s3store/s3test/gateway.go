package s3test

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long a gateway may take to accept connections.
const startTimeout = 30 * time.Second

// GatewayConfig selects optional gateway features.
type GatewayConfig struct {
	// Versioning starts the posix backend with a versioning directory, so that
	// buckets can have versioning enabled (EnableVersioning); without one,
	// versitygw's posix backend has no versioning. Default false.
	Versioning bool
}

// Gateway is a versitygw process of one test, serving a posix directory on a
// fixed loopback port. It can be stopped and started again on the same port
// and data, to test what clients do while S3 is away. The test's cleanup stops
// it.
type Gateway struct {
	tb     testing.TB
	bin    string
	args   []string
	addr   string
	access string
	secret string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	output *syncBuffer
}

// StartGateway starts a versitygw (STRATA_TEST_VERSITYGW) over a fresh
// t.TempDir() on a free loopback port, with the keys of Credentials.
func StartGateway(tb testing.TB) *Gateway {
	tb.Helper()
	return StartGatewayWith(tb, GatewayConfig{})
}

// StartGatewayWith is StartGateway with optional features.
func StartGatewayWith(tb testing.TB, cfg GatewayConfig) *Gateway {
	tb.Helper()
	bin := require(tb, EnvBinary)
	root := tb.TempDir()
	data := filepath.Join(root, "data")
	args := []string{"posix"}
	if cfg.Versioning {
		versions := filepath.Join(root, "versions")
		if err := os.Mkdir(versions, 0o755); err != nil {
			tb.Fatalf("s3test: %v", err)
		}
		args = append(args, "--versioning-dir", versions)
	}
	if err := os.Mkdir(data, 0o755); err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	creds, err := Credentials().Retrieve(tb.Context())
	if err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	g := &Gateway{
		tb:     tb,
		bin:    bin,
		args:   append(args, data),
		addr:   freeAddr(tb),
		access: creds.AccessKeyID,
		secret: creds.SecretAccessKey,
	}
	tb.Cleanup(g.Stop)
	g.Start()
	return g
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("s3test: find a free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Endpoint is the gateway's URL; it stays the same across Stop and Start.
func (g *Gateway) Endpoint() string { return "http://" + g.addr }

// Start runs the gateway (again) and returns once it accepts connections.
// Starting a running gateway does nothing.
func (g *Gateway) Start() {
	g.tb.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd != nil {
		return
	}
	args := append([]string{"--port", g.addr}, g.args...)
	cmd := exec.Command(g.bin, args...)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+g.access, "ROOT_SECRET_KEY="+g.secret)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		g.tb.Fatalf("s3test: start %s: %v", g.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	g.cmd, g.exited, g.output = cmd, exited, out

	// versitygw prints its banner before it listens, so only a connection
	// tells that it is ready; poll for one, but give up as soon as it dies.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(startTimeout)
	for {
		conn, err := net.DialTimeout("tcp", g.addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		select {
		case <-exited:
			g.cmd = nil
			g.tb.Fatalf("s3test: versitygw exited before listening on %s:\n%s", g.addr, out.String())
		case <-deadline:
			g.tb.Fatalf("s3test: versitygw did not listen on %s within %s:\n%s", g.addr, startTimeout, out.String())
		case <-tick.C:
		}
	}
}

// Stop kills the gateway, as a crash would, and returns once the process is
// gone and its port closed. Stopping a stopped gateway does nothing.
func (g *Gateway) Stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil {
		return
	}
	g.cmd.Process.Kill()
	<-g.exited
	g.cmd = nil
}

// Output returns what the gateway printed since it was last started, for
// failure messages.
func (g *Gateway) Output() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.output == nil {
		return ""
	}
	return g.output.String()
}

// syncBuffer is a bytes.Buffer the process's output goroutines and the test
// can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
