package suite

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/strata3d/strata/bench/load"
	"github.com/strata3d/strata/bench/origin"
	"github.com/strata3d/strata/bench/report"
	"github.com/strata3d/strata/bench/tier"
)

//go:embed standard.json
var standardScenarios []byte

// StandardScenarios returns the built-in scenario file's text.
func StandardScenarios() []byte { return slices.Clone(standardScenarios) }

// Strata's cache for S3 scenarios: room for every cold object of a run,
// chunked as in bench/tier (nginx's slice is the same size).
const (
	s3CacheBytes = 256 << 20
	s3ChunkSize  = 1 << 20
)

// pair is the servers of one kind of scenario: Strata and its peers, by
// target name, with the process behind each (nil for an external target).
type pair struct {
	base  map[string]string
	procs map[string]*origin.Process
}

// Run plays the scenarios and returns the result file. Progress goes to
// progress (a live line when it is a terminal, one line per run always).
// Every process it started is stopped before it returns, also on error.
func Run(ctx context.Context, cfg Config, progress io.Writer) (f *report.File, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	say := func(format string, args ...any) { fmt.Fprintf(progress, "suite: "+format+"\n", args...) }
	scenarios, suiteName, err := loadScenarios(cfg)
	if err != nil {
		return nil, err
	}
	peers := slices.Clone(cfg.Vs)
	f = &report.File{
		Format: report.FormatVersion, Suite: suiteName, Started: time.Now(),
		Settings: report.Settings{Targets: append([]string{report.TargetStrata}, peers...), BaseURL: cfg.Target, Rounds: cfg.Rounds, StrataArgs: cfg.StrataArgs},
	}
	needStatic, needS3 := false, false
	for _, sc := range scenarios {
		if sc.Peer == load.PeerS3 {
			needS3 = true
		} else {
			needStatic = true
		}
	}

	static, s3 := &pair{base: map[string]string{}, procs: map[string]*origin.Process{}}, &pair{base: map[string]string{}, procs: map[string]*origin.Process{}}
	var stops []func() error
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			err = errors.Join(err, stops[i]())
		}
	}()
	if cfg.Target != "" {
		static.base[report.TargetStrata], s3.base[report.TargetStrata] = cfg.Target, cfg.Target
		f.Notes = append(f.Notes, "External target "+cfg.Target+": nothing was started; the scenarios' paths must exist there.")
		f.Environment = environment(ctx, cfg, "", "")
	} else {
		dir, cleanup, err := workDir(cfg.Dir)
		if err != nil {
			return nil, err
		}
		stops = append(stops, cleanup)
		if cfg.StrataBin, err = origin.ResolveBin("StrataBin", cfg.StrataBin); err != nil {
			return nil, err
		}
		if slices.Contains(peers, PeerNginx) {
			if cfg.NginxBin, err = origin.ResolveBin("NginxBin", cfg.NginxBin); err != nil {
				return nil, err
			}
		}
		if needS3 {
			if cfg.VersitygwBin, err = origin.ResolveBin("VersitygwBin", cfg.VersitygwBin); err != nil {
				return nil, err
			}
		}
		vgw := ""
		if needS3 {
			vgw = cfg.VersitygwBin
		}
		f.Environment = environment(ctx, cfg, cfg.NginxBin, vgw)
		f.Notes = append(f.Notes, notes(cfg, needStatic, needS3)...)
		if needStatic {
			data := filepath.Join(dir, "data")
			if _, err := writeDataset(ctx, data, say); err != nil {
				return nil, err
			}
			p, err := startStatic(ctx, cfg, dir, data, static)
			stops = append(stops, p...)
			if err != nil {
				return nil, err
			}
			say("static: strata at %s%s", static.base[report.TargetStrata], peerNote(static))
		}
		if needS3 {
			p, err := startS3(ctx, cfg, dir, scenarios, peers, s3, say)
			stops = append(stops, p...)
			if err != nil {
				return nil, err
			}
			say("s3: strata at %s%s", s3.base[report.TargetStrata], peerNote(s3))
		}
	}

	for _, sc := range scenarios {
		pr := static
		if sc.Peer == load.PeerS3 {
			pr = s3
		}
		targets := []string{report.TargetStrata}
		if sc.Peer != load.PeerNone {
			targets = append(targets, peers...)
		}
		rs, err := runScenario(ctx, cfg, sc, targets, pr, progress, say)
		if err != nil {
			return nil, err
		}
		f.Scenarios = append(f.Scenarios, rs)
	}
	f.Finished = time.Now()
	return f, nil
}

