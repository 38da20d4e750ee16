package meshgen

// Material is a glTF PBR metallic-roughness material without textures;
// per-vertex colours, when a mesh has them, multiply BaseColor.
type Material struct {
	Name        string
	BaseColor   [4]float32 // linear RGBA
	Metallic    float32    // 0 dielectric … 1 metal
	Roughness   float32    // 0 mirror … 1 matte
	DoubleSided bool       // only for open, single-sheet surfaces
}

// Part is one mesh of a model with its material, placed by a translation
// under the model's root node.
type Part struct {
	Name        string
	Mesh        Mesh
	Material    Material
	Translation [3]float32 // metres
}

// Model is one catalogue item: a slug-like Name used in asset keys, a Title
// for people, and its parts. Units are metres, +Y is up, the model stands on
// y=0 and faces +Z, as glTF expects.
type Model struct {
	Name, Title string
	Parts       []Part
}

// TriangleCount returns the total number of triangles over all parts.
func (m *Model) TriangleCount() int {
	n := 0
	for i := range m.Parts {
		n += m.Parts[i].Mesh.TriangleCount()
	}
	return n
}
