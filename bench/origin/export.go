package origin

import (
	"bufio"
	"context"
	"io"
	"math/rand/v2"
	"syscall"
	"time"
)

// This file is the harness's API for sibling harnesses (bench/tier): they
// start, probe and stop their servers, run the nginx baseline and wrk, and
// format numbers exactly as this package does, so that figures from two
// harnesses are measured the same way and can sit side by side.

// Process is a server process started by a harness, in its own process
// group, with its output appended to a log file.
type Process struct{ s *server }

// ProcessSpec describes a Process to start.
type ProcessSpec struct {
	// Name labels the process in reports and errors ("strata", "nginx").
	Name string
	// BaseURL is where it serves, e.g. http://127.0.0.1:PORT, no trailing slash.
	BaseURL string
	// LogPath receives the child's stdout and stderr (appended).
	LogPath string
	// StopSignals are sent in order by Stop, each given 5 s, before SIGKILL
	// goes to the whole process group.
	StopSignals []syscall.Signal
	// Env is the child's whole environment; nil means this process's.
	Env []string
	// GrowingLogs are the logs each request writes to (an access log, or
	// LogPath itself), measured and emptied by TruncateLogs.
	GrowingLogs []string
	Bin         string
	Args        []string
}

// StartProcess starts spec's binary. It returns once the process runs, not
// once it serves: follow with WaitReady. The caller must Stop it.
func StartProcess(spec ProcessSpec) (*Process, error) {
	s, err := startProcessEnv(spec.Env, spec.Name, spec.BaseURL, spec.LogPath, spec.StopSignals, spec.Bin, spec.Args...)
	if err != nil {
		return nil, err
	}
	s.growing = spec.GrowingLogs
	return &Process{s}, nil
}

// Name is the process's label.
func (p *Process) Name() string { return p.s.name }

// SetName relabels the process, e.g. to tell two nginx apart in a report.
func (p *Process) SetName(name string) { p.s.name = name }

// BaseURL is where the process serves, without a trailing slash.
func (p *Process) BaseURL() string { return p.s.baseURL }

// PID is the process id of the child (nginx's master, Strata itself).
func (p *Process) PID() int { return p.s.cmd.Process.Pid }

// Stop ends the process gracefully, or kills its process group; it is safe
// to call more than once and on a nil Process.
func (p *Process) Stop() error {
	if p == nil {
		return nil
	}
	return p.s.stop()
}

// WaitReady polls ready until it succeeds, the process exits, ctx ends or
// timeout passes.
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration, ready func(context.Context) error) error {
	return p.s.waitReady(ctx, timeout, ready)
}

// LogSizes notes the sizes of the growing logs, for TruncateLogs.
func (p *Process) LogSizes() []int64 { return logSizes(p.s) }

// TruncateLogs returns how much the growing logs grew since sizes were
// taken, and empties them so that a long run cannot fill the disk.
func (p *Process) TruncateLogs(sizes []int64) int64 { return truncateLogs(p.s, sizes) }

// DialReady is a readiness check that succeeds once addr accepts TCP.
func DialReady(addr string) func(context.Context) error { return dialReady(addr) }

// HTTPReady is a readiness check that succeeds once url answers 200.
func HTTPReady(url string) func(context.Context) error { return httpReady(url) }

// FreePort returns a loopback port that was free a moment ago.
func FreePort() (int, error) { return freePort() }

// TailFile returns up to the last n bytes of a log, for error messages.
func TailFile(path string, n int64) string { return tailFile(path, n) }

// ResolveBin turns a name or relative path into an absolute executable
// path, failing with the config field's name.
func ResolveBin(field, bin string) (string, error) { return resolveBin(field, bin) }

// StartNginx starts nginx serving assetsDir under /assets/ with this
// package's configuration (sendfile, open-file cache, buffered access log,
// tcp_nopush off under /assets/big/ where ranges of big files are asked
// for); its files live under dir/nginx. The caller must Stop it.
func StartNginx(ctx context.Context, bin, dir, assetsDir string) (*Process, error) {
	return StartNginxModels(ctx, bin, dir, assetsDir, "")
}

