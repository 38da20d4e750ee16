package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// viewerManifest is the part of a bake manifest (docs/manifest.md) and of
// the publisher's pointer (docs/publishing.md) a streaming viewer reads.
type viewerManifest struct {
	Version     int `json:"version"`
	Progressive struct {
		File  string `json:"file"`
		Bytes int64  `json:"bytes"`
	} `json:"progressive"`
	Levels []struct {
		ProgressiveRange  [2]int64 `json:"progressiveRange"`
		ProgressivePrefix int64    `json:"progressivePrefix"`
	} `json:"levels"`
	// Published is what the publisher adds to the pointer: the version's
	// directory and progressive.glb's URL, both relative to the pointer.
	Published struct {
		Base        string `json:"base"`
		Progressive string `json:"progressive"`
	} `json:"published"`
}

// progressiveRef is where the progressive GLB is, relative to the
// manifest's URL: the pointer's published.progressive, else the bake's
// file name in published.base, else the bare file name (a bake directory
// served as it is).
func (m *viewerManifest) progressiveRef() string {
	switch {
	case m.Published.Progressive != "":
		return m.Published.Progressive
	case m.Progressive.File != "":
		return m.Published.Base + m.Progressive.File
	}
	return ""
}

// span is one range request of a viewer, [first, last] inclusive.
type span struct{ first, last int64 }

// parseViewerManifest reads a manifest and returns the URL of its
// progressive GLB and the spans a viewer asks for, in order: the coarsest
// level's prefix (JSON and coarsest data in one request), then each finer
// level's own range down to level finest; empty levels are skipped.
func parseViewerManifest(body []byte, manifestURL string, finest int) (string, []span, error) {
	var m viewerManifest
	if err := json.Unmarshal(body, &m); err != nil {
		return "", nil, fmt.Errorf("manifest: %w", err)
	}
	if m.Version != 1 {
		return "", nil, fmt.Errorf("manifest version %d, want 1", m.Version)
	}
	ref := m.progressiveRef()
	if ref == "" {
		return "", nil, errors.New("manifest names no progressive file")
	}
	size := m.Progressive.Bytes
	n := len(m.Levels)
	if n == 0 || size <= 0 {
		return "", nil, errors.New("manifest has no levels or no progressive size")
	}
	base, err := url.Parse(manifestURL)
	if err != nil {
		return "", nil, err
	}
	rel, err := url.Parse(ref)
	if err != nil {
		return "", nil, fmt.Errorf("manifest progressive %q: %w", ref, err)
	}
	target := base.ResolveReference(rel)
	if target.Scheme != "http" && target.Scheme != "https" {
		return "", nil, fmt.Errorf("manifest progressive %q resolves to a %q URL", ref, target.Scheme)
	}
	coarsest := m.Levels[n-1]
	if coarsest.ProgressivePrefix <= 0 || coarsest.ProgressivePrefix > size {
		return "", nil, fmt.Errorf("manifest coarsest prefix %d outside the %d-byte file", coarsest.ProgressivePrefix, size)
	}
	spans := []span{{0, coarsest.ProgressivePrefix - 1}}
	for k := n - 2; k >= min(finest, n-1) && k >= 0; k-- {
		r := m.Levels[k].ProgressiveRange
		if r[0] < 0 || r[1] < r[0] || r[1] > size {
			return "", nil, fmt.Errorf("manifest level %d range %v outside the %d-byte file", k, r, size)
		}
		if r[1] > r[0] {
			spans = append(spans, span{r[0], r[1] - 1})
		}
	}
	return target.String(), spans, nil
}

// runProgressive plays a viewer: the manifest, then its spans of the
// progressive GLB, each request due when the previous one completed. Its
// requests are recorded under three labels: manifest, coarsest, level.
func (w *worker) runProgressive(s *session, st *Step, label int, at time.Time) (time.Time, bool) {
	x := &w.x
	if !w.build(x, s, st, at) {
		return at, false
	}
	x.keepBody = true
	manifestURL := string(x.url)
	done, ok := w.send(s, st, label, at, x, nil)
	if !ok {
		return done, false
	}
	glb, spans, err := parseViewerManifest(x.respBody, manifestURL, st.Progressive.Finest)
	if err != nil {
		w.fail(at, "manifest")
		return done, false
	}
	at = done
	// The span requests are plain range GETs: no step body or method.
	spanStep := &Step{Name: st.Name, Range: &Range{}}
	for i, sp := range spans {
		x.reset()
		x.method = "GET"
		x.timeout = time.Duration(w.r.sc.Timeout)
		x.url = append(x.url, glb...)
		x.headers = append(x.headers, w.r.headers...)
		x.headers = append(x.headers, [2]string{"Range", "bytes=" + strconv.FormatInt(sp.first, 10) + "-" + strconv.FormatInt(sp.last, 10)})
		l := label + 2
		if i == 0 {
			l = label + 1
		}
		first, last := sp.first, sp.last
		done, ok = w.send(s, spanStep, l, at, x, func(x *exchange) string { return checkPartial(x, first, last) })
		if !ok {
			return done, false
		}
		at = done
	}
	return at, true
}
