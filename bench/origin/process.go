package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// server is one contender under load: a child process plus the base URL its
// assets are served under.
type server struct {
	name    string // "strata" or "nginx": the label in reports and logs
	baseURL string // e.g. http://127.0.0.1:PORT, without a trailing slash
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has been reaped
	waitErr error         // valid after exited is closed
	logs    []*os.File    // the child's stdout/stderr files, closed on stop
	stopSig []syscall.Signal
	// growing are the logs a request writes to (access logs, or the whole
	// stdout when that is where the access log goes). Run measures their
	// growth per wrk run, as evidence that logging was on, and truncates them
	// so a long run cannot fill the disk.
	growing []string
}

// startProcess starts bin with args in its own process group, so that a
// forced stop reaches nginx's workers too, with stdout and stderr appended to
// logPath. The child is not tied to ctx: stop ends it, always, also after ctx
// is done, and a context-bound kill would bypass the graceful signals.
func startProcess(name, baseURL, logPath string, stopSig []syscall.Signal, bin string, args ...string) (*server, error) {
	return startProcessEnv(nil, name, baseURL, logPath, stopSig, bin, args...)
}

// startProcessEnv is startProcess with env as the child's whole environment
// (nil: this process's environment).
func startProcessEnv(env []string, name, baseURL, logPath string, stopSig []syscall.Signal, bin string, args ...string) (*server, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("origin: %s log: %w", name, err)
	}
	// The child runs in its log's directory, so whatever it writes relative
	// to its working directory (a default database file, say) stays in the
	// harness's work dir instead of the caller's source tree.
	if strings.ContainsRune(bin, filepath.Separator) && !filepath.IsAbs(bin) {
		if bin, err = filepath.Abs(bin); err != nil {
			logFile.Close()
			return nil, fmt.Errorf("origin: %s: %w", name, err)
		}
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = filepath.Dir(logPath)
	cmd.Env = env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("origin: start %s: %w", name, err)
	}
	s := &server{name: name, baseURL: baseURL, cmd: cmd, exited: make(chan struct{}), logs: []*os.File{logFile}, stopSig: stopSig}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// stopGrace is how long each stop signal gets before the next, harder one.
const stopGrace = 5 * time.Second

// stop ends the process: the graceful signals in order, then SIGKILL to the
// whole process group. It is safe to call more than once.
func (s *server) stop() error {
	if s == nil {
		return nil
	}
	defer func() {
		for _, f := range s.logs {
			f.Close()
		}
		s.logs = nil
	}()
	for _, sig := range s.stopSig {
		select {
		case <-s.exited:
			return nil
		default:
		}
		_ = s.cmd.Process.Signal(sig)
		select {
		case <-s.exited:
			return nil
		case <-time.After(stopGrace):
		}
	}
	select {
	case <-s.exited:
		return nil
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	return fmt.Errorf("origin: %s ignored %v and was killed", s.name, s.stopSig)
}

// errExited is returned by the readiness checks when the child died first.
var errExited = errors.New("process exited")

// waitReady polls ready until it returns nil, the process exits, ctx ends
// or timeout passes. Polling is the only way to learn that a foreign process
// listens; the interval is short next to the startup time of either server.
func (s *server) waitReady(ctx context.Context, timeout time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = ready(ctx); last == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("origin: %s: %w (%v) before it was ready; last check: %v", s.name, errExited, s.waitErr, last)
		case <-ctx.Done():
			return fmt.Errorf("origin: %s not ready after %v: %w", s.name, timeout, last)
		case <-tick.C:
		}
	}
}

// dialReady succeeds once addr accepts TCP connections.
func dialReady(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// freePort asks the kernel for an unused loopback port. Another process may
// take it before the server binds it; the readiness check then fails loudly.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("origin: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailFile returns up to the last n bytes of a log for error messages.
func tailFile(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
