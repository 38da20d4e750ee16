package meshgen_test

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"

	"github.com/qmuntal/gltf"
	"github.com/qmuntal/gltf/modeler"

	"github.com/strata3d/strata/lod/gltfcheck"
	"github.com/strata3d/strata/lod/meshgen"
)

// single wraps a mesh as a one-part model so it can be encoded.
func single(name string, m meshgen.Mesh) meshgen.Model {
	return meshgen.Model{Name: name, Title: name, Parts: []meshgen.Part{{
		Name: name, Mesh: m,
		Material: meshgen.Material{Name: "grey", BaseColor: [4]float32{0.5, 0.5, 0.5, 1}, Roughness: 0.5},
	}}}
}

// encodeAll encodes models, failing the test on any error.
func encodeAll(tb testing.TB, models []meshgen.Model) map[string][]byte {
	tb.Helper()
	out := make(map[string][]byte, len(models))
	for i := range models {
		glb, err := meshgen.EncodeGLB(&models[i])
		if err != nil {
			tb.Fatalf("EncodeGLB(%s): %v", models[i].Name, err)
		}
		out[models[i].Name] = glb
	}
	return out
}

// TestGLBValidates runs the Khronos validator over the whole catalogue and
// every test mesh in one batch.
func TestGLBValidates(t *testing.T) {
	models := slices.Clone(demoModels())
	for _, c := range testMeshes() {
		models = append(models, single(c.name, c.mesh))
	}
	// A part big enough for u32 indices, and a coloured one.
	models = append(models, single("sphere u32", meshgen.Sphere(400, 200)))
	painted := meshgen.Sphere(16, 8)
	painted.Colors = slices.Repeat([]float32{0.2, 0.4, 0.6, 1}, painted.VertexCount())
	models = append(models, single("sphere coloured", painted))

	glbs := encodeAll(t, models)
	for _, m := range demoModels() {
		t.Logf("%-22s %7d triangles %6.2f MB", m.Name, m.TriangleCount(), float64(len(glbs[m.Name]))/(1<<20))
	}
	gltfcheck.MustBeValidGLBs(t, glbs)
}

func TestGLBDeterministic(t *testing.T) {
	first := encodeAll(t, demoModels())
	second := encodeAll(t, meshgen.Demo())
	for name, glb := range first {
		if !bytes.Equal(glb, second[name]) {
			t.Errorf("%s: two encodings differ (%x vs %x)", name, sha256.Sum256(glb), sha256.Sum256(second[name]))
		}
	}
	for _, c := range []struct {
		name string
		gen  func() meshgen.Mesh
	}{
		{"terrain", func() meshgen.Mesh { return meshgen.Terrain(40, 9) }},
		{"displaced", func() meshgen.Mesh { return meshgen.Displaced(8000, 9) }},
		{"torus knot", func() meshgen.Mesh { return meshgen.TorusKnot(3, 7, 200, 16) }},
	} {
		a, b := single(c.name, c.gen()), single(c.name, c.gen())
		ga, _ := meshgen.EncodeGLB(&a)
		gb, _ := meshgen.EncodeGLB(&b)
		if !bytes.Equal(ga, gb) {
			t.Errorf("%s: two generations encode differently", c.name)
		}
	}
}

