package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/strata3d/strata/bench/origin"
	"github.com/strata3d/strata/bench/report"
	"github.com/strata3d/strata/bench/suite"
	"github.com/strata3d/strata/bench/tier"
)

const benchUsage = `usage: strata bench <suite> [flags]

Suites:
  run      the standard suite (or --scenarios FILE) with strata's own load generator:
           open/closed loop, HDR latency, --vs nginx, JSON + HTML reports (docs/bench.md)
  compare  strata bench compare OLD.json NEW.json: differences, exit 1 on a regression
  origin   Strata vs nginx on the same files with wrk (hot GETs, ranges in a large GLB)
  tier     Strata's cache tier over S3 vs nginx proxy_cache + slice (cold reads, store GETs),
           hot ranges vs nginx from disk, and RSS against --cache-bytes
`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage)
		return fmt.Errorf("%w: missing suite", errUsage)
	}
	switch args[0] {
	case "run":
		return suite.Command(ctx, args[1:], stdout, stderr)
	case "compare":
		return report.CompareCommand(args[1:], os.LookupEnv, stdout, stderr)
	case "origin":
		return origin.Command(ctx, args[1:], stdout, stderr)
	case "tier":
		return tier.Command(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, benchUsage)
		return fmt.Errorf("%w: unknown suite %q", errUsage, args[0])
	}
}
