package lod_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/qmuntal/gltf"

	"github.com/strata3d/strata/lod"
)

// checkProgressive checks a result's progressive.glb against its standalone
// files and its manifest:
//   - each level read from progressive.glb (MSFT_lod node k, or the node
//     itself when it has no levels) decodes to the same geometry as the
//     level's standalone file, and LOD nodes show the same texture images;
//   - the manifest's prefix for each level holds every accessor and image
//     that level needs;
//   - levels lie coarsest first, each in one contiguous span;
//   - sizes and hashes in the manifest match the files.
func checkProgressive(t *testing.T, res *lod.Result) {
	t.Helper()
	man := res.Manifest
	progBytes, ok := res.File(lod.ProgressiveFile)
	if !ok {
		t.Fatal("no progressive.glb")
	}
	prog := mustDecodeGLB(t, progBytes)
	levels := len(man.Levels)
	if levels == 0 {
		t.Fatal("manifest lists no levels")
	}
	if got := len(res.Files); got != levels+2 {
		t.Errorf("%d files for %d levels, want progressive + levels + manifest", got, levels)
	}
	checkHashes(t, res)

	// Spans: coarsest first, contiguous, starting right after the header.
	if man.Progressive.HeaderBytes > man.Levels[levels-1].ProgressivePrefix {
		t.Errorf("coarsest prefix %d ends before the header (%d bytes)", man.Levels[levels-1].ProgressivePrefix, man.Progressive.HeaderBytes)
	}
	end := man.Progressive.HeaderBytes
	for k := levels - 1; k >= 0; k-- {
		r := man.Levels[k].ProgressiveRange
		if r[0] < end || r[0]-end > 3 || r[1] < r[0] {
			t.Errorf("level %d range %v does not follow the previous end %d", k, r, end)
		}
		if man.Levels[k].ProgressivePrefix != r[1] {
			t.Errorf("level %d prefix %d, range ends at %d", k, man.Levels[k].ProgressivePrefix, r[1])
		}
		end = r[1]
	}
	if man.Levels[0].ProgressivePrefix < len(progBytes)-3 {
		t.Errorf("finest prefix %d leaves %d bytes of the %d-byte file out", man.Levels[0].ProgressivePrefix, len(progBytes)-man.Levels[0].ProgressivePrefix, len(progBytes))
	}

	for k, lv := range man.Levels {
		if lv.Level != k {
			t.Errorf("levels[%d].level = %d", k, lv.Level)
		}
		sb, ok := res.File(lv.File)
		if !ok {
			t.Fatalf("level %d: no file %s", k, lv.File)
		}
		alone := mustDecodeGLB(t, sb)
		prefix := mustDecodeGLB(t, progBytes[:lv.ProgressivePrefix])
		nodes := len(alone.doc.Nodes)
		if len(prog.doc.Nodes) < nodes {
			t.Fatalf("progressive has %d nodes, level %d has %d", len(prog.doc.Nodes), k, nodes)
		}
		need := newNeeds(t, prog)
		for i := range nodes {
			pn, an := prog.doc.Nodes[i], alone.doc.Nodes[i]
			if (pn.Mesh == nil) != (an.Mesh == nil) {
				t.Fatalf("level %d node %d: mesh presence differs", k, i)
			}
			if pn.Mesh == nil {
				continue
			}
			ids := lodIDs(t, pn.Extensions)
			node := i
			if ids != nil {
				if len(ids) != levels-1 {
					t.Fatalf("node %d has %d MSFT_lod ids for %d levels", i, len(ids), levels)
				}
				cov := screenCoverage(t, pn)
				if len(cov) != levels || cov[levels-1] != 0 || !slices.IsSortedFunc(cov, func(a, b float64) int { return compare(b, a) }) {
					t.Errorf("node %d MSFT_screencoverage %v: want %d non-increasing values ending in 0", i, cov, levels)
				}
				if k > 0 {
					node = ids[k-1]
				}
			}
			pm := prog.doc.Meshes[*prog.doc.Nodes[node].Mesh]
			am := alone.doc.Meshes[*an.Mesh]
			if len(pm.Primitives) != len(am.Primitives) {
				t.Fatalf("level %d node %d: %d primitives in progressive, %d standalone", k, i, len(pm.Primitives), len(am.Primitives))
			}
			for p := range pm.Primitives {
				where := fmt.Sprintf("level %d node %d primitive %d", k, i, p)
				comparePrimitives(t, where, prog, alone, pm.Primitives[p], am.Primitives[p])
				need.primitive(pm.Primitives[p])
				if mat := pm.Primitives[p].Material; mat != nil {
					if ids != nil && k > 0 {
						// LOD nodes show their level's material directly.
						if !bytes.Equal(materialImages(t, prog, *mat), materialImages(t, alone, *am.Primitives[p].Material)) {
							t.Errorf("%s: texture images differ from the standalone level", where)
						}
						need.material(*mat)
					} else {
						// A viewer shows the coarsest material version first.
						need.material(coarsest(t, prog, *mat))
					}
				}
			}
			if sk := prog.doc.Nodes[node].Skin; sk != nil {
				if ibm := prog.doc.Skins[*sk].InverseBindMatrices; ibm != nil {
					need.accessor(*ibm)
				}
			}
		}
		for _, a := range prog.doc.Animations {
			for _, s := range a.Samplers {
				need.accessor(s.Input)
				need.accessor(s.Output)
			}
		}
		for _, v := range need.sortedViews() {
			if _, end := prog.viewRange(v); end > len(prefix.bin) {
				t.Errorf("level %d needs bufferView %d (ending at BIN byte %d), the %d-byte prefix holds %d BIN bytes",
					k, v, end, lv.ProgressivePrefix, len(prefix.bin))
			}
		}
	}
}

