package lod

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/qmuntal/gltf"
)

// Parsing is the one step that sees untrusted bytes, so it checks
// everything later steps rely on before anything is read or allocated from
// declared sizes: the GLB framing against the file length, JSON enums that
// the gltf package would silently zero, every index reference, every
// accessor's byte range against its bufferView and buffer, and the limits.
// After it, later steps index slices without further checks.

// source is a parsed and checked input.
type source struct {
	doc *gltf.Document
	// buffers[i] holds exactly doc.Buffers[i].ByteLength bytes, or is nil
	// for a buffer that no bufferView uses.
	buffers [][]byte
	// images[i] holds the encoded bytes of doc.Images[i] and their media type.
	images []imageSource
	// read counts the input bytes read so far, against MaxInputBytes.
	read int64
	// stripExtensions lists extensions the outputs no longer use (fallback
	// data was read instead of the compressed stream).
	stripExtensions []string

	jsonOnce sync.Once // docJSON
	json     []byte
	jsonErr  error
}

type imageSource struct {
	data []byte
	mime string // image/png, image/jpeg, image/webp, or what the input declared
}

const (
	glbMagic     = 0x46546C67 // "glTF"
	glbChunkJSON = 0x4E4F534A // "JSON"
	glbChunkBIN  = 0x004E4942 // "BIN\0"
)

// extensionsRejected are extensions whose data Bake cannot decode; as
// required extensions they leave no readable geometry behind.
var extensionsRejected = map[string]string{
	"KHR_draco_mesh_compression": "Draco-compressed geometry",
	"EXT_meshopt_compression":    "meshopt-compressed buffer views",
	"KHR_meshopt_compression":    "meshopt-compressed buffer views",
}