// loadScenarios reads the scenario file (or the standard one), keeps the
// selected scenarios and applies the duration overrides.
func loadScenarios(cfg Config) ([]*load.Scenario, string, error) {
	data, name := standardScenarios, "standard"
	if cfg.ScenarioFile != "" {
		b, err := os.ReadFile(cfg.ScenarioFile)
		if err != nil {
			return nil, "", fmt.Errorf("suite: %w", err)
		}
		data, name = b, strings.TrimSuffix(filepath.Base(cfg.ScenarioFile), filepath.Ext(cfg.ScenarioFile))
	}
	file, err := load.ParseFile(data)
	if err != nil {
		return nil, "", err
	}
	var out []*load.Scenario
	for _, want := range cfg.Only {
		if file.Lookup(want) == nil {
			var names []string
			for _, s := range file.Scenarios {
				names = append(names, s.Name)
			}
			return nil, "", fmt.Errorf("suite: --only %q: no such scenario (have %s)", want, strings.Join(names, ", "))
		}
	}
	for _, s := range file.Scenarios {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, s.Name) {
			continue
		}
		if cfg.Duration > 0 {
			s.Duration = load.Duration(cfg.Duration)
		}
		if cfg.Warmup > 0 {
			s.Warmup = load.Duration(cfg.Warmup)
		}
		if err := s.Prepare(); err != nil {
			return nil, "", err
		}
		out = append(out, s)
	}
	return out, name, nil
}

func workDir(dir string) (string, func() error, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "strata-bench-suite-")
		if err != nil {
			return "", nil, fmt.Errorf("suite: work dir: %w", err)
		}
		return d, func() error { return os.RemoveAll(d) }, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("suite: work dir: %w", err)
	}
	abs, err := filepath.Abs(dir)
	return abs, func() error { return nil }, err
}

// startStatic starts Strata (fs store) and nginx over the data directory.
func startStatic(ctx context.Context, cfg Config, dir, data string, pr *pair) ([]func() error, error) {
	var stops []func() error
	sdir := filepath.Join(dir, "strata-fs")
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		return nil, fmt.Errorf("suite: %w", err)
	}
	// --demo seeds the storefront's demo catalog into its empty database
	// (the storefront scenarios browse and buy it); the demo models are only
	// published into an empty store, and this one holds the data set.
	s, err := origin.StartStrata(ctx, cfg.StrataBin, append([]string{"--demo=true"}, cfg.StrataArgs...), sdir, data)
	if err != nil {
		return nil, err
	}
	stops = append(stops, s.Stop)
	pr.base[report.TargetStrata], pr.procs[report.TargetStrata] = s.BaseURL(), s
	if slices.Contains(cfg.Vs, PeerNginx) {
		n, err := origin.StartNginxModels(ctx, cfg.NginxBin, filepath.Join(dir, "nginx-static"), data, filepath.Join(data, "models"))
		if err != nil {
			return stops, err
		}
		stops = append(stops, n.Stop)
		pr.base[PeerNginx], pr.procs[PeerNginx] = n.BaseURL(), n
	}
	return stops, nil
}

// startS3 starts the gateway, uploads the objects the S3 scenarios will
// read, and starts Strata (s3 store) and nginx proxy_cache + slice over it.
func startS3(ctx context.Context, cfg Config, dir string, scenarios []*load.Scenario, peers []string, pr *pair, say func(string, ...any)) ([]func() error, error) {
	var stops []func() error
	gw, err := tier.StartGateway(ctx, cfg.VersitygwBin, filepath.Join(dir, "s3"))
	if err != nil {
		return nil, err
	}
	stops = append(stops, gw.Stop)
	start := time.Now()
	total := 0
	for _, sc := range scenarios {
		if sc.Peer != load.PeerS3 {
			continue
		}
		keys, err := s3Keys(sc, cfg.Rounds*(1+len(peers)))
		if err != nil {
			return stops, err
		}
		if err := upload(ctx, gw, keys, cfg.ColdObjectBytes); err != nil {
			return stops, err
		}
		total += len(keys)
	}
	say("s3: %d objects of %d KiB uploaded to versitygw (%v)", total, cfg.ColdObjectBytes>>10, time.Since(start).Round(time.Millisecond))
	s, err := tier.StartStrataS3(ctx, gw, tier.StrataS3{Bin: cfg.StrataBin, Extra: cfg.StrataArgs, Dir: filepath.Join(dir, "strata-s3"), CacheBytes: s3CacheBytes, ChunkSize: s3ChunkSize})
	if err != nil {
		return stops, err
	}
	stops = append(stops, s.Stop)
	pr.base[report.TargetStrata], pr.procs[report.TargetStrata] = s.BaseURL(), s
	if slices.Contains(peers, PeerNginx) {
		n, err := tier.StartProxyNginx(ctx, cfg.NginxBin, filepath.Join(dir, "nginx-proxy"), gw, s3ChunkSize)
		if err != nil {
			return stops, err
		}
		stops = append(stops, n.Stop)
		pr.base[PeerNginx], pr.procs[PeerNginx] = n.BaseURL(), n
	}
	return stops, nil
}

