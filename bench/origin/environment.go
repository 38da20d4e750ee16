package origin

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// collectEnvironment records the machine and tool versions. Every probe is
// best-effort: a missing fact must not cost a benchmark run.
func collectEnvironment(ctx context.Context, nginxBin, wrkBin string) Environment {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	e := Environment{
		NumCPU:    runtime.NumCPU(),
		CPU:       cpuModel(),
		Kernel:    strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		GoVersion: runtime.Version(),
		GitCommit: gitCommit(ctx),
	}
	// nginx -v prints "nginx version: nginx/1.22.1" on stderr.
	out, _ := exec.CommandContext(ctx, nginxBin, "-v").CombinedOutput()
	e.NginxVersion = strings.TrimPrefix(firstLine(out), "nginx version: ")
	// wrk -v prints "wrk 4.1.0 [epoll] Copyright (C) 2012 Will Glozer" and the
	// usage text, then exits 1.
	out, _ = exec.CommandContext(ctx, wrkBin, "-v").CombinedOutput()
	v, _, _ := strings.Cut(firstLine(out), " Copyright")
	e.WrkVersion = v
	return e
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// gitCommit reads, never writes, the repository state: GIT_OPTIONAL_LOCKS=0
// keeps `git status` from refreshing the index behind other users' backs.
func gitCommit(ctx context.Context) string {
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	commit, err := git("rev-parse", "--short=12", "HEAD")
	if err != nil || commit == "" {
		return "unknown"
	}
	if changes, err := git("status", "--porcelain", "--untracked-files=no"); err == nil && changes != "" {
		commit += "+dirty"
	}
	return commit
}

// strataVersion is the first line of `strata version`, best-effort.
func strataVersion(ctx context.Context, bin string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return ""
	}
	return firstLine(out)
}
