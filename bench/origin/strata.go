package origin

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// startStrata starts `strata serve` on the assets directory with its default
// access log and metrics, and waits for /readyz. The caller must stop the
// returned server.
func startStrata(ctx context.Context, bin string, extra []string, dir, assetsDir string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{"serve", "--addr", addr, "--store", "fs", "--assets-dir", assetsDir, "--demo=false"}, extra...)
	logPath := filepath.Join(dir, "strata.log")
	s, err := startProcess("strata", "http://"+addr, logPath,
		[]syscall.Signal{syscall.SIGTERM, syscall.SIGINT}, bin, args...)
	if err != nil {
		return nil, err
	}
	s.growing = []string{logPath}
	if err := s.waitReady(ctx, 30*time.Second, httpReady(s.baseURL+"/readyz")); err != nil {
		_ = s.stop()
		return nil, fmt.Errorf("%w\n%s", err, tailFile(logPath, 4096))
	}
	return s, nil
}

// httpReady succeeds once url answers 200.
func httpReady(url string) func(context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}
