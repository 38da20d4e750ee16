package meshgen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/qmuntal/gltf"
)

// Generator is written to asset.generator of every GLB this package encodes.
const Generator = "Strata meshgen"

// EncodeGLB writes the model as a glTF 2.0 binary: a root node named after
// the model with one child node and one mesh per part, one PBR material per
// distinct Material, and all vertex data in the GLB's binary chunk, each
// attribute in its own 4-byte-aligned buffer view (non-interleaved, which
// keeps the layout simple for the LOD pipeline to re-read). Indices are u16
// when a part has fewer than 65536 vertices, else u32.
func EncodeGLB(m *Model) ([]byte, error) {
	if m == nil || len(m.Parts) == 0 {
		return nil, errors.New("meshgen: model has no parts")
	}
	doc := &gltf.Document{
		Asset:  gltf.Asset{Version: "2.0", Generator: Generator},
		Scene:  gltf.Index(0),
		Scenes: []*gltf.Scene{{Name: m.Title, Nodes: []int{0}}},
		Nodes:  []*gltf.Node{{Name: m.Name}},
	}
	var bin bytes.Buffer
	var materials []Material

	for pi := range m.Parts {
		p := &m.Parts[pi]
		if err := checkMesh(&p.Mesh); err != nil {
			return nil, fmt.Errorf("meshgen: part %q: %w", p.Name, err)
		}
		attrs := gltf.PrimitiveAttributes{}
		attrs[gltf.POSITION] = addFloats(doc, &bin, p.Mesh.Positions, gltf.AccessorVec3, true)
		if p.Mesh.Normals != nil {
			attrs[gltf.NORMAL] = addFloats(doc, &bin, p.Mesh.Normals, gltf.AccessorVec3, false)
		}
		if p.Mesh.UVs != nil {
			attrs[gltf.TEXCOORD_0] = addFloats(doc, &bin, p.Mesh.UVs, gltf.AccessorVec2, false)
		}
		if p.Mesh.Colors != nil {
			attrs[gltf.COLOR_0] = addFloats(doc, &bin, p.Mesh.Colors, gltf.AccessorVec4, false)
		}
		indices := addIndices(doc, &bin, p.Mesh.Indices, p.Mesh.VertexCount())

		mat := -1
		for i, have := range materials {
			if have == p.Material {
				mat = i
				break
			}
		}
		if mat < 0 {
			mat = len(materials)
			materials = append(materials, p.Material)
			doc.Materials = append(doc.Materials, gltfMaterial(p.Material))
		}

		doc.Meshes = append(doc.Meshes, &gltf.Mesh{
			Name: p.Name,
			Primitives: []*gltf.Primitive{{
				Attributes: attrs,
				Indices:    gltf.Index(indices),
				Material:   gltf.Index(mat),
				Mode:       gltf.PrimitiveTriangles,
			}},
		})
		node := &gltf.Node{
			Name:        p.Name,
			Mesh:        gltf.Index(len(doc.Meshes) - 1),
			Translation: [3]float64{float64(p.Translation[0]), float64(p.Translation[1]), float64(p.Translation[2])},
			Rotation:    [4]float64{0, 0, 0, 1},
			Scale:       [3]float64{1, 1, 1},
		}
		doc.Nodes = append(doc.Nodes, node)
		doc.Nodes[0].Children = append(doc.Nodes[0].Children, len(doc.Nodes)-1)
	}
	doc.Nodes[0].Rotation = [4]float64{0, 0, 0, 1}
	doc.Nodes[0].Scale = [3]float64{1, 1, 1}
	doc.Buffers = []*gltf.Buffer{{ByteLength: bin.Len(), Data: bin.Bytes()}}

	var out bytes.Buffer
	out.Grow(bin.Len() + 4096)
	if err := gltf.NewEncoder(&out).Encode(doc); err != nil {
		return nil, fmt.Errorf("meshgen: encode %q: %w", m.Name, err)
	}
	return out.Bytes(), nil
}

