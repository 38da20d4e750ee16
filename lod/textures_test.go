package lod_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"slices"
	"testing"

	_ "image/jpeg"

	"github.com/qmuntal/gltf"

	"github.com/strata3d/strata/lod"
	"github.com/strata3d/strata/lod/meshgen"
)

// imageSizes decodes the dimensions of every image of a GLB.
func imageSizes(t *testing.T, g glbDoc) [][2]int {
	t.Helper()
	var out [][2]int
	for _, im := range g.doc.Images {
		start, end := g.viewRange(*im.BufferView)
		cfg, _, err := image.DecodeConfig(bytes.NewReader(g.bin[start:end]))
		if err != nil {
			out = append(out, [2]int{-1, -1}) // WebP: not registered here
			continue
		}
		out = append(out, [2]int{cfg.Width, cfg.Height})
	}
	return out
}

func TestBakeDownscalesWebPTextures(t *testing.T) {
	res := mustBake(t, "cat.glb", mustReadModel(t, "cat.glb"), lod.DefaultConfig())
	if len(res.Manifest.Levels) < 2 {
		t.Fatalf("%d levels", len(res.Manifest.Levels))
	}
	prog, _ := res.File(lod.ProgressiveFile)
	p := mustDecodeGLB(t, prog)
	if !slices.Contains(p.doc.ExtensionsRequired, "EXT_texture_webp") {
		t.Error("progressive.glb no longer requires EXT_texture_webp, but its finest textures are WebP")
	}
	if ids := lodIDs(t, p.doc.Materials[0].Extensions); len(ids) == 0 {
		t.Error("the material has no MSFT_lod chain although its textures shrink")
	}
	prevWidth := 1 << 30
	for k := 1; k < len(res.Manifest.Levels); k++ {
		b, _ := res.File(res.Manifest.Levels[k].File)
		g := mustDecodeGLB(t, b)
		if slices.Contains(g.doc.ExtensionsRequired, "EXT_texture_webp") || slices.Contains(g.doc.ExtensionsUsed, "EXT_texture_webp") {
			t.Errorf("level %d still uses EXT_texture_webp after re-encoding its textures", k)
		}
		for i, im := range g.doc.Images {
			if im.MimeType != "image/jpeg" && im.MimeType != "image/png" {
				t.Errorf("level %d image %d is %s", k, i, im.MimeType)
			}
		}
		sizes := imageSizes(t, g)
		t.Logf("level %d image sizes %v", k, sizes)
		if sizes[0][0] > prevWidth {
			t.Errorf("level %d image 0 is %d wide, wider than the level before (%d)", k, sizes[0][0], prevWidth)
		}
		prevWidth = sizes[0][0]
	}
}

// texturedSphere is a generated sphere whose material uses one PNG for its
// base colour and, through KHR_materials_clearcoat, for its clear coat: a
// texture reference inside an extension that coarse materials must follow.
func texturedSphere(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 256, 128))
	for y := range 128 {
		for x := range 256 {
			// Noise, so that encoded size follows pixel count as in photos.
			h := uint32(x*73856093) ^ uint32(y*19349663)
			h ^= h >> 13
			h *= 0x5bd1e995
			img.Set(x, y, color.NRGBA{uint8(h), uint8(h >> 8), uint8(h >> 16), 255})
		}
	}
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	glb := generatedGLB(t, "sphere", meshgen.Sphere(96, 48))
	return editGLB(t, glb, func(d map[string]any) {
		d["images"] = []any{map[string]any{"uri": "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBytes.Bytes())}}
		d["textures"] = []any{map[string]any{"source": 0}}
		mat := at(d, "materials", 0).(map[string]any)
		mat["pbrMetallicRoughness"].(map[string]any)["baseColorTexture"] = map[string]any{"index": 0}
		mat["extensions"] = map[string]any{"KHR_materials_clearcoat": map[string]any{"clearcoatFactor": 1, "clearcoatTexture": map[string]any{"index": 0}}}
		d["extensionsUsed"] = []any{"KHR_materials_clearcoat"}
	})
}

func TestBakeGivesCoarseMaterialsSmallerTextures(t *testing.T) {
	cfg := lod.DefaultConfig()
	cfg.MinTextureSize = 16
	res := mustBake(t, "sphere", texturedSphere(t), cfg)
	levels := len(res.Manifest.Levels)
	if levels != 4 {
		t.Fatalf("%d levels, want 4", levels)
	}
	for k := range levels {
		b, _ := res.File(res.Manifest.Levels[k].File)
		sizes := imageSizes(t, mustDecodeGLB(t, b))
		want := [2]int{max(16, 256>>k), max(16, 128>>k)}
		if len(sizes) != 1 || sizes[0] != want {
			t.Errorf("level %d images %v, want one of %v", k, sizes, want)
		}
	}
	prog, _ := res.File(lod.ProgressiveFile)
	p := mustDecodeGLB(t, prog)
	ids := lodIDs(t, p.doc.Materials[0].Extensions)
	if len(ids) != levels-1 {
		t.Fatalf("material MSFT_lod ids %v, want %d coarser materials", ids, levels-1)
	}
	for k, id := range ids {
		m := p.doc.Materials[id]
		base := m.PBRMetallicRoughness.BaseColorTexture.Index
		var cc struct {
			ClearcoatTexture struct {
				Index int `json:"index"`
			} `json:"clearcoatTexture"`
		}
		raw, _ := json.Marshal(m.Extensions["KHR_materials_clearcoat"])
		if err := json.Unmarshal(raw, &cc); err != nil {
			t.Fatal(err)
		}
		if base == 0 || cc.ClearcoatTexture.Index != base {
			t.Errorf("level %d material %d: base colour texture %d, clear coat texture %d; want the same coarse texture", k+1, id, base, cc.ClearcoatTexture.Index)
		}
	}
	checkProgressive(t, res)
	mustBeValid(t, glbFiles("sphere/", res))
}

func TestBakeHandWrittenGLTF(t *testing.T) {
	// Triangle strip and fan (converted to lists), a POINTS primitive
	// (passed through), a sparse accessor, data: URIs and a texture
	// referenced from a material extension.
	data, err := os.ReadFile("testdata/strip-fan-sparse.gltf")
	if err != nil {
		t.Fatal(err)
	}
	res := mustBake(t, "strip-fan-sparse.gltf", data, lod.DefaultConfig())
	if got := res.Manifest.Levels[0].Triangles; got != 4 {
		t.Errorf("level 0 has %d triangles, want 2 from the strip and 2 from the fan", got)
	}
	if len(res.PassThrough) != 1 || res.PassThrough[0].Mesh != 1 || res.PassThrough[0].Primitive != 1 {
		t.Errorf("pass-through %+v, want the POINTS primitive of mesh 1", res.PassThrough)
	}
	b, _ := res.File("lod0.glb")
	g := mustDecodeGLB(t, b)
	strip := g.doc.Meshes[0].Primitives[0]
	if strip.Mode != gltf.PrimitiveTriangles {
		t.Errorf("strip written as %v, want TRIANGLES", strip.Mode)
	}
	if pos := g.doc.Accessors[strip.Attributes[gltf.POSITION]]; !slices.Equal(pos.Max, []float64{1, 1.5, 0.25}) {
		t.Errorf("strip POSITION max %v: the sparse substitution was not applied", pos.Max)
	}
	checkProgressive(t, res)
	mustBeValid(t, glbFiles("hand/", res))
}
