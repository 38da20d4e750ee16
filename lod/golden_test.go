package lod_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/strata3d/strata/lod"
)

// goldenPath holds per-level triangle counts and relative errors of the
// default bake of every real model and generated mesh. Regenerate with
// STRATA_UPDATE_GOLDEN=1 go test ./lod/ -run TestGoldenMetrics after a
// deliberate change to the simplifier or the chain.
const goldenPath = "testdata/golden_metrics.json"

type goldenLevel struct {
	Triangles     int     `json:"triangles"`
	RelativeError float64 `json:"relativeError"`
}

// Tolerances: triangle counts may move a little with any simplifier
// change; errors may improve freely but not get much worse.
const (
	goldenTriangleTolerance = 0.05 // fraction of the golden count
	goldenErrorTolerance    = 0.25 // fraction of the golden error…
	goldenErrorSlack        = 1e-3 // …plus this, relative to the extent
)

func TestGoldenMetrics(t *testing.T) {
	inputs := map[string]func(t *testing.T) []byte{}
	for _, f := range []string{"Box.glb", "BoxTextured.glb", "Fox.glb", "ClearCoatTest.glb", "morph-stress-test.glb", "love.glb", "PrimitiveModeNormalsTest.glb", "NormalTangentMirrorTest.glb", "cat.glb"} {
		inputs[f] = func(t *testing.T) []byte { return mustReadModel(t, f) }
	}
	if !testing.Short() {
		for _, g := range generatedCases(false) {
			inputs["generated/"+g.name] = func(t *testing.T) []byte { return generatedGLB(t, g.name, g.mesh()) }
		}
	}
	update := os.Getenv("STRATA_UPDATE_GOLDEN") == "1"
	var golden map[string][]goldenLevel
	if raw, err := os.ReadFile(goldenPath); err == nil {
		if err := json.Unmarshal(raw, &golden); err != nil {
			t.Fatalf("%s: %v", goldenPath, err)
		}
	} else if !update {
		t.Fatalf("%v (create it with STRATA_UPDATE_GOLDEN=1)", err)
	}
	var mu sync.Mutex
	got := map[string][]goldenLevel{}
	t.Run("models", func(t *testing.T) {
		for name, input := range inputs {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				res := mustBake(t, name, input(t), lod.DefaultConfig())
				var levels []goldenLevel
				for _, l := range res.Manifest.Levels {
					levels = append(levels, goldenLevel{Triangles: l.Triangles, RelativeError: l.RelativeError})
				}
				mu.Lock()
				got[name] = levels
				mu.Unlock()
				if update {
					return
				}
				want, ok := golden[name]
				if !ok {
					t.Fatalf("no golden metrics for %s; regenerate with STRATA_UPDATE_GOLDEN=1", name)
				}
				compareGolden(t, levels, want)
			})
		}
	})
	if update {
		for name, levels := range golden {
			if _, ok := got[name]; !ok {
				got[name] = levels // kept from a run with more inputs (-short)
			}
		}
		raw, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.FromSlash(goldenPath), append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenPath)
	}
}

func compareGolden(t *testing.T, got, want []goldenLevel) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d levels, golden has %d: got %+v, want %+v", len(got), len(want), got, want)
		return
	}
	for k := range got {
		g, w := got[k], want[k]
		if math.Abs(float64(g.Triangles-w.Triangles)) > goldenTriangleTolerance*float64(w.Triangles)+1 {
			t.Errorf("level %d: %d triangles, golden %d (±%.0f%%)", k, g.Triangles, w.Triangles, 100*goldenTriangleTolerance)
		}
		if limit := w.RelativeError*(1+goldenErrorTolerance) + goldenErrorSlack; g.RelativeError > limit {
			t.Errorf("level %d: relative error %.4g, golden %.4g (limit %.4g)", k, g.RelativeError, w.RelativeError, limit)
		} else if g.RelativeError < w.RelativeError*(1-goldenErrorTolerance)-goldenErrorSlack {
			t.Logf("level %d: relative error %.4g is well below the golden %.4g; consider regenerating", k, g.RelativeError, w.RelativeError)
		}
	}
}
