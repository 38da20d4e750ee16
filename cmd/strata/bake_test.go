package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/strata3d/strata/lod"
	"github.com/strata3d/strata/lod/gltfcheck"
)

// sharedModel is the path of one of the real models in ../shared/models
// next to the module root.
func sharedModel(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "models", name)
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("go.mod not found")
		}
		dir = filepath.Dir(dir)
	}
}

// runBakeCommand runs `strata bake args…` and returns its exit code and
// output.
func runBakeCommand(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"bake"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustReadManifest reads DIR/manifest.json and checks every file it lists.
func mustReadManifest(t *testing.T, dir string) lod.Manifest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m lod.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if len(b) != f.Bytes || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: %d bytes on disk, manifest says %d; hash match %v", f.Name, len(b), f.Bytes, hex.EncodeToString(sum[:]) == f.SHA256)
		}
	}
	return m
}

func TestBakeCommandEndToEnd(t *testing.T) {
	cases := []struct {
		name  string
		args  func(in, out string) []string
		model string
	}{
		{"input first", func(in, out string) []string { return []string{in, "-o", out, "--progress=plain"} }, "Fox.glb"},
		{"flags first", func(in, out string) []string {
			return []string{"--progress", "off", "-o=" + out, "--ratios", "1,1/4,1/16", in}
		}, "NormalTangentMirrorTest.glb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "baked")
			code, stdout, stderr := runBakeCommand(tc.args(sharedModel(t, tc.model), out)...)
			if code != 0 {
				t.Fatalf("exit %d\nstderr: %s", code, stderr)
			}
			m := mustReadManifest(t, out)
			if len(m.Levels) < 2 || m.Source.Name != tc.model {
				t.Errorf("manifest: %d levels for %q", len(m.Levels), m.Source.Name)
			}
			var files []string
			for _, f := range m.Files {
				files = append(files, filepath.Join(out, f.Name))
			}
			if len(files) != len(m.Levels)+1 {
				t.Errorf("manifest lists %d files for %d levels", len(files), len(m.Levels))
			}
			gltfcheck.MustBeValidFiles(t, files...)
			for _, want := range []string{"level", "triangles", "lod0.glb", "lod1.glb", "progressive.glb"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("summary lacks %q:\n%s", want, stdout)
				}
			}
			if strings.Contains(strings.Join(tc.args("", ""), " "), "plain") && !strings.Contains(stderr, "bake: simplify") {
				t.Errorf("plain progress missing from stderr: %q", stderr)
			}
			entries, _ := os.ReadDir(out)
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".tmp") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

func TestBakeCommandReadsGLTFBesideItsFiles(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "lod", "testdata", "strip-fan-sparse.gltf"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	buf := doc["buffers"].([]any)[0].(map[string]any)
	uri := buf["uri"].(string)
	bin, err := base64.StdEncoding.DecodeString(uri[strings.IndexByte(uri, ',')+1:])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "model", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model", "data", "geometry one.bin"), bin, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.bin"), bin, 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name, uri string) string {
		buf["uri"] = uri
		b, _ := json.Marshal(doc)
		p := filepath.Join(dir, "model", name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	out := filepath.Join(dir, "out")
	code, _, stderr := runBakeCommand(write("inside.gltf", "data/geometry%20one.bin"), "-o", out, "--progress=off")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := mustReadManifest(t, out)
	if m.Levels[0].Triangles != 4 {
		t.Errorf("level 0 has %d triangles, want 4", m.Levels[0].Triangles)
	}
	gltfcheck.MustBeValidFiles(t, filepath.Join(out, "progressive.glb"), filepath.Join(out, "lod0.glb"))

	code, _, stderr = runBakeCommand(write("escape.gltf", "../secret.bin"), "-o", filepath.Join(dir, "out2"), "--progress=off")
	if code != 1 || !strings.Contains(stderr, "secret.bin") {
		t.Errorf("a .gltf reading outside its directory: exit %d, stderr %q; want 1 and an error naming the file", code, stderr)
	}
}

func TestBakeFlagsFromEnvironment(t *testing.T) {
	env := map[string]string{
		"STRATA_RATIOS":        "1, 1/2, 1/8",
		"STRATA_MIN_TRIANGLES": "10",
		"STRATA_OUT":           "/tmp/from-env",
		"STRATA_UV_WEIGHT":     "0.25",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, c bakeConfig)
	}{
		{"environment fills unset flags", nil, func(t *testing.T, c bakeConfig) {
			if !slices.Equal(c.LOD.Ratios, []float64{1, 0.5, 0.125}) || c.LOD.MinTriangles != 10 || c.Out != "/tmp/from-env" || c.LOD.UVWeight != 0.25 {
				t.Errorf("ratios %v min %d out %q uv %v", c.LOD.Ratios, c.LOD.MinTriangles, c.Out, c.LOD.UVWeight)
			}
		}},
		{"command line wins", []string{"--ratios=1,0.3", "--out", "/tmp/flag"}, func(t *testing.T, c bakeConfig) {
			if !slices.Equal(c.LOD.Ratios, []float64{1, 0.3}) || c.Out != "/tmp/flag" {
				t.Errorf("ratios %v out %q", c.LOD.Ratios, c.Out)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultBakeConfig()
			fs := newCommandFlags("bake", "", io.Discard)
			cfg.flags(fs)
			if err := fs.parse(tc.args, lookup); err != nil {
				t.Fatal(err)
			}
			tc.check(t, cfg)
		})
	}
}

func TestBakeHelpListsEveryFlag(t *testing.T) {
	code, _, help := runBakeCommand("--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	cfg := defaultBakeConfig()
	fs := newCommandFlags("bake", "", io.Discard)
	cfg.flags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(help, "--"+f.Name) || !strings.Contains(help, "$"+envName(f.Name)) {
			t.Errorf("help lacks --%s or $%s", f.Name, envName(f.Name))
		}
	})
	if !strings.Contains(help, "strata bake IN.glb") {
		t.Errorf("help lacks the synopsis:\n%s", help)
	}
}

func TestBakeCommandRejectsBadUsage(t *testing.T) {
	fox := sharedModel(t, "Fox.glb")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no input", []string{"-o", t.TempDir()}, 2, "missing input file"},
		{"no output directory", []string{fox}, 2, "missing output directory"},
		{"two inputs", []string{fox, fox, "-o", t.TempDir()}, 2, "one input file at a time"},
		{"unknown progress mode", []string{fox, "-o", t.TempDir(), "--progress", "loud"}, 2, "--progress"},
		{"ratios not starting at 1", []string{fox, "-o", t.TempDir(), "--ratios", "0.5,0.25"}, 2, "Ratios[0]"},
		{"ratio that is not a number", []string{fox, "-o", t.TempDir(), "--ratios", "1,half"}, 2, "not a number"},
		{"missing input file", []string{filepath.Join(t.TempDir(), "nope.glb"), "-o", t.TempDir()}, 1, "no such file"},
		{"compressed input", []string{sharedModel(t, "BoxMeshopt.glb"), "-o", t.TempDir(), "--progress=off"}, 1, "EXT_meshopt_compression"},
		{"input over the size limit", []string{fox, "-o", t.TempDir(), "--max-input-bytes", "1KiB"}, 1, "--max-input-bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runBakeCommand(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}
