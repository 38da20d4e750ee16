package lod_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/strata3d/strata/lod"
)

// splitTestGLB returns a GLB's JSON as generic values and its BIN chunk.
func splitTestGLB(tb testing.TB, glb []byte) (map[string]any, []byte) {
	tb.Helper()
	jsonLen := int(binary.LittleEndian.Uint32(glb[12:]))
	var doc map[string]any
	if err := json.Unmarshal(glb[20:20+jsonLen], &doc); err != nil {
		tb.Fatal(err)
	}
	var bin []byte
	if rest := glb[20+jsonLen:]; len(rest) >= 8 {
		bin = rest[8 : 8+int(binary.LittleEndian.Uint32(rest))]
	}
	return doc, bin
}

// joinGLB builds a GLB from JSON text and a BIN chunk.
func joinGLB(jsonText, bin []byte) []byte {
	for len(jsonText)%4 != 0 {
		jsonText = append(jsonText, ' ')
	}
	bin = append([]byte(nil), bin...)
	for len(bin)%4 != 0 {
		bin = append(bin, 0)
	}
	var b bytes.Buffer
	total := 12 + 8 + len(jsonText)
	if len(bin) > 0 {
		total += 8 + len(bin)
	}
	le := func(v int) { _ = binary.Write(&b, binary.LittleEndian, uint32(v)) }
	le(0x46546C67)
	le(2)
	le(total)
	le(len(jsonText))
	le(0x4E4F534A)
	b.Write(jsonText)
	if len(bin) > 0 {
		le(len(bin))
		le(0x004E4942)
		b.Write(bin)
	}
	return b.Bytes()
}

// editGLB returns glb with its JSON changed by edit.
func editGLB(tb testing.TB, glb []byte, edit func(doc map[string]any)) []byte {
	tb.Helper()
	doc, bin := splitTestGLB(tb, glb)
	edit(doc)
	raw, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return joinGLB(raw, bin)
}

// at walks a generic JSON value by keys and indices.
func at(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v
}

