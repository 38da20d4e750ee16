package tier

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/bench/origin"
)

// coldResult builds a ColdResult whose Strata metrics agree with its
// gateway counts unless told otherwise.
func coldResult(server string, gets int64, failed int) ColdResult {
	r := ColdResult{
		Server: server, TTLBMedian: 300 * time.Millisecond, TTLBMax: 400 * time.Millisecond, TTFBMedian: 20 * time.Millisecond,
		Failed: failed, Store: StoreTraffic{ObjectGETs: gets, GETBytes: gets << 20},
	}
	if failed > 0 {
		r.FirstError = "status 502 Bad Gateway, want 200"
	}
	if server == ServerStrata {
		r.Store.ObjectHEADs = 1
		r.Strata = &StrataMetrics{StoreGets: gets, StoreGetOps: gets, FetchedBytes: gets << 20, StoreStatOps: 1, ChunkCollapsed: 30}
	}
	return r
}

func TestColdSummarize(t *testing.T) {
	tests := []struct {
		name        string
		strata      []ColdResult // one per round
		wantMatch   bool
		wantAgree   bool
		wantMinMax  [2]int64
		wantMedGETs float64
	}{
		{name: "every round fetches each chunk once",
			strata:    []ColdResult{coldResult(ServerStrata, 16, 0), coldResult(ServerStrata, 16, 0), coldResult(ServerStrata, 16, 0)},
			wantMatch: true, wantAgree: true, wantMinMax: [2]int64{16, 16}, wantMedGETs: 16},
		{name: "one round fetches a chunk twice",
			strata:    []ColdResult{coldResult(ServerStrata, 16, 0), coldResult(ServerStrata, 17, 0), coldResult(ServerStrata, 16, 0)},
			wantMatch: false, wantAgree: true, wantMinMax: [2]int64{16, 17}, wantMedGETs: 16},
		{name: "fewer GETs than chunks because clients failed",
			strata:    []ColdResult{coldResult(ServerStrata, 16, 0), coldResult(ServerStrata, 16, 2)},
			wantMatch: false, wantAgree: true, wantMinMax: [2]int64{16, 16}, wantMedGETs: 16},
		{name: "metrics disagree with the gateway",
			strata: func() []ColdResult {
				r := coldResult(ServerStrata, 16, 0)
				r.Strata.FetchedBytes--
				return []ColdResult{r}
			}(),
			wantMatch: true, wantAgree: false, wantMinMax: [2]int64{16, 16}, wantMedGETs: 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &ColdReport{ChunksTouched: 16, Servers: []string{ServerStrata, ServerNginx}}
			for i, s := range tt.strata {
				c.Rounds = append(c.Rounds, ColdRound{
					Round: i + 1, Order: coldOrder(c.Servers, i),
					Results: []ColdResult{s, coldResult(ServerNginx, 200+int64(i), 0)},
				})
			}
			c.summarize()
			if c.StrataGETsMatch != tt.wantMatch || c.MetricsAgree != tt.wantAgree {
				t.Errorf("StrataGETsMatch, MetricsAgree = %v, %v; want %v, %v", c.StrataGETsMatch, c.MetricsAgree, tt.wantMatch, tt.wantAgree)
			}
			s := c.Summary[0]
			if s.Server != ServerStrata || s.MinGETs != tt.wantMinMax[0] || s.MaxGETs != tt.wantMinMax[1] || s.GETs != tt.wantMedGETs {
				t.Errorf("Strata summary %+v, want GETs %v in %v", s, tt.wantMedGETs, tt.wantMinMax)
			}
			if n := c.Summary[1]; n.Server != ServerNginx || n.MinGETs != 200 {
				t.Errorf("nginx summary %+v", n)
			}
		})
	}
}

func TestColdSummarizeWithoutRoundsFails(t *testing.T) {
	c := &ColdReport{ChunksTouched: 16, Servers: []string{ServerStrata}}
	c.summarize()
	if c.StrataGETsMatch || c.MetricsAgree {
		t.Errorf("no rounds must not pass: %+v", c)
	}
}

