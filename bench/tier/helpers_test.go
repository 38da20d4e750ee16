package tier

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// mustTool returns the path in the environment variable name, or fails the
// test saying how to get it set.
func mustTool(tb testing.TB, name string) string {
	tb.Helper()
	p := os.Getenv(name)
	if p == "" {
		tb.Fatalf("%s is not set: run via `scripts/testenv.sh run go test ./bench/tier/...` or `make test` (or use -short)", name)
	}
	return p
}

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
	buildOut  []byte
)

// strataBinary returns $STRATA_TEST_STRATA_BIN, or strata built once from
// this module for all tests of the run.
func strataBinary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("STRATA_TEST_STRATA_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "strata-tier-test-"); buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "strata")
		build := exec.Command("go", "build", "-o", buildBin, "./cmd/strata")
		build.Dir = moduleRoot(tb)
		buildOut, buildErr = build.CombinedOutput()
	})
	if buildErr != nil {
		tb.Fatalf("go build ./cmd/strata: %v\n%s", buildErr, buildOut)
	}
	return buildBin
}

// moduleRoot finds the directory holding go.mod above the test's directory.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}
