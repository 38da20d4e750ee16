package lod_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"

	"github.com/strata3d/strata/lod"
	"github.com/strata3d/strata/lod/meshgen"
)

func TestBakeKeepsGPUInstancing(t *testing.T) {
	// Three instances of a sphere, their translations in an accessor that
	// only EXT_mesh_gpu_instancing refers to.
	translations := make([]byte, 36)
	for i, v := range []float32{0, 0, 0, 3, 0, 0, 6, 0, 0} {
		binary.LittleEndian.PutUint32(translations[4*i:], math.Float32bits(v))
	}
	glb := editGLB(t, generatedGLB(t, "sphere", meshgen.Sphere(64, 32)), func(d map[string]any) {
		d["buffers"] = append(d["buffers"].([]any), map[string]any{"byteLength": 36, "uri": "data:application/octet-stream;base64," + base64.StdEncoding.EncodeToString(translations)})
		d["bufferViews"] = append(d["bufferViews"].([]any), map[string]any{"buffer": 1, "byteLength": 36})
		d["accessors"] = append(d["accessors"].([]any), map[string]any{"bufferView": len(d["bufferViews"].([]any)) - 1, "componentType": 5126, "count": 3, "type": "VEC3"})
		at(d, "nodes", 1).(map[string]any)["extensions"] = map[string]any{"EXT_mesh_gpu_instancing": map[string]any{
			"attributes": map[string]any{"TRANSLATION": len(d["accessors"].([]any)) - 1},
		}}
		d["extensionsUsed"] = []any{"EXT_mesh_gpu_instancing"}
	})
	res := mustBake(t, "instanced", glb, lod.DefaultConfig())
	for name, b := range glbFiles("", res) {
		g := mustDecodeGLB(t, b)
		raw, _ := json.Marshal(g.doc.Nodes[1].Extensions["EXT_mesh_gpu_instancing"])
		var ext struct {
			Attributes map[string]int `json:"attributes"`
		}
		if err := json.Unmarshal(raw, &ext); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := g.accessorBytes(t, ext.Attributes["TRANSLATION"])
		if want := "FLOATVEC3" + string(translations); string(got) != want {
			t.Errorf("%s: the TRANSLATION accessor does not hold the three translations", name)
		}
	}
	checkProgressive(t, res)
	mustBeValid(t, glbFiles("instanced/", res))
}
