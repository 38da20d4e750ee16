package main

import (
	"context"
	"fmt"
	"io"

	"github.com/strata3d/strata/bench/origin"
)

const benchUsage = `usage: strata bench <suite> [flags]

Suites:
  origin   Strata vs nginx on the same files with wrk (hot GETs, ranges in a large GLB)
`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage)
		return fmt.Errorf("%w: missing suite", errUsage)
	}
	switch args[0] {
	case "origin":
		return origin.Command(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, benchUsage)
		return fmt.Errorf("%w: unknown suite %q", errUsage, args[0])
	}
}
