package lod

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/qmuntal/gltf"
)

// The progressive file is one GLB that a viewer can read by byte ranges,
// coarsest level first (the layout Babylon.js's MSFT_lod loader streams):
//
//   - Every node whose mesh has levels keeps its finest mesh and lists one
//     extra node per coarser level in extensions.MSFT_lod.ids, next-coarser
//     first; those nodes copy its transform and skin, have no children and
//     are in no scene. extras.MSFT_screencoverage holds one value per level.
//   - Every material whose textures shrink on coarser levels lists its
//     coarser copies the same way.
//   - The BIN chunk holds, in order: the data every level needs (animation,
//     skins, primitives that pass through) together with the coarsest level
//     of every node and material, then each finer level. Each bufferView
//     sits in the segment of the coarsest level that uses it, so each
//     level's data is one contiguous span, and the prefix of the file up to
//     the end of level k's span holds everything level k needs.

const extMSFTLod = "MSFT_lod"

type msftLod struct {
	IDs []int `json:"ids"`
}

// encodeProgressive writes progressive.glb. coverage(m) gives the
// MSFT_screencoverage values of a node showing mesh m.
func encodeProgressive(src *source, x *extraction, tex *textureChain, levels int, coverage func(mesh int) []float64) (encoded, error) {
	w, err := newWriter(src, x, tex, levels)
	if err != nil {
		return encoded{}, err
	}
	d := src.doc
	// The input's images, textures, materials and meshes keep their indices
	// as level 0, so that everything pointing at them stays valid; coarser
	// copies are appended.
	for i := range d.Images {
		w.image(i, 0)
	}
	imageAt := func(s, k int) int { return w.image(s, tex.at[s][k]) }
	for _, t := range w.doc.Textures {
		w.fixTexture(t, 0, imageAt)
	}

	textureSig := func(t, k int) string {
		var b strings.Builder
		for _, s := range textureSources(d.Textures[t]) {
			fmt.Fprintf(&b, "%d,", tex.at[s][k])
		}
		return b.String()
	}
	textureCopies := map[string]int{}
	textureAt := func(t, k int) (int, error) {
		sig := textureSig(t, k)
		if sig == textureSig(t, 0) {
			return t, nil
		}
		key := fmt.Sprintf("%d:%s", t, sig)
		if out, ok := textureCopies[key]; ok {
			return out, nil
		}
		c := new(gltf.Texture)
		if err := cloneJSON(d.Textures[t], c); err != nil {
			return 0, err
		}
		w.fixTexture(c, k, imageAt)
		w.doc.Textures = append(w.doc.Textures, c)
		textureCopies[key] = len(w.doc.Textures) - 1
		return textureCopies[key], nil
	}

	// matAt[m][k] is the material standing for material m at level k.
	matAt := make([][]int, len(d.Materials))
	for m, src := range d.Materials {
		matAt[m] = make([]int, levels)
		copies := map[string]int{}
		for k := range levels {
			var refs []int
			var ferr error
			forEachTextureRef(src, func(_ string, t int) {
				out, err := textureAt(t, k)
				if err != nil && ferr == nil {
					ferr = err
				}
				refs = append(refs, out)
			})
			if ferr != nil {
				return encoded{}, ferr
			}
			sig := fmt.Sprint(refs)
			if k == 0 || slices.Equal(refs, textureRefs(src)) {
				matAt[m][k] = m
				continue
			}
			if out, ok := copies[sig]; ok {
				matAt[m][k] = out
				continue
			}
			c := new(gltf.Material)
			if err := cloneJSON(src, c); err != nil {
				return encoded{}, err
			}
			remap := map[int]int{}
			forEachTextureRef(src, func(_ string, t int) {
				remap[t], _ = textureAt(t, k)
			})
			remapMaterialTextures(c, func(t int) int { return remap[t] })
			if c.Name != "" {
				c.Name = fmt.Sprintf("%s_LOD%d", c.Name, k)
			}
			w.doc.Materials = append(w.doc.Materials, c)
			copies[sig] = len(w.doc.Materials) - 1
			matAt[m][k] = copies[sig]
		}
	}
	used := false
	for m := range d.Materials {
		var ids []int
		prev := m
		for k := 1; k < levels; k++ {
			if matAt[m][k] != prev {
				ids = append(ids, matAt[m][k])
				prev = matAt[m][k]
			}
		}
		if len(ids) > 0 {
			mat := w.doc.Materials[m]
			if mat.Extensions == nil {
				mat.Extensions = gltf.Extensions{}
			}
			mat.Extensions[extMSFTLod] = msftLod{IDs: ids}
			used = true
		}
	}
	// A level needs the images of the material version it shows, for every
	// material (primitives that pass through show coarser versions too).
	for _, src := range d.Materials {
		for k := range levels {
			forEachTextureRef(src, func(_ string, t int) {
				for _, s := range textureSources(d.Textures[t]) {
					w.need(*w.doc.Images[imageAt(s, k)].BufferView, k)
				}
			})
		}
	}

	identity := func(mat int) int { return mat }
	for m := range d.Meshes {
		w.mesh(m, 0, identity)
	}
	lodMesh := make([][]int, len(d.Meshes))
	for m := range d.Meshes {
		if !x.meshLOD[m] || levels < 2 {
			continue
		}
		lodMesh[m] = make([]int, levels)
		for k := 1; k < levels; k++ {
			lodMesh[m][k] = w.mesh(m, k, func(mat int) int { return matAt[mat][k] })
		}
	}
	for i := range d.Nodes {
		n := w.doc.Nodes[i]
		if n.Mesh == nil || lodMesh[*n.Mesh] == nil {
			continue
		}
		var ids []int
		for k := 1; k < levels; k++ {
			name := ""
			if n.Name != "" {
				name = fmt.Sprintf("%s_LOD%d", n.Name, k)
			}
			w.doc.Nodes = append(w.doc.Nodes, &gltf.Node{
				Name: name, Mesh: gltf.Index(lodMesh[*n.Mesh][k]), Skin: n.Skin,
				Matrix: n.Matrix, Rotation: n.Rotation, Scale: n.Scale, Translation: n.Translation,
			})
			ids = append(ids, len(w.doc.Nodes)-1)
		}
		if n.Extensions == nil {
			n.Extensions = gltf.Extensions{}
		}
		n.Extensions[extMSFTLod] = msftLod{IDs: ids}
		extras, ok := n.Extras.(map[string]any)
		if n.Extras == nil {
			extras, ok = map[string]any{}, true
		}
		if ok {
			extras["MSFT_screencoverage"] = coverage(*n.Mesh)
			n.Extras = extras
		}
		used = true
	}
	if used && !slices.Contains(w.doc.ExtensionsUsed, extMSFTLod) {
		w.doc.ExtensionsUsed = append(w.doc.ExtensionsUsed, extMSFTLod)
	}
	w.dropUnusedWebP()
	return w.finish(true)
}

// textureSources lists the images a texture reads: its source and the
// source of every extension that has one (EXT_texture_webp, …).
func textureSources(t *gltf.Texture) []int {
	var out []int
	if t.Source != nil {
		out = append(out, *t.Source)
	}
	for _, name := range sortedKeys(t.Extensions) {
		if s, ok := extensionSource(t.Extensions[name]); ok {
			out = append(out, s)
		}
	}
	return out
}

// textureRefs lists a material's texture indices in forEachTextureRef order.
func textureRefs(m *gltf.Material) []int {
	var out []int
	forEachTextureRef(m, func(_ string, t int) { out = append(out, t) })
	return out
}

// cloneJSON deep-copies src into dst through JSON, which is how the gltf
// types define their defaults.
func cloneJSON(src, dst any) error {
	raw, err := json.Marshal(src)
	if err != nil {
		return fmt.Errorf("lod: copy: %w", err)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("lod: copy: %w", err)
	}
	return nil
}
