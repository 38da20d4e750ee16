package tier

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/strata3d/strata/bench/origin"
)

// Phase names accepted in Config.Phases.
const (
	// PhaseCold has Clients read an uncached object at once, through Strata
	// and through nginx's proxy_cache with the slice module, both over the
	// same S3 gateway, and counts what each asks the store for.
	PhaseCold = "cold"
	// PhaseHot compares random 64 KiB ranges of an object Strata holds in
	// its cache with nginx serving the same file from disk.
	PhaseHot = "hot"
	// PhaseRSS reads more data through Strata than its cache budget and
	// reads the process's resident memory afterwards.
	PhaseRSS = "rss"
)

// AllPhases lists every phase in the order Run measures them.
func AllPhases() []string { return []string{PhaseCold, PhaseHot, PhaseRSS} }

// RangeWindow is the size of one Range request of the hot and RSS phases,
// in bytes: what a viewer asks for when it streams LODs out of one file.
const RangeWindow = 64 << 10

// Config tunes one run. The defaults take about 2 minutes on the 2-core
// reference machine: a few seconds per cold round, then
// 2×Warmup + 2×HotRounds×Duration for the hot phase, RSSDuration + RSSIdle
// for the RSS phase, plus uploading and reading 216 MiB a few times.
type Config struct {
	// StrataBin is the path of the strata binary. Default "bin/strata",
	// relative to the working directory (`make bench-tier` builds it first).
	StrataBin string
	// StrataArgs are extra flags appended to every `strata serve …`.
	// Default none.
	StrataArgs []string
	// NginxBin is the path of the nginx binary (with the slice module).
	// Default $STRATA_TEST_NGINX, else /usr/sbin/nginx.
	NginxBin string
	// WrkBin is the path of the wrk binary. Default $STRATA_TEST_WRK, else
	// `wrk` on $PATH.
	WrkBin string
	// VersitygwBin is the path of the versitygw binary, the S3 gateway both
	// servers read from. Default $STRATA_TEST_VERSITYGW, else
	// .tools/bin/versitygw when it exists (scripts/testenv.sh install puts it
	// there), else `versitygw` on $PATH.
	VersitygwBin string
	// Dir is the work directory: the gateway's data, the nginx file and its
	// cache, configs, logs and raw wrk outputs. Default "": a fresh temporary
	// directory, removed when Run returns. A Dir given here is kept.
	Dir string
	// Phases selects what is measured, by name (see AllPhases). Default all.
	Phases []string

	// ColdObjectSize is the size in bytes of the object of the cold phase,
	// a multiple of 4 (a GLB's alignment). Default 16 MiB.
	ColdObjectSize int64
	// ChunkSize is both Strata's --cache-chunk-size and nginx's slice size,
	// in bytes, so that both fetch the object in the same pieces. Between
	// 4 KiB and 64 MiB. Default 1 MiB.
	ChunkSize int64
	// Clients is how many HTTP clients read the whole cold object at the
	// same moment. Default 32.
	Clients int
	// ColdRounds is how many times the cold read is repeated, with freshly
	// started servers and empty caches each time, rotating which server goes
	// first. Default 3; at least 1.
	ColdRounds int
	// NginxCacheLock also measures nginx with proxy_cache_lock on, which
	// collapses concurrent misses of a slice into one upstream request but
	// makes the waiters poll for the lock every 500 ms. nginx's default (off)
	// is always measured. Default true.
	NginxCacheLock bool

	// HotObjectSize is the size in bytes of the object of the hot and RSS
	// phases, a multiple of 4 and at least RangeWindow. Default 200 MiB.
	HotObjectSize int64
	// HotCacheBytes is Strata's --cache-bytes in the cold and hot phases:
	// enough to hold the hot object whole. At least HotObjectSize +
	// ChunkSize. Default 512 MiB.
	HotCacheBytes int64
	// Duration is the length of one measured wrk run of the hot phase, in
	// whole seconds (wrk's resolution). Default 10s; at least 1s.
	Duration time.Duration
	// Warmup is how long each server is loaded before the hot phase's
	// measured rounds, in whole seconds; 0 skips it. Default 2s.
	Warmup time.Duration
	// HotRounds is the number of (Strata, nginx) pairs of the hot phase;
	// the order within a pair flips every round. Default 3; at least 1.
	HotRounds int
	// Connections is wrk's -c. Default 64; at least Threads.
	Connections int
	// Threads is wrk's -t. Default 2, one per core of the reference machine.
	Threads int

	// RSSCacheBytes is Strata's --cache-bytes in the RSS phase, less than
	// HotObjectSize so that the phase touches more data than the budget.
	// Default 128 MiB.
	RSSCacheBytes int64
	// RSSSlack is what the process may hold beyond RSSCacheBytes: the
	// target is a resident set of at most RSSCacheBytes + RSSSlack. Default
	// 64 MiB.
	RSSSlack int64
	// RSSDuration is how long wrk asks for random ranges of the hot object,
	// after one full read of it, in whole seconds. Default 10s.
	RSSDuration time.Duration
	// RSSIdle is how long the server is left alone after the load before the
	// settled resident set is read; nothing is triggered in the server, so
	// this is the time Go's background scavenger gets. Default 2s; 0 reads
	// it at once.
	RSSIdle time.Duration
}

