package web_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/strata3d/strata/lod"
)

// viewerState is what the viewer host says about itself (its data-*).
type viewerState struct {
	State  string `json:"state"`
	Level  string `json:"level"`
	Target string `json:"target"`
	Bytes  string `json:"bytes"`
}

type netEntry struct {
	Path   string `json:"path"`
	Method string `json:"method"`
	Range  string `json:"range"`
	Status int    `json:"status"`
}

// levelEvent is one level the viewer showed, with the fraction of the
// canvas it covered in the frame that showed it and when (ms since load).
type levelEvent struct {
	Level     int     `json:"level"`
	Triangles int     `json:"triangles"`
	Bytes     int     `json:"bytes"`
	Ink       float64 `json:"ink"`
	// Box bounds the drawn pixels on a 160-pixel-wide copy of the canvas:
	// left, top, right, bottom.
	Box [4]int  `json:"box"`
	At  float64 `json:"at"`
}

type viewerReport struct {
	Full struct {
		AtOpen    viewerState  `json:"atOpen"`
		AtOpenAt  float64      `json:"atOpenAt"`
		Final     viewerState  `json:"final"`
		FinalInk  float64      `json:"finalInk"`
		Presses   int          `json:"presses"`
		Levels    []levelEvent `json:"levels"`
		Requests  []netEntry   `json:"requests"`
		Indicator string       `json:"indicator"`
	} `json:"full"`
	Thumb struct {
		Final    viewerState  `json:"final"`
		Ink      float64      `json:"ink"`
		Levels   []levelEvent `json:"levels"`
		Requests []netEntry   `json:"requests"`
	} `json:"thumb"`
	Broken struct {
		Final   viewerState `json:"final"`
		Message string      `json:"message"`
		Img     int         `json:"img"`
	} `json:"broken"`
	Missing struct {
		Final   viewerState `json:"final"`
		Message string      `json:"message"`
	} `json:"missing"`
	NoWebGL struct {
		Final   viewerState `json:"final"`
		Message string      `json:"message"`
		Img     string      `json:"img"`
	} `json:"nowebgl"`
	Console []string `json:"console"`
}

var rangeRE = regexp.MustCompile(`^bytes=(\d+)-(\d+)$`)

