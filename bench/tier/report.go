package tier

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/strata3d/strata/bench/origin"
)

// Report is the outcome of one Run. A phase that was not selected is nil.
type Report struct {
	Started     time.Time   `json:"started"`
	Settings    Settings    `json:"settings"`
	Environment Environment `json:"environment"`
	Cold        *ColdReport `json:"cold,omitempty"`
	Hot         *HotReport  `json:"hot,omitempty"`
	RSS         *RSSReport  `json:"rss,omitempty"`
	// Notes say how the servers were set up, so a reader can judge fairness.
	Notes []string `json:"notes"`
}

// Settings are the parameters of a Run.
type Settings struct {
	Phases         []string      `json:"phases"`
	ColdObjectSize int64         `json:"cold_object_size"`
	ChunkSize      int64         `json:"chunk_size"`
	Clients        int           `json:"clients"`
	ColdRounds     int           `json:"cold_rounds"`
	HotObjectSize  int64         `json:"hot_object_size"`
	HotCacheBytes  int64         `json:"hot_cache_bytes"`
	Duration       time.Duration `json:"duration_ns"`
	Warmup         time.Duration `json:"warmup_ns"`
	HotRounds      int           `json:"hot_rounds"`
	Connections    int           `json:"connections"`
	Threads        int           `json:"threads"`
	RSSCacheBytes  int64         `json:"rss_cache_bytes"`
	RSSSlack       int64         `json:"rss_slack"`
	RSSDuration    time.Duration `json:"rss_duration_ns"`
	RSSIdle        time.Duration `json:"rss_idle_ns"`
	StrataArgs     []string      `json:"strata_args,omitempty"`
}

func settingsOf(c Config) Settings {
	return Settings{
		Phases: c.Phases, ColdObjectSize: c.ColdObjectSize, ChunkSize: c.ChunkSize, Clients: c.Clients,
		ColdRounds: c.ColdRounds, HotObjectSize: c.HotObjectSize, HotCacheBytes: c.HotCacheBytes,
		Duration: c.Duration, Warmup: c.Warmup, HotRounds: c.HotRounds, Connections: c.Connections,
		Threads: c.Threads, RSSCacheBytes: c.RSSCacheBytes, RSSSlack: c.RSSSlack,
		RSSDuration: c.RSSDuration, RSSIdle: c.RSSIdle, StrataArgs: c.StrataArgs,
	}
}

// Environment is bench/origin's record of the machine and tools, plus the
// S3 gateway's version.
type Environment struct {
	origin.Environment
	VersitygwVersion string `json:"versitygw_version,omitempty"`
}

// JSON returns the whole report, indented; durations are in nanoseconds.
func (r *Report) JSON() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}

