// Package suite is `strata bench run`: it builds a data set, starts Strata
// and its peers over the same files (Debian nginx for files on disk, nginx
// proxy_cache + slice over the same S3 gateway for cold paths), plays each
// scenario of a scenario file against every target in rotating rounds with
// bench/load, and writes a JSON result file and an HTML report
// (bench/report). With --target it plays the scenarios against any base URL
// instead, starting nothing.
//
// Its trade-off: every target runs on the same 2 cores as the generator, so
// absolute figures carry the machine's noise; the suite answers with
// back-to-back rounds and per-round ratios, which share that noise.
package suite

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strata3d/strata/bench/load"
	"github.com/strata3d/strata/bench/origin"
)

// PeerNginx is the one peer the suite can start.
const PeerNginx = "nginx"

// Config tunes one suite run. The defaults are `make bench`'s: the
// standard scenarios, Strata alone (add Vs: nginx for the comparison).
type Config struct {
	// ScenarioFile is a scenario file (bench/load's JSON format). Default
	// "": the standard suite built into the binary (bench/suite/standard.json).
	ScenarioFile string
	// Only selects scenarios by name. Default all.
	Only []string
	// Vs lists peers to start and measure beside Strata: "nginx".
	Vs []string
	// Target is a base URL to measure instead of starting Strata (a
	// CloudFront distribution, a staging origin). No peer is started and
	// the scenarios' paths must exist there.
	Target string
	// AllowRemote permits a Target (and any URL a manifest names) outside
	// the loopback range. Off by default, so a typo cannot load-test
	// someone else's host.
	AllowRemote bool
	// Headers go with every request, e.g. "X-Origin-Secret: …".
	Headers map[string]string
	// Rounds is how many times each scenario runs on each target, the
	// order rotating every round. Default 3; at least 1.
	Rounds int
	// Duration and Warmup, when set, replace every scenario's own.
	Duration, Warmup time.Duration

	// StrataBin is the strata binary the suite starts. Default bin/strata.
	StrataBin string
	// StrataArgs are extra flags for every `strata serve`.
	StrataArgs []string
	// NginxBin is Debian's nginx. Default $STRATA_TEST_NGINX or /usr/sbin/nginx.
	NginxBin string
	// VersitygwBin is the S3 gateway for cold paths. Default
	// $STRATA_TEST_VERSITYGW, .tools/bin/versitygw, or versitygw on $PATH.
	VersitygwBin string
	// ColdObjectBytes is the size of each object of S3 scenarios. Default 32 KiB.
	ColdObjectBytes int64
	// Dir is the work directory (data set, logs, configs). Default a
	// temporary directory, removed afterwards; a Dir given here is kept.
	Dir string
	// Out is where the result file (JSON) and report (HTML) are written,
	// named after the start time and commit. Default bench/results.
	Out string
}

// DefaultConfig returns what `strata bench run` uses without flags.
func DefaultConfig() Config {
	return Config{
		Rounds:          3,
		StrataBin:       "bin/strata",
		NginxBin:        origin.DefaultBin("STRATA_TEST_NGINX", "/usr/sbin/nginx", ""),
		VersitygwBin:    origin.DefaultBin("STRATA_TEST_VERSITYGW", ".tools/bin/versitygw", "versitygw"),
		ColdObjectBytes: 32 << 10,
		Out:             "bench/results",
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("suite: "+format, args...)) }
	if c.Rounds < 1 || c.Rounds > 100 {
		bad("rounds %d must be 1 to 100", c.Rounds)
	}
	for _, p := range c.Vs {
		if p != PeerNginx {
			bad("--vs %q: the only peer is %q", p, PeerNginx)
		}
	}
	if c.Target != "" {
		if len(c.Vs) > 0 {
			bad("--vs starts peers beside a Strata the suite starts; it cannot be combined with --target")
		}
		if err := load.CheckTarget(c.Target, c.AllowRemote); err != nil {
			errs = append(errs, err)
		}
	} else if c.StrataBin == "" {
		bad("StrataBin is empty")
	}
	if slices.Contains(c.Vs, PeerNginx) && c.NginxBin == "" {
		bad("NginxBin is empty")
	}
	if c.Duration < 0 || c.Warmup < 0 {
		bad("duration and warm-up must not be negative")
	}
	if c.ColdObjectBytes < 1 || c.ColdObjectBytes > 64<<20 {
		bad("cold object size %d must be 1 byte to 64 MiB", c.ColdObjectBytes)
	}
	for name, v := range c.Headers {
		if name == "" || strings.ContainsAny(name+v, "\r\n\x00") {
			bad("header %q: empty name or a line break", name)
		}
	}
	if c.Out == "" {
		bad("Out is empty")
	}
	return errors.Join(errs...)
}
