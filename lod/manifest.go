package lod

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"

	"github.com/qmuntal/gltf"
)

// ManifestVersion is the format version of manifest.json; readers should
// refuse a higher major version. docs/manifest.md describes the format.
const ManifestVersion = 1

// Manifest describes one bake: the levels, the files and how to stream
// progressive.glb. It is written as manifest.json.
type Manifest struct {
	Version   int    `json:"version"`
	Generator string `json:"generator"`
	// Source describes the input.
	Source SourceInfo `json:"source"`
	// Extent is the largest side of the scene's bounding box, in model
	// units (metres for well-behaved glTF); errors are relative to it.
	Extent float64 `json:"extent"`
	// Progressive describes progressive.glb.
	Progressive ProgressiveInfo `json:"progressive"`
	// Levels lists the levels finest first; Levels[k].Level == k.
	Levels []LevelInfo `json:"levels"`
	// Files lists every other file of the bake with its size and hash.
	Files []FileInfo `json:"files"`
	// PassThrough lists primitives that every level carries unchanged.
	PassThrough []PassThrough `json:"passThrough,omitempty"`
	// Warnings lists things that did not stop the bake but may surprise.
	Warnings []string `json:"warnings,omitempty"`
}

// SourceInfo describes the input of a bake.
type SourceInfo struct {
	Name      string `json:"name,omitempty"`
	Bytes     int    `json:"bytes"`
	SHA256    string `json:"sha256"`
	Triangles int    `json:"triangles"`
	Vertices  int    `json:"vertices"`
}

// ProgressiveInfo describes progressive.glb.
type ProgressiveInfo struct {
	File   string `json:"file"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
	// HeaderBytes is where the BIN chunk's data starts: the GLB header, the
	// whole JSON chunk and the BIN chunk header. A viewer fetches these
	// bytes first, then the levels' ranges.
	HeaderBytes int `json:"headerBytes"`
}

// LevelInfo describes one level of detail.
type LevelInfo struct {
	Level int `json:"level"`
	// Triangles and Vertices are totals over every mesh primitive (each
	// mesh counted once), pass-through primitives included.
	Triangles int `json:"triangles"`
	Vertices  int `json:"vertices"`
	// TargetTriangles is what the level aimed for (ratio mode only).
	TargetTriangles int `json:"targetTriangles,omitempty"`
	// Error bounds the geometric deviation from level 0, in model units
	// (node scales applied); RelativeError is Error over Extent.
	Error         float64 `json:"error"`
	RelativeError float64 `json:"relativeError"`
	// ScreenCoverage is the fraction of the viewport's area below which this
	// level is good enough for the next finer one to be skipped; the
	// coarsest level has 0. See docs/manifest.md.
	ScreenCoverage float64 `json:"screenCoverage"`
	// File is the standalone GLB of this level, with its size and hash.
	File   string `json:"file"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
	// ProgressiveRange is [start, end): this level's own bytes in
	// progressive.glb. Empty (start == end) when it has none.
	ProgressiveRange [2]int `json:"progressiveRange"`
	// ProgressivePrefix is the length of the prefix of progressive.glb that
	// holds everything this level needs: the JSON and every coarser level.
	ProgressivePrefix int `json:"progressivePrefix"`
}

