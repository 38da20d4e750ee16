package lod

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/qmuntal/gltf"

	"github.com/strata3d/strata/lod/simplify"
)

// stream is one vertex attribute decoded to float32, with what is needed
// to write it back in its original component type.
type stream struct {
	name       string
	typ        gltf.AccessorType
	ct         gltf.ComponentType
	normalized bool
	ncomp      int       // typ.Components(), which allocates on every call
	data       []float32 // ncomp per vertex
}

func (st stream) comps() int { return st.ncomp }

// geometry is one distinct triangle geometry: the welded vertex streams
// and triangle list of every primitive that reads the same accessors.
type geometry struct {
	where   string   // JSON pointer of the first primitive using it
	streams []stream // POSITION first, then the other attributes by name
	indices []uint32 // triangle list into the welded vertices
	extent  float32  // largest side of the bounding box, in mesh units
	boxMin  [3]float32
	boxMax  [3]float32
	levels  []level // filled by the simplify step; levels[0] is the welded input

	// Every output writes the same level data; it is encoded once, by
	// whichever writer needs it first.
	encodeOnce []sync.Once
	encodedLvl []encodedLevel
}

func (g *geometry) vertexCount() int { return len(g.streams[0].data) / 3 }

// PassThrough names a primitive that every level carries unchanged.
type PassThrough struct {
	Mesh      int    `json:"mesh"`
	Primitive int    `json:"primitive"`
	MeshName  string `json:"meshName,omitempty"`
	Reason    string `json:"reason"`
}

// extraction is what the extract step found.
type extraction struct {
	geoms []*geometry
	// primGeom[m][p] is the geometry of primitive p of mesh m, or -1 when the
	// primitive passes through unsimplified.
	primGeom [][]int
	// meshLOD[m] is true when mesh m gets a chain of levels: it has a
	// simplified primitive and no morph targets.
	meshLOD     []bool
	passThrough []PassThrough
}

// extract reads every triangle primitive into a welded geometry, sharing
// one geometry between primitives that read the same accessors, and lists
// what passes through. Reading and welding run on cfg.Workers goroutines.
func extract(ctx context.Context, src *source, cfg Config) (*extraction, error) {
	d := src.doc
	x := &extraction{primGeom: make([][]int, len(d.Meshes)), meshLOD: make([]bool, len(d.Meshes))}
	byKey := map[string]int{}
	type job struct {
		mesh, prim int
	}
	var jobs []job
	for m, mesh := range d.Meshes {
		x.primGeom[m] = make([]int, len(mesh.Primitives))
		morph := slices.ContainsFunc(mesh.Primitives, func(p *gltf.Primitive) bool { return len(p.Targets) > 0 })
		for p, prim := range mesh.Primitives {
			x.primGeom[m][p] = -1
			reason := ""
			_, hasPos := prim.Attributes[gltf.POSITION]
			switch {
			case morph:
				reason = "the mesh has morph targets, which simplification would have to resample"
			case !isTriangles(prim.Mode):
				reason = fmt.Sprintf("%s primitives are not simplified", prim.Mode)
			case !hasPos:
				reason = "no POSITION attribute"
			}
			if reason != "" {
				x.passThrough = append(x.passThrough, PassThrough{Mesh: m, Primitive: p, MeshName: mesh.Name, Reason: reason})
				continue
			}
			key := geometryKey(prim)
			g, ok := byKey[key]
			if !ok {
				g = len(x.geoms)
				byKey[key] = g
				x.geoms = append(x.geoms, &geometry{where: fmt.Sprintf("/meshes/%d/primitives/%d", m, p)})
				jobs = append(jobs, job{m, p})
			}
			x.primGeom[m][p] = g
		}
	}
	err := parallel(ctx, cfg.Workers, len(jobs), func(_ context.Context, i int) error {
		j := jobs[i]
		return readGeometry(src, d.Meshes[j.mesh].Primitives[j.prim], x.geoms[i])
	})
	if err != nil {
		return nil, err
	}
	// A primitive whose triangles are all degenerate has nothing to simplify.
	for m, prims := range x.primGeom {
		for p, g := range prims {
			if g < 0 {
				continue
			}
			if len(x.geoms[g].indices) == 0 {
				prims[p] = -1
				x.passThrough = append(x.passThrough, PassThrough{Mesh: m, Primitive: p, MeshName: d.Meshes[m].Name, Reason: "every triangle is degenerate"})
				continue
			}
			x.meshLOD[m] = true
		}
	}
	slices.SortFunc(x.passThrough, func(a, b PassThrough) int {
		if a.Mesh != b.Mesh {
			return a.Mesh - b.Mesh
		}
		return a.Primitive - b.Primitive
	})
	return x, nil
}

