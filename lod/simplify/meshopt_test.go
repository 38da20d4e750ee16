package simplify_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/strata3d/strata/lod/simplify"
)

// envNodeModules is set by scripts/testenv.sh to the node_modules folder
// holding meshoptimizer.
const envNodeModules = "STRATA_TEST_NODE_MODULES"

// meshoptRun is what scripts/meshopt-simplify.mjs reports.
type meshoptRun struct {
	InputTriangles     int       `json:"inputTriangles"`
	Triangles          int       `json:"triangles"`
	Error              float64   `json:"error"`
	MedianMs           float64   `json:"medianMs"`
	TimesMs            []float64 `json:"timesMs"`
	TrianglesPerSecond float64   `json:"trianglesPerSecond"`
	MedianCPUMs        float64   `json:"medianCpuMs"`
	CPUTimesMs         []float64 `json:"cpuTimesMs"`
	Indices            []uint32  `json:"-"`
}

// moduleRoot finds the directory holding go.mod above the working directory.
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
			tb.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// requireNodeModules returns $STRATA_TEST_NODE_MODULES, failing the test
// (skipping it in -short mode) when the test environment is missing.
func requireNodeModules(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(envNodeModules)
	if dir == "" {
		if testing.Short() {
			tb.Skip(envNodeModules + " not set (skipped in -short mode)")
		}
		tb.Fatal(envNodeModules + " is not set; run via `scripts/testenv.sh run go test ./lod/simplify/` or `make test`")
	}
	return dir
}

// encodeMeshFile writes the SMSH format read by scripts/meshopt-simplify.mjs.
func encodeMeshFile(m simplify.Mesh, opts simplify.Options, reps int) []byte {
	var b bytes.Buffer
	b.WriteString("SMSH")
	var flags uint32
	if opts.LockBorder {
		flags |= 1
	}
	weights := m.AttrWeights
	if m.AttrStride > 0 && weights == nil {
		weights = make([]float32, m.AttrStride)
		for i := range weights {
			weights[i] = 1
		}
	}
	for _, v := range []uint32{1, uint32(m.VertexCount()), uint32(len(m.Indices)), uint32(m.AttrStride),
		uint32(opts.TargetTriangles * 3), uint32(reps), flags, math.Float32bits(opts.TargetError)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	_ = binary.Write(&b, binary.LittleEndian, m.Positions)
	_ = binary.Write(&b, binary.LittleEndian, m.Attributes)
	_ = binary.Write(&b, binary.LittleEndian, weights)
	_ = binary.Write(&b, binary.LittleEndian, m.Indices)
	return b.Bytes()
}

// runMeshopt simplifies m with meshoptimizer in Node, timing reps calls.
func runMeshopt(tb testing.TB, m simplify.Mesh, opts simplify.Options, reps int) meshoptRun {
	tb.Helper()
	return runMeshoptFile(tb, writeMeshFile(tb, m, opts, reps))
}

// writeMeshFile writes the input of scripts/meshopt-simplify.mjs to a
// temporary file and returns its path.
func writeMeshFile(tb testing.TB, m simplify.Mesh, opts simplify.Options, reps int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "in.bin")
	if err := os.WriteFile(path, encodeMeshFile(m, opts, reps), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// runMeshoptFile runs scripts/meshopt-simplify.mjs on a file written by
// writeMeshFile.
func runMeshoptFile(tb testing.TB, in string) meshoptRun {
	tb.Helper()
	requireNodeModules(tb)
	out := filepath.Join(tb.TempDir(), "out.bin")
	cmd := exec.Command("node", filepath.Join(moduleRoot(tb), "scripts", "meshopt-simplify.mjs"), in, out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		tb.Fatalf("meshopt-simplify.mjs: %v\n%s", err, stderr.String())
	}
	var run meshoptRun
	if err := json.Unmarshal(stdout, &run); err != nil {
		tb.Fatalf("meshopt-simplify.mjs output %q: %v", stdout, err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	run.Indices = make([]uint32, len(raw)/4)
	for i := range run.Indices {
		run.Indices[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	return run
}

// TestMeshoptParity runs the comparison script on one moderate mesh, so
// that `make test` notices when the script or the quality of the Go
// simplifier regresses. The full comparison is BenchmarkCompareMeshopt.
func TestMeshoptParity(t *testing.T) {
	g := fullTestMesh(2)
	m := positionsOnly(g)
	opts := simplify.Options{TargetTriangles: g.TriangleCount() / 16}
	mo := runMeshopt(t, m, opts, 1)
	checkIndices(t, m, mo.Indices)
	if mo.Triangles != len(mo.Indices)/3 || mo.Triangles > opts.TargetTriangles || mo.Triangles < opts.TargetTriangles*9/10 {
		t.Fatalf("meshoptimizer returned %d triangles (%d indices) for a target of %d", mo.Triangles, len(mo.Indices), opts.TargetTriangles)
	}
	if !(mo.MedianMs > 0) || len(mo.TimesMs) != 1 || !(mo.MedianCPUMs > 0) {
		t.Fatalf("timings missing from %+v", mo)
	}
	r := mustSimplify(t, m, opts)
	hg := simplify.Hausdorff(m, simplify.Mesh{Positions: m.Positions, Indices: r.Indices}, 20_000, 1)
	hm := simplify.Hausdorff(m, simplify.Mesh{Positions: m.Positions, Indices: mo.Indices}, 20_000, 1)
	t.Logf("Hausdorff: go %.6f, meshoptimizer %.6f (ratio %.3f)", hg, hm, hg/hm)
	// A loose bound: the benchmark tracks the real target (1.1×); this
	// only has to catch a broken simplifier or a broken comparison.
	if hg > 1.5*hm {
		t.Errorf("Go result is %.2f× as far from the input as meshoptimizer's", hg/hm)
	}
}
