package tier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/strata3d/strata/bench/origin"
)

// Contender names of the cold phase.
const (
	ServerStrata    = "strata"
	ServerNginx     = "nginx"      // proxy_cache + slice, nginx's defaults otherwise
	ServerNginxLock = "nginx-lock" // the same with proxy_cache_lock on
)

// coldKey is where the cold object lives in the bucket (and under /assets/);
// warmKey is a small object each server reads once before the measurement.
const (
	coldKey = "cold/model.glb"
	warmKey = "cold/warm.glb"
)

// ColdReport is the cold phase: Clients read an uncached object at once
// through each server, in fresh servers each round.
type ColdReport struct {
	ObjectSize int64 `json:"object_size"`
	ChunkSize  int64 `json:"chunk_size"`
	Clients    int   `json:"clients"`
	// ChunksTouched is how many chunks (slices) a whole read touches.
	ChunksTouched int64 `json:"chunks_touched"`
	// Servers are the contenders, in report order.
	Servers []string    `json:"servers"`
	Rounds  []ColdRound `json:"rounds"`
	// Summary holds, per server, the medians over the rounds.
	Summary []ColdSummary `json:"summary"`
	// StrataGETsMatch is the target: in every round, Strata's object GETs
	// at the gateway equalled ChunksTouched and every client got the right
	// bytes.
	StrataGETsMatch bool `json:"strata_gets_match"`
	// MetricsAgree says that in every round Strata's own metrics counted the
	// same GETs and bytes as the gateway side.
	MetricsAgree bool `json:"metrics_agree"`
}

// ColdRound is one measurement of every server.
type ColdRound struct {
	Round int `json:"round"`
	// Order is the order the servers were measured in.
	Order   []string     `json:"order"`
	Results []ColdResult `json:"results"` // in ColdReport.Servers order
}

// ColdResult is one server's cold read.
type ColdResult struct {
	Server string `json:"server"`
	// TTLB and TTFB are time to last and first byte over the clients that
	// got the whole object right, from the moment all were released.
	TTLBMedian time.Duration `json:"ttlb_median_ns"`
	TTLBMax    time.Duration `json:"ttlb_max_ns"`
	TTFBMedian time.Duration `json:"ttfb_median_ns"`
	// Failed counts clients that got an error or wrong bytes; FirstError
	// is one of their errors.
	Failed     int    `json:"failed"`
	FirstError string `json:"first_error,omitempty"`
	// Store is what the server asked the gateway for while its clients read.
	Store StoreTraffic `json:"store"`
	// Strata is what Strata's /metrics said afterwards (Strata only).
	Strata *StrataMetrics `json:"strata_metrics,omitempty"`
}

// ColdSummary is one server's medians over the rounds.
type ColdSummary struct {
	Server     string        `json:"server"`
	TTLBMedian time.Duration `json:"ttlb_median_ns"`
	TTLBMax    time.Duration `json:"ttlb_max_ns"`
	// GETs and Bytes are medians of the rounds' object GETs and GET bytes
	// at the gateway; MinGETs and MaxGETs their range.
	GETs    float64 `json:"gets"`
	MinGETs int64   `json:"min_gets"`
	MaxGETs int64   `json:"max_gets"`
	Bytes   float64 `json:"bytes"`
	HEADs   float64 `json:"heads"`
	Failed  int     `json:"failed"`
}

// coldServers lists the contenders for cfg.
func coldServers(cfg Config) []string {
	s := []string{ServerStrata, ServerNginx}
	if cfg.NginxCacheLock {
		s = append(s, ServerNginxLock)
	}
	return s
}

// coldOrder rotates the servers by round, so each goes first as often as
// the others over len(servers) rounds.
func coldOrder(servers []string, round int) []string {
	k := round % len(servers)
	return append(slices.Clone(servers[k:]), servers[:k]...)
}

// runCold measures the cold phase. The object is already in the bucket.
func runCold(ctx context.Context, cfg Config, dir string, gw *gateway, object, warm []byte, progress io.Writer) (*ColdReport, error) {
	rep := &ColdReport{
		ObjectSize: int64(len(object)), ChunkSize: cfg.ChunkSize, Clients: cfg.Clients,
		ChunksTouched: (int64(len(object)) + cfg.ChunkSize - 1) / cfg.ChunkSize,
		Servers:       coldServers(cfg),
	}
	for i := range cfg.ColdRounds {
		round := ColdRound{Round: i + 1, Order: coldOrder(rep.Servers, i)}
		byName := map[string]ColdResult{}
		for _, name := range round.Order {
			res, err := coldOnce(ctx, cfg, filepath.Join(dir, fmt.Sprintf("r%d", i+1), name), name, gw, object, warm)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(progress, "tier: cold round %d/%d %-10s ttlb median %-9s max %-9s store GETs %4d (%s) HEADs %d failed %d\n",
				i+1, cfg.ColdRounds, name, origin.FormatLatency(res.TTLBMedian), origin.FormatLatency(res.TTLBMax),
				res.Store.ObjectGETs, formatBytes(res.Store.GETBytes), res.Store.ObjectHEADs, res.Failed)
			byName[name] = res
		}
		for _, name := range rep.Servers {
			round.Results = append(round.Results, byName[name])
		}
		rep.Rounds = append(rep.Rounds, round)
	}
	rep.summarize()
	return rep, nil
}

