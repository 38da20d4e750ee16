// Package tier benchmarks Strata's cache tier over S3 (a versitygw gateway on
// loopback) in three phases: a cold path, where many clients read an uncached
// GLB at once through Strata and through nginx's proxy_cache with the slice
// module; hot ranges, where Strata answers from a filled cache and nginx
// from a file on disk; and the resident memory Strata keeps after touching
// more data than its cache budget.
//
// The cold phase counts what each server asks the store for at one place,
// a counting reverse proxy in front of the gateway, so that Strata's own
// metrics are checked rather than trusted. Its trade-off: the proxy adds a
// hop to both servers' store traffic, which lengthens their cold reads alike.
// Like bench/origin, every comparison alternates the contenders and reports
// ratios pair by pair, because the machines it runs on are shared and noisy.
package tier

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/strata3d/strata/bench/origin"
)

// Seeds of the two objects' random BIN chunks: the same bytes on every run.
const (
	coldSeed = 0x5354524154410101
	hotSeed  = 0x5354524154410102
)

// Run starts the gateway, uploads the objects and measures the selected
// phases. Progress lines go to progress (may be nil). Every process it
// started is stopped before it returns, also on error or when ctx ends.
func Run(ctx context.Context, cfg Config, progress io.Writer) (rep *Report, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	for _, b := range []struct {
		field string
		p     *string
		need  bool
	}{
		{"StrataBin", &cfg.StrataBin, true},
		{"NginxBin", &cfg.NginxBin, cfg.has(PhaseCold) || cfg.has(PhaseHot)},
		{"WrkBin", &cfg.WrkBin, cfg.has(PhaseHot) || cfg.has(PhaseRSS)},
		{"VersitygwBin", &cfg.VersitygwBin, true},
	} {
		if !b.need {
			continue
		}
		if *b.p, err = origin.ResolveBin(b.field, *b.p); err != nil {
			return nil, err
		}
	}

	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "strata-bench-tier-"); err != nil {
			return nil, fmt.Errorf("tier: work dir: %w", err)
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tier: work dir: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}

	rep = &Report{
		Started:  time.Now(),
		Settings: settingsOf(cfg),
		Environment: Environment{
			Environment:      origin.CollectEnvironment(ctx, cfg.NginxBin, cfg.WrkBin),
			VersitygwVersion: versitygwVersion(ctx, cfg.VersitygwBin),
		},
		Notes: notes(cfg),
	}
	rep.Environment.StrataVersion = origin.StrataVersion(ctx, cfg.StrataBin)
	if cfg.Dir != "" {
		rep.Notes = append(rep.Notes, "Logs, configs, nginx caches and raw wrk outputs are kept in "+dir+".")
	}

	fmt.Fprintf(progress, "tier: starting versitygw in %s\n", dir)
	gw, err := startGateway(ctx, cfg.VersitygwBin, dir)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, gw.stop()) }()

	if cfg.has(PhaseCold) {
		object, err := glb(cfg.ColdObjectSize, coldSeed)
		if err != nil {
			return nil, err
		}
		warm, err := glb(minObject, coldSeed+1)
		if err != nil {
			return nil, err
		}
		if err := gw.put(ctx, coldKey, object); err != nil {
			return nil, err
		}
		if err := gw.put(ctx, warmKey, warm); err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "tier: cold: %s object uploaded; %d clients per server, %d rounds\n", formatBytes(int64(len(object))), cfg.Clients, cfg.ColdRounds)
		if rep.Cold, err = runCold(ctx, cfg, filepath.Join(dir, "cold"), gw, object, warm, progress); err != nil {
			return nil, err
		}
	}
	if cfg.has(PhaseHot) || cfg.has(PhaseRSS) {
		object, err := glb(cfg.HotObjectSize, hotSeed)
		if err != nil {
			return nil, err
		}
		if err := gw.put(ctx, hotKey, object); err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "tier: %s object uploaded for the hot and rss phases\n", formatBytes(int64(len(object))))
		if cfg.has(PhaseHot) {
			assets := filepath.Join(dir, "assets")
			if err := writeHotFile(assets, object); err != nil {
				return nil, err
			}
			if rep.Hot, err = runHot(ctx, cfg, filepath.Join(dir, "hot"), assets, gw, object, progress); err != nil {
				return nil, err
			}
		}
		if cfg.has(PhaseRSS) {
			if rep.RSS, err = runRSS(ctx, cfg, filepath.Join(dir, "rss"), gw, object, progress); err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}

// glb returns a GLB of exactly size bytes whose BIN chunk is drawn from seed.
func glb(size int64, seed uint64) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(int(size))
	if err := origin.WriteGLB(&b, size, seed); err != nil {
		return nil, fmt.Errorf("tier: generate a %d-byte GLB: %w", size, err)
	}
	return b.Bytes(), nil
}

// versitygwVersion reads `versitygw --version` ("Version  : v1.8.0"); a
// build without a version stamp says "git", and then the version
// scripts/testenv.sh installed is taken from the file it leaves beside the
// binary. Best-effort.
func versitygwVersion(ctx context.Context, bin string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, "--version").CombinedOutput()
	var v string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, val, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "Version" {
			v = strings.TrimSpace(val)
		}
	}
	if v == "" || v == "git" {
		if b, err := os.ReadFile(filepath.Join(filepath.Dir(bin), ".versitygw-version")); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return v
}

// notes describe the setup of the selected phases.
func notes(cfg Config) []string {
	n := []string{
		"versitygw (posix backend) on 127.0.0.1 is the S3 store. Each server reaches it through its own in-process counting reverse proxy (Go net/http/httputil, loopback), which counts requests by method and the body bytes of object GETs; the same hop for every server.",
		"The bucket has a public-read policy (s3:GetObject for Principal \"*\"): stock nginx cannot SigV4-sign its slice subrequests. Strata signs every request with the gateway's keys.",
		fmt.Sprintf("Strata: `strata serve --store s3 --s3-path-style --cache-chunk-size %d --cache-bytes N --demo=false` with its other defaults (read-ahead on, metadata TTL 5 s, JSON access log to a file, metrics on); GOGC, GOMEMLIMIT and GODEBUG are removed from its environment.", cfg.ChunkSize),
	}
	if cfg.has(PhaseCold) {
		n = append(n,
			fmt.Sprintf("Cold nginx: proxy_cache_path in the work dir, empty each round; slice %s; proxy_cache_key $uri$slice_range; proxy_set_header Range $slice_range; proxy_cache_valid 200 206 1h; upstream keepalive 64 over HTTP/1.1; access_log buffered as in bench/origin. nginx-lock adds proxy_cache_lock on (timeout and age 60 s), whose waiters poll every 500 ms.", nginxSize(cfg.ChunkSize)),
			"Cold clients: Go net/http, one connection each, released together; each compares every byte with the object. Servers are started fresh (empty caches) before each measurement and stopped after it, and the order rotates by round. Before the clients start, each server reads a different 4 KiB object once, so that a fresh process's one-time costs (the S3 client's first request, nginx's first upstream connection) are not counted; its store requests are not counted either.",
		)
	}
	if cfg.has(PhaseHot) {
		n = append(n, "Hot "+origin.NginxStaticNote, "Hot Strata: filled by one full read before warm-up; wrk rounds alternate which server goes first, as in bench/origin.")
	}
	if cfg.has(PhaseRSS) {
		n = append(n, "RSS: VmRSS and VmHWM from /proc/PID/status of the strata process; nothing is triggered in the server between the load and the settled reading.")
	}
	n = append(n, "The machine is shared with other jobs: single numbers are noisy; compare within a round.")
	return n
}
