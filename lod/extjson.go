package lod

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/qmuntal/gltf"
)

// Extensions arrive as raw JSON (or as typed values, if some package
// registered them with the gltf package). Bake must still follow the few
// references they hold — textures in material extensions, images in texture
// extensions — so it works on them as generic JSON values.

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// genericJSON converts an extension value into maps, slices and
// json.Numbers; it returns nil for anything that is not JSON.
func genericJSON(v any) any {
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil
	}
	return out
}

func jsonInt(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	if err != nil || i < 0 || i > 1<<31 {
		return 0, false
	}
	return int(i), true
}

// extensionSource returns the image a texture extension points at, as in
// EXT_texture_webp or KHR_texture_basisu: {"source": 3}.
func extensionSource(v any) (int, bool) {
	obj, ok := genericJSON(v).(map[string]any)
	if !ok {
		return 0, false
	}
	return jsonInt(obj["source"])
}

// forEachTextureRef calls fn for every texture index material m uses, with
// its path inside the material, in a fixed order. References inside
// extensions are found by the convention every KHR_materials_* extension
// follows: a textureInfo object, {"index": n, …}, under a key ending in
// "Texture".
func forEachTextureRef(m *gltf.Material, fn func(where string, tex int)) {
	if p := m.PBRMetallicRoughness; p != nil {
		if p.BaseColorTexture != nil {
			fn("pbrMetallicRoughness/baseColorTexture/index", p.BaseColorTexture.Index)
		}
		if p.MetallicRoughnessTexture != nil {
			fn("pbrMetallicRoughness/metallicRoughnessTexture/index", p.MetallicRoughnessTexture.Index)
		}
	}
	if m.NormalTexture != nil && m.NormalTexture.Index != nil {
		fn("normalTexture/index", *m.NormalTexture.Index)
	}
	if m.OcclusionTexture != nil && m.OcclusionTexture.Index != nil {
		fn("occlusionTexture/index", *m.OcclusionTexture.Index)
	}
	if m.EmissiveTexture != nil {
		fn("emissiveTexture/index", m.EmissiveTexture.Index)
	}
	for _, name := range sortedKeys(m.Extensions) {
		walkTextureInfos(genericJSON(m.Extensions[name]), "extensions/"+name, func(where string, obj map[string]any) {
			if i, ok := jsonInt(obj["index"]); ok {
				fn(where+"/index", i)
			}
		})
	}
}

// walkTextureInfos calls fn for every object under a key ending in
// "Texture" inside v.
func walkTextureInfos(v any, where string, fn func(where string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			child := v[k]
			if obj, ok := child.(map[string]any); ok && strings.HasSuffix(k, "Texture") {
				fn(where+"/"+k, obj)
			}
			walkTextureInfos(child, where+"/"+k, fn)
		}
	case []any:
		for _, child := range v {
			walkTextureInfos(child, where, fn)
		}
	}
}

// remapMaterialTextures rewrites every texture index of m through remap,
// extensions included.
func remapMaterialTextures(m *gltf.Material, remap func(int) int) {
	if p := m.PBRMetallicRoughness; p != nil {
		if p.BaseColorTexture != nil {
			p.BaseColorTexture.Index = remap(p.BaseColorTexture.Index)
		}
		if p.MetallicRoughnessTexture != nil {
			p.MetallicRoughnessTexture.Index = remap(p.MetallicRoughnessTexture.Index)
		}
	}
	if m.NormalTexture != nil && m.NormalTexture.Index != nil {
		m.NormalTexture.Index = gltf.Index(remap(*m.NormalTexture.Index))
	}
	if m.OcclusionTexture != nil && m.OcclusionTexture.Index != nil {
		m.OcclusionTexture.Index = gltf.Index(remap(*m.OcclusionTexture.Index))
	}
	if m.EmissiveTexture != nil {
		m.EmissiveTexture.Index = remap(m.EmissiveTexture.Index)
	}
	for _, name := range sortedKeys(m.Extensions) {
		v := genericJSON(m.Extensions[name])
		changed := false
		walkTextureInfos(v, "", func(_ string, obj map[string]any) {
			if i, ok := jsonInt(obj["index"]); ok {
				if j := remap(i); j != i {
					obj["index"] = json.Number(strconv.Itoa(j))
					changed = true
				}
			}
		})
		if changed {
			if raw, err := json.Marshal(v); err == nil {
				m.Extensions[name] = json.RawMessage(raw)
			}
		}
	}
}

// setExtensionSource returns texture extension v with its source replaced.
func setExtensionSource(v any, src int) any {
	obj, ok := genericJSON(v).(map[string]any)
	if !ok {
		return v
	}
	obj["source"] = json.Number(strconv.Itoa(src))
	raw, err := json.Marshal(obj)
	if err != nil {
		return v
	}
	return json.RawMessage(raw)
}
