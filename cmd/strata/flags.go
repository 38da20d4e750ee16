package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// commandFlags is a flag set whose every flag can also come from a STRATA_*
// environment variable; the command line wins over the environment.
type commandFlags struct {
	*flag.FlagSet
	synopsis string
}

func newCommandFlags(name, synopsis string, stderr io.Writer) *commandFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &commandFlags{FlagSet: fs, synopsis: synopsis}
	fs.Usage = c.usage
	return c
}

// envName maps a flag name to its environment variable: --cache-bytes is
// STRATA_CACHE_BYTES.
func envName(flagName string) string {
	return "STRATA_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse parses args, then fills every flag not given on the command line from
// its environment variable. Errors name the variable that held a bad value.
func (c *commandFlags) parse(args []string, lookupEnv func(string) (string, bool)) error {
	if err := c.Parse(args); err != nil {
		return err
	}
	if c.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags are --name=value)", c.Arg(0))
	}
	set := map[string]bool{}
	c.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	c.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		if v, ok := lookupEnv(envName(f.Name)); ok {
			if err := c.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", envName(f.Name), v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// parseValid parses args from the command line and the environment, then
// validates the result; errors other than a help request are usage errors,
// every problem on one line.
func (c *commandFlags) parseValid(args []string, validate func() error) error {
	if err := c.parse(args, osLookupEnv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return nil
}

func (c *commandFlags) usage() {
	w := c.Output()
	fmt.Fprintf(w, "%s\n\nFlags (each also settable as the environment variable shown):\n", c.synopsis)
	var names []string
	c.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, n := range names {
		f := c.Lookup(n)
		typ, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s", n)
		if typ != "" {
			fmt.Fprintf(w, " %s", typ)
		}
		fmt.Fprintf(w, "\n    \t%s", strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "[]" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, " [$%s]\n", envName(n))
	}
}

// byteSize is a flag holding a byte count written as 1048576, 512KiB, 64MiB, 2GiB, 1GB.
type byteSize struct{ p *int64 }

func (b byteSize) String() string {
	if b.p == nil {
		return ""
	}
	return formatBytes(*b.p)
}

func (b byteSize) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*b.p = n
	return nil
}

func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("not a byte size: want a non-negative integer with an optional unit (KiB, MiB, GiB, KB, MB, GB)")
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("byte size too large")
	}
	return n * mult, nil
}

func formatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// autoBytes is a byteSize whose default is computed (e.g. from the machine's
// memory); it shows and accepts "auto" for that default.
type autoBytes struct {
	byteSize
	auto int64
}

func (a autoBytes) String() string {
	if a.p == nil || *a.p == a.auto {
		return "auto"
	}
	return a.byteSize.String()
}

func (a autoBytes) Set(s string) error {
	if strings.TrimSpace(s) == "auto" {
		*a.p = a.auto
		return nil
	}
	return a.byteSize.Set(s)
}

// listFlag is a comma-separated list of strings.
type listFlag struct{ p *[]string }

func (l listFlag) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l listFlag) Set(s string) error {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	*l.p = out
	return nil
}

// durationFlag registers a time.Duration flag.
func (c *commandFlags) duration(p *time.Duration, name, usage string) {
	c.DurationVar(p, name, *p, usage)
}

func (c *commandFlags) bytes(p *int64, name, usage string) {
	c.Var(byteSize{p}, name, usage)
}

func (c *commandFlags) autoBytes(p *int64, name, usage string) {
	c.Var(autoBytes{byteSize{p}, *p}, name, usage)
}

func (c *commandFlags) list(p *[]string, name, usage string) {
	c.Var(listFlag{p}, name, usage)
}

var osLookupEnv = os.LookupEnv
