package simplify_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/strata3d/strata/lod/simplify"
)

// decodeFuzzMesh turns arbitrary bytes into a small, valid mesh: vertices on
// a coarse lattice (so positions coincide and seams, poles and degenerate
// triangles appear), triangles from byte triples, optional attributes and
// options. The layout: n (vertices), t (triangles), flags, target, then
// 3 bytes per vertex, 3 per triangle and attribute bytes.
func decodeFuzzMesh(data []byte) (simplify.Mesh, simplify.Options) {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	n := int(next()%48) + 1
	t := int(next() % 96)
	flags := next()
	target := int(next())
	var m simplify.Mesh
	for i := 0; i < n; i++ {
		for j := 0; j < 3; j++ {
			m.Positions = append(m.Positions, float32(int8(next())%5)*0.25)
		}
	}
	for i := 0; i < t; i++ {
		for j := 0; j < 3; j++ {
			m.Indices = append(m.Indices, uint32(next())%uint32(n))
		}
	}
	if stride := int(flags>>4) % 4; stride > 0 {
		m.AttrStride = stride
		for i := 0; i < n*stride; i++ {
			m.Attributes = append(m.Attributes, float32(next()%4)/3)
		}
		if flags&4 != 0 {
			for k := 0; k < stride; k++ {
				m.AttrWeights = append(m.AttrWeights, float32(next()%3))
			}
		}
	}
	opts := simplify.Options{TargetTriangles: target % (t + 1), LockBorder: flags&1 != 0}
	if flags&2 != 0 {
		opts.TargetError = float32(next()) / 255
	}
	if flags&8 != 0 {
		opts.LockedVertices = make([]bool, n)
		for i := range opts.LockedVertices {
			opts.LockedVertices[i] = next()%4 == 0
		}
	}
	return m, opts
}

// FuzzSimplify checks that Simplify accepts every valid mesh without
// panicking, returns valid triangles that exist only where allowed, meets
// the error limit it reports, and is deterministic.
func FuzzSimplify(f *testing.F) {
	f.Add([]byte{4, 4, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 2, 1, 0, 1, 3, 1, 2, 3, 0, 3, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, opts := decodeFuzzMesh(data)
		if err := m.Validate(); err != nil {
			t.Fatalf("decoder produced an invalid mesh: %v", err)
		}
		r, err := simplify.Simplify(context.Background(), m, opts)
		if err != nil {
			t.Fatalf("Simplify: %v", err)
		}
		checkIndices(t, m, r.Indices)
		if len(r.Indices) > len(m.Indices) {
			t.Fatalf("%d indices out of %d", len(r.Indices), len(m.Indices))
		}
		if opts.TargetError > 0 && r.RelativeError > opts.TargetError*1.0001 {
			t.Fatalf("relative error %g above the limit %g", r.RelativeError, opts.TargetError)
		}
		if !(r.Error >= 0) || !(r.RelativeError >= 0) {
			t.Fatalf("error %g / %g", r.Error, r.RelativeError)
		}
		// Once simplification ran, no triangle may be degenerate by
		// position either; a mesh already at its target is returned as is.
		if len(m.Indices)/3 > opts.TargetTriangles {
			for i := 0; i < len(r.Indices); i += 3 {
				a, b, c := posKey(m, r.Indices[i]), posKey(m, r.Indices[i+1]), posKey(m, r.Indices[i+2])
				if a == b || b == c || a == c {
					t.Fatalf("triangle %v has two corners at one position", r.Indices[i:i+3])
				}
			}
		}
		again, err := simplify.Simplify(context.Background(), m, opts)
		if err != nil || !bytes.Equal(indexBytes(again.Indices), indexBytes(r.Indices)) || again.Error != r.Error {
			t.Fatalf("second run differs: %v", err)
		}
	})
}

// FuzzWeld checks Weld against its definition on small vertex soups.
func FuzzWeld(f *testing.F) {
	f.Add([]byte{3, 1, 1, 2, 3, 1, 2, 3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		n, stride := int(data[0]%32)+1, int(data[1]%3)
		data = data[2:]
		next := func() float32 {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return float32(int8(b)%3) * 0.5
		}
		pos := make([]float32, 3*n)
		for i := range pos {
			pos[i] = next()
		}
		attrs := make([]float32, stride*n)
		for i := range attrs {
			attrs[i] = next()
		}
		remap, unique, err := simplify.Weld(pos, attrs, stride, nil)
		if err != nil {
			t.Fatal(err)
		}
		seen := make([]bool, unique)
		for v := 0; v < n; v++ {
			r := remap[v]
			if int(r) >= unique {
				t.Fatalf("remap[%d] = %d, unique %d", v, r, unique)
			}
			seen[r] = true
			for u := 0; u < v; u++ {
				same := slices.Equal(pos[3*u:3*u+3], pos[3*v:3*v+3]) &&
					slices.Equal(attrs[stride*u:stride*u+stride], attrs[stride*v:stride*v+stride])
				if same != (remap[u] == remap[v]) {
					t.Fatalf("vertices %d and %d: equal %v, welded %v", u, v, same, remap[u] == remap[v])
				}
			}
		}
		for r, ok := range seen {
			if !ok {
				t.Fatalf("new index %d unused", r)
			}
		}
	})
}
