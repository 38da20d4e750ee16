package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/strata3d/strata/bench/load"
)

// Markdown writes f's summary as a Markdown table: one row per scenario
// and target, then the ratios, ready for a README or a pull request.
func Markdown(w io.Writer, f *File) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## strata bench: %s, %s, commit %s\n\n", f.Suite, f.Started.UTC().Format("2006-01-02 15:04 UTC"), f.Environment.GitCommit)
	fmt.Fprintf(&b, "%d × %s; %d round(s) per scenario; latency corrected for coordinated omission.\n\n", f.Environment.NumCPU, f.Environment.CPU, f.Settings.Rounds)
	b.WriteString("| scenario | target | req/s | p50 | p90 | p99 | p99.9 | max | errors |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, s := range f.Scenarios {
		if s.Skipped != "" {
			fmt.Fprintf(&b, "| %s | — | skipped: %s | | | | | | |\n", s.Spec.Name, s.Skipped)
			continue
		}
		for _, sum := range s.Summary {
			l := sum.Latency
			fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s | %s | %s | %s | %d |\n", s.Spec.Name, sum.Target, sum.RequestsPerSec,
				load.FormatMillis(l.P50), load.FormatMillis(l.P90), load.FormatMillis(l.P99), load.FormatMillis(l.P999), load.FormatMillis(l.Max), sum.Errors)
		}
	}
	var ratios strings.Builder
	for _, s := range f.Scenarios {
		for _, r := range s.Ratios {
			lo, hi := ratioRange(r)
			fmt.Fprintf(&ratios, "| %s | %s | %.2f× (%.2f–%.2f) | %.2f× | %.2f× | %.2f× |\n", s.Spec.Name, r.Peer, r.Throughput, lo, hi, r.P50, r.P99, r.P999)
		}
	}
	if ratios.Len() > 0 {
		b.WriteString("\nStrata / peer, median of the per-round ratios (throughput above 1× and latency below 1× favour Strata):\n\n")
		b.WriteString("| scenario | peer | throughput (range) | p50 | p99 | p99.9 |\n| --- | --- | ---: | ---: | ---: | ---: |\n")
		b.WriteString(ratios.String())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ratioRange(r Ratio) (lo, hi float64) {
	for i, rr := range r.Rounds {
		if i == 0 || rr.Throughput < lo {
			lo = rr.Throughput
		}
		if i == 0 || rr.Throughput > hi {
			hi = rr.Throughput
		}
	}
	return lo, hi
}
