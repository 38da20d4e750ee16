package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The level choice is JavaScript (web/src/viewer/levels.js); this test runs
// the module itself under node with a table of cases, so what is tested is
// exactly what the browser runs.

// vaseLevels are the screen coverages of the demo vase's bake (finest first).
var vaseLevels = []any{
	map[string]any{"screenCoverage": 0.14078},
	map[string]any{"screenCoverage": 0.00940555},
	map[string]any{"screenCoverage": 0.000367545},
	map[string]any{"screenCoverage": 0},
}

type levelCase struct {
	Name string `json:"name"`
	Fn   string `json:"fn"`
	Args []any  `json:"args"`
	Want any    `json:"want"` // a number, "Infinity", or "error"
}

func TestLevelChoice(t *testing.T) {
	cases := []levelCase{
		{"whole viewport needs the finest", "chooseLevel", []any{vaseLevels, 1.0}, 0.0},
		{"exactly at a threshold takes that level", "chooseLevel", []any{vaseLevels, 0.14078}, 0.0},
		{"just below it takes the next coarser", "chooseLevel", []any{vaseLevels, 0.1407}, 1.0},
		{"between level 2 and 1", "chooseLevel", []any{vaseLevels, 0.0094}, 2.0},
		{"tiny coverage takes the coarsest", "chooseLevel", []any{vaseLevels, 0.0003}, 3.0},
		{"no coverage takes the coarsest", "chooseLevel", []any{vaseLevels, 0.0}, 3.0},
		{"a thumbnail pinned to the coarsest", "chooseLevel", []any{vaseLevels, 1.0, map[string]any{"coarsest": 3, "finest": 3}}, 3.0},
		{"a finest bound is respected", "chooseLevel", []any{vaseLevels, 1.0, map[string]any{"finest": 1}}, 1.0},
		{"a coarsest bound past the end is clamped", "chooseLevel", []any{vaseLevels, 0.0, map[string]any{"coarsest": 9}}, 3.0},
		{"a damaged figure is skipped, not trusted", "chooseLevel", []any{[]any{map[string]any{"screenCoverage": "x"}, map[string]any{"screenCoverage": 0.5}, map[string]any{"screenCoverage": 0}}, 1.0}, 1.0},
		{"a missing figure is skipped", "chooseLevel", []any{[]any{map[string]any{}, map[string]any{"screenCoverage": 0}}, 1.0}, 1.0},
		{"one level is all there is", "chooseLevel", []any{[]any{map[string]any{"screenCoverage": 0}}, 0.5}, 0.0},
		{"no levels is an error", "chooseLevel", []any{[]any{}, 0.5}, "error"},

		{"half the reference height is a quarter of its area", "coverage", []any{540.0}, 0.25},
		{"the reference height is the whole area", "coverage", []any{1080.0}, 1.0},
		{"twice the reference height", "coverage", []any{2160.0}, 4.0},
		{"nothing on screen", "coverage", []any{0.0}, 0.0},

		// extent 1 at 2 units in front of a 90° camera on 1000 px: 1/4 of 1000.
		{"projected size", "projectedPixels", []any{map[string]any{"extent": 1, "radius": 0.5, "distance": 2.5, "fovDegrees": 90, "viewportPixels": 1000}}, 250.0},
		{"radius defaults to half the extent", "projectedPixels", []any{map[string]any{"extent": 1, "distance": 2.5, "fovDegrees": 90, "viewportPixels": 1000}}, 250.0},
		{"twice the pixels, twice the size", "projectedPixels", []any{map[string]any{"extent": 1, "radius": 0.5, "distance": 2.5, "fovDegrees": 90, "viewportPixels": 2000}}, 500.0},
		{"camera inside the model", "projectedPixels", []any{map[string]any{"extent": 1, "radius": 0.5, "distance": 0.4, "fovDegrees": 90, "viewportPixels": 1000}}, "Infinity"},
		{"no extent", "projectedPixels", []any{map[string]any{"extent": 0, "distance": 2, "fovDegrees": 90, "viewportPixels": 1000}}, 0.0},
		{"no canvas", "projectedPixels", []any{map[string]any{"extent": 1, "distance": 2, "fovDegrees": 90, "viewportPixels": 0}}, 0.0},

		// The vase (extent 0.870927) framed as the viewer frames it, at
		// thumbnail, product-page and full-screen heights.
		// Near side 1.1 units away: the 0.87 extent spans 1.2555 canvas heights.
		{"vase in a 40 px icon", "levelForView", []any{vaseLevels, vaseView(40)}, 2.0},
		{"vase in a 150 px thumbnail", "levelForView", []any{vaseLevels, vaseView(150)}, 1.0},
		{"vase in a 480 px product view", "levelForView", []any{vaseLevels, vaseView(480)}, 0.0},
		{"vase filling a 1080 px screen", "levelForView", []any{vaseLevels, vaseView(1080)}, 0.0},
		{"zoomed into the vase", "levelForView", []any{vaseLevels, map[string]any{"extent": 0.870927, "radius": 0.5, "distance": 0.45, "fovDegrees": 35, "viewportPixels": 150}}, 0.0},
	}
	got := runLevels(t, cases)
	for i, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			if fmt.Sprint(got[i]) != fmt.Sprint(tc.Want) {
				if w, ok := tc.Want.(float64); ok {
					if g, ok := got[i].(float64); ok && abs(g-w) <= 1e-9*max(1, abs(w)) {
						return
					}
				}
				t.Errorf("%s(%v) = %v, want %v", tc.Fn, tc.Args, got[i], tc.Want)
			}
		})
	}
}

// vaseView is the demo vase seen from 1.6 units (its framed distance) by the
// viewer's 35° camera on a canvas that many pixels tall.
func vaseView(px float64) map[string]any {
	return map[string]any{"extent": 0.870927, "radius": 0.5, "distance": 1.6, "fovDegrees": 35, "viewportPixels": px}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// runLevels evaluates every case in one node process.
func runLevels(t *testing.T, cases []levelCase) []any {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if testing.Short() {
			t.Skip("node is not installed")
		}
		t.Fatal("node is not installed: run scripts/testenv.sh install")
	}
	module, err := filepath.Abs(filepath.Join("src", "viewer", "levels.js"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	script := `
const levels = await import(process.argv[1]);
const cases = JSON.parse(await new Promise((r) => { let s = ''; process.stdin.on('data', (d) => (s += d)); process.stdin.on('end', () => r(s)); }));
const out = cases.map((c) => {
	try {
		const v = levels[c.fn](...c.args);
		return Number.isFinite(v) ? v : String(v);
	} catch (err) {
		return 'error';
	}
});
console.log(JSON.stringify(out));
`
	cmd := exec.Command(node, "--input-type=module", "-e", script, "file://"+filepath.ToSlash(module))
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got []any
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(cases) {
		t.Fatalf("node answered %q (%v)", out, err)
	}
	return got
}