func TestBakeRejectsBadInput(t *testing.T) {
	box := mustReadModel(t, "Box.glb")
	boxTextured := mustReadModel(t, "BoxTextured.glb")
	small := func(mod func(*lod.Config)) lod.Config {
		c := lod.DefaultConfig()
		mod(&c)
		return c
	}
	cases := []struct {
		name   string
		input  lod.Input
		cfg    lod.Config
		kind   error
		where  string // expected InputError.Where prefix
		phrase string // expected in the message
	}{
		{
			name:  "truncated GLB",
			input: lod.Input{Data: box[:len(box)-100]},
			kind:  lod.ErrInvalidInput, where: "GLB header", phrase: "truncated",
		},
		{
			name:  "GLB shorter than its header",
			input: lod.Input{Data: box[:10]},
			kind:  lod.ErrInvalidInput, where: "GLB header", phrase: "truncated",
		},
		{
			name: "JSON chunk runs past the file",
			input: lod.Input{Data: func() []byte {
				b := bytes.Clone(box)
				binary.LittleEndian.PutUint32(b[12:], uint32(len(b)))
				return b
			}()},
			kind: lod.ErrInvalidInput, where: "GLB chunk 0", phrase: "runs past",
		},
		{
			name:  "malformed JSON",
			input: lod.Input{Data: joinGLB([]byte(`{"asset": {"version": "2.0"}, "meshes": [}`), nil)},
			kind:  lod.ErrInvalidInput, where: "GLB JSON chunk byte", phrase: "malformed JSON",
		},
		{
			name:  "JSON of the wrong shape",
			input: lod.Input{Data: []byte(`{"asset": {"version": "2.0"}, "nodes": {"a": 1}}`)},
			kind:  lod.ErrInvalidInput, where: "/nodes", phrase: "JSON object",
		},
		{
			name:  "neither GLB nor JSON",
			input: lod.Input{Data: []byte("PK\x03\x04 a zip file")},
			kind:  lod.ErrInvalidInput, phrase: "neither a GLB",
		},
		{
			name: "accessor count larger than its bufferView",
			input: lod.Input{Data: editGLB(t, box, func(d map[string]any) {
				at(d, "accessors", 1).(map[string]any)["count"] = 100000
			})},
			kind: lod.ErrInvalidInput, where: "/accessors/1", phrase: "bufferView",
		},
		{
			name: "bufferView beyond its buffer",
			input: lod.Input{Data: editGLB(t, box, func(d map[string]any) {
				at(d, "bufferViews", 0).(map[string]any)["byteLength"] = 1 << 30
			})},
			kind: lod.ErrInvalidInput, where: "/bufferViews/0", phrase: "past the end of buffer",
		},
		{
			name: "buffer byteLength larger than the BIN chunk",
			input: lod.Input{Data: editGLB(t, box, func(d map[string]any) {
				b := at(d, "buffers", 0).(map[string]any)
				b["byteLength"] = b["byteLength"].(float64) * 4
			})},
			kind: lod.ErrInvalidInput, where: "/buffers/0", phrase: "truncated",
		},
		{
			name: "indices beyond the vertex count",
			input: lod.Input{Data: editGLB(t, box, func(d map[string]any) {
				for _, name := range []string{"POSITION", "NORMAL"} {
					a := int(at(d, "meshes", 0, "primitives", 0, "attributes", name).(float64))
					at(d, "accessors", a).(map[string]any)["count"] = 4
				}
			})},
			kind: lod.ErrInvalidInput, where: "/meshes/0/primitives/0/indices", phrase: "out of range for 4 vertices",
		},
		{
			name: "reference to a missing accessor",
			input: lod.Input{Data: editGLB(t, box, func(d map[string]any) {
				at(d, "meshes", 0, "primitives", 0, "attributes").(map[string]any)["POSITION"] = 99
			})},
			kind: lod.ErrInvalidInput, where: "/meshes/0/primitives/0/attributes/POSITION", phrase: "accessor 99 does not exist",
		},
		{
			name: "unknown component type",
			input: lod.Input{Data: editGLB(t, box, func(d map[string]any) {
				at(d, "accessors", 0).(map[string]any)["componentType"] = 5124
			})},
			kind: lod.ErrInvalidInput, where: "/accessors/0/componentType", phrase: "5124",
		},
		{
			name: "node hierarchy with a cycle",
			input: lod.Input{Data: editGLB(t, box, func(d map[string]any) {
				nodes := at(d, "nodes").([]any)
				nodes[1].(map[string]any)["children"] = []any{0}
				delete(at(d, "scenes", 0).(map[string]any), "nodes")
			})},
			kind: lod.ErrInvalidInput, where: "/nodes/", phrase: "cycle",
		},
		{
			name:  "meshopt-compressed geometry",
			input: lod.Input{Data: mustReadModel(t, "BoxMeshopt.glb")},
			kind:  lod.ErrUnsupported, where: "/extensionsRequired/", phrase: "EXT_meshopt_compression",
		},
		{
			name: "external buffer without a resolver",
			input: lod.Input{Data: []byte(`{"asset":{"version":"2.0"},"buffers":[{"uri":"box.bin","byteLength":4}],
				"bufferViews":[{"buffer":0,"byteLength":4}]}`)},
			kind: lod.ErrInvalidInput, where: "/buffers/0/uri", phrase: "no resolver",
		},
		{
			name: "remote buffer",
			input: lod.Input{Data: []byte(`{"asset":{"version":"2.0"},"buffers":[{"uri":"https://example.com/box.bin","byteLength":4}],
				"bufferViews":[{"buffer":0,"byteLength":4}]}`), Resolve: func(string) ([]byte, error) { return nil, errors.New("unreachable") }},
			kind: lod.ErrUnsupported, where: "/buffers/0/uri", phrase: "remote",
		},
		{
			name:  "glTF 1.0",
			input: lod.Input{Data: []byte(`{"asset":{"version":"1.0"}}`)},
			kind:  lod.ErrUnsupported, where: "/asset/version", phrase: "1.0",
		},
		{
			name:  "file larger than MaxInputBytes",
			input: lod.Input{Data: box},
			cfg:   small(func(c *lod.Config) { c.MaxInputBytes = 1000 }),
			kind:  lod.ErrLimit, phrase: "MaxInputBytes",
		},
		{
			name:  "more triangles than MaxTriangles",
			input: lod.Input{Data: box},
			cfg:   small(func(c *lod.Config) { c.MaxTriangles = 10 }),
			kind:  lod.ErrLimit, where: "/meshes/0/primitives/0", phrase: "MaxTriangles",
		},
		{
			name:  "more vertices than MaxVertices",
			input: lod.Input{Data: box},
			cfg:   small(func(c *lod.Config) { c.MaxVertices = 10 }),
			kind:  lod.ErrLimit, where: "/meshes/0/primitives/0", phrase: "MaxVertices",
		},
		{
			name:  "texture larger than MaxTexturePixels",
			input: lod.Input{Data: boxTextured},
			cfg:   small(func(c *lod.Config) { c.MaxTexturePixels = 100 }),
			kind:  lod.ErrLimit, where: "/images/0", phrase: "MaxTexturePixels",
		},
		{
			name: "huge accessor without a bufferView",
			input: lod.Input{Data: editGLB(t, box, func(d map[string]any) {
				d["accessors"] = append(d["accessors"].([]any), map[string]any{"componentType": 5126, "type": "VEC3", "count": 1 << 30})
			})},
			kind: lod.ErrLimit, where: "/accessors/3/count", phrase: "MaxVertices",
		},
	}
	checked := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg.Workers == 0 {
				cfg = lod.DefaultConfig()
			}
			res, err := lod.Bake(context.Background(), tc.input, cfg)
			t.Logf("error: %v", err)
			// Check refuses what the parse step refuses, with the same words.
			if cerr := lod.Check(tc.input, cfg); cerr != nil {
				checked++
				if err == nil || cerr.Error() != err.Error() {
					t.Errorf("Check: %v; Bake: %v", cerr, err)
				}
			}
			if err == nil {
				t.Fatalf("Bake succeeded with %d files, want an error", len(res.Files))
			}
			var ie *lod.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T) is not an *lod.InputError", err, err)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q is not %v", err, tc.kind)
			}
			if !strings.HasPrefix(ie.Where, tc.where) {
				t.Errorf("error %q is located at %q, want %q…", err, ie.Where, tc.where)
			}
			if !strings.Contains(err.Error(), tc.phrase) {
				t.Errorf("error %q does not mention %q", err, tc.phrase)
			}
		})
	}
	if checked < len(cases)/2 {
		t.Errorf("Check refused only %d of %d bad inputs", checked, len(cases))
	}
}