// TestGLBRoundTrip decodes each GLB with qmuntal/gltf and checks the layout
// the LOD pipeline relies on, and that geometry survives bit-exactly.
func TestGLBRoundTrip(t *testing.T) {
	models := append(slices.Clone(demoModels()), single("u32 sphere", meshgen.Sphere(300, 250)), single("scan", meshgen.Displaced(3000, 3)))
	for _, m := range models {
		t.Run(m.Name, func(t *testing.T) {
			glb, err := meshgen.EncodeGLB(&m)
			if err != nil {
				t.Fatal(err)
			}
			var doc gltf.Document
			if err := gltf.NewDecoder(bytes.NewReader(glb)).Decode(&doc); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if doc.Asset.Generator != meshgen.Generator || doc.Asset.Version != "2.0" {
				t.Errorf("asset = %+v", doc.Asset)
			}
			if len(doc.Buffers) != 1 || doc.Buffers[0].URI != "" {
				t.Fatalf("want one embedded buffer, got %d", len(doc.Buffers))
			}
			if doc.Scene == nil || len(doc.Scenes) != 1 || !slices.Equal(doc.Scenes[0].Nodes, []int{0}) {
				t.Fatal("want one scene with the root node")
			}
			root := doc.Nodes[0]
			if root.Name != m.Name || len(root.Children) != len(m.Parts) || len(doc.Meshes) != len(m.Parts) {
				t.Fatalf("root %q with %d children and %d meshes, want %q with %d", root.Name, len(root.Children), len(doc.Meshes), m.Name, len(m.Parts))
			}
			for _, v := range doc.BufferViews {
				if v.ByteOffset%4 != 0 || v.Target == gltf.TargetNone {
					t.Errorf("buffer view at %d (target %v) not 4-byte aligned or untargeted", v.ByteOffset, v.Target)
				}
			}
			total := 0
			for i, p := range m.Parts {
				node := doc.Nodes[root.Children[i]]
				if node.Name != p.Name || node.Mesh == nil {
					t.Fatalf("child %d = %q, want part %q with a mesh", i, node.Name, p.Name)
				}
				if node.Translation != [3]float64{float64(p.Translation[0]), float64(p.Translation[1]), float64(p.Translation[2])} {
					t.Errorf("%s: translation %v, want %v", p.Name, node.Translation, p.Translation)
				}
				prim := doc.Meshes[*node.Mesh].Primitives[0]
				checkPrimitive(t, &doc, prim, &p)
				mat := doc.Materials[*prim.Material]
				if mat.Name != p.Material.Name || mat.DoubleSided != p.Material.DoubleSided {
					t.Errorf("%s: material %q, want %q", p.Name, mat.Name, p.Material.Name)
				}
				total += doc.Accessors[*prim.Indices].Count / 3
			}
			if total != m.TriangleCount() {
				t.Errorf("decoded %d triangles, model has %d", total, m.TriangleCount())
			}
		})
	}
}