func parse(in Input, cfg Config) (*source, error) {
	if int64(len(in.Data)) > cfg.MaxInputBytes {
		return nil, overLimit("", "the file is %d bytes, more than the %d allowed (MaxInputBytes)", len(in.Data), cfg.MaxInputBytes)
	}
	s := &source{read: int64(len(in.Data))}
	jsonText, bin, isGLB, err := splitGLB(in.Data)
	if err != nil {
		return nil, err
	}
	jsonWhere := "JSON"
	if isGLB {
		jsonWhere = "GLB JSON chunk"
	}
	if err := checkEnums(jsonText, jsonWhere); err != nil {
		return nil, err
	}
	doc := new(gltf.Document)
	if err := json.Unmarshal(jsonText, doc); err != nil {
		return nil, jsonError(jsonWhere, err)
	}
	s.doc = doc
	if !strings.HasPrefix(doc.Asset.Version, "2.") {
		return nil, unsupported("/asset/version", "glTF version %q, want 2.x", doc.Asset.Version)
	}
	if err := s.checkExtensions(); err != nil {
		return nil, err
	}
	if err := s.checkReferences(); err != nil {
		return nil, err
	}
	if err := s.checkBuffers(); err != nil {
		return nil, err
	}
	if err := s.checkAccessors(); err != nil {
		return nil, err
	}
	if err := s.checkGeometryLimits(cfg); err != nil {
		return nil, err
	}
	if err := s.loadBuffers(in, bin, isGLB, cfg); err != nil {
		return nil, err
	}
	if err := s.loadImages(in, cfg); err != nil {
		return nil, err
	}
	// Sparse indices can only be checked by reading them; do it once here
	// so that later reads cannot fail.
	for i, a := range s.doc.Accessors {
		if a.Sparse != nil {
			if _, err := s.packed(i); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// splitGLB returns the JSON text and BIN chunk of a GLB, or the whole input
// as JSON when it does not start with the GLB magic.
func splitGLB(data []byte) (jsonText, bin []byte, isGLB bool, err error) {
	if len(data) < 4 || binary.LittleEndian.Uint32(data) != glbMagic {
		trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
		if len(trimmed) == 0 || trimmed[0] != '{' {
			return nil, nil, false, invalid("", "neither a GLB (no \"glTF\" magic) nor a glTF JSON document (no leading '{')")
		}
		return data, nil, false, nil
	}
	if len(data) < 20 {
		return nil, nil, true, invalid("GLB header", "truncated: %d bytes, the header and first chunk header need 20", len(data))
	}
	if v := binary.LittleEndian.Uint32(data[4:]); v != 2 {
		return nil, nil, true, unsupported("GLB header", "container version %d, want 2", v)
	}
	total := uint64(binary.LittleEndian.Uint32(data[8:]))
	switch {
	case total > uint64(len(data)):
		return nil, nil, true, invalid("GLB header", "truncated: the header declares %d bytes, the file has %d", total, len(data))
	case total < uint64(len(data)):
		return nil, nil, true, invalid("GLB header", "the header declares %d bytes but the file has %d", total, len(data))
	}
	jsonLen := uint64(binary.LittleEndian.Uint32(data[12:]))
	if t := binary.LittleEndian.Uint32(data[16:]); t != glbChunkJSON {
		return nil, nil, true, invalid("GLB chunk 0", "type 0x%08x, the first chunk must be JSON", t)
	}
	if 20+jsonLen > total {
		return nil, nil, true, invalid("GLB chunk 0", "JSON chunk of %d bytes runs past the end of the %d-byte file", jsonLen, total)
	}
	jsonText = data[20 : 20+jsonLen]
	off := 20 + jsonLen
	if off+8 <= total {
		binLen := uint64(binary.LittleEndian.Uint32(data[off:]))
		if t := binary.LittleEndian.Uint32(data[off+4:]); t == glbChunkBIN {
			if off+8+binLen > total {
				return nil, nil, true, invalid("GLB chunk 1", "BIN chunk of %d bytes runs past the end of the %d-byte file", binLen, total)
			}
			bin = data[off+8 : off+8+binLen]
		}
	} else if off != total {
		return nil, nil, true, invalid("GLB chunk 1", "truncated chunk header: %d bytes left after the JSON chunk", total-off)
	}
	return jsonText, bin, true, nil
}

// jsonError turns a decoding error into one that says where the JSON broke.
func jsonError(where string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return invalid(fmt.Sprintf("%s byte %d", where, syn.Offset), "malformed JSON: %v", syn)
	case errors.As(err, &typ):
		field := "/" + strings.ReplaceAll(typ.Field, ".", "/")
		if typ.Field == "" {
			field = where
		}
		return invalid(field, "JSON %s where %s was expected", typ.Value, jsonKind(typ.Type))
	default:
		return invalid(where, "%v", err)
	}
}

// jsonKind names a Go type the way a glTF author would think of it.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	}
	return "a number"
}

// checkEnums validates the enum fields that gltf.Document decodes through
// lookup tables, which map unknown values to the zero value (FLOAT, SCALAR,
// POINTS) instead of failing.
func checkEnums(jsonText []byte, where string) error {
	var raw struct {
		Accessors []struct {
			ComponentType *int    `json:"componentType"`
			Type          *string `json:"type"`
			Sparse        *struct {
				Indices struct {
					ComponentType *int `json:"componentType"`
				} `json:"indices"`
			} `json:"sparse"`
		} `json:"accessors"`
		Meshes []struct {
			Primitives []struct {
				Mode *int `json:"mode"`
			} `json:"primitives"`
		} `json:"meshes"`
	}
	if err := json.Unmarshal(jsonText, &raw); err != nil {
		return jsonError(where, err)
	}
	for i, a := range raw.Accessors {
		switch {
		case a.ComponentType == nil:
			return invalid(fmt.Sprintf("/accessors/%d", i), "componentType is missing")
		case !slices.Contains([]int{5120, 5121, 5122, 5123, 5125, 5126}, *a.ComponentType):
			return invalid(fmt.Sprintf("/accessors/%d/componentType", i), "%d is not a glTF component type", *a.ComponentType)
		case a.Type == nil:
			return invalid(fmt.Sprintf("/accessors/%d", i), "type is missing")
		case !slices.Contains([]string{"SCALAR", "VEC2", "VEC3", "VEC4", "MAT2", "MAT3", "MAT4"}, *a.Type):
			return invalid(fmt.Sprintf("/accessors/%d/type", i), "%q is not a glTF accessor type", *a.Type)
		}
		if a.Sparse != nil {
			if ct := a.Sparse.Indices.ComponentType; ct == nil || !slices.Contains([]int{5121, 5123, 5125}, *ct) {
				return invalid(fmt.Sprintf("/accessors/%d/sparse/indices/componentType", i), "missing or not an unsigned integer type")
			}
		}
	}
	for i, m := range raw.Meshes {
		for j, p := range m.Primitives {
			if p.Mode != nil && (*p.Mode < 0 || *p.Mode > 6) {
				return invalid(fmt.Sprintf("/meshes/%d/primitives/%d/mode", i, j), "%d is not a glTF primitive mode", *p.Mode)
			}
		}
	}
	return nil
}

func (s *source) checkExtensions() error {
	for i, name := range s.doc.ExtensionsRequired {
		if what, ok := extensionsRejected[name]; ok {
			return unsupported(fmt.Sprintf("/extensionsRequired/%d", i),
				"%s is required: the file holds %s, which Bake cannot decode; bake the uncompressed original, or decompress it first (for example with glTF-Transform)", name, what)
		}
	}
	// Used but not required: every compressed view has an uncompressed
	// fallback, which is what gets read; outputs drop the extension.
	for _, name := range s.doc.ExtensionsUsed {
		if _, ok := extensionsRejected[name]; ok {
			s.stripExtensions = append(s.stripExtensions, name)
		}
	}
	return nil
}

// checkReferences checks that every index the document holds points at an
// existing object and that the node graph is a forest.
func (s *source) checkReferences() error {
	d := s.doc
	in := func(where string, i int, n int, what string) error {
		if i < 0 || i >= n {
			return invalid(where, "%s %d does not exist (the document has %d)", what, i, n)
		}
		return nil
	}
	opt := func(where string, p *int, n int, what string) error {
		if p == nil {
			return nil
		}
		return in(where, *p, n, what)
	}
	nAcc, nViews, nBuf := len(d.Accessors), len(d.BufferViews), len(d.Buffers)
	for i, v := range d.BufferViews {
		if err := in(fmt.Sprintf("/bufferViews/%d/buffer", i), v.Buffer, nBuf, "buffer"); err != nil {
			return err
		}
	}
	for i, a := range d.Accessors {
		if err := opt(fmt.Sprintf("/accessors/%d/bufferView", i), a.BufferView, nViews, "bufferView"); err != nil {
			return err
		}
		if a.Sparse != nil {
			if err := in(fmt.Sprintf("/accessors/%d/sparse/indices/bufferView", i), a.Sparse.Indices.BufferView, nViews, "bufferView"); err != nil {
				return err
			}
			if err := in(fmt.Sprintf("/accessors/%d/sparse/values/bufferView", i), a.Sparse.Values.BufferView, nViews, "bufferView"); err != nil {
				return err
			}
		}
	}
	for i, m := range d.Meshes {
		if len(m.Primitives) == 0 {
			return invalid(fmt.Sprintf("/meshes/%d/primitives", i), "a mesh needs at least one primitive")
		}
		for j, p := range m.Primitives {
			where := fmt.Sprintf("/meshes/%d/primitives/%d", i, j)
			for _, name := range sortedKeys(p.Attributes) {
				if err := in(where+"/attributes/"+name, p.Attributes[name], nAcc, "accessor"); err != nil {
					return err
				}
			}
			if err := opt(where+"/indices", p.Indices, nAcc, "accessor"); err != nil {
				return err
			}
			if err := opt(where+"/material", p.Material, len(d.Materials), "material"); err != nil {
				return err
			}
			for t, target := range p.Targets {
				for _, name := range sortedKeys(target) {
					if err := in(fmt.Sprintf("%s/targets/%d/%s", where, t, name), target[name], nAcc, "accessor"); err != nil {
						return err
					}
				}
			}
		}
	}
	for i, t := range d.Textures {
		if err := opt(fmt.Sprintf("/textures/%d/sampler", i), t.Sampler, len(d.Samplers), "sampler"); err != nil {
			return err
		}
		if err := opt(fmt.Sprintf("/textures/%d/source", i), t.Source, len(d.Images), "image"); err != nil {
			return err
		}
		for _, ext := range sortedKeys(t.Extensions) {
			if src, ok := extensionSource(t.Extensions[ext]); ok {
				if err := in(fmt.Sprintf("/textures/%d/extensions/%s/source", i, ext), src, len(d.Images), "image"); err != nil {
					return err
				}
			}
		}
	}
	for i, im := range d.Images {
		if err := opt(fmt.Sprintf("/images/%d/bufferView", i), im.BufferView, nViews, "bufferView"); err != nil {
			return err
		}
		if im.BufferView == nil && im.URI == "" {
			return invalid(fmt.Sprintf("/images/%d", i), "an image needs a uri or a bufferView")
		}
	}
	for i, m := range d.Materials {
		var err error
		forEachTextureRef(m, func(where string, tex int) {
			if err == nil {
				err = in(fmt.Sprintf("/materials/%d/%s", i, where), tex, len(d.Textures), "texture")
			}
		})
		if err != nil {
			return err
		}
	}
	for i, sk := range d.Skins {
		if err := opt(fmt.Sprintf("/skins/%d/inverseBindMatrices", i), sk.InverseBindMatrices, nAcc, "accessor"); err != nil {
			return err
		}
		if err := opt(fmt.Sprintf("/skins/%d/skeleton", i), sk.Skeleton, len(d.Nodes), "node"); err != nil {
			return err
		}
		for j, n := range sk.Joints {
			if err := in(fmt.Sprintf("/skins/%d/joints/%d", i, j), n, len(d.Nodes), "node"); err != nil {
				return err
			}
		}
	}
	for i, a := range d.Animations {
		for j, smp := range a.Samplers {
			if err := in(fmt.Sprintf("/animations/%d/samplers/%d/input", i, j), smp.Input, nAcc, "accessor"); err != nil {
				return err
			}
			if err := in(fmt.Sprintf("/animations/%d/samplers/%d/output", i, j), smp.Output, nAcc, "accessor"); err != nil {
				return err
			}
		}
		for j, c := range a.Channels {
			if err := in(fmt.Sprintf("/animations/%d/channels/%d/sampler", i, j), c.Sampler, len(a.Samplers), "sampler"); err != nil {
				return err
			}
			if err := opt(fmt.Sprintf("/animations/%d/channels/%d/target/node", i, j), c.Target.Node, len(d.Nodes), "node"); err != nil {
				return err
			}
		}
	}
	parent := make([]int, len(d.Nodes))
	for i := range parent {
		parent[i] = -1
	}
	for i, n := range d.Nodes {
		where := fmt.Sprintf("/nodes/%d", i)
		if err := opt(where+"/mesh", n.Mesh, len(d.Meshes), "mesh"); err != nil {
			return err
		}
		if err := opt(where+"/skin", n.Skin, len(d.Skins), "skin"); err != nil {
			return err
		}
		if err := opt(where+"/camera", n.Camera, len(d.Cameras), "camera"); err != nil {
			return err
		}
		if v, ok := n.Extensions["EXT_mesh_gpu_instancing"]; ok {
			obj, _ := genericJSON(v).(map[string]any)
			attrs, _ := obj["attributes"].(map[string]any)
			for _, name := range sortedKeys(attrs) {
				a, ok := jsonInt(attrs[name])
				if !ok {
					return invalid(where+"/extensions/EXT_mesh_gpu_instancing/attributes/"+name, "not an accessor index")
				}
				if err := in(where+"/extensions/EXT_mesh_gpu_instancing/attributes/"+name, a, nAcc, "accessor"); err != nil {
					return err
				}
			}
		}
		for j, c := range n.Children {
			if err := in(fmt.Sprintf("%s/children/%d", where, j), c, len(d.Nodes), "node"); err != nil {
				return err
			}
			if parent[c] >= 0 || c == i {
				return invalid(fmt.Sprintf("%s/children/%d", where, j), "node %d already has a parent (node %d); nodes must form a tree", c, parent[c])
			}
			parent[c] = i
		}
	}
	// With one parent per node, a cycle is a chain of parents that never
	// reaches a root.
	for i := range d.Nodes {
		n, steps := i, 0
		for parent[n] >= 0 {
			n = parent[n]
			if steps++; steps > len(d.Nodes) {
				return invalid(fmt.Sprintf("/nodes/%d", i), "the node hierarchy has a cycle")
			}
		}
	}
	for i, c := range d.Cameras {
		if (c.Perspective == nil) == (c.Orthographic == nil) {
			return invalid(fmt.Sprintf("/cameras/%d", i), "a camera needs exactly one of perspective and orthographic")
		}
	}
	for i, sc := range d.Scenes {
		for j, n := range sc.Nodes {
			if err := in(fmt.Sprintf("/scenes/%d/nodes/%d", i, j), n, len(d.Nodes), "node"); err != nil {
				return err
			}
			if parent[n] >= 0 {
				return invalid(fmt.Sprintf("/scenes/%d/nodes/%d", i, j), "node %d is a scene root but also a child of node %d", n, parent[n])
			}
		}
	}
	return opt("/scene", d.Scene, len(d.Scenes), "scene")
}

// checkBuffers checks declared buffer and bufferView sizes against each
// other; the data itself is loaded later, once its total is known to fit.
func (s *source) checkBuffers() error {
	for i, b := range s.doc.Buffers {
		if b.ByteLength < 1 {
			return invalid(fmt.Sprintf("/buffers/%d/byteLength", i), "%d, want at least 1", b.ByteLength)
		}
	}
	for i, v := range s.doc.BufferViews {
		where := fmt.Sprintf("/bufferViews/%d", i)
		switch {
		case v.ByteOffset < 0:
			return invalid(where+"/byteOffset", "%d is negative", v.ByteOffset)
		case v.ByteLength < 1:
			return invalid(where+"/byteLength", "%d, want at least 1", v.ByteLength)
		case v.ByteStride != 0 && (v.ByteStride < 4 || v.ByteStride > 252 || v.ByteStride%4 != 0):
			return invalid(where+"/byteStride", "%d, want a multiple of 4 in 4..252", v.ByteStride)
		}
		blen := int64(s.doc.Buffers[v.Buffer].ByteLength)
		if int64(v.ByteOffset)+int64(v.ByteLength) > blen {
			return invalid(where, "bytes %d..%d run past the end of buffer %d (%d bytes)", v.ByteOffset, int64(v.ByteOffset)+int64(v.ByteLength), v.Buffer, blen)
		}
	}
	return nil
}

// checkAccessors checks that every accessor's elements lie inside its
// bufferView (and its sparse arrays inside theirs), from declared counts and
// sizes alone.
func (s *source) checkAccessors() error {
	views := s.doc.BufferViews
	for i, a := range s.doc.Accessors {
		where := fmt.Sprintf("/accessors/%d", i)
		if a.Count < 1 {
			return invalid(where+"/count", "%d, want at least 1", a.Count)
		}
		if a.ByteOffset < 0 {
			return invalid(where+"/byteOffset", "%d is negative", a.ByteOffset)
		}
		if a.Type >= gltf.AccessorMat2 && a.ComponentType == gltf.ComponentUint {
			return invalid(where, "matrices cannot use UNSIGNED_INT components")
		}
		size := int64(elementSize(a.ComponentType, a.Type))
		count := int64(a.Count)
		if a.BufferView != nil {
			v := views[*a.BufferView]
			stride := int64(v.ByteStride)
			if stride == 0 {
				stride = size
			} else if stride < size {
				return invalid(where, "bufferView %d has byteStride %d, smaller than the %d-byte %s %s element", *a.BufferView, stride, size, a.Type, a.ComponentType)
			}
			end := int64(a.ByteOffset) + stride*(count-1) + size
			if end > int64(v.ByteLength) {
				return invalid(where, "%d elements of %d bytes (stride %d) from byteOffset %d need %d bytes, bufferView %d has %d",
					count, size, stride, a.ByteOffset, end, *a.BufferView, v.ByteLength)
			}
		}
		if sp := a.Sparse; sp != nil {
			if sp.Count < 1 || sp.Count > a.Count {
				return invalid(where+"/sparse/count", "%d, want 1..%d (the accessor's count)", sp.Count, a.Count)
			}
			iv := views[sp.Indices.BufferView]
			isize := int64(sp.Indices.ComponentType.ByteSize())
			if sp.Indices.ByteOffset < 0 || int64(sp.Indices.ByteOffset)+isize*int64(sp.Count) > int64(iv.ByteLength) {
				return invalid(where+"/sparse/indices", "%d indices from byteOffset %d run past bufferView %d (%d bytes)", sp.Count, sp.Indices.ByteOffset, sp.Indices.BufferView, iv.ByteLength)
			}
			vv := views[sp.Values.BufferView]
			if sp.Values.ByteOffset < 0 || int64(sp.Values.ByteOffset)+size*int64(sp.Count) > int64(vv.ByteLength) {
				return invalid(where+"/sparse/values", "%d values from byteOffset %d run past bufferView %d (%d bytes)", sp.Count, sp.Values.ByteOffset, sp.Values.BufferView, vv.ByteLength)
			}
		}
	}
	return nil
}

// checkGeometryLimits applies MaxVertices and MaxTriangles to the triangle
// primitives that will be simplified, from declared counts, before any
// vertex is read. Accessors without a bufferView (all zeros) are bounded
// here too: they are the one way a small file can declare a huge array.
func (s *source) checkGeometryLimits(cfg Config) error {
	var vertices, triangles int64
	seen := map[string]bool{}
	for i, m := range s.doc.Meshes {
		for j, p := range m.Primitives {
			pos, ok := p.Attributes[gltf.POSITION]
			if !ok || !isTriangles(p.Mode) {
				continue
			}
			key := geometryKey(p)
			if seen[key] {
				continue
			}
			seen[key] = true
			n := int64(s.doc.Accessors[pos].Count)
			vertices += n
			if p.Indices != nil {
				n = int64(s.doc.Accessors[*p.Indices].Count)
			}
			triangles += primitiveTriangles(p.Mode, n)
			where := fmt.Sprintf("/meshes/%d/primitives/%d", i, j)
			if vertices > int64(cfg.MaxVertices) {
				return overLimit(where, "triangle primitives so far have %d vertices, more than the %d allowed (MaxVertices)", vertices, cfg.MaxVertices)
			}
			if triangles > int64(cfg.MaxTriangles) {
				return overLimit(where, "triangle primitives so far have %d triangles, more than the %d allowed (MaxTriangles)", triangles, cfg.MaxTriangles)
			}
		}
	}
	var zeros int64
	for i, a := range s.doc.Accessors {
		if a.BufferView != nil {
			continue
		}
		where := fmt.Sprintf("/accessors/%d/count", i)
		if int64(a.Count) > int64(cfg.MaxVertices) {
			return overLimit(where, "%d elements without a bufferView, more than the %d allowed (MaxVertices)", a.Count, cfg.MaxVertices)
		}
		if zeros += int64(a.Count) * int64(elementSize(a.ComponentType, a.Type)); zeros > cfg.MaxInputBytes {
			return overLimit(where, "accessors without a bufferView so far declare %d bytes of zeros, more than MaxInputBytes (%d)", zeros, cfg.MaxInputBytes)
		}
	}
	return nil
}

// loadBuffers fills s.buffers for every buffer a bufferView uses.
func (s *source) loadBuffers(in Input, bin []byte, isGLB bool, cfg Config) error {
	used := make([]bool, len(s.doc.Buffers))
	for _, v := range s.doc.BufferViews {
		used[v.Buffer] = true
	}
	s.buffers = make([][]byte, len(s.doc.Buffers))
	for i, b := range s.doc.Buffers {
		if !used[i] {
			continue
		}
		where := fmt.Sprintf("/buffers/%d", i)
		var data []byte
		switch {
		case b.URI == "" && i == 0 && isGLB:
			if bin == nil {
				return invalid(where, "refers to the GLB BIN chunk, but the file has none")
			}
			data = bin
		case b.URI == "":
			return invalid(where, "has no uri and is not the GLB BIN chunk")
		default:
			var err error
			data, err = s.resolve(in, where, b.URI, cfg)
			if err != nil {
				return err
			}
		}
		if len(data) < b.ByteLength {
			return invalid(where, "truncated: byteLength is %d, the data has %d bytes", b.ByteLength, len(data))
		}
		s.buffers[i] = data[:b.ByteLength:b.ByteLength]
	}
	return nil
}

// loadImages fills s.images and applies MaxTexturePixels to the formats
// Bake decodes.
func (s *source) loadImages(in Input, cfg Config) error {
	s.images = make([]imageSource, len(s.doc.Images))
	for i, im := range s.doc.Images {
		where := fmt.Sprintf("/images/%d", i)
		var data []byte
		mime := im.MimeType
		if im.BufferView != nil {
			v := s.doc.BufferViews[*im.BufferView]
			data = s.buffers[v.Buffer][v.ByteOffset : v.ByteOffset+v.ByteLength]
		} else {
			var err error
			if data, err = s.resolve(in, where, im.URI, cfg); err != nil {
				return err
			}
			if m, ok := dataURIMime(im.URI); ok && mime == "" {
				mime = m
			}
		}
		if sniffed := sniffImage(data); sniffed != "" {
			mime = sniffed
		}
		w, h, ok := imageSize(data, mime)
		if ok && int64(w)*int64(h) > cfg.MaxTexturePixels {
			return overLimit(where, "%d×%d pixels, more than the %d allowed (MaxTexturePixels)", w, h, cfg.MaxTexturePixels)
		}
		s.images[i] = imageSource{data: data, mime: mime}
	}
	return nil
}

// resolve returns the bytes behind a buffer or image URI: a base64 data
// URI, or an external file through in.Resolve.
func (s *source) resolve(in Input, where, uri string, cfg Config) ([]byte, error) {
	budget := cfg.MaxInputBytes - s.read
	var data []byte
	if strings.HasPrefix(uri, "data:") {
		comma := strings.IndexByte(uri, ',')
		if comma < 0 || !strings.HasSuffix(uri[:comma], ";base64") {
			return nil, unsupported(where+"/uri", "only base64 data URIs are supported")
		}
		payload := uri[comma+1:]
		if int64(base64.StdEncoding.DecodedLen(len(payload))) > budget {
			return nil, overLimit(where+"/uri", "the data URI holds about %d bytes, more than the %d left of MaxInputBytes", base64.StdEncoding.DecodedLen(len(payload)), budget)
		}
		var err error
		if data, err = base64.StdEncoding.DecodeString(payload); err != nil {
			return nil, invalid(where+"/uri", "bad base64 in data URI: %v", err)
		}
		// The decoded bytes live beside the document text that held them.
		s.read += int64(len(data))
		return data, nil
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, invalid(where+"/uri", "%q is not a URI: %v", uri, err)
	}
	if u.Scheme != "" || u.Host != "" {
		return nil, unsupported(where+"/uri", "%q is not a relative reference; Bake does not fetch remote resources", uri)
	}
	name, err := url.PathUnescape(u.Path)
	if err != nil {
		return nil, invalid(where+"/uri", "%q: %v", uri, err)
	}
	if in.Resolve == nil {
		return nil, invalid(where+"/uri", "refers to the external file %q, but no resolver was given (bake a GLB, or pass the .gltf's directory)", name)
	}
	data, err = in.Resolve(name)
	if err != nil {
		return nil, &InputError{Kind: ErrInvalidInput, Where: where + "/uri", What: fmt.Sprintf("cannot read %q: %v", name, err)}
	}
	if int64(len(data)) > budget {
		return nil, overLimit(where+"/uri", "%q is %d bytes, more than the %d left of MaxInputBytes", name, len(data), budget)
	}
	s.read += int64(len(data))
	return data, nil
}

func dataURIMime(uri string) (string, bool) {
	rest, ok := strings.CutPrefix(uri, "data:")
	if !ok {
		return "", false
	}
	mime, _, _ := strings.Cut(rest, ";")
	mime, _, _ = strings.Cut(mime, ",")
	return mime, mime != ""
}

func isTriangles(m gltf.PrimitiveMode) bool {
	return m == gltf.PrimitiveTriangles || m == gltf.PrimitiveTriangleStrip || m == gltf.PrimitiveTriangleFan
}

// primitiveTriangles is the triangle count of n vertices (or indices) drawn
// in mode m.
func primitiveTriangles(m gltf.PrimitiveMode, n int64) int64 {
	switch m {
	case gltf.PrimitiveTriangles:
		return n / 3
	case gltf.PrimitiveTriangleStrip, gltf.PrimitiveTriangleFan:
		return max(n-2, 0)
	}
	return 0
}

// geometryKey identifies a primitive's geometry by the accessors it reads,
// so that primitives sharing them (a common exporter trick for instancing
// with different materials) are read and simplified once.
func geometryKey(p *gltf.Primitive) string {
	var b strings.Builder
	fmt.Fprintf(&b, "m%d", p.Mode)
	if p.Indices != nil {
		fmt.Fprintf(&b, " i%d", *p.Indices)
	}
	for _, name := range sortedKeys(p.Attributes) {
		fmt.Fprintf(&b, " %s=%d", name, p.Attributes[name])
	}
	return b.String()
}