// StartNginxModels is StartNginx that also serves modelsDir as /models/
// (without tcp_nopush: viewers read it by unaligned ranges).
func StartNginxModels(ctx context.Context, bin, dir, assetsDir, modelsDir string) (*Process, error) {
	s, err := startNginx(ctx, bin, dir, assetsDir, modelsDir)
	if err != nil {
		return nil, err
	}
	return &Process{s}, nil
}

// NginxStaticNote describes StartNginx's configuration for a report.
const NginxStaticNote = "nginx: worker_processes auto, sendfile on, tcp_nopush on, open_file_cache max=10000, keepalive_requests 1000000, etag on; access_log in the combined format with buffer=64k flush=1s; tcp_nopush off for /assets/big/ only, where TCP_CORK stalls unaligned 64 KiB ranges by a delayed ACK (~40 ms) each."

// WrkRun is one invocation of wrk with a Lua script.
type WrkRun struct {
	Bin      string
	Script   string // path of the Lua script
	URL      string
	Seed     int // passed to the script: same seed, same requests
	Duration time.Duration
	Threads  int
	// Connections is wrk's -c.
	Connections int
	// Output is where the raw output is kept; "" keeps none.
	Output string
}

// Run executes wrk and parses its report.
func (w WrkRun) Run(ctx context.Context) (WrkResult, error) {
	return wrkRun{
		bin: w.Bin, script: w.Script, url: w.URL, seed: w.Seed, duration: w.Duration,
		threads: w.Threads, connections: w.Connections, output: w.Output,
	}.run(ctx)
}

// RangeScript is the wrk script that asks for a random window of an object
// of size bytes per request, counting any answer but a 206 of window bytes
// as unexpected.
func RangeScript(size, window int64) string { return rangeScript(size, window) }

// CollectEnvironment records the machine and tool versions, best-effort.
func CollectEnvironment(ctx context.Context, nginxBin, wrkBin string) Environment {
	return collectEnvironment(ctx, nginxBin, wrkBin)
}

// StrataVersion is the first line of `strata version`, best-effort.
func StrataVersion(ctx context.Context, bin string) string { return strataVersion(ctx, bin) }

// Summarize fills the scenario's medians, ratios and MeetsTarget from its rounds.
func (s *ScenarioReport) Summarize() { s.summarize() }

// WriteGLB writes a GLB of exactly size bytes, a minimal glTF JSON chunk and
// a BIN chunk of random bytes drawn from seed: the same bytes for the same
// size and seed, on every machine.
func WriteGLB(w io.Writer, size int64, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := writeGLB(bw, size, rand.NewChaCha8(seedBytes(seed))); err != nil {
		return err
	}
	return bw.Flush()
}

// Median of an even count is the mean of the middle two; of none, zero.
func Median[T float64 | time.Duration](xs []T) T { return median(xs) }

// FormatRPS prints whole requests per second with thousands separators.
func FormatRPS(v float64) string { return fmtRPS(v) }

// FormatLatency prints a duration with three significant digits, as wrk does.
func FormatLatency(d time.Duration) string { return fmtLatency(d) }

// FormatPercentiles prints p50 / p90 / p99 / p99.9.
func FormatPercentiles(l Latency) string { return fmtPercentiles(l) }

// FormatRatioRange prints the median ratio and, over several rounds, its range.
func FormatRatioRange(s ScenarioReport) string { return fmtRatioRange(s) }

// ListFlag is a comma-separated list flag; setting it replaces the default.
type ListFlag = listFlag

// WordsFlag is a space-separated argument list flag, without quoting.
type WordsFlag = wordsFlag

// StartStrata starts `strata serve --store fs` on assetsDir (plus extra
// flags), its log in dir/strata.log, and waits for /readyz. The caller must
// Stop it.
func StartStrata(ctx context.Context, bin string, extra []string, dir, assetsDir string) (*Process, error) {
	s, err := startStrata(ctx, bin, extra, dir, assetsDir)
	if err != nil {
		return nil, err
	}
	return &Process{s}, nil
}