// span parses a request's Range header into [start, end).
func span(t *testing.T, r netEntry) (int, int) {
	t.Helper()
	m := rangeRE.FindStringSubmatch(r.Range)
	if m == nil {
		t.Fatalf("request %s has Range %q, want one bytes=a-b range", r.Path, r.Range)
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	return a, b + 1
}

// progressiveRequests returns the requests for progressive.glb, checking
// that they are all ranges answered 206.
func progressiveRequests(t *testing.T, reqs []netEntry) [][2]int {
	t.Helper()
	var out [][2]int
	for _, r := range reqs {
		if strings.HasSuffix(r.Path, "/"+lod.ProgressiveFile) {
			a, b := span(t, r)
			if r.Status != 206 {
				t.Errorf("range %d-%d answered %d, want 206", a, b-1, r.Status)
			}
			out = append(out, [2]int{a, b})
		} else if !strings.HasSuffix(r.Path, "/manifest.json") {
			t.Errorf("unexpected model request %s", r.Path)
		}
	}
	return out
}

func TestViewerStreamsLevels(t *testing.T) {
	browserEnv(t)
	assets := t.TempDir()
	// The armchair needs its finest level only when it fills more than a
	// 1080-pixel screen: the full-size view opens at level 1 and gets level
	// 0 when the test zooms in with the keyboard.
	mans := publishDemo(t, assets, map[string]string{"tufted-armchair": "tufted-armchair", "broken-vase": "stoneware-vase"})
	damageModel(t, assets, "broken-vase")
	srv := startStrata(t, assets, "--demo=false")

	var rep viewerReport
	runScenario(t, "viewer", srv.URL, map[string]string{"model": "tufted-armchair", "broken": "broken-vase"}, &rep)
	for _, line := range rep.Console {
		t.Log("console:", line)
	}
	man := mans["tufted-armchair"]
	coarsest := len(man.Levels) - 1
	if coarsest < 2 {
		t.Fatalf("the armchair baked into %d levels; the test needs at least 3", coarsest+1)
	}

	t.Run("full size starts with the coarsest level", func(t *testing.T) {
		f := rep.Full
		if len(f.Requests) == 0 || f.Requests[0].Path != "/models/tufted-armchair/manifest.json" {
			t.Fatalf("first model request %+v, want the manifest pointer", f.Requests)
		}
		spans := progressiveRequests(t, f.Requests)
		if len(spans) == 0 {
			t.Fatal("no progressive.glb request")
		}
		if want := [2]int{0, man.Levels[coarsest].ProgressivePrefix}; spans[0] != want {
			t.Errorf("first model bytes %v, want the coarsest level's prefix %v", spans[0], want)
		}
		if len(f.Levels) == 0 || f.Levels[0].Level != coarsest {
			t.Fatalf("levels shown %+v, want the coarsest (%d) first", f.Levels, coarsest)
		}
		if f.Levels[0].Bytes != man.Levels[coarsest].ProgressivePrefix {
			t.Errorf("the coarsest level was shown after %d bytes, want its prefix %d", f.Levels[0].Bytes, man.Levels[coarsest].ProgressivePrefix)
		}
		for i, e := range f.Levels {
			if e.Ink < 0.01 {
				t.Errorf("level %d left the canvas blank (%.4f of pixels drawn)", e.Level, e.Ink)
			}
			// A swap keeps the model where it was: the drawn area's edges
			// move by at most a few pixels of 160 (silhouettes sharpen, the
			// camera only moves when the test zooms, between other levels).
			if i > 0 && e.At < f.AtOpenAt {
				prev := f.Levels[i-1].Box
				for j := range 4 {
					if d := e.Box[j] - prev[j]; d > 3 || d < -3 {
						t.Errorf("level %d drawn in %v, level %d in %v: the model jumped", f.Levels[i-1].Level, prev, e.Level, e.Box)
						break
					}
				}
			}
		}
	})
	t.Run("full size ends at the finest level, one range per level", func(t *testing.T) {
		f := rep.Full
		if f.Final.Level != "0" || f.Final.State != "ready" {
			t.Fatalf("final state %+v after %d zoom steps, want level 0 ready", f.Final, f.Presses)
		}
		if f.FinalInk < 0.02 {
			t.Errorf("the finest level left the canvas blank (%.4f)", f.FinalInk)
		}
		spans := progressiveRequests(t, f.Requests)
		next := 0
		for _, s := range spans {
			if s[0] != next {
				t.Errorf("range %v does not continue at %d: spans %v", s, next, spans)
			}
			next = s[1]
		}
		if next != man.Progressive.Bytes || len(spans) != coarsest+1 {
			t.Errorf("ranges %v end at %d in %d requests, want the whole file (%d) in %d", spans, next, len(spans), man.Progressive.Bytes, coarsest+1)
		}
		var shown []int
		for _, e := range f.Levels {
			shown = append(shown, e.Level)
			if e.Triangles != man.Levels[e.Level].Triangles {
				t.Errorf("level %d reported %d triangles, manifest says %d", e.Level, e.Triangles, man.Levels[e.Level].Triangles)
			}
		}
		want := make([]int, 0, coarsest+1)
		for k := coarsest; k >= 0; k-- {
			want = append(want, k)
		}
		if fmt.Sprint(shown) != fmt.Sprint(want) {
			t.Errorf("levels shown %v, want %v", shown, want)
		}
		if !strings.Contains(f.Indicator, "Level 0") || !strings.Contains(f.Indicator, "triangles") {
			t.Errorf("indicator %q does not name the level and triangles", f.Indicator)
		}
		t.Logf("full size: opened needing level %s, zoom steps %d, indicator %q", f.AtOpen.Target, f.Presses, f.Indicator)
		for _, e := range f.Levels {
			t.Logf("  level %d shown at %.0f ms after %d bytes (%.1f%% of the canvas drawn)", e.Level, e.At, e.Bytes, 100*e.Ink)
		}
	})
	t.Run("thumbnail never fetches the finest level", func(t *testing.T) {
		th := rep.Thumb
		if th.Final.State != "ready" || th.Final.Level == "0" {
			t.Fatalf("thumbnail state %+v, want ready at a level coarser than 0", th.Final)
		}
		fine := man.Levels[0].ProgressiveRange
		for _, s := range progressiveRequests(t, th.Requests) {
			if s[1] > fine[0] {
				t.Errorf("thumbnail requested %v, which reaches into the finest level's range %v", s, fine)
			}
		}
		if th.Ink < 0.02 {
			t.Errorf("thumbnail canvas blank (%.4f)", th.Ink)
		}
		t.Logf("thumbnail settled at level %s with %s bytes", th.Final.Level, th.Final.Bytes)
	})
	t.Run("a damaged model shows a message", func(t *testing.T) {
		b := rep.Broken
		if b.Final.State != "error" || !strings.Contains(b.Message, "damaged") || b.Img != 1 {
			t.Errorf("damaged model: %+v", b)
		}
		m := rep.Missing
		if m.Final.State != "error" || !strings.Contains(m.Message, "no published 3D model") {
			t.Errorf("missing model: %+v", m)
		}
	})
	t.Run("without WebGL a picture and a message", func(t *testing.T) {
		n := rep.NoWebGL
		if n.Final.State != "fallback" || !strings.Contains(n.Message, "WebGL") || n.Img == "" {
			t.Errorf("no WebGL: %+v", n)
		}
	})
}
