package lod

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/qmuntal/gltf"
)

// Generator is written to asset.generator of every file Bake writes.
const Generator = "Strata lod"

// accessor roles decide bufferView targets and alignment.
const (
	roleOther  = iota // animation, skin: no target
	roleVertex        // vertex attribute: ARRAY_BUFFER, elements 4-byte aligned
	roleIndex         // ELEMENT_ARRAY_BUFFER
)

// writer builds one output document from the source: the input's scenes,
// nodes, materials, textures, skins and animations, with new meshes,
// accessors and binary data. Every bufferView's bytes are a blob tagged
// with the coarsest level that needs them, which is all the progressive
// layout needs to order the BIN chunk; standalone files ignore the tags.
type writer struct {
	src   *source
	x     *extraction
	tex   *textureChain
	doc   *gltf.Document
	blobs []blob // one per doc.BufferViews entry
	last  int    // the coarsest level: shared data is needed from there on

	copied  map[[2]int]int     // (source accessor, role) → output accessor
	geomAcc map[[2]int]primAcc // (geometry, owner level) → its accessors
	meshes  map[string]int     // level mesh signature → output mesh
	images  map[[2]int]int     // (source image, version) → output image
}

type blob struct {
	data  []byte
	level int
}

type primAcc struct {
	attrs   gltf.PrimitiveAttributes
	indices int
	views   []int
}

func newWriter(src *source, x *extraction, tex *textureChain, levels int) (*writer, error) {
	doc := new(gltf.Document)
	template, err := src.docJSON()
	if err != nil {
		return nil, fmt.Errorf("lod: copy document: %w", err)
	}
	if err := json.Unmarshal(template, doc); err != nil {
		return nil, fmt.Errorf("lod: copy document: %w", err)
	}
	doc.Asset.Generator = Generator
	w := &writer{
		src: src, x: x, tex: tex, doc: doc, last: levels - 1,
		copied:  map[[2]int]int{},
		geomAcc: map[[2]int]primAcc{},
		meshes:  map[string]int{},
		images:  map[[2]int]int{},
	}
	for _, name := range src.stripExtensions {
		doc.ExtensionsUsed = slices.DeleteFunc(doc.ExtensionsUsed, func(s string) bool { return s == name })
		doc.ExtensionsRequired = slices.DeleteFunc(doc.ExtensionsRequired, func(s string) bool { return s == name })
	}
	// Skins, animations and instancing read accessors every level needs.
	for _, sk := range doc.Skins {
		if sk.InverseBindMatrices != nil {
			sk.InverseBindMatrices = gltf.Index(w.copyAccessor(*sk.InverseBindMatrices, roleOther))
		}
	}
	for _, a := range doc.Animations {
		for _, s := range a.Samplers {
			s.Input = w.copyAccessor(s.Input, roleOther)
			s.Output = w.copyAccessor(s.Output, roleOther)
		}
	}
	for _, n := range doc.Nodes {
		w.remapInstancing(n)
	}
	return w, nil
}

// docJSON is the source document as JSON, the template every output starts
// from (unmarshalling it gives a deep copy). The parts every writer rebuilds
// are left out, so that data: URIs and large accessor tables are not copied
// for nothing.
func (s *source) docJSON() ([]byte, error) {
	s.jsonOnce.Do(func() {
		template := *s.doc
		template.Accessors, template.BufferViews, template.Buffers, template.Images, template.Meshes = nil, nil, nil, nil, nil
		s.json, s.jsonErr = json.Marshal(&template)
	})
	return s.json, s.jsonErr
}

// remapInstancing rewrites EXT_mesh_gpu_instancing's accessor references.
func (w *writer) remapInstancing(n *gltf.Node) {
	const name = "EXT_mesh_gpu_instancing"
	v, ok := n.Extensions[name]
	if !ok {
		return
	}
	obj, ok := genericJSON(v).(map[string]any)
	if !ok {
		return
	}
	attrs, ok := obj["attributes"].(map[string]any)
	if !ok {
		return
	}
	for _, k := range sortedKeys(attrs) {
		if a, ok := jsonInt(attrs[k]); ok {
			attrs[k] = json.Number(fmt.Sprint(w.copyAccessor(a, roleVertex)))
		}
	}
	if raw, err := json.Marshal(obj); err == nil {
		n.Extensions[name] = json.RawMessage(raw)
	}
}

