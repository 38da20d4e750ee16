package gltfcheck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// MustBeValid validates one GLB and fails tb listing every validator error;
// warnings are logged. To check many assets, prefer MustBeValidGLBs, which
// pays the Node start-up once.
func MustBeValid(tb testing.TB, glb []byte) {
	tb.Helper()
	MustBeValidGLBs(tb, map[string][]byte{"asset": glb})
}

// MustBeValidGLBs validates several GLBs, keyed by a name used in failure
// messages, in a single validator run.
func MustBeValidGLBs(tb testing.TB, glbs map[string][]byte) {
	tb.Helper()
	if !requireValidator(tb) {
		return
	}
	names := make([]string, 0, len(glbs))
	for name := range glbs {
		names = append(names, name)
	}
	sort.Strings(names)
	dir := tb.TempDir()
	files := make([]string, len(names))
	for i, name := range names {
		// The index keeps file names unique even if two names sanitize alike.
		files[i] = filepath.Join(dir, fmt.Sprintf("%03d-%s.glb", i, sanitize(name)))
		if err := os.WriteFile(files[i], glbs[name], 0o644); err != nil {
			tb.Fatalf("gltfcheck: %v", err)
			return
		}
	}
	mustBeValid(tb, files, names)
}

// MustBeValidFiles validates glTF/GLB files on disk in one validator run and
// fails tb listing every error of every file; warnings are logged.
func MustBeValidFiles(tb testing.TB, files ...string) {
	tb.Helper()
	if !requireValidator(tb) {
		return
	}
	mustBeValid(tb, files, files)
}

func mustBeValid(tb testing.TB, files, names []string) {
	tb.Helper()
	reports, err := Validate(context.Background(), files...)
	if err != nil {
		tb.Fatalf("%v", err)
		return
	}
	for i, r := range reports {
		for _, m := range r.Warnings() {
			tb.Logf("glTF-Validator warning in %s: %s", names[i], m)
		}
		if r.NumErrors == 0 {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "glTF-Validator: %s has %d error(s):", names[i], r.NumErrors)
		for _, m := range r.Errors() {
			fmt.Fprintf(&b, "\n\t%s", m)
		}
		tb.Error(b.String())
	}
}

// requireValidator fails tb (or skips it in -short mode) when the validator is
// not configured, so a plain `go test` cannot pass without having validated.
func requireValidator(tb testing.TB) bool {
	tb.Helper()
	if os.Getenv(EnvNodeModules) != "" {
		return true
	}
	if testing.Short() {
		tb.Skip(ErrNoValidator.Error())
		return false
	}
	tb.Fatal(ErrNoValidator.Error())
	return false
}

func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
}
