// Command strata is Strata's single binary: the origin server and its tools.
//
//	strata serve   run the origin (the embedded default needs no other server)
//	strata bake    bake levels of detail for a model
//	strata bench   load-test Strata against peers
//	strata migrate create the storefront's tables and apply its migrations
//	strata version print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

const usage = `usage: strata <command> [flags]

Commands:
  serve     run the origin server (strata serve --help lists its flags)
  bake      bake levels of detail: strata bake IN.glb -o DIR (strata bake --help)
  bench     benchmarks against peers (strata bench origin --help)
  migrate   create the storefront's tables and apply its migrations (strata migrate --help)
  version   print the version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "bake":
		err = runBake(ctx, args[1:], stdout, stderr)
	case "bench":
		err = runBench(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = runMigrate(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "strata", version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "strata: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "strata %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "strata %s: %v\n", args[0], err)
		return 1
	}
}

// errUsage marks errors in how a command was called (exit code 2).
var errUsage = errors.New("usage error")

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
		if bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "dev"
}