// addView appends a bufferView over data and returns its index.
func (w *writer) addView(data []byte, target gltf.Target, stride, level int) int {
	w.doc.BufferViews = append(w.doc.BufferViews, &gltf.BufferView{ByteLength: len(data), ByteStride: stride, Target: target})
	w.blobs = append(w.blobs, blob{data: data, level: level})
	return len(w.doc.BufferViews) - 1
}

// need marks view v as needed by level k.
func (w *writer) need(v, k int) {
	w.blobs[v].level = max(w.blobs[v].level, k)
}

// copyAccessor copies source accessor i (densified, tightly packed or
// padded to 4-byte elements for vertex attributes) as shared data.
func (w *writer) copyAccessor(i, role int) int {
	key := [2]int{i, role}
	if out, ok := w.copied[key]; ok {
		return out
	}
	a := w.src.doc.Accessors[i]
	out := &gltf.Accessor{
		Name: a.Name, ComponentType: a.ComponentType, Normalized: a.Normalized, Count: a.Count, Type: a.Type,
		Min: a.Min, Max: a.Max, Extras: a.Extras,
	}
	if a.BufferView != nil || a.Sparse != nil {
		raw, err := w.src.packed(i)
		if err != nil {
			// Unreachable: parse read every sparse accessor once already.
			raw = make([]byte, elementSize(a.ComponentType, a.Type)*a.Count)
		}
		out.BufferView = gltf.Index(w.viewFor(raw, elementSize(a.ComponentType, a.Type), role, w.last))
	}
	w.doc.Accessors = append(w.doc.Accessors, out)
	w.copied[key] = len(w.doc.Accessors) - 1
	return w.copied[key]
}

// viewFor adds a view over packed elements of size bytes, padding vertex
// attribute elements to a multiple of 4 bytes as the spec requires.
func (w *writer) viewFor(packed []byte, size, role, level int) int {
	switch role {
	case roleIndex:
		return w.addView(packed, gltf.TargetElementArrayBuffer, 0, level)
	case roleVertex:
		if size%4 == 0 {
			return w.addView(packed, gltf.TargetArrayBuffer, 0, level)
		}
		stride := (size + 3) &^ 3
		count := len(packed) / size
		padded := make([]byte, stride*count)
		for e := range count {
			copy(padded[e*stride:], packed[e*size:(e+1)*size])
		}
		return w.addView(padded, gltf.TargetArrayBuffer, stride, level)
	}
	return w.addView(packed, gltf.TargetNone, 0, level)
}

// encodedLevel is one level's data in its output encoding.
type encodedLevel struct {
	streams []encodedStream
	indices []byte
	indexCT gltf.ComponentType
	count   int // indices
}

type encodedStream struct {
	data     []byte // elements padded to 4 bytes when needed
	stride   int    // 0 when tightly packed
	count    int
	min, max []float64 // POSITION only
}

// encoded returns level k (an owner level) of g in output encoding.
func (g *geometry) encoded(k int) *encodedLevel {
	g.encodeOnce[k].Do(func() { g.encodedLvl[k] = encodeLevel(&g.levels[k]) })
	return &g.encodedLvl[k]
}

