package lod

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/qmuntal/gltf"

	"github.com/strata3d/strata/lod/simplify"
)

// level is one geometry at one level of detail.
type level struct {
	streams []stream // compacted: only the vertices indices use
	indices []uint32
	// err is the geometric error against level 0 in mesh units: the sum of
	// the simplifier's errors along the chain, which bounds the distance to
	// the input because each level is simplified from the previous one.
	err float32
	// relErr is err over the geometry's extent.
	relErr float32
	// owner is the level whose data this one is: itself, or a finer level
	// when simplification could not reduce further. Outputs share the bytes.
	owner int
}

func (l *level) triangles() int { return len(l.indices) / 3 }

// chainPlan is the chain of levels Bake aims for.
type chainPlan struct {
	levels  int       // how many levels, level 0 included
	ratios  []float64 // triangle ratio per level, or nil with an error budget
	budgets []float64 // relative error per level (budgets[0] = 0), or nil
}

// planLevels turns the configuration into a chain. With ratios, levels whose
// target total falls under MinTriangles are cut now; with an error budget
// the cut happens after simplification, when counts are known.
func planLevels(x *extraction, cfg Config) chainPlan {
	if len(cfg.ErrorBudget) > 0 {
		return chainPlan{levels: len(cfg.ErrorBudget) + 1, budgets: append([]float64{0}, cfg.ErrorBudget...)}
	}
	total := 0
	for _, prims := range x.primGeom {
		for _, g := range prims {
			if g >= 0 {
				total += len(x.geoms[g].indices) / 3
			}
		}
	}
	n := 1
	for n < len(cfg.Ratios) && math.Round(float64(total)*cfg.Ratios[n]) >= float64(cfg.MinTriangles) {
		n++
	}
	return chainPlan{levels: n, ratios: cfg.Ratios[:n]}
}

// targetTriangles is the triangle target of geometry g at level k in ratio
// mode; at least one triangle, so that a small part thins out instead of
// vanishing.
func (p chainPlan) targetTriangles(g *geometry, k int) int {
	return max(1, int(math.Round(float64(len(g.indices)/3)*p.ratios[k])))
}

// simplifyChains builds every geometry's chain of levels, one geometry per
// worker at a time, largest first so that the big ones start early. Each
// level is simplified from the previous one. Then it cuts the chain where a
// level would fall under MinTriangles or save less than 5%.
func simplifyChains(ctx context.Context, x *extraction, p chainPlan, cfg Config, done func()) (int, error) {
	order := make([]int, len(x.geoms))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(x.geoms[b].indices) - len(x.geoms[a].indices) })
	err := parallel(ctx, cfg.Workers, len(order), func(ctx context.Context, i int) error {
		g := x.geoms[order[i]]
		if err := simplifyChain(ctx, g, p, cfg, done); err != nil {
			return fmt.Errorf("lod: simplify %s: %w", g.where, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	levels := p.levels
	prev := 0
	for k := range p.levels {
		total := 0
		for _, prims := range x.primGeom {
			for _, g := range prims {
				if g >= 0 {
					total += x.geoms[g].levels[k].triangles()
				}
			}
		}
		if k > 0 && (total < cfg.MinTriangles || float64(total) > 0.95*float64(prev)) {
			levels = k
			break
		}
		prev = total
	}
	for _, g := range x.geoms {
		g.levels = g.levels[:levels]
		g.encodeOnce = make([]sync.Once, levels)
		g.encodedLvl = make([]encodedLevel, levels)
	}
	return levels, nil
}

func simplifyChain(ctx context.Context, g *geometry, p chainPlan, cfg Config, done func()) error {
	g.levels = make([]level, p.levels)
	g.levels[0] = level{streams: g.streams, indices: g.indices}
	for k := 1; k < p.levels; k++ {
		prev := &g.levels[k-1]
		same := *prev // shares prev's data (and owner) when nothing changes
		// The error budget is what the cap (or the level's budget) leaves
		// after the levels before; the simplifier measures from prev.
		budget := cfg.MaxError
		if p.budgets != nil {
			budget = min(budget, p.budgets[k])
		}
		opts := simplify.Options{TargetError: float32(budget - float64(prev.relErr))}
		if p.ratios != nil {
			opts.TargetTriangles = p.targetTriangles(g, k)
		}
		if opts.TargetError <= 0 || prev.triangles() <= opts.TargetTriangles {
			g.levels[k] = same
			done()
			continue
		}
		m := metricMesh(prev.streams, prev.indices, cfg)
		res, err := simplify.Simplify(ctx, m, opts)
		if err != nil {
			return err
		}
		if len(res.Indices) == 0 || len(res.Indices) >= len(prev.indices) {
			g.levels[k] = same
			done()
			continue
		}
		compact, remap, err := simplify.Compact(simplify.Mesh{Positions: m.Positions}, res.Indices)
		if err != nil {
			return err
		}
		streams := make([]stream, len(prev.streams))
		for i, st := range prev.streams {
			st.data = simplify.RemapVertices(st.data, st.comps(), remap, len(compact.Positions)/3)
			streams[i] = st
		}
		lv := level{streams: streams, indices: compact.Indices, err: prev.err + res.Error, owner: k}
		if g.extent > 0 {
			lv.relErr = lv.err / g.extent
		}
		g.levels[k] = lv
		done()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// metricMesh packs the attributes that take part in the error metric —
// normals, texture coordinates and colours — with their weights.
func metricMesh(streams []stream, indices []uint32, cfg Config) simplify.Mesh {
	m := simplify.Mesh{Positions: streams[0].data, Indices: indices}
	var use []stream
	var weights []float32
	const maxStride = 32 // simplify's bound on AttrStride
	for _, st := range streams[1:] {
		var w float32
		switch {
		case st.name == gltf.NORMAL:
			w = cfg.NormalWeight
		case strings.HasPrefix(st.name, "TEXCOORD_"):
			w = cfg.UVWeight
		case strings.HasPrefix(st.name, "COLOR_"):
			w = cfg.ColorWeight
		}
		if w == 0 || len(weights)+st.comps() > maxStride {
			continue
		}
		use = append(use, st)
		for range st.comps() {
			weights = append(weights, w)
		}
	}
	if len(use) == 0 {
		return m
	}
	n := len(m.Positions) / 3
	m.AttrStride = len(weights)
	m.AttrWeights = weights
	m.Attributes = make([]float32, 0, n*m.AttrStride)
	for v := range n {
		for _, st := range use {
			c := st.comps()
			m.Attributes = append(m.Attributes, st.data[v*c:(v+1)*c]...)
		}
	}
	return m
}