// Markdown returns one section per phase (summary table, verdict, round by
// round details), then the environment and the notes.
func (r *Report) Markdown() string {
	var b strings.Builder
	if r.Cold != nil {
		r.Cold.markdown(&b)
	}
	if r.Hot != nil {
		r.Hot.markdown(&b)
	}
	if r.RSS != nil {
		r.RSS.markdown(&b)
	}
	e, st := r.Environment, r.Settings
	fmt.Fprintf(&b, "Measured %s on %d CPUs (%s), Linux %s, %s; %s; %s; %s; versitygw %s; commit %s.\n",
		r.Started.UTC().Format("2006-01-02 15:04 MST"), e.NumCPU, orUnknown(e.CPU), e.Kernel, e.GoVersion,
		orUnknown(e.StrataVersion), e.NginxVersion, orUnknown(e.WrkVersion), orUnknown(e.VersitygwVersion), e.GitCommit)
	if len(st.StrataArgs) > 0 {
		fmt.Fprintf(&b, "Extra flags for every `strata serve`: `%s`.\n", strings.Join(st.StrataArgs, " "))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

func (c *ColdReport) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "### Cold path: %s read an uncached %s GLB at once (%s chunks / slices), %s\n\n",
		plural(c.Clients, "client"), formatBytes(c.ObjectSize), formatBytes(c.ChunkSize), plural(len(c.Rounds), "round"))
	b.WriteString("| server | TTLB median | TTLB max | store GETs | bytes from store | store HEADs | failed clients |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, s := range c.Summary {
		gets := strconv.FormatFloat(s.GETs, 'f', -1, 64)
		if s.MinGETs != s.MaxGETs {
			gets += fmt.Sprintf(" (%d–%d)", s.MinGETs, s.MaxGETs)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %d |\n", coldLabel(s.Server),
			origin.FormatLatency(s.TTLBMedian), origin.FormatLatency(s.TTLBMax), gets,
			formatBytes(int64(s.Bytes)), strconv.FormatFloat(s.HEADs, 'f', -1, 64), s.Failed)
	}
	b.WriteString("\nMedians over the rounds (GET range in parentheses); TTLB max is the slowest client of a round. Store requests are counted at the gateway side by the same proxy for every server.\n")
	var perRound []string
	for _, rd := range c.Rounds {
		for _, r := range rd.Results {
			if r.Server == ServerStrata {
				perRound = append(perRound, strconv.FormatInt(r.Store.ObjectGETs, 10))
			}
		}
	}
	fmt.Fprintf(b, "- Target, Strata's store GETs = chunks touched (%d) in every round with every client's bytes right: %s (per round: %s).\n",
		c.ChunksTouched, verdict(c.StrataGETsMatch), strings.Join(perRound, ", "))
	agree := "yes"
	if !c.MetricsAgree {
		agree = "**no**"
	}
	fmt.Fprintf(b, "- Strata's own metrics (strata_cache_store_gets_total, strata_store_operation_seconds_count{op=\"get\"|\"stat\"}, strata_cache_store_fetched_bytes_total) agree with the gateway-side counts: %s.\n", agree)

	b.WriteString("\nRound by round:\n\n")
	b.WriteString("| round | server | went | TTLB median | TTLB max | TTFB median | store GETs | bytes from store | HEADs | failed | Strata metrics: GETs / fetched / collapsed waits |\n")
	b.WriteString("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, rd := range c.Rounds {
		for _, r := range rd.Results {
			pos := 0
			for i, n := range rd.Order {
				if n == r.Server {
					pos = i + 1
				}
			}
			m := "–"
			if r.Strata != nil {
				m = fmt.Sprintf("%d / %s / %d", r.Strata.StoreGets, formatBytes(r.Strata.FetchedBytes), r.Strata.ChunkCollapsed)
			}
			fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %d | %s | %d | %d | %s |\n", rd.Round, r.Server, ordinal(pos),
				origin.FormatLatency(r.TTLBMedian), origin.FormatLatency(r.TTLBMax), origin.FormatLatency(r.TTFBMedian),
				r.Store.ObjectGETs, formatBytes(r.Store.GETBytes), r.Store.ObjectHEADs, r.Failed, m)
		}
	}
	for _, rd := range c.Rounds {
		for _, r := range rd.Results {
			if r.FirstError != "" {
				fmt.Fprintf(b, "- round %d, %s: %s failed, e.g. %s\n", rd.Round, r.Server, plural(r.Failed, "client"), r.FirstError)
			}
		}
	}
	b.WriteString("\n")
}

func coldLabel(server string) string {
	switch server {
	case ServerNginx:
		return "nginx proxy_cache + slice"
	case ServerNginxLock:
		return "nginx proxy_cache + slice + proxy_cache_lock"
	default:
		return server
	}
}

