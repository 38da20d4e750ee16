package tier

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/strata3d/strata/bench/origin"
)

// strataSpec is one `strata serve --store s3` of a phase.
type strataSpec struct {
	bin        string
	extra      []string // Config.StrataArgs
	dir        string   // its log goes here
	storeURL   string   // S3 endpoint: the counting proxy
	cacheBytes int64
	chunkSize  int64
	env        []string // credentials for the gateway
}

// startStrata starts Strata serving the bucket with an empty cache and waits
// for /readyz (which pings the bucket through the proxy). The caller must
// stop it.
func startStrata(ctx context.Context, s strataSpec) (*origin.Process, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("tier: strata dir: %w", err)
	}
	port, err := origin.FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{"serve", "--addr", addr, "--demo=false",
		"--store", "s3", "--s3-bucket", bucket, "--s3-endpoint", s.storeURL, "--s3-path-style",
		"--cache-bytes", strconv.FormatInt(s.cacheBytes, 10), "--cache-chunk-size", strconv.FormatInt(s.chunkSize, 10),
	}, s.extra...)
	logPath := filepath.Join(s.dir, "strata.log")
	p, err := origin.StartProcess(origin.ProcessSpec{
		Name: "strata", BaseURL: "http://" + addr, LogPath: logPath,
		StopSignals: []syscall.Signal{syscall.SIGTERM, syscall.SIGINT},
		Env:         append(strataBaseEnv(os.Environ()), s.env...),
		GrowingLogs: []string{logPath},
		Bin:         s.bin, Args: args,
	})
	if err != nil {
		return nil, err
	}
	if err := p.WaitReady(ctx, 30*time.Second, origin.HTTPReady(p.BaseURL()+"/readyz")); err != nil {
		_ = p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, origin.TailFile(logPath, 4096))
	}
	return p, nil
}

// strataBaseEnv is this process's environment without what would change
// what is measured behind Strata's back: Go's GC tuning (the RSS phase
// measures Strata's own memory behaviour) and AWS settings (credentials and
// endpoints come from the harness).
func strataBaseEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "GOGC", name == "GOMEMLIMIT", name == "GODEBUG":
		case strings.HasPrefix(name, "AWS_"):
		default:
			out = append(out, kv)
		}
	}
	return append(out, "AWS_EC2_METADATA_DISABLED=true")
}
