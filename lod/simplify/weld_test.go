package simplify_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/lod/simplify"
)

func TestWeld(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	tests := []struct {
		name       string
		positions  []float32
		attrs      []float32
		stride     int
		indices    []uint32
		wantRemap  []uint32
		wantUnique int
	}{
		{"distinct", []float32{0, 0, 0, 1, 0, 0, 0, 1, 0}, nil, 0, nil, []uint32{0, 1, 2}, 3},
		{"duplicate position", []float32{0, 0, 0, 1, 0, 0, 0, 0, 0}, nil, 0, nil, []uint32{0, 1, 0}, 2},
		{"negative zero equals zero", []float32{0, 0, 0, negZero, 0, negZero}, nil, 0, nil, []uint32{0, 0}, 1},
		{"attributes split a position", []float32{0, 0, 0, 0, 0, 0, 0, 0, 0}, []float32{0, 1, 0}, 1, nil, []uint32{0, 1, 0}, 2},
		{"first use order with indices", []float32{0, 0, 0, 1, 0, 0, 2, 0, 0, 1, 0, 0}, nil, 0, []uint32{2, 3, 1, 2}, []uint32{simplify.Unused, 1, 0, 1}, 2},
		{"empty", nil, nil, 0, nil, []uint32{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remap, unique, err := simplify.Weld(tt.positions, tt.attrs, tt.stride, tt.indices)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(remap, tt.wantRemap) || unique != tt.wantUnique {
				t.Errorf("remap %v unique %d, want %v %d", remap, unique, tt.wantRemap, tt.wantUnique)
			}
		})
	}
}

func TestWeldRejectsBadInput(t *testing.T) {
	tests := []struct {
		name      string
		positions []float32
		attrs     []float32
		stride    int
		indices   []uint32
	}{
		{"partial vertex", []float32{0, 0}, nil, 0, nil},
		{"attribute length", []float32{0, 0, 0}, []float32{1, 2}, 1, nil},
		{"negative stride", []float32{0, 0, 0}, nil, -1, nil},
		{"index out of range", []float32{0, 0, 0}, nil, 0, []uint32{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := simplify.Weld(tt.positions, tt.attrs, tt.stride, tt.indices); !errors.Is(err, simplify.ErrInvalidMesh) {
				t.Fatalf("err = %v, want ErrInvalidMesh", err)
			}
		})
	}
}

// A triangle soup (every triangle with its own corners) welds back into the
// indexed mesh it came from.
func TestWeldUndoesSoup(t *testing.T) {
	g := meshgen.Sphere(24, 12)
	soup := meshgen.Soup(g)
	stride := 5
	attrs := make([]float32, 0, stride*soup.VertexCount())
	for v := 0; v < soup.VertexCount(); v++ {
		attrs = append(attrs, soup.Normals[3*v:3*v+3]...)
		attrs = append(attrs, soup.UVs[2*v:2*v+2]...)
	}
	remap, unique, err := simplify.Weld(soup.Positions, attrs, stride, soup.Indices)
	if err != nil {
		t.Fatal(err)
	}
	used := map[uint32]bool{}
	for _, v := range g.Indices {
		used[v] = true
	}
	if unique != len(used) {
		t.Fatalf("welded %d vertices into %d, want the original %d", soup.VertexCount(), unique, len(used))
	}
	welded := simplify.RemapIndices(soup.Indices, remap)
	pos := simplify.RemapVertices(soup.Positions, 3, remap, unique)
	for i, v := range welded {
		if !slices.Equal(pos[3*v:3*v+3], g.Positions[3*g.Indices[i]:3*g.Indices[i]+3]) {
			t.Fatalf("corner %d moved", i)
		}
	}
}

func TestCompact(t *testing.T) {
	g := testMesh(3)
	m := withAttributes(g)
	r := mustSimplify(t, m, simplify.Options{TargetTriangles: g.TriangleCount() / 16})
	c, remap, err := simplify.Compact(m, r.Indices)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("compacted mesh: %v", err)
	}
	used := map[uint32]bool{}
	for _, v := range r.Indices {
		used[v] = true
	}
	if c.VertexCount() != len(used) {
		t.Fatalf("%d vertices, want the %d used ones", c.VertexCount(), len(used))
	}
	for i, v := range r.Indices {
		nv := c.Indices[i]
		if remap[v] != nv {
			t.Fatalf("remap[%d] = %d, index says %d", v, remap[v], nv)
		}
		if !slices.Equal(c.Positions[3*nv:3*nv+3], m.Positions[3*v:3*v+3]) ||
			!slices.Equal(c.Attributes[int(nv)*c.AttrStride:int(nv+1)*c.AttrStride], m.Attributes[int(v)*m.AttrStride:int(v+1)*m.AttrStride]) {
			t.Fatalf("vertex %d changed in compaction", v)
		}
	}
	if _, _, err := simplify.Compact(m, []uint32{0, 1, uint32(m.VertexCount())}); !errors.Is(err, simplify.ErrInvalidMesh) {
		t.Errorf("out-of-range index: err = %v, want ErrInvalidMesh", err)
	}
}