// DefaultConfig returns the configuration `make bench-tier` uses.
func DefaultConfig() Config {
	return Config{
		StrataBin:      "bin/strata",
		NginxBin:       origin.DefaultBin("STRATA_TEST_NGINX", "/usr/sbin/nginx", ""),
		WrkBin:         origin.DefaultBin("STRATA_TEST_WRK", "", "wrk"),
		VersitygwBin:   origin.DefaultBin("STRATA_TEST_VERSITYGW", ".tools/bin/versitygw", "versitygw"),
		Phases:         AllPhases(),
		ColdObjectSize: 16 << 20,
		ChunkSize:      1 << 20,
		Clients:        32,
		ColdRounds:     3,
		NginxCacheLock: true,
		HotObjectSize:  200 << 20,
		HotCacheBytes:  512 << 20,
		Duration:       10 * time.Second,
		Warmup:         2 * time.Second,
		HotRounds:      3,
		Connections:    64,
		Threads:        2,
		RSSCacheBytes:  128 << 20,
		RSSSlack:       64 << 20,
		RSSDuration:    10 * time.Second,
		RSSIdle:        2 * time.Second,
	}
}

const (
	minChunkSize = 4 << 10  // Strata's smallest --cache-chunk-size
	maxChunkSize = 64 << 20 // and its largest
	minObject    = 4 << 10  // room for a GLB header and some BIN
)

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("tier: "+format, args...)) }
	for _, f := range []struct{ name, v string }{
		{"StrataBin", c.StrataBin}, {"NginxBin", c.NginxBin}, {"WrkBin", c.WrkBin}, {"VersitygwBin", c.VersitygwBin},
	} {
		if f.v == "" {
			bad("%s is empty", f.name)
		}
	}
	if len(c.Phases) == 0 {
		bad("Phases is empty")
	}
	seen := map[string]bool{}
	for _, p := range c.Phases {
		switch {
		case !slices.Contains(AllPhases(), p):
			bad("unknown phase %q (known: %v)", p, AllPhases())
		case seen[p]:
			bad("phase %q listed twice", p)
		}
		seen[p] = true
	}
	objectSize := func(name string, v int64) {
		if v < minObject || v%4 != 0 {
			bad("%s %d must be a multiple of 4, at least %d", name, v, minObject)
		}
	}
	objectSize("ColdObjectSize", c.ColdObjectSize)
	objectSize("HotObjectSize", c.HotObjectSize)
	if c.HotObjectSize < RangeWindow {
		bad("HotObjectSize %d must be at least the range window (%d)", c.HotObjectSize, RangeWindow)
	}
	if c.ChunkSize < minChunkSize || c.ChunkSize > maxChunkSize {
		bad("ChunkSize %d must be between %d and %d", c.ChunkSize, minChunkSize, maxChunkSize)
	}
	if c.Clients < 1 {
		bad("Clients %d must be at least 1", c.Clients)
	}
	if c.ColdRounds < 1 {
		bad("ColdRounds %d must be at least 1", c.ColdRounds)
	}
	if c.HotCacheBytes < c.HotObjectSize+c.ChunkSize {
		bad("HotCacheBytes %d must hold the hot object and a chunk (%d)", c.HotCacheBytes, c.HotObjectSize+c.ChunkSize)
	}
	wholeSeconds := func(name string, d time.Duration, least time.Duration) {
		if d < least || d%time.Second != 0 {
			bad("%s %v must be a whole number of seconds, at least %v", name, d, least)
		}
	}
	wholeSeconds("Duration", c.Duration, time.Second)
	wholeSeconds("Warmup", c.Warmup, 0)
	wholeSeconds("RSSDuration", c.RSSDuration, time.Second)
	if c.HotRounds < 1 {
		bad("HotRounds %d must be at least 1", c.HotRounds)
	}
	if c.Threads < 1 {
		bad("Threads %d must be at least 1", c.Threads)
	}
	if c.Connections < max(c.Threads, 1) {
		bad("Connections %d must be at least Threads (%d)", c.Connections, c.Threads)
	}
	if c.RSSCacheBytes <= 0 || c.RSSCacheBytes >= c.HotObjectSize {
		bad("RSSCacheBytes %d must be positive and less than HotObjectSize (%d), so that the RSS phase touches more than the budget", c.RSSCacheBytes, c.HotObjectSize)
	}
	if c.RSSSlack < 0 {
		bad("RSSSlack %d must not be negative", c.RSSSlack)
	}
	if c.RSSIdle < 0 {
		bad("RSSIdle %v must not be negative", c.RSSIdle)
	}
	return errors.Join(errs...)
}

// has reports whether phase is selected.
func (c Config) has(phase string) bool { return slices.Contains(c.Phases, phase) }
