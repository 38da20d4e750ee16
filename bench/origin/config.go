package origin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"
)

// Scenario names accepted in Config.Scenarios.
const (
	// ScenarioGet4K is a hot GET of a 4 KiB file: per-request overhead dominates.
	ScenarioGet4K = "get-4k"
	// ScenarioGet64K is a hot GET of a 64 KiB file: copying bytes starts to count.
	ScenarioGet64K = "get-64k"
	// ScenarioRange64KIn20M asks for random 64 KiB windows of a 20 MiB GLB, the
	// way a viewer streams meshopt-compressed LODs out of one file.
	ScenarioRange64KIn20M = "range-64k-in-20m"
)

// AllScenarios lists every scenario in the order Run measures them.
func AllScenarios() []string {
	return []string{ScenarioGet4K, ScenarioGet64K, ScenarioRange64KIn20M}
}

// Config tunes one comparison run. The defaults take about
// len(Scenarios) × (2×Warmup + 2×Rounds×Duration) ≈ 2 minutes.
type Config struct {
	// StrataBin is the path of the strata binary. Default "bin/strata",
	// relative to the working directory (`make bench-origin` builds it first).
	StrataBin string
	// StrataArgs are extra flags appended to `strata serve …`, e.g. to change
	// the cache size. Default none: access log and metrics are on by default.
	StrataArgs []string
	// NginxBin is the path of the nginx binary. Default $STRATA_TEST_NGINX,
	// else /usr/sbin/nginx.
	NginxBin string
	// WrkBin is the path of the wrk binary. Default $STRATA_TEST_WRK, else
	// `wrk` looked up on $PATH.
	WrkBin string
	// Dir is the work directory for the asset files, the nginx config and logs,
	// Strata's logs, the wrk scripts and raw wrk outputs. Default "": a fresh
	// temporary directory, removed when Run returns. A Dir given here is kept.
	Dir string
	// Duration is the length of one measured wrk run, in whole seconds (wrk's
	// resolution). Default 10s; at least 1s.
	Duration time.Duration
	// Warmup is how long each server is loaded with each scenario before the
	// scenario's measured rounds, in whole seconds; 0 skips warming. Default 2s.
	Warmup time.Duration
	// Rounds is the number of (Strata, nginx) pairs measured per scenario; the
	// order within a pair flips every round. Default 3; at least 1.
	Rounds int
	// Connections is wrk's -c, the number of keep-alive connections held open.
	// Default 64; at least Threads.
	Connections int
	// Threads is wrk's -t, the number of load generator threads. Default 2
	// (one per core on the 2-core reference machine).
	Threads int
	// Scenarios selects what is measured, by name (see AllScenarios).
	// Default all of them.
	Scenarios []string
}

// DefaultConfig returns the configuration `make bench-origin` uses.
func DefaultConfig() Config {
	return Config{
		StrataBin:   "bin/strata",
		NginxBin:    DefaultBin("STRATA_TEST_NGINX", "/usr/sbin/nginx", ""),
		WrkBin:      DefaultBin("STRATA_TEST_WRK", "", "wrk"),
		Duration:    10 * time.Second,
		Warmup:      2 * time.Second,
		Rounds:      3,
		Connections: 64,
		Threads:     2,
		Scenarios:   AllScenarios(),
	}
}

// DefaultBin is a tool's default path for the bench commands: $env when set,
// else file when it exists (or when there is no name to look up), else name
// found on $PATH, else name itself, so that a missing tool is named in the
// error.
func DefaultBin(env, file, name string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	if file != "" {
		if _, err := os.Stat(file); err == nil || name == "" {
			return file
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.StrataBin == "" {
		errs = append(errs, errors.New("origin: StrataBin is empty"))
	}
	if c.NginxBin == "" {
		errs = append(errs, errors.New("origin: NginxBin is empty"))
	}
	if c.WrkBin == "" {
		errs = append(errs, errors.New("origin: WrkBin is empty"))
	}
	if c.Duration < time.Second || c.Duration%time.Second != 0 {
		errs = append(errs, fmt.Errorf("origin: Duration %v must be a whole number of seconds, at least 1s", c.Duration))
	}
	if c.Warmup < 0 || c.Warmup%time.Second != 0 {
		errs = append(errs, fmt.Errorf("origin: Warmup %v must be a whole number of seconds, 0 or more", c.Warmup))
	}
	if c.Rounds < 1 {
		errs = append(errs, fmt.Errorf("origin: Rounds %d must be at least 1", c.Rounds))
	}
	if c.Threads < 1 {
		errs = append(errs, fmt.Errorf("origin: Threads %d must be at least 1", c.Threads))
	}
	if c.Connections < max(c.Threads, 1) {
		errs = append(errs, fmt.Errorf("origin: Connections %d must be at least Threads (%d)", c.Connections, c.Threads))
	}
	if len(c.Scenarios) == 0 {
		errs = append(errs, errors.New("origin: Scenarios is empty"))
	}
	seen := map[string]bool{}
	for _, s := range c.Scenarios {
		switch {
		case !slices.Contains(AllScenarios(), s):
			errs = append(errs, fmt.Errorf("origin: unknown scenario %q (known: %v)", s, AllScenarios()))
		case seen[s]:
			errs = append(errs, fmt.Errorf("origin: scenario %q listed twice", s))
		}
		seen[s] = true
	}
	return errors.Join(errs...)
}