func sampleReport() *Report {
	cold := &ColdReport{ObjectSize: 16 << 20, ChunkSize: 1 << 20, Clients: 32, ChunksTouched: 16,
		Servers: []string{ServerStrata, ServerNginx, ServerNginxLock}}
	for i := range 2 {
		cold.Rounds = append(cold.Rounds, ColdRound{Round: i + 1, Order: coldOrder(cold.Servers, i), Results: []ColdResult{
			coldResult(ServerStrata, 16, 0), coldResult(ServerNginx, 280, 0), coldResult(ServerNginxLock, 16, 1),
		}})
	}
	cold.summarize()
	wrk := func(rps float64) origin.WrkResult {
		return origin.WrkResult{RequestsPerSec: rps, Requests: int64(rps) * 10, Latency: origin.Latency{P50: time.Millisecond, P90: 2 * time.Millisecond, P99: 4 * time.Millisecond, P999: 9 * time.Millisecond}}
	}
	hot := &HotReport{ObjectSize: 200 << 20, CacheBytes: 512 << 20, WarmRead: 2 * time.Second,
		Scenario: origin.ScenarioReport{Name: "range-64k-in-hot", Description: "random ranges", URLPath: "/assets/big/hot.glb",
			Rounds: []origin.Round{{Round: 1, First: "strata", Strata: wrk(9000), Nginx: wrk(10000)}}}}
	hot.Scenario.Summarize()
	hot.MeetsTarget = hot.Scenario.Ratio >= 1
	rss := &RSSReport{CacheBytes: 128 << 20, Slack: 64 << 20, Limit: 192 << 20, ObjectSize: 200 << 20, Idle: 2 * time.Second,
		AfterLoad: MemStatus{RSS: 250 << 20, HWM: 260 << 20}, Settled: MemStatus{RSS: 180 << 20, HWM: 260 << 20},
		Store: StoreTraffic{ObjectGETs: 900, GETBytes: 900 << 20}, Ranges: wrk(3000)}
	rss.Ranges.Elapsed = 10 * time.Second
	rss.MeetsTarget, rss.PeakWithinLimit = true, false
	return &Report{
		Started: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC), Settings: settingsOf(DefaultConfig()),
		Environment: Environment{Environment: origin.Environment{NumCPU: 2, Kernel: "6.1", GoVersion: "go1.26", NginxVersion: "nginx/1.22.1", GitCommit: "abc"}, VersitygwVersion: "v1.8.0"},
		Cold:        cold, Hot: hot, RSS: rss, Notes: []string{"a note"},
	}
}

func TestReportMarkdown(t *testing.T) {
	md := sampleReport().Markdown()
	for _, want := range []string{
		"### Cold path: 32 clients read an uncached 16 MiB GLB at once (1 MiB chunks / slices), 2 rounds",
		"| strata | 300.00 ms | 400.00 ms | 16 | 16 MiB | 1 | 0 |",
		"| nginx proxy_cache + slice | 300.00 ms | 400.00 ms | 280 | 280 MiB | 0 | 0 |",
		"| nginx proxy_cache + slice + proxy_cache_lock |",
		"chunks touched (16) in every round with every client's bytes right: **pass** (per round: 16, 16)",
		"agree with the gateway-side counts: yes",
		"| 2 | strata | 3rd |",
		"| 1 | strata | 1st | 300.00 ms | 400.00 ms | 20.00 ms | 16 | 16 MiB | 1 | 0 | 16 / 16 MiB / 30 |",
		"- round 1, nginx-lock: 1 client failed, e.g. status 502",
		"### Hot ranges: random 64 KiB ranges of a 200 MiB object",
		"| range-64k-in-hot | 9,000 | 10,000 | 0.90× | 4.00 ms | 4.00 ms |",
		"Strata's req/s ≥ 1.00× nginx's with no errors: **FAIL**",
		"### RSS: Strata with --cache-bytes 128 MiB reads a 200 MiB object fully, then random ranges for 10s",
		"| right after the load | 250 MiB | 260 MiB | 192 MiB |",
		"| after 2s idle | 180 MiB | 260 MiB | 192 MiB |",
		"settled VmRSS ≤ --cache-bytes + 64 MiB = 192 MiB: **pass**; peak (VmHWM) within it: no",
		"fetched 900 MiB from S3 in 900 GETs",
		"versitygw v1.8.0; commit abc",
		"- a note",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestReportPhasesOmitted(t *testing.T) {
	r := sampleReport()
	r.Hot, r.RSS = nil, nil
	md := r.Markdown()
	if strings.Contains(md, "Hot ranges") || strings.Contains(md, "### RSS") {
		t.Errorf("Markdown shows phases that did not run:\n%s", md)
	}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"hot": {`) || strings.Contains(string(b), `"rss": {`) {
		t.Errorf("JSON shows phases that did not run:\n%s", b)
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Cold.Rounds[1].Results[0].Strata.ChunkCollapsed != 30 || back.RSS.Settled != r.RSS.Settled ||
		back.Hot.Scenario.Ratio != r.Hot.Scenario.Ratio || back.Environment.VersitygwVersion != "v1.8.0" ||
		back.Environment.NginxVersion != "nginx/1.22.1" {
		t.Errorf("JSON round trip lost data:\n%s", b)
	}
}