// keyIndex is one object of an S3 scenario: its index and its key.
type keyIndex struct {
	n   int64
	key string
}

// perRun is how many sequential keys one run of an open-loop scenario
// draws: one per session due in warm-up and measured window, plus one.
func perRun(sc *load.Scenario) int64 {
	return int64(math.Ceil(sc.Rate*(time.Duration(sc.Warmup)+time.Duration(sc.Duration)).Seconds())) + 1
}

// s3Keys lists the objects an S3 scenario reads over runs runs. A
// sequential (cold) scenario reads a fresh slice of keys each run, so it
// must be open loop: only then is the number of sessions known.
func s3Keys(sc *load.Scenario, runs int) ([]keyIndex, error) {
	k := sc.Keys
	if k == nil {
		return nil, nil
	}
	name := func(i int64) string {
		if len(k.List) > 0 {
			return k.List[i]
		}
		return strings.ReplaceAll(k.Pattern, "{n}", strconv.FormatInt(k.Start+i, 10))
	}
	count := k.Count
	if k.Order == load.OrderSequential {
		if sc.Mode != load.ModeOpen {
			return nil, fmt.Errorf("suite: %s: an S3 scenario with sequential keys must be open loop, so that the objects it reads can be uploaded first", sc.Name)
		}
		count = perRun(sc) * int64(runs)
		if count > k.Count {
			return nil, fmt.Errorf("suite: %s: %d runs need %d distinct keys, the scenario has %d", sc.Name, runs, count, k.Count)
		}
	}
	const maxObjects = 100_000
	if count > maxObjects {
		return nil, fmt.Errorf("suite: %s: would upload %d objects, more than %d", sc.Name, count, maxObjects)
	}
	keys := make([]keyIndex, count)
	for i := range keys {
		keys[i] = keyIndex{int64(i), name(int64(i))}
	}
	return keys, nil
}

// upload puts the objects with 8 requests in flight.
func upload(ctx context.Context, gw *tier.Gateway, keys []keyIndex, size int64) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, k := range keys {
		g.Go(func() error { return gw.Put(ctx, k.key, coldObject(k.n, size)) })
	}
	return g.Wait()
}

