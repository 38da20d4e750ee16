package lod_test

import (
	"strings"
	"testing"

	"github.com/strata3d/strata/lod"
)

func TestBakeRealModels(t *testing.T) {
	cases := []struct {
		file string
		// minLevels is the fewest levels the default chain must produce.
		minLevels int
		// passThrough must appear in the reasons of passed-through primitives.
		passThrough string
		check       func(t *testing.T, res *lod.Result)
	}{
		{file: "Box.glb", minLevels: 1},
		{file: "BoxTextured.glb", minLevels: 1},
		{file: "Fox.glb", minLevels: 2},
		{file: "ClearCoatTest.glb", minLevels: 2},
		{file: "morph-stress-test.glb", minLevels: 1, passThrough: "morph targets"},
		{file: "love.glb", minLevels: 3},
		{file: "PrimitiveModeNormalsTest.glb", minLevels: 1, passThrough: "POINTS"},
		{file: "NormalTangentMirrorTest.glb", minLevels: 3},
		{file: "cat.glb", minLevels: 3},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			res := mustBake(t, tc.file, mustReadModel(t, tc.file), lod.DefaultConfig())
			for _, l := range res.Manifest.Levels {
				t.Logf("level %d: %d triangles (target %d), %d vertices, error %.3g (%.3g), coverage %.3g, %d bytes, prefix %d",
					l.Level, l.Triangles, l.TargetTriangles, l.Vertices, l.Error, l.RelativeError, l.ScreenCoverage, l.Bytes, l.ProgressivePrefix)
			}
			if got := len(res.Manifest.Levels); got < tc.minLevels {
				t.Errorf("%d levels, want at least %d", got, tc.minLevels)
			}
			if tc.passThrough != "" {
				found := false
				for _, p := range res.PassThrough {
					found = found || strings.Contains(p.Reason, tc.passThrough)
				}
				if !found {
					t.Errorf("no primitive passed through for %q: %+v", tc.passThrough, res.PassThrough)
				}
			}
			checkProgressive(t, res)
			mustBeValid(t, glbFiles(tc.file+"/", res))
		})
	}
}