func (h *HotReport) markdown(b *strings.Builder) {
	s := h.Scenario
	fmt.Fprintf(b, "### Hot ranges: random 64 KiB ranges of a %s object, Strata from its cache (--cache-bytes %s) vs nginx from disk, %s\n\n",
		formatBytes(h.ObjectSize), formatBytes(h.CacheBytes), plural(len(s.Rounds), "round"))
	b.WriteString("| scenario | Strata req/s | nginx req/s | ratio | Strata p99 | nginx p99 |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", s.Name, origin.FormatRPS(s.StrataRPS), origin.FormatRPS(s.NginxRPS),
		origin.FormatRatioRange(s), origin.FormatLatency(s.StrataP99), origin.FormatLatency(s.NginxP99))
	b.WriteString("\nreq/s and p99 are medians over the rounds; ratio is the median of the per-round Strata/nginx ratios (range in parentheses).\n")
	fmt.Fprintf(b, "- Target, Strata's req/s ≥ 1.00× nginx's with no errors: %s (ratio %.2f×, p99 ratio %.2f, %d Strata errors).\n",
		verdict(h.MeetsTarget), s.Ratio, s.P99Ratio, s.StrataErrors)
	fmt.Fprintf(b, "- Strata's store traffic during warm-up and rounds: %d object GETs (%s), %d HEADs (metadata revalidations); its one warming read of the object took %s.\n",
		h.StoreDuringRounds.ObjectGETs, formatBytes(h.StoreDuringRounds.GETBytes), h.StoreDuringRounds.ObjectHEADs, origin.FormatLatency(h.WarmRead))
	fmt.Fprintf(b, "- %s.\n", s.Description)
	b.WriteString("\nPair by pair (latencies p50 / p90 / p99 / p99.9):\n\n")
	b.WriteString("| round | first | Strata req/s | nginx req/s | ratio | Strata latency | nginx latency | errors Strata / nginx |\n")
	b.WriteString("| ---: | --- | ---: | ---: | ---: | --- | --- | ---: |\n")
	for _, rd := range s.Rounds {
		fmt.Fprintf(b, "| %d | %s | %s | %s | %.2f× | %s | %s | %d / %d |\n",
			rd.Round, rd.First, origin.FormatRPS(rd.Strata.RequestsPerSec), origin.FormatRPS(rd.Nginx.RequestsPerSec), rd.Ratio,
			origin.FormatPercentiles(rd.Strata.Latency), origin.FormatPercentiles(rd.Nginx.Latency), rd.Strata.Errors, rd.Nginx.Errors)
	}
	b.WriteString("\n")
}

func (r *RSSReport) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "### RSS: Strata with --cache-bytes %s reads a %s object fully, then random ranges for %v\n\n",
		formatBytes(r.CacheBytes), formatBytes(r.ObjectSize), r.Ranges.Elapsed.Round(time.Second))
	b.WriteString("| measured | VmRSS | VmHWM (peak) | limit (budget + slack) |\n")
	b.WriteString("| --- | ---: | ---: | ---: |\n")
	fmt.Fprintf(b, "| right after the load | %s | %s | %s |\n", formatBytes(r.AfterLoad.RSS), formatBytes(r.AfterLoad.HWM), formatBytes(r.Limit))
	fmt.Fprintf(b, "| after %v idle | %s | %s | %s |\n", r.Idle, formatBytes(r.Settled.RSS), formatBytes(r.Settled.HWM), formatBytes(r.Limit))
	fmt.Fprintf(b, "\n- Target, settled VmRSS ≤ --cache-bytes + %s = %s: %s; peak (VmHWM) within it: %s.\n",
		formatBytes(r.Slack), formatBytes(r.Limit), verdict(r.MeetsTarget), yesNo(r.PeakWithinLimit))
	m := r.Strata
	fmt.Fprintf(b, "- Over the phase Strata fetched %s from S3 in %d GETs (the budget is %s); afterwards the cache held %s after %d evictions; Go heap in use %s, released to the OS %s.\n",
		formatBytes(r.Store.GETBytes), r.Store.ObjectGETs, formatBytes(r.CacheBytes), formatBytes(m.CacheBytes), m.Evictions,
		formatBytes(m.HeapInuse), formatBytes(m.HeapReleased))
	fmt.Fprintf(b, "- Load: one full read in %s, then wrk ranges at %s req/s (p99 %s, %d errors).\n\n",
		origin.FormatLatency(r.FullRead), origin.FormatRPS(r.Ranges.RequestsPerSec), origin.FormatLatency(r.Ranges.Latency.P99), r.Ranges.Errors)
}

func verdict(ok bool) string {
	if ok {
		return "**pass**"
	}
	return "**FAIL**"
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	default:
		return strconv.Itoa(n) + "th"
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// formatBytes prints a byte count in binary units with up to two decimals:
// 16 MiB, 1.5 MiB, 200 MiB, 4 KiB, 17 B.
func formatBytes(n int64) string {
	units := []struct {
		suffix string
		size   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}
	neg := ""
	if n < 0 {
		neg, n = "-", -n
	}
	for _, u := range units {
		if n >= u.size {
			v := strconv.FormatFloat(float64(n)/float64(u.size), 'f', 2, 64)
			v = strings.TrimRight(strings.TrimRight(v, "0"), ".")
			return neg + v + " " + u.suffix
		}
	}
	return neg + strconv.FormatInt(n, 10) + " B"
}