func TestCheckAcceptsValidModels(t *testing.T) {
	for _, name := range []string{"Box.glb", "BoxTextured.glb", "Fox.glb"} {
		if err := lod.Check(lod.Input{Name: name, Data: mustReadModel(t, name)}, lod.DefaultConfig()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name   string
		mod    func(*lod.Config)
		phrase string // "" for a valid config
	}{
		{"default", func(*lod.Config) {}, ""},
		{"error budget instead of ratios", func(c *lod.Config) { c.ErrorBudget = []float64{0.002, 0.01, 0.05} }, ""},
		{"first ratio not 1", func(c *lod.Config) { c.Ratios = []float64{0.5, 0.25} }, "Ratios[0]"},
		{"ratios not decreasing", func(c *lod.Config) { c.Ratios = []float64{1, 0.25, 0.5} }, "Ratios[2]"},
		{"no levels", func(c *lod.Config) { c.Ratios = nil }, "no levels"},
		{"error budget not increasing", func(c *lod.Config) { c.ErrorBudget = []float64{0.01, 0.01} }, "ErrorBudget[1]"},
		{"error budget of 1", func(c *lod.Config) { c.ErrorBudget = []float64{1} }, "ErrorBudget[0]"},
		{"zero input limit", func(c *lod.Config) { c.MaxInputBytes = 0 }, "MaxInputBytes"},
		{"texture scale above 1", func(c *lod.Config) { c.TextureScale = 2 }, "TextureScale"},
		{"negative weight", func(c *lod.Config) { c.UVWeight = -1 }, "UVWeight"},
		{"JPEG quality 0", func(c *lod.Config) { c.JPEGQuality = 0 }, "JPEGQuality"},
		{"no error cap", func(c *lod.Config) { c.MaxError = 0 }, "MaxError"},
		{"no workers", func(c *lod.Config) { c.Workers = 0 }, "Workers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := lod.DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			switch {
			case tc.phrase == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.phrase != "" && (err == nil || !strings.Contains(err.Error(), tc.phrase)):
				t.Errorf("Validate: %v, want an error about %s", err, tc.phrase)
			}
		})
	}
}

func TestBakeReadsGLTFWithExternalResources(t *testing.T) {
	glb := mustReadModel(t, "BoxTextured.glb")
	doc, bin := splitTestGLB(t, glb)
	// The buffer moves to a file whose name needs percent-encoding, the
	// image to a data URI.
	at(doc, "buffers", 0).(map[string]any)["uri"] = "Box%20Textured.bin"
	img := at(doc, "images", 0).(map[string]any)
	view := at(doc, "bufferViews", int(img["bufferView"].(float64))).(map[string]any)
	off, n := 0, int(view["byteLength"].(float64))
	if o, ok := view["byteOffset"]; ok {
		off = int(o.(float64))
	}
	img["uri"] = "data:image/png;base64," + base64.StdEncoding.EncodeToString(bin[off:off+n])
	delete(img, "bufferView")
	delete(img, "mimeType")
	jsonText, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	resolve := func(uri string) ([]byte, error) {
		asked = append(asked, uri)
		if uri != "Box Textured.bin" {
			return nil, os.ErrNotExist
		}
		return bin, nil
	}
	fromGLTF, err := lod.Bake(context.Background(), lod.Input{Name: "BoxTextured.gltf", Data: jsonText, Resolve: resolve}, lod.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"Box Textured.bin"}) {
		t.Errorf("resolver asked for %q, want the one buffer file", asked)
	}
	fromGLB := mustBake(t, "BoxTextured.glb", glb, lod.DefaultConfig())
	for _, name := range []string{"lod0.glb", lod.ProgressiveFile} {
		a, _ := fromGLTF.File(name)
		b, _ := fromGLB.File(name)
		if !bytes.Equal(a, b) {
			t.Errorf("%s baked from the .gltf differs from the one baked from the GLB", name)
		}
	}
	mustBeValid(t, glbFiles("gltf/", fromGLTF))

	t.Run("a resolver error names the file", func(t *testing.T) {
		_, err := lod.Bake(context.Background(), lod.Input{Data: jsonText, Resolve: func(string) ([]byte, error) { return nil, os.ErrNotExist }}, lod.DefaultConfig())
		if !errors.Is(err, lod.ErrInvalidInput) || !strings.Contains(err.Error(), `"Box Textured.bin"`) {
			t.Errorf("error %v, want an invalid-input error naming the file", err)
		}
	})
}