func encodeLevel(lv *level) encodedLevel {
	var e encodedLevel
	for _, st := range lv.streams {
		c := st.comps()
		n := len(st.data) / c
		size := componentSize(st.ct) * c
		stride := align4(size)
		raw := make([]byte, stride*n)
		if stride == size {
			encodeComponents(raw, st.data, st.ct, st.normalized)
		} else {
			tmp := make([]byte, size)
			for v := range n {
				encodeComponents(tmp, st.data[v*c:(v+1)*c], st.ct, st.normalized)
				copy(raw[v*stride:], tmp)
			}
		}
		es := encodedStream{data: raw, count: n}
		if stride != size {
			es.stride = stride
		}
		if st.name == gltf.POSITION {
			// min and max in the component type's own numbers, as the
			// spec wants them, from the values as written.
			vals := make([]float32, c)
			es.min, es.max = make([]float64, c), make([]float64, c)
			for v := range n {
				decodeComponents(vals, raw[v*stride:], st.ct, false)
				for k, f := range vals {
					if v == 0 || float64(f) < es.min[k] {
						es.min[k] = float64(f)
					}
					if v == 0 || float64(f) > es.max[k] {
						es.max[k] = float64(f)
					}
				}
			}
		}
		e.streams = append(e.streams, es)
	}
	e.count = len(lv.indices)
	if len(lv.streams[0].data)/3 <= 0xffff { // 0xffff itself is the reserved restart value
		e.indexCT = gltf.ComponentUshort
		e.indices = make([]byte, 2*len(lv.indices))
		for i, v := range lv.indices {
			binary.LittleEndian.PutUint16(e.indices[2*i:], uint16(v))
		}
	} else {
		e.indexCT = gltf.ComponentUint
		e.indices = make([]byte, 4*len(lv.indices))
		for i, v := range lv.indices {
			binary.LittleEndian.PutUint32(e.indices[4*i:], v)
		}
	}
	return e
}

// geometryAccessors returns the accessors of geometry g at level k,
// written once per distinct level data and marked as needed by level k.
func (w *writer) geometryAccessors(g, k int) primAcc {
	geom := w.x.geoms[g]
	lv := &geom.levels[k]
	key := [2]int{g, lv.owner}
	pa, ok := w.geomAcc[key]
	if !ok {
		enc := geom.encoded(lv.owner)
		pa = primAcc{attrs: gltf.PrimitiveAttributes{}}
		for i, st := range lv.streams {
			es := enc.streams[i]
			view := w.addView(es.data, gltf.TargetArrayBuffer, es.stride, k)
			w.doc.Accessors = append(w.doc.Accessors, &gltf.Accessor{
				BufferView: gltf.Index(view), ComponentType: st.ct, Normalized: st.normalized,
				Count: es.count, Type: st.typ, Min: es.min, Max: es.max,
			})
			pa.attrs[st.name] = len(w.doc.Accessors) - 1
			pa.views = append(pa.views, view)
		}
		view := w.addView(enc.indices, gltf.TargetElementArrayBuffer, 0, k)
		w.doc.Accessors = append(w.doc.Accessors, &gltf.Accessor{BufferView: gltf.Index(view), ComponentType: enc.indexCT, Count: enc.count, Type: gltf.AccessorScalar})
		pa.indices = len(w.doc.Accessors) - 1
		pa.views = append(pa.views, view)
		w.geomAcc[key] = pa
	}
	for _, v := range pa.views {
		w.need(v, k)
	}
	return pa
}