// coldOnce starts a fresh counting proxy and a fresh server with an empty
// cache, lets the clients read, and collects the counts.
func coldOnce(ctx context.Context, cfg Config, dir, name string, gw *gateway, object, warm []byte) (res ColdResult, err error) {
	counter, err := startStoreCounter(gw.endpoint)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, counter.Close()) }()
	var p *origin.Process
	switch name {
	case ServerStrata:
		p, err = startStrata(ctx, strataSpec{
			bin: cfg.StrataBin, extra: cfg.StrataArgs, dir: dir, storeURL: counter.URL(),
			cacheBytes: cfg.HotCacheBytes, chunkSize: cfg.ChunkSize, env: gw.strataEnv(),
		})
	default:
		p, err = startProxyNginx(ctx, cfg.NginxBin, dir, counter.Addr(), cfg.ChunkSize, name == ServerNginxLock)
		if p != nil {
			p.SetName(name)
		}
	}
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, p.Stop()) }()

	// One read of another object first, so that one-time costs of a fresh
	// process (the S3 client's first request, nginx's first upstream
	// connection) are not counted as the cold path's; the cache stays
	// empty for the object measured.
	if _, err := checkWhole(ctx, p.BaseURL()+"/assets/"+warmKey, warm); err != nil {
		return res, fmt.Errorf("%w (%s)", err, name)
	}
	if err := counter.WaitIdle(ctx); err != nil {
		return res, fmt.Errorf("%w (%s)", err, name)
	}
	// Readiness probes and the warming read went through the proxy; count
	// from here.
	before := counter.Snapshot()
	var metricsBefore StrataMetrics
	if name == ServerStrata {
		if metricsBefore, err = scrapeStrata(ctx, p.BaseURL()); err != nil {
			return res, err
		}
	}
	results := readConcurrently(ctx, p.BaseURL()+"/assets/"+coldKey, object, cfg.Clients)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err := counter.WaitIdle(ctx); err != nil {
		return res, fmt.Errorf("%w (%s)", err, name)
	}
	res = summarizeClients(name, results)
	res.Store = counter.Snapshot().Sub(before)
	if name == ServerStrata {
		m, err := scrapeStrata(ctx, p.BaseURL())
		if err != nil {
			return res, err
		}
		m = m.Sub(metricsBefore)
		res.Strata = &m
	}
	return res, nil
}

// summarizeClients turns the clients' results into a ColdResult.
func summarizeClients(name string, results []clientResult) ColdResult {
	res := ColdResult{Server: name}
	var ttlb, ttfb []time.Duration
	for _, r := range results {
		if r.err != nil {
			if res.Failed == 0 {
				res.FirstError = r.err.Error()
			}
			res.Failed++
			continue
		}
		ttlb = append(ttlb, r.ttlb)
		ttfb = append(ttfb, r.ttfb)
	}
	res.TTLBMedian, res.TTFBMedian = origin.Median(ttlb), origin.Median(ttfb)
	if len(ttlb) > 0 {
		res.TTLBMax = slices.Max(ttlb)
	}
	return res
}

// metricsAgree cross-checks Strata's own counts with the gateway side's: a
// GET the proxy saw is one the tier sent, and the bytes match.
func (r ColdResult) metricsAgree() bool {
	m := r.Strata
	return m != nil && m.StoreGets == r.Store.ObjectGETs && m.StoreGetOps == r.Store.ObjectGETs &&
		m.FetchedBytes == r.Store.GETBytes && m.StoreStatOps == r.Store.ObjectHEADs
}

// summarize fills the per-server medians and the verdicts from the rounds.
func (c *ColdReport) summarize() {
	c.Summary = nil
	c.StrataGETsMatch, c.MetricsAgree = len(c.Rounds) > 0, len(c.Rounds) > 0
	for _, name := range c.Servers {
		s := ColdSummary{Server: name, MinGETs: -1}
		var ttlbMed, ttlbMax []time.Duration
		var gets, bytes, heads []float64
		for _, rd := range c.Rounds {
			for _, r := range rd.Results {
				if r.Server != name {
					continue
				}
				ttlbMed = append(ttlbMed, r.TTLBMedian)
				ttlbMax = append(ttlbMax, r.TTLBMax)
				gets = append(gets, float64(r.Store.ObjectGETs))
				bytes = append(bytes, float64(r.Store.GETBytes))
				heads = append(heads, float64(r.Store.ObjectHEADs))
				if s.MinGETs < 0 || r.Store.ObjectGETs < s.MinGETs {
					s.MinGETs = r.Store.ObjectGETs
				}
				s.MaxGETs = max(s.MaxGETs, r.Store.ObjectGETs)
				s.Failed += r.Failed
				if name == ServerStrata {
					if r.Store.ObjectGETs != c.ChunksTouched || r.Failed > 0 {
						c.StrataGETsMatch = false
					}
					if !r.metricsAgree() {
						c.MetricsAgree = false
					}
				}
			}
		}
		s.MinGETs = max(s.MinGETs, 0)
		s.TTLBMedian, s.TTLBMax = origin.Median(ttlbMed), origin.Median(ttlbMax)
		s.GETs, s.Bytes, s.HEADs = origin.Median(gets), origin.Median(bytes), origin.Median(heads)
		c.Summary = append(c.Summary, s)
	}
}