func compare(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func screenCoverage(t *testing.T, n *gltf.Node) []float64 {
	t.Helper()
	raw, _ := json.Marshal(n.Extras)
	var extras struct {
		Coverage []float64 `json:"MSFT_screencoverage"`
	}
	if err := json.Unmarshal(raw, &extras); err != nil {
		t.Fatalf("node extras: %v", err)
	}
	return extras.Coverage
}

// comparePrimitives fails unless two primitives decode to the same data.
func comparePrimitives(t *testing.T, where string, a, b glbDoc, pa, pb *gltf.Primitive) {
	t.Helper()
	if pa.Mode != pb.Mode {
		t.Errorf("%s: mode %v vs %v", where, pa.Mode, pb.Mode)
	}
	if !slices.Equal(sortedNames(pa.Attributes), sortedNames(pb.Attributes)) {
		t.Fatalf("%s: attributes %v vs %v", where, sortedNames(pa.Attributes), sortedNames(pb.Attributes))
	}
	for name, acc := range pa.Attributes {
		if !bytes.Equal(a.accessorBytes(t, acc), b.accessorBytes(t, pb.Attributes[name])) {
			t.Errorf("%s: %s differs", where, name)
		}
	}
	if (pa.Indices == nil) != (pb.Indices == nil) {
		t.Fatalf("%s: indices presence differs", where)
	}
	if pa.Indices != nil && !bytes.Equal(a.accessorBytes(t, *pa.Indices), b.accessorBytes(t, *pb.Indices)) {
		t.Errorf("%s: indices differ", where)
	}
	if len(pa.Targets) != len(pb.Targets) {
		t.Errorf("%s: %d vs %d morph targets", where, len(pa.Targets), len(pb.Targets))
	}
}

func sortedNames(attrs gltf.PrimitiveAttributes) []string {
	var out []string
	for k := range attrs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// materialTextures lists the texture indices of a material's core slots.
func materialTextures(m *gltf.Material) []int {
	var out []int
	if p := m.PBRMetallicRoughness; p != nil {
		if p.BaseColorTexture != nil {
			out = append(out, p.BaseColorTexture.Index)
		}
		if p.MetallicRoughnessTexture != nil {
			out = append(out, p.MetallicRoughnessTexture.Index)
		}
	}
	if m.NormalTexture != nil && m.NormalTexture.Index != nil {
		out = append(out, *m.NormalTexture.Index)
	}
	if m.OcclusionTexture != nil && m.OcclusionTexture.Index != nil {
		out = append(out, *m.OcclusionTexture.Index)
	}
	if m.EmissiveTexture != nil {
		out = append(out, m.EmissiveTexture.Index)
	}
	return out
}

// textureImages lists the images a texture reads (core and
// EXT_texture_webp sources).
func textureImages(t *testing.T, tex *gltf.Texture) []int {
	var out []int
	if tex.Source != nil {
		out = append(out, *tex.Source)
	}
	if v, ok := tex.Extensions["EXT_texture_webp"]; ok {
		raw, _ := json.Marshal(v)
		var e struct {
			Source int `json:"source"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("EXT_texture_webp: %v", err)
		}
		out = append(out, e.Source)
	}
	return out
}

// materialImages concatenates the bytes of every image a material's core
// texture slots show.
func materialImages(t *testing.T, g glbDoc, m int) []byte {
	t.Helper()
	var out []byte
	for _, tex := range materialTextures(g.doc.Materials[m]) {
		for _, img := range textureImages(t, g.doc.Textures[tex]) {
			start, end := g.viewRange(*g.doc.Images[img].BufferView)
			out = append(out, g.bin[start:end]...)
		}
	}
	return out
}

// coarsest follows a material's MSFT_lod ids to its coarsest version.
func coarsest(t *testing.T, g glbDoc, m int) int {
	if ids := lodIDs(t, g.doc.Materials[m].Extensions); len(ids) > 0 {
		return ids[len(ids)-1]
	}
	return m
}

// needs collects the bufferViews a level reads.
type needs struct {
	t     *testing.T
	g     glbDoc
	views map[int]bool
}

func newNeeds(t *testing.T, g glbDoc) *needs { return &needs{t: t, g: g, views: map[int]bool{}} }

func (n *needs) accessor(a int) {
	if v := n.g.doc.Accessors[a].BufferView; v != nil {
		n.views[*v] = true
	}
}

func (n *needs) primitive(p *gltf.Primitive) {
	for _, a := range p.Attributes {
		n.accessor(a)
	}
	if p.Indices != nil {
		n.accessor(*p.Indices)
	}
	for _, t := range p.Targets {
		for _, a := range t {
			n.accessor(a)
		}
	}
}

func (n *needs) material(m int) {
	for _, tex := range materialTextures(n.g.doc.Materials[m]) {
		for _, img := range textureImages(n.t, n.g.doc.Textures[tex]) {
			n.views[*n.g.doc.Images[img].BufferView] = true
		}
	}
}

func (n *needs) sortedViews() []int {
	var out []int
	for v := range n.views {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// checkHashes checks the manifest's sizes and SHA-256 against the files.
func checkHashes(t *testing.T, res *lod.Result) {
	t.Helper()
	listed := map[string]lod.FileInfo{}
	for _, f := range res.Manifest.Files {
		listed[f.Name] = f
	}
	for _, f := range res.Files {
		if f.Name == lod.ManifestFile {
			continue
		}
		info, ok := listed[f.Name]
		if !ok {
			t.Errorf("manifest does not list %s", f.Name)
			continue
		}
		if info.Bytes != len(f.Data) || info.SHA256 != sha256Hex(f.Data) {
			t.Errorf("%s: manifest says %d bytes sha256 %s, file has %d bytes sha256 %s", f.Name, info.Bytes, info.SHA256, len(f.Data), sha256Hex(f.Data))
		}
	}
	var onDisk lod.Manifest
	raw, _ := res.File(lod.ManifestFile)
	if err := json.Unmarshal(raw, &onDisk); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if onDisk.Progressive != res.Manifest.Progressive || len(onDisk.Levels) != len(res.Manifest.Levels) {
		t.Errorf("manifest.json does not match Result.Manifest")
	}
}