// mesh returns the output mesh for source mesh m at level k, with
// primitive materials mapped through material.
func (w *writer) mesh(m, k int, material func(int) int) int {
	src := w.src.doc.Meshes[m]
	sig := fmt.Sprintf("%d", m)
	for p, g := range w.x.primGeom[m] {
		mat := -1
		if src.Primitives[p].Material != nil {
			mat = material(*src.Primitives[p].Material)
		}
		owner := -1
		if g >= 0 {
			owner = w.x.geoms[g].levels[k].owner
		}
		sig += fmt.Sprintf(" %d/%d", owner, mat)
	}
	if out, ok := w.meshes[sig]; ok {
		for _, g := range w.x.primGeom[m] {
			if g >= 0 {
				w.geometryAccessors(g, k) // marks the data as needed at level k
			}
		}
		return out
	}
	out := &gltf.Mesh{Name: src.Name, Extras: src.Extras, Extensions: src.Extensions, Weights: src.Weights}
	if k > 0 && src.Name != "" {
		out.Name = fmt.Sprintf("%s_LOD%d", src.Name, k)
	}
	for p, sp := range src.Primitives {
		prim := &gltf.Primitive{Extras: sp.Extras, Extensions: w.primitiveExtensions(sp.Extensions), Mode: sp.Mode}
		if sp.Material != nil {
			prim.Material = gltf.Index(material(*sp.Material))
		}
		if g := w.x.primGeom[m][p]; g >= 0 {
			pa := w.geometryAccessors(g, k)
			prim.Attributes = pa.attrs
			prim.Indices = gltf.Index(pa.indices)
			prim.Mode = gltf.PrimitiveTriangles
		} else {
			prim.Attributes = w.copyAttributes(sp.Attributes)
			if sp.Indices != nil {
				prim.Indices = gltf.Index(w.copyAccessor(*sp.Indices, roleIndex))
			}
			for _, t := range sp.Targets {
				prim.Targets = append(prim.Targets, w.copyAttributes(t))
			}
		}
		out.Primitives = append(out.Primitives, prim)
	}
	w.doc.Meshes = append(w.doc.Meshes, out)
	w.meshes[sig] = len(w.doc.Meshes) - 1
	return w.meshes[sig]
}

func (w *writer) copyAttributes(attrs gltf.PrimitiveAttributes) gltf.PrimitiveAttributes {
	out := gltf.PrimitiveAttributes{}
	for _, name := range sortedKeys(attrs) {
		out[name] = w.copyAccessor(attrs[name], roleVertex)
	}
	return out
}