// readGeometry decodes prim's attributes, turns strips and fans into a
// triangle list, welds bit-identical vertices and drops triangles that
// welding made degenerate.
func readGeometry(src *source, prim *gltf.Primitive, g *geometry) error {
	d := src.doc
	pos := prim.Attributes[gltf.POSITION]
	n := d.Accessors[pos].Count
	names := sortedKeys(prim.Attributes)
	slices.SortStableFunc(names, func(a, b string) int {
		// POSITION first; the rest keep their sorted order.
		switch {
		case a == gltf.POSITION:
			return -1
		case b == gltf.POSITION:
			return 1
		}
		return 0
	})
	for _, name := range names {
		where := g.where + "/attributes/" + name
		a := d.Accessors[prim.Attributes[name]]
		if a.Count != n {
			return invalid(where, "accessor %d has %d elements, POSITION has %d", prim.Attributes[name], a.Count, n)
		}
		if name == gltf.POSITION && a.Type != gltf.AccessorVec3 {
			return invalid(where, "POSITION must be VEC3, accessor %d is %s", pos, a.Type)
		}
		data, _, err := src.floats(prim.Attributes[name], where)
		if err != nil {
			return err
		}
		g.streams = append(g.streams, stream{name: name, typ: a.Type, ct: a.ComponentType, normalized: a.Normalized, ncomp: a.Type.Components(), data: data})
	}

	var idx []uint32
	if prim.Indices != nil {
		var err error
		if idx, err = src.indices(*prim.Indices, n, g.where+"/indices"); err != nil {
			return err
		}
	} else {
		idx = make([]uint32, n)
		for i := range idx {
			idx[i] = uint32(i)
		}
	}
	switch prim.Mode {
	case gltf.PrimitiveTriangles:
		if len(idx)%3 != 0 {
			what := "indices"
			if prim.Indices == nil {
				what = "vertices (non-indexed)"
			}
			return invalid(g.where, "%d %s is not a multiple of 3 for TRIANGLES", len(idx), what)
		}
	case gltf.PrimitiveTriangleStrip:
		idx = stripToList(idx)
	case gltf.PrimitiveTriangleFan:
		idx = fanToList(idx)
	}

	// Weld on every attribute, so that a vertex is only merged with one it
	// is indistinguishable from; splits that remain are seams.
	stride := 0
	for _, st := range g.streams[1:] {
		stride += st.comps()
	}
	attrs := make([]float32, 0, stride*n)
	for v := range n {
		for _, st := range g.streams[1:] {
			c := st.comps()
			attrs = append(attrs, st.data[v*c:(v+1)*c]...)
		}
	}
	remap, unique, err := simplify.Weld(g.streams[0].data, attrs, stride, idx)
	if err != nil {
		return invalid(g.where, "%v", err)
	}
	for i := range g.streams {
		g.streams[i].data = simplify.RemapVertices(g.streams[i].data, g.streams[i].comps(), remap, unique)
	}
	idx = simplify.RemapIndices(idx, remap)
	kept := idx[:0]
	for t := 0; t+2 < len(idx); t += 3 {
		a, b, c := idx[t], idx[t+1], idx[t+2]
		if a != b && b != c && a != c {
			kept = append(kept, a, b, c)
		}
	}
	g.indices = kept
	g.boxMin, g.boxMax = bounds(g.streams[0].data)
	g.extent = max(g.boxMax[0]-g.boxMin[0], g.boxMax[1]-g.boxMin[1], g.boxMax[2]-g.boxMin[2])
	return nil
}

func stripToList(idx []uint32) []uint32 {
	if len(idx) < 3 {
		return nil
	}
	out := make([]uint32, 0, 3*(len(idx)-2))
	for i := 0; i+2 < len(idx); i++ {
		if i%2 == 0 {
			out = append(out, idx[i], idx[i+1], idx[i+2])
		} else {
			out = append(out, idx[i+1], idx[i], idx[i+2])
		}
	}
	return out
}

func fanToList(idx []uint32) []uint32 {
	if len(idx) < 3 {
		return nil
	}
	out := make([]uint32, 0, 3*(len(idx)-2))
	for i := 1; i+1 < len(idx); i++ {
		out = append(out, idx[i], idx[i+1], idx[0])
	}
	return out
}

// bounds is the axis-aligned box of xyz positions; zero for none.
func bounds(pos []float32) (lo, hi [3]float32) {
	if len(pos) < 3 {
		return lo, hi
	}
	lo = [3]float32{math.MaxFloat32, math.MaxFloat32, math.MaxFloat32}
	hi = [3]float32{-math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32}
	for i := 0; i+2 < len(pos); i += 3 {
		for k := range 3 {
			lo[k] = min(lo[k], pos[i+k])
			hi[k] = max(hi[k], pos[i+k])
		}
	}
	return lo, hi
}