// checkMesh rejects meshes the encoder would turn into invalid glTF.
func checkMesh(m *Mesh) error {
	n := m.VertexCount()
	switch {
	case n == 0 || len(m.Positions) != 3*n:
		return errors.New("positions empty or not a multiple of 3")
	case m.Normals != nil && len(m.Normals) != 3*n:
		return errors.New("normals length does not match positions")
	case m.UVs != nil && len(m.UVs) != 2*n:
		return errors.New("UVs length does not match positions")
	case m.Colors != nil && len(m.Colors) != 4*n:
		return errors.New("colors length does not match positions")
	case len(m.Indices) == 0 || len(m.Indices)%3 != 0:
		return errors.New("indices empty or not a multiple of 3")
	}
	for _, i := range m.Indices {
		if int(i) >= n {
			return fmt.Errorf("index %d out of range (%d vertices)", i, n)
		}
	}
	return nil
}

// addFloats appends a float32 attribute as its own buffer view and accessor
// and returns the accessor index. POSITION needs min/max, and they must be the
// exact float32 extremes or the validator rejects them.
func addFloats(doc *gltf.Document, bin *bytes.Buffer, data []float32, typ gltf.AccessorType, minMax bool) int {
	comps := typ.Components()
	view := addView(doc, bin, len(data)*4, gltf.TargetArrayBuffer)
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	bin.Write(raw)
	acc := &gltf.Accessor{
		BufferView:    gltf.Index(view),
		ComponentType: gltf.ComponentFloat,
		Count:         len(data) / int(comps),
		Type:          typ,
	}
	if minMax {
		lo, hi := make([]float64, comps), make([]float64, comps)
		for c := range int(comps) {
			lo[c], hi[c] = math.Inf(1), math.Inf(-1)
		}
		for i, v := range data {
			c := i % int(comps)
			lo[c] = math.Min(lo[c], float64(v))
			hi[c] = math.Max(hi[c], float64(v))
		}
		acc.Min, acc.Max = lo, hi
	}
	doc.Accessors = append(doc.Accessors, acc)
	return len(doc.Accessors) - 1
}

func addIndices(doc *gltf.Document, bin *bytes.Buffer, idx []uint32, vertices int) int {
	ct, size := gltf.ComponentUint, 4
	if vertices < 1<<16 {
		ct, size = gltf.ComponentUshort, 2
	}
	view := addView(doc, bin, len(idx)*size, gltf.TargetElementArrayBuffer)
	raw := make([]byte, size*len(idx))
	for i, v := range idx {
		if size == 2 {
			binary.LittleEndian.PutUint16(raw[2*i:], uint16(v))
		} else {
			binary.LittleEndian.PutUint32(raw[4*i:], v)
		}
	}
	bin.Write(raw)
	doc.Accessors = append(doc.Accessors, &gltf.Accessor{
		BufferView:    gltf.Index(view),
		ComponentType: ct,
		Count:         len(idx),
		Type:          gltf.AccessorScalar,
	})
	return len(doc.Accessors) - 1
}

// addView pads bin to a 4-byte boundary (glTF requires accessor data to be
// aligned to its component size; 4 covers all of them) and registers a view
// of length bytes starting there.
func addView(doc *gltf.Document, bin *bytes.Buffer, length int, target gltf.Target) int {
	for bin.Len()%4 != 0 {
		bin.WriteByte(0)
	}
	doc.BufferViews = append(doc.BufferViews, &gltf.BufferView{
		Buffer:     0,
		ByteOffset: bin.Len(),
		ByteLength: length,
		Target:     target,
	})
	return len(doc.BufferViews) - 1
}

func gltfMaterial(m Material) *gltf.Material {
	c := m.BaseColor
	return &gltf.Material{
		Name: m.Name,
		PBRMetallicRoughness: &gltf.PBRMetallicRoughness{
			BaseColorFactor: &[4]float64{short(c[0]), short(c[1]), short(c[2]), short(c[3])},
			MetallicFactor:  gltf.Float(short(m.Metallic)),
			RoughnessFactor: gltf.Float(short(m.Roughness)),
		},
		AlphaMode:   alphaMode(c[3]),
		DoubleSided: m.DoubleSided,
	}
}

func alphaMode(a float32) gltf.AlphaMode {
	if a < 1 {
		return gltf.AlphaBlend
	}
	return gltf.AlphaOpaque
}

// short widens a float32 to the float64 with the shortest decimal form that
// rounds back to it, so the JSON says 0.8 rather than 0.800000011920929.
func short(v float32) float64 {
	f, err := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	if err != nil {
		return float64(v)
	}
	return f
}
