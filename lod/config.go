package lod

import (
	"errors"
	"fmt"
	"math"
	"runtime"
)

// Config tunes Bake. Start from DefaultConfig; the comments are a tuning
// guide. Every field has a `strata bake` flag of the same spirit.
type Config struct {
	// MaxInputBytes bounds the bytes Bake reads: the GLB or .gltf document
	// plus every buffer and image it loads (embedded, data: URI or external).
	// Everything Bake allocates is proportional to what it read, so this is
	// the main memory bound. Default: 512 MiB.
	MaxInputBytes int64

	// MaxVertices bounds the total vertex count of the triangle primitives
	// that are simplified (after reading, before welding). The simplifier
	// needs roughly 400 bytes per vertex at its peak. Default: 8,000,000.
	MaxVertices int

	// MaxTriangles bounds the total triangle count of the triangle
	// primitives that are simplified. Default: 8,000,000.
	MaxTriangles int

	// MaxTexturePixels bounds width×height of every image that is decoded to
	// be downscaled; a decoded image takes 4 bytes per pixel (8 for 16-bit
	// PNGs). Default: 67,108,864 (8192×8192).
	MaxTexturePixels int64

	// Ratios gives the triangle count of each level as a fraction of the
	// input's, finest first. The first must be 1 (level 0 is the welded
	// input) and the rest strictly decreasing. Each level is simplified from
	// the previous one. Ignored when ErrorBudget is set.
	// Default: 1, 1/4, 1/16, 1/64.
	Ratios []float64

	// ErrorBudget, when not empty, defines the levels after level 0 by their
	// geometric error instead of a triangle ratio: level k+1 is simplified as
	// far as it can go while its error stays within ErrorBudget[k], a
	// fraction of each mesh's extent (the largest side of its bounding box),
	// e.g. 0.002, 0.01, 0.05. Strictly increasing values in (0, 1).
	// Default: empty (levels by Ratios).
	ErrorBudget []float64

	// MaxError caps the geometric error of every level, as a fraction of
	// each mesh's extent: a mesh is not simplified further once that would
	// take it more than this far from the input, whatever the ratio asks.
	// It keeps small parts (a quad, a box) from being crushed into a
	// triangle on coarse levels. With attributes the cap applies to the
	// combined position and attribute error, as in the simplifier. In
	// (0, 1]. Default: 0.1.
	MaxError float64

	// MinTriangles stops the chain: a level whose total triangle count (the
	// target with Ratios, the result with ErrorBudget) would be below it is
	// not produced, and neither are coarser ones. Level 0 is always
	// produced. Default: 64.
	MinTriangles int

	// NormalWeight, UVWeight and ColorWeight weigh attribute changes against
	// geometric error in the simplifier (see simplify.Mesh.AttrWeights): a
	// change of 1 in a weighted component across a distance d costs about as
	// much as moving the surface by d. 0 ignores the attribute (seams are
	// still kept). Defaults: 0.5, 0.5, 0.5.
	NormalWeight float32
	UVWeight     float32
	ColorWeight  float32

	// TextureScale is the linear factor applied to PNG, JPEG and WebP
	// textures from one level to the next coarser one: 0.5 halves width and
	// height per level, which matches a triangle ratio of 1/4 per level. 1
	// keeps full-size textures at every level. In (0, 1]. Default: 0.5.
	TextureScale float64

	// MinTextureSize is the smallest width or height, in pixels, a texture
	// is downscaled to. Default: 32.
	MinTextureSize int

	// JPEGQuality is the quality, 1–100, of re-encoded JPEG textures (JPEG
	// inputs and opaque WebP inputs). Default: 85.
	JPEGQuality int

	// ViewportPixels and ErrorPixels derive each level's screen coverage
	// from its error: a level is good enough while its geometric error
	// projects to at most ErrorPixels on a viewport ViewportPixels tall.
	// Defaults: 1080 and 1.
	ViewportPixels int
	ErrorPixels    float64

	// Workers is how many meshes are simplified (and textures downscaled) at
	// once. Default: GOMAXPROCS.
	Workers int

	// Progress, when not nil, is told about finished units of work. Calls
	// are serialized; they come from worker goroutines, so keep them short.
	// Default: nil.
	Progress func(Progress)
}

// Progress is a snapshot of how far Bake is.
type Progress struct {
	Stage string // "parse", "simplify", "textures", "encode" or "done"
	Done  int    // units of work finished so far, over all stages
	Total int    // units of work known so far; grows once, after parsing
}