// runScenario plays sc on every target for cfg.Rounds rounds.
func runScenario(ctx context.Context, cfg Config, sc *load.Scenario, targets []string, pr *pair, progress io.Writer, say func(string, ...any)) (*report.Scenario, error) {
	rs := &report.Scenario{Spec: sc, Targets: targets}
	if sc.Requires != "" {
		if why := checkRequires(ctx, pr.base[report.TargetStrata], sc.Requires, cfg); why != "" {
			rs.Skipped = why
			say("%s skipped: %s", sc.Name, why)
			return rs, nil
		}
	}
	per := int64(0)
	if sc.Keys != nil && sc.Keys.Order == load.OrderSequential && sc.Mode == load.ModeOpen {
		per = perRun(sc)
	}
	runIdx := int64(0)
	for r := range cfg.Rounds {
		round := report.Round{Round: r + 1, Results: make([]*load.Result, len(targets))}
		k := r % len(targets)
		round.Order = append(slices.Clone(targets[k:]), targets[:k]...)
		for _, t := range round.Order {
			proc := pr.procs[t]
			var sizes []int64
			if proc != nil {
				sizes = proc.LogSizes()
			}
			label := fmt.Sprintf("%s r%d %s", sc.Name, r+1, t)
			res, err := load.Run(ctx, sc, load.Target{Name: t, BaseURL: pr.base[t], Headers: cfg.Headers, AllowRemote: cfg.AllowRemote},
				load.Options{KeyOffset: runIdx * per, Progress: progress, Label: label})
			runIdx++
			if proc != nil {
				// A run writes megabytes of access log; keep the disk.
				proc.TruncateLogs(sizes)
			}
			if err != nil {
				return nil, err
			}
			errs := ""
			if res.Errors > 0 {
				errs = fmt.Sprintf(" %v", res.ErrorsByKind)
			}
			say("%-28s %8.0f req/s  p50 %-8s p99 %-8s p99.9 %-8s max %-8s errors %d%s", label, res.RequestsPerSec,
				load.FormatMillis(res.Latency.P50), load.FormatMillis(res.Latency.P99), load.FormatMillis(res.Latency.P999),
				load.FormatMillis(res.Latency.Max), res.Errors, errs)
			round.Results[slices.Index(targets, t)] = res
		}
		rs.Rounds = append(rs.Rounds, round)
	}
	if err := rs.Summarize(); err != nil {
		return nil, err
	}
	for _, ratio := range rs.Ratios {
		say("%s: strata/%s throughput %.2f×, p50 %.2f×, p99 %.2f× (medians of %d rounds)", sc.Name, ratio.Peer, ratio.Throughput, ratio.P50, ratio.P99, len(ratio.Rounds))
	}
	return rs, nil
}

// checkRequires GETs base+path once; a non-2xx answer (or none) is the
// reason to skip, "" means go ahead.
func checkRequires(ctx context.Context, base, path string, cfg Config) string {
	url := strings.TrimSuffix(base, "/") + path
	if err := load.CheckTarget(url, cfg.AllowRemote); err != nil {
		return err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err.Error()
	}
	for k, v := range cfg.Headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return "GET " + url + ": " + err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Sprintf("GET %s answered %s (the target serves no such route)", path, resp.Status)
	}
	return ""
}

func peerNote(p *pair) string {
	if b, ok := p.base[PeerNginx]; ok {
		return ", nginx at " + b
	}
	return ""
}

var generatorOnce = sync.OnceValue(func() string {
	v := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/valyala/fasthttp" {
				v = d.Version
			}
		}
	}
	return "strata bench/load with fasthttp's client " + v + "; HdrHistogram (3 significant digits, µs)"
})

func environment(ctx context.Context, cfg Config, nginxBin, versitygwBin string) report.Environment {
	e := origin.CollectEnvironment(ctx, orDash(nginxBin), "-")
	env := report.Environment{
		NumCPU: e.NumCPU, CPU: e.CPU, Kernel: e.Kernel, GoVersion: e.GoVersion, GitCommit: e.GitCommit,
		Generator: generatorOnce(),
	}
	if nginxBin != "" && slices.Contains(cfg.Vs, PeerNginx) {
		env.NginxVersion = e.NginxVersion
	}
	if cfg.Target == "" {
		env.StrataVersion = origin.StrataVersion(ctx, cfg.StrataBin)
	}
	if versitygwBin != "" {
		env.VersitygwVersion = tier.VersitygwVersion(ctx, versitygwBin)
	}
	return env
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// notes describe how the servers were set up.
func notes(cfg Config, static, s3 bool) []string {
	var n []string
	if static {
		n = append(n, "Static scenarios: Strata (`strata serve --store fs --demo=false`, default access log and metrics on) and, with --vs nginx, Debian nginx serve one generated directory: /assets/ from its root, /models/ from its models/ folder. "+origin.NginxStaticNote+" /models/ also without tcp_nopush (viewers read unaligned ranges).")
	}
	if s3 {
		n = append(n, fmt.Sprintf("S3 scenarios: versitygw (posix) on loopback holds the objects; Strata runs `--store s3 --cache-bytes %d --cache-chunk-size %d`; nginx runs proxy_cache + slice %d KiB over the same bucket (as bench/tier's cold phase, without proxy_cache_lock). Each run reads keys no earlier run read, so every request is a miss for both.", s3CacheBytes, s3ChunkSize, s3ChunkSize>>10))
	}
	n = append(n, "All targets and the generator share the machine's cores; the rounds rotate which target runs first, and ratios are taken within a round.")
	return n
}