// FileInfo is one output file.
type FileInfo struct {
	Name      string `json:"name"`
	Bytes     int    `json:"bytes"`
	SHA256    string `json:"sha256"`
	MediaType string `json:"mediaType"`
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// levelStats holds the numbers the manifest and the progressive file's
// screen coverage are computed from.
type levelStats struct {
	levels    int
	extent    float64
	triangles []int
	vertices  []int
	targets   []int
	err       []float64 // model units
	relErr    []float64
	coverage  []float64
	meshCov   [][]float64 // per mesh, MSFT_screencoverage values
}

// measure computes per-level totals and errors. Errors scale with the
// largest world scale of any node showing the mesh; meshes that no node
// shows count with their own units.
func measure(src *source, x *extraction, plan chainPlan, levels int, cfg Config) levelStats {
	d := src.doc
	st := levelStats{
		levels: levels, triangles: make([]int, levels), vertices: make([]int, levels), targets: make([]int, levels),
		err: make([]float64, levels), relErr: make([]float64, levels), coverage: make([]float64, levels),
		meshCov: make([][]float64, len(d.Meshes)),
	}
	world := worldMatrices(d.Nodes)
	meshScale := make([]float64, len(d.Meshes))
	var scene box
	for i, n := range d.Nodes {
		if n.Mesh == nil {
			continue
		}
		m := *n.Mesh
		meshScale[m] = max(meshScale[m], world[i].maxScale())
		for _, g := range x.primGeom[m] {
			if g >= 0 {
				scene.addTransformed(world[i], x.geoms[g].boxMin, x.geoms[g].boxMax)
			}
		}
	}
	for m := range d.Meshes {
		if meshScale[m] == 0 {
			meshScale[m] = 1
			for _, g := range x.primGeom[m] {
				if g >= 0 {
					scene.addTransformed(identity4, x.geoms[g].boxMin, x.geoms[g].boxMax)
				}
			}
		}
	}
	st.extent = scene.extent()

	for m, mesh := range d.Meshes {
		var meshBox box
		meshErr := make([]float64, levels)
		for p, prim := range mesh.Primitives {
			g := x.primGeom[m][p]
			if g < 0 {
				tris, verts := passThroughCounts(d, prim)
				for k := range levels {
					st.triangles[k] += tris
					st.vertices[k] += verts
					st.targets[k] += tris
				}
				continue
			}
			geom := x.geoms[g]
			meshBox.addTransformed(identity4, geom.boxMin, geom.boxMax)
			for k := range levels {
				lv := &geom.levels[k]
				st.triangles[k] += lv.triangles()
				st.vertices[k] += len(lv.streams[0].data) / 3
				if plan.ratios != nil && k > 0 {
					st.targets[k] += min(plan.targetTriangles(geom, k), geom.levels[0].triangles())
				} else {
					st.targets[k] += lv.triangles()
				}
				meshErr[k] = max(meshErr[k], float64(lv.err))
				st.err[k] = max(st.err[k], float64(lv.err)*meshScale[m])
			}
		}
		if x.meshLOD[m] {
			rel := make([]float64, levels)
			if e := meshBox.extent(); e > 0 {
				for k := range levels {
					rel[k] = meshErr[k] / e
				}
			}
			st.meshCov[m] = screenCoverage(rel, cfg)
		}
	}
	for k := range levels {
		if st.extent > 0 {
			st.relErr[k] = st.err[k] / st.extent
		}
	}
	st.coverage = screenCoverage(st.relErr, cfg)
	if plan.ratios == nil {
		st.targets = nil
	}
	return st
}

// screenCoverage turns relative errors per level into MSFT_screencoverage
// values: value k is the viewport area fraction below which level k+1's
// error stays within ErrorPixels, so level k is shown above it; the last
// value is 0 so that the coarsest level never disappears.
func screenCoverage(relErr []float64, cfg Config) []float64 {
	out := make([]float64, len(relErr))
	prev := 1.0
	for k := range len(relErr) - 1 {
		c := 1.0
		if e := relErr[k+1]; e > 0 {
			linear := cfg.ErrorPixels / (e * float64(cfg.ViewportPixels))
			c = min(1, linear*linear)
		}
		c = min(c, prev)
		out[k] = round6(c)
		prev = c
	}
	return out
}

// round6 keeps six significant digits, so the JSON stays readable and
// stable across platforms.
func round6(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	exp := math.Floor(math.Log10(math.Abs(v)))
	scale := math.Pow(10, 5-exp)
	return math.Round(v*scale) / scale
}

// passThroughCounts counts a pass-through primitive's triangles and
// vertices from its accessors.
func passThroughCounts(d *gltf.Document, p *gltf.Primitive) (tris, verts int) {
	pos, ok := p.Attributes[gltf.POSITION]
	if !ok {
		return 0, 0
	}
	verts = d.Accessors[pos].Count
	n := int64(verts)
	if p.Indices != nil {
		n = int64(d.Accessors[*p.Indices].Count)
	}
	return int(primitiveTriangles(p.Mode, n)), verts
}

// levelFile names level k's standalone file.
func levelFile(k int) string { return fmt.Sprintf("lod%d.glb", k) }

// ProgressiveFile and ManifestFile are the names of the bake's fixed files.
const (
	ProgressiveFile = "progressive.glb"
	ManifestFile    = "manifest.json"
)

// buildManifest assembles the manifest once every file is encoded.
func buildManifest(in Input, src *source, st levelStats, prog encoded, lods []encoded, x *extraction, warnings []string) Manifest {
	man := Manifest{
		Version:   ManifestVersion,
		Generator: Generator,
		Source: SourceInfo{
			Name: in.Name, Bytes: len(in.Data), SHA256: sha256Hex(in.Data),
			Triangles: st.triangles[0], Vertices: st.vertices[0],
		},
		Extent: round6(st.extent),
		Progressive: ProgressiveInfo{
			File: ProgressiveFile, Bytes: len(prog.glb), SHA256: sha256Hex(prog.glb), HeaderBytes: prog.binStart,
		},
		PassThrough: x.passThrough,
		Warnings:    warnings,
	}
	// Source triangles and vertices count the input as read, before welding.
	man.Source.Triangles, man.Source.Vertices = inputCounts(src)
	man.Files = append(man.Files, FileInfo{Name: ProgressiveFile, Bytes: len(prog.glb), SHA256: man.Progressive.SHA256, MediaType: "model/gltf-binary"})
	for k, e := range lods {
		lv := LevelInfo{
			Level: k, Triangles: st.triangles[k], Vertices: st.vertices[k],
			Error: round6(st.err[k]), RelativeError: round6(st.relErr[k]), ScreenCoverage: st.coverage[k],
			File: levelFile(k), Bytes: len(e.glb), SHA256: sha256Hex(e.glb),
			ProgressiveRange: prog.spans[k], ProgressivePrefix: prog.spans[k][1],
		}
		if st.targets != nil {
			lv.TargetTriangles = st.targets[k]
		}
		man.Levels = append(man.Levels, lv)
		man.Files = append(man.Files, FileInfo{Name: lv.File, Bytes: lv.Bytes, SHA256: lv.SHA256, MediaType: "model/gltf-binary"})
	}
	return man
}

// inputCounts counts triangles and vertices of every mesh primitive as the
// input declares them.
func inputCounts(src *source) (tris, verts int) {
	for _, m := range src.doc.Meshes {
		for _, p := range m.Primitives {
			t, v := passThroughCounts(src.doc, p)
			tris += t
			verts += v
		}
	}
	return tris, verts
}

// encodeManifest writes the manifest as indented JSON with a final newline.
func encodeManifest(m Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("lod: encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}