// primitiveExtensions drops compression extensions: the outputs hold the
// data uncompressed.
func (w *writer) primitiveExtensions(ext gltf.Extensions) gltf.Extensions {
	if len(ext) == 0 {
		return nil
	}
	out := gltf.Extensions{}
	for k, v := range ext {
		if _, drop := extensionsRejected[k]; !drop {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// image returns the output image holding version v of source image i,
// adding it on first use.
func (w *writer) image(i, v int) int {
	key := [2]int{i, v}
	if out, ok := w.images[key]; ok {
		return out
	}
	ver := w.tex.versions[i][v]
	src := w.src.doc.Images[i]
	view := w.addView(ver.data, gltf.TargetNone, 0, 0)
	w.doc.Images = append(w.doc.Images, &gltf.Image{Name: src.Name, Extras: src.Extras, Extensions: src.Extensions, MimeType: ver.mime, BufferView: gltf.Index(view)})
	w.images[key] = len(w.doc.Images) - 1
	return w.images[key]
}

// fixTexture points texture t at the images it uses at level k, given as
// output image indices through img. A WebP image that was re-encoded as PNG
// or JPEG moves from EXT_texture_webp to the core source property.
func (w *writer) fixTexture(t *gltf.Texture, k int, img func(src, k int) int) {
	if t.Source != nil {
		t.Source = gltf.Index(img(*t.Source, k))
	}
	for _, name := range sortedKeys(t.Extensions) {
		s, ok := extensionSource(t.Extensions[name])
		if !ok {
			continue
		}
		if name == "EXT_texture_webp" && w.tex.version(s, k).mime != "image/webp" {
			t.Source = gltf.Index(img(s, k))
			delete(t.Extensions, name)
			continue
		}
		t.Extensions[name] = setExtensionSource(t.Extensions[name], img(s, k))
	}
	if len(t.Extensions) == 0 {
		t.Extensions = nil
	}
}

// dropUnusedWebP removes EXT_texture_webp from the extension lists when no
// texture uses it any more, so a viewer without WebP can open the file.
func (w *writer) dropUnusedWebP() {
	const name = "EXT_texture_webp"
	for _, t := range w.doc.Textures {
		if _, ok := t.Extensions[name]; ok {
			return
		}
	}
	w.doc.ExtensionsUsed = slices.DeleteFunc(w.doc.ExtensionsUsed, func(s string) bool { return s == name })
	w.doc.ExtensionsRequired = slices.DeleteFunc(w.doc.ExtensionsRequired, func(s string) bool { return s == name })
}

// encoded is a written GLB and where its binary data landed.
type encoded struct {
	glb []byte
	// binStart is the file offset of the BIN chunk's data.
	binStart int
	// spans[k] is the byte range [start, end) of level k's data in the
	// file, for the progressive layout; nil for standalone files.
	spans [][2]int
}

// finish lays out the blobs (in creation order, or coarsest level first
// when progressive) and writes the GLB. It writes the container itself
// rather than through gltf.Encoder so that the binary data is copied once,
// straight into the file.
func (w *writer) finish(progressive bool) (encoded, error) {
	order := make([]int, len(w.blobs))
	for i := range order {
		order[i] = i
	}
	if progressive {
		slices.SortStableFunc(order, func(a, b int) int { return w.blobs[b].level - w.blobs[a].level })
	}
	levelStart := make([]int, w.last+1)
	levelEnd := make([]int, w.last+1)
	for i := range levelStart {
		levelStart[i] = -1
	}
	size := 0
	for _, i := range order {
		size = align4(size)
		b := w.blobs[i]
		if levelStart[b.level] < 0 {
			levelStart[b.level] = size
		}
		w.doc.BufferViews[i].ByteOffset = size
		size += len(b.data)
		levelEnd[b.level] = size
	}
	if size > 0 {
		w.doc.Buffers = []*gltf.Buffer{{ByteLength: size}}
	}
	jsonText, err := json.Marshal(w.doc)
	if err != nil {
		return encoded{}, fmt.Errorf("lod: encode GLB: %w", err)
	}
	jsonLen := align4(len(jsonText))
	total := 20 + jsonLen
	if size > 0 {
		total += 8 + align4(size)
	}
	if uint64(total) > 1<<32-1 {
		return encoded{}, fmt.Errorf("lod: the output would be %d bytes, more than a GLB can hold", total)
	}
	glb := make([]byte, total)
	le := binary.LittleEndian
	le.PutUint32(glb[0:], glbMagic)
	le.PutUint32(glb[4:], 2)
	le.PutUint32(glb[8:], uint32(total))
	le.PutUint32(glb[12:], uint32(jsonLen))
	le.PutUint32(glb[16:], glbChunkJSON)
	n := copy(glb[20:], jsonText)
	for i := 20 + n; i < 20+jsonLen; i++ {
		glb[i] = ' ' // the spec pads JSON with spaces
	}
	e := encoded{glb: glb, binStart: 20 + jsonLen + 8}
	if size > 0 {
		le.PutUint32(glb[20+jsonLen:], uint32(align4(size)))
		le.PutUint32(glb[24+jsonLen:], glbChunkBIN)
		bin := glb[e.binStart:]
		for i, b := range w.blobs {
			copy(bin[w.doc.BufferViews[i].ByteOffset:], b.data)
		}
	}
	if progressive {
		// Levels run coarsest first; a level with no data of its own ends
		// where the coarser one before it ended.
		e.spans = make([][2]int, w.last+1)
		end := 0
		for k := w.last; k >= 0; k-- {
			start := end
			if levelStart[k] >= 0 {
				start, end = levelStart[k], levelEnd[k]
			}
			e.spans[k] = [2]int{e.binStart + start, e.binStart + end}
		}
	}
	return e, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// encodeStandalone writes level k as a self-contained GLB.
func encodeStandalone(src *source, x *extraction, tex *textureChain, levels, k int) (encoded, error) {
	w, err := newWriter(src, x, tex, levels)
	if err != nil {
		return encoded{}, err
	}
	for i := range src.doc.Images {
		w.image(i, tex.at[i][k])
	}
	for _, t := range w.doc.Textures {
		w.fixTexture(t, k, func(s, k int) int { return s })
	}
	for m := range src.doc.Meshes {
		w.mesh(m, k, func(mat int) int { return mat })
	}
	w.dropUnusedWebP()
	return w.finish(false)
}