// DefaultConfig returns the configuration described on each Config field.
func DefaultConfig() Config {
	return Config{
		MaxInputBytes:    512 << 20,
		MaxVertices:      8_000_000,
		MaxTriangles:     8_000_000,
		MaxTexturePixels: 8192 * 8192,
		Ratios:           []float64{1, 1.0 / 4, 1.0 / 16, 1.0 / 64},
		MaxError:         0.1,
		MinTriangles:     64,
		NormalWeight:     0.5,
		UVWeight:         0.5,
		ColorWeight:      0.5,
		TextureScale:     0.5,
		MinTextureSize:   32,
		JPEGQuality:      85,
		ViewportPixels:   1080,
		ErrorPixels:      1,
		Workers:          runtime.GOMAXPROCS(0),
	}
}

// maxLevels bounds the chain length; more levels than this only add bytes.
const maxLevels = 16

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("lod: "+format, args...)) }
	if c.MaxInputBytes <= 0 {
		add("MaxInputBytes %d must be positive", c.MaxInputBytes)
	}
	if c.MaxVertices <= 0 || c.MaxVertices >= math.MaxUint32 {
		add("MaxVertices %d must be in 1..%d", c.MaxVertices, uint32(math.MaxUint32-1))
	}
	if c.MaxTriangles <= 0 {
		add("MaxTriangles %d must be positive", c.MaxTriangles)
	}
	if c.MaxTexturePixels <= 0 {
		add("MaxTexturePixels %d must be positive", c.MaxTexturePixels)
	}
	if len(c.ErrorBudget) == 0 {
		switch {
		case len(c.Ratios) == 0:
			add("Ratios is empty and so is ErrorBudget: no levels")
		case len(c.Ratios) > maxLevels:
			add("%d Ratios, at most %d levels", len(c.Ratios), maxLevels)
		case c.Ratios[0] != 1:
			add("Ratios[0] is %v, want 1 (level 0 is the input)", c.Ratios[0])
		}
		for i := 1; i < len(c.Ratios); i++ {
			if r := c.Ratios[i]; !(r > 0 && r < c.Ratios[i-1]) {
				add("Ratios[%d] is %v, want a value in (0, %v)", i, r, c.Ratios[i-1])
			}
		}
	} else {
		if len(c.ErrorBudget)+1 > maxLevels {
			add("%d ErrorBudget entries, at most %d", len(c.ErrorBudget), maxLevels-1)
		}
		prev := 0.0
		for i, e := range c.ErrorBudget {
			if !(e > prev && e < 1) {
				add("ErrorBudget[%d] is %v, want a value in (%v, 1)", i, e, prev)
			}
			prev = e
		}
	}
	if !(c.MaxError > 0 && c.MaxError <= 1) {
		add("MaxError %v must be in (0, 1]", c.MaxError)
	}
	if c.MinTriangles < 0 {
		add("MinTriangles %d is negative", c.MinTriangles)
	}
	for _, w := range []struct {
		name string
		v    float32
	}{{"NormalWeight", c.NormalWeight}, {"UVWeight", c.UVWeight}, {"ColorWeight", c.ColorWeight}} {
		if !(w.v >= 0) || math.IsInf(float64(w.v), 0) {
			add("%s %v must be a finite value >= 0", w.name, w.v)
		}
	}
	if !(c.TextureScale > 0 && c.TextureScale <= 1) {
		add("TextureScale %v must be in (0, 1]", c.TextureScale)
	}
	if c.MinTextureSize < 1 {
		add("MinTextureSize %d must be at least 1", c.MinTextureSize)
	}
	if c.JPEGQuality < 1 || c.JPEGQuality > 100 {
		add("JPEGQuality %d must be in 1..100", c.JPEGQuality)
	}
	if c.ViewportPixels < 1 {
		add("ViewportPixels %d must be at least 1", c.ViewportPixels)
	}
	if !(c.ErrorPixels > 0) || math.IsInf(c.ErrorPixels, 0) {
		add("ErrorPixels %v must be a finite value > 0", c.ErrorPixels)
	}
	if c.Workers < 1 {
		add("Workers %d must be at least 1", c.Workers)
	}
	return errors.Join(errs...)
}

// levelCount is the number of levels the configuration asks for, before
// MinTriangles cuts the chain.
func (c Config) levelCount() int {
	if len(c.ErrorBudget) > 0 {
		return len(c.ErrorBudget) + 1
	}
	return len(c.Ratios)
}
