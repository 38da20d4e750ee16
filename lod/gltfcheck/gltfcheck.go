// Package gltfcheck runs the Khronos glTF-Validator over glTF and GLB files so
// that every package producing 3D assets can prove its output is valid.
//
// The validator is the reference implementation (Dart compiled to JS), run by
// scripts/gltf-validate.mjs under Node. Starting Node costs a few hundred
// milliseconds, so Validate batches all files into one process; callers that
// check many assets should pass them together rather than one at a time.
//
// Node and the gltf-validator package are installed by scripts/testenv.sh,
// which exports STRATA_TEST_NODE_MODULES; without it Validate returns
// ErrNoValidator.
package gltfcheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// EnvNodeModules names the variable holding the node_modules folder that
// contains gltf-validator; scripts/testenv.sh sets it.
const EnvNodeModules = "STRATA_TEST_NODE_MODULES"

// scriptPath is the validator script, relative to the module root.
const scriptPath = "scripts/gltf-validate.mjs"

// maxArgBytes bounds the file-name bytes handed to one Node process. Linux
// allows far more (ARG_MAX is 2 MiB), but staying well below keeps room for the
// environment and still validates hundreds of files per process.
const maxArgBytes = 64 << 10

// ErrNoValidator is returned when STRATA_TEST_NODE_MODULES is unset, i.e. the
// caller was not started through scripts/testenv.sh.
var ErrNoValidator = errors.New("gltfcheck: " + EnvNodeModules + " is not set; run via `scripts/testenv.sh run go test ...` or `make test`")

// Severity is the validator's issue severity.
type Severity int

// Severities as the validator numbers them; only errors and warnings are
// reported by the script.
const (
	SeverityError   Severity = 0
	SeverityWarning Severity = 1
)

// Message is one validator finding.
type Message struct {
	Code     string   `json:"code"`     // e.g. ACCESSOR_INDEX_OOB
	Message  string   `json:"message"`  // human-readable detail
	Severity Severity `json:"severity"` // SeverityError or SeverityWarning
	Pointer  string   `json:"pointer"`  // JSON pointer into the asset, "" for GLB framing issues
}

// String formats the message the way the validator's CLI does.
func (m Message) String() string {
	if m.Pointer == "" {
		return fmt.Sprintf("%s: %s", m.Code, m.Message)
	}
	return fmt.Sprintf("%s at %s: %s", m.Code, m.Pointer, m.Message)
}

// Report is the validator's verdict on one file.
type Report struct {
	File        string    `json:"file"` // the path as passed to Validate
	NumErrors   int       `json:"numErrors"`
	NumWarnings int       `json:"numWarnings"`
	Messages    []Message `json:"messages"` // every error and warning
}

// Errors returns the messages with error severity.
func (r Report) Errors() []Message { return r.filter(SeverityError) }

// Warnings returns the messages with warning severity.
func (r Report) Warnings() []Message { return r.filter(SeverityWarning) }

// HasCode reports whether any error or warning carries code.
func (r Report) HasCode(code string) bool {
	for _, m := range r.Messages {
		if m.Code == code {
			return true
		}
	}
	return false
}

func (r Report) filter(s Severity) []Message {
	var out []Message
	for _, m := range r.Messages {
		if m.Severity == s {
			out = append(out, m)
		}
	}
	return out
}

// Validate runs the glTF-Validator over files (.glb, or .gltf whose external
// resources are resolved relative to the file) and returns one Report per file,
// in order. Findings in the files are not errors; an error means the harness
// could not run (no validator, unreadable file, Node failure, ctx done).
func Validate(ctx context.Context, files ...string) ([]Report, error) {
	if len(files) == 0 {
		return nil, nil
	}
	modules := os.Getenv(EnvNodeModules)
	if modules == "" {
		return nil, ErrNoValidator
	}
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("gltfcheck: node not found on PATH: %w", err)
	}
	script := filepath.Join(root, scriptPath)

	reports := make([]Report, 0, len(files))
	for start := 0; start < len(files); {
		end, size := start, 0
		for end < len(files) && (end == start || size+len(files[end]) <= maxArgBytes) {
			size += len(files[end]) + 1
			end++
		}
		batch, err := runBatch(ctx, node, script, modules, files[start:end])
		if err != nil {
			return nil, err
		}
		reports = append(reports, batch...)
		start = end
	}
	return reports, nil
}

func runBatch(ctx context.Context, node, script, modules string, files []string) ([]Report, error) {
	args := append([]string{script}, files...)
	cmd := exec.CommandContext(ctx, node, args...)
	// Relative file names stay relative to the caller's working directory.
	cmd.Env = append(os.Environ(), EnvNodeModules+"="+modules)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, fmt.Errorf("gltfcheck: %w", ctxErr)
	}
	if runErr != nil {
		return nil, fmt.Errorf("gltfcheck: %s: %w\n%s", scriptPath, runErr, bytes.TrimSpace(stderr.Bytes()))
	}

	reports := make([]Report, 0, len(files))
	sc := bufio.NewScanner(&stdout)
	// One line holds every message of one file; a badly broken asset can
	// produce thousands.
	sc.Buffer(make([]byte, 0, 64<<10), 256<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r Report
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("gltfcheck: bad output from %s: %w", scriptPath, err)
		}
		reports = append(reports, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gltfcheck: reading %s output: %w", scriptPath, err)
	}
	if len(reports) != len(files) {
		return nil, fmt.Errorf("gltfcheck: %s reported %d files, want %d\n%s", scriptPath, len(reports), len(files), bytes.TrimSpace(stderr.Bytes()))
	}
	for i, r := range reports {
		if r.File != files[i] {
			return nil, fmt.Errorf("gltfcheck: report %d is for %q, want %q", i, r.File, files[i])
		}
	}
	return reports, nil
}

// ModuleRoot returns the directory holding go.mod, found by walking up from
// the working directory. Tests run in their package directory, so this is how
// they find scripts/ and the shared models next to the repository.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("gltfcheck: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("gltfcheck: go.mod not found above the working directory")
		}
		dir = parent
	}
}