func checkPrimitive(t *testing.T, doc *gltf.Document, prim *gltf.Primitive, p *meshgen.Part) {
	t.Helper()
	idxAcc := doc.Accessors[*prim.Indices]
	wantType := gltf.ComponentUshort
	if p.Mesh.VertexCount() >= 1<<16 {
		wantType = gltf.ComponentUint
	}
	if idxAcc.ComponentType != wantType {
		t.Errorf("%s: %d vertices indexed with %v, want %v", p.Name, p.Mesh.VertexCount(), idxAcc.ComponentType, wantType)
	}
	if v := doc.BufferViews[*idxAcc.BufferView]; v.Target != gltf.TargetElementArrayBuffer {
		t.Errorf("%s: index view target %v", p.Name, v.Target)
	}
	indices, err := modeler.ReadIndices(doc, idxAcc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(indices, p.Mesh.Indices) {
		t.Errorf("%s: indices changed in the round trip", p.Name)
	}
	posAcc := doc.Accessors[prim.Attributes[gltf.POSITION]]
	positions, err := modeler.ReadPosition(doc, posAcc, nil)
	if err != nil {
		t.Fatal(err)
	}
	flat := make([]float32, 0, 3*len(positions))
	for _, v := range positions {
		flat = append(flat, v[:]...)
	}
	if !slices.Equal(flat, p.Mesh.Positions) {
		t.Errorf("%s: positions changed in the round trip", p.Name)
	}
	mn, mx := p.Mesh.Bounds()
	for k := range 3 {
		if posAcc.Min[k] != float64(mn[k]) || posAcc.Max[k] != float64(mx[k]) {
			t.Errorf("%s: POSITION min/max %v/%v, want %v/%v", p.Name, posAcc.Min, posAcc.Max, mn, mx)
			break
		}
	}
	for attr, present := range map[string]bool{
		gltf.NORMAL:     p.Mesh.Normals != nil,
		gltf.TEXCOORD_0: p.Mesh.UVs != nil,
		gltf.COLOR_0:    p.Mesh.Colors != nil,
	} {
		if _, ok := prim.Attributes[attr]; ok != present {
			t.Errorf("%s: attribute %s present=%v, want %v", p.Name, attr, ok, present)
		}
	}
}

func TestEncodeGLBRejects(t *testing.T) {
	tri := func() meshgen.Mesh {
		return meshgen.Mesh{Positions: []float32{0, 0, 0, 1, 0, 0, 0, 1, 0}, Indices: []uint32{0, 1, 2}}
	}
	cases := []struct {
		name  string
		model *meshgen.Model
		want  string
	}{
		{name: "nil model", model: nil, want: "no parts"},
		{name: "no parts", model: &meshgen.Model{Name: "empty"}, want: "no parts"},
		{name: "index out of range", model: func() *meshgen.Model {
			m := single("bad", tri())
			m.Parts[0].Mesh.Indices[2] = 3
			return &m
		}(), want: "out of range"},
		{name: "partial triangle", model: func() *meshgen.Model {
			m := single("bad", tri())
			m.Parts[0].Mesh.Indices = m.Parts[0].Mesh.Indices[:2]
			return &m
		}(), want: "multiple of 3"},
		{name: "normals short", model: func() *meshgen.Model {
			m := single("bad", tri())
			m.Parts[0].Mesh.Normals = []float32{0, 0, 1}
			return &m
		}(), want: "normals"},
		{name: "colors short", model: func() *meshgen.Model {
			m := single("bad", tri())
			m.Parts[0].Mesh.Colors = []float32{1, 1, 1}
			return &m
		}(), want: "colors"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := meshgen.EncodeGLB(c.model)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

// FuzzTestMeshes drives the parameterised generators with arbitrary small
// sizes and seeds; whatever the parameters, the output must be a valid
// mesh the encoder accepts.
func FuzzTestMeshes(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), uint8(0), int64(0))
	f.Add(uint8(3), uint8(2), uint8(1), uint8(1), int64(1))
	f.Add(uint8(64), uint8(31), uint8(3), uint8(5), int64(-7))
	f.Fuzz(func(t *testing.T, a, b, p, q uint8, seed int64) {
		cases := []meshCase{
			{name: "sphere", mesh: meshgen.Sphere(int(a), int(b)), closed: true, uvs: true},
			{name: "terrain", mesh: meshgen.Terrain(int(a%96), seed), uvs: true},
			{name: "displaced", mesh: meshgen.Displaced(int(a)*int(b)/2, seed), closed: true},
		}
		// Only coprime (p, q) small enough for the 0.25 m tube not to run
		// into its own coils give a clean knot. Tubes with few sides or
		// few steps per winding twist their faces away from the smooth
		// normals, which is legal but fails the winding heuristic in
		// checkMesh, so sizes scale with the windings.
		kp, kq := int(p%4)+1, int(q%5)+1
		if gcd(kp, kq) == 1 {
			cases = append(cases, meshCase{name: "torus knot", mesh: meshgen.TorusKnot(kp, kq, 24*kp*kq+int(a), 8+int(b%24)), uvs: true})
		}
		for _, c := range cases {
			func() {
				defer func() {
					if t.Failed() {
						t.Logf("while checking %s", c.name)
					}
				}()
				checkMesh(t, &c.mesh, c.uvs)
				if c.closed {
					checkClosed(t, &c.mesh)
				}
				m := single(c.name, c.mesh)
				if _, err := meshgen.EncodeGLB(&m); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
			}()
		}
	})
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func BenchmarkDemo(b *testing.B) {
	for b.Loop() {
		meshgen.Demo()
	}
}

func BenchmarkEncodeGLB(b *testing.B) {
	for _, m := range meshgen.Demo() {
		b.Run(m.Name, func(b *testing.B) {
			var size int
			for b.Loop() {
				glb, err := meshgen.EncodeGLB(&m)
				if err != nil {
					b.Fatal(err)
				}
				size = len(glb)
			}
			b.SetBytes(int64(size))
		})
	}
}

// BenchmarkTestMeshes measures the generators at the 1M-triangle end the
// simplifier benchmarks use.
func BenchmarkTestMeshes(b *testing.B) {
	for _, c := range []struct {
		name string
		gen  func() meshgen.Mesh
	}{
		{"sphere-1M", func() meshgen.Mesh { return meshgen.Sphere(1000, 501) }},
		{"terrain-1M", func() meshgen.Mesh { return meshgen.Terrain(708, 1) }},
		{"torusknot-1M", func() meshgen.Mesh { return meshgen.TorusKnot(2, 3, 8000, 64) }},
		{"displaced-1M", func() meshgen.Mesh { return meshgen.Displaced(1_000_000, 1) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var tris int
			for b.Loop() {
				m := c.gen()
				tris = m.TriangleCount()
			}
			b.ReportMetric(float64(tris), "triangles")
		})
	}
	b.Run("soup-1M", func(b *testing.B) {
		src := meshgen.Displaced(1_000_000, 1)
		for b.Loop() {
			meshgen.Soup(src)
		}
	})
}
