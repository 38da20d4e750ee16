package lod

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Input is one model to bake.
type Input struct {
	// Name labels the model in the manifest, e.g. its file name.
	Name string
	// Data is a GLB, or the JSON text of a .gltf.
	Data []byte
	// Resolve returns the bytes of a resource the document references by a
	// relative URI (already percent-decoded), such as "scene.bin" or
	// "textures/wood.png" next to a .gltf. nil allows only GLB-embedded and
	// data: URI resources. Bake counts what it returns against
	// Config.MaxInputBytes.
	Resolve func(uri string) ([]byte, error)
}

// File is one output file.
type File struct {
	Name string
	Data []byte
}

// Result is a finished bake.
type Result struct {
	// Files are progressive.glb, lod0.glb … lodN.glb and manifest.json, in
	// that order.
	Files []File
	// Manifest is what manifest.json holds: per-level statistics, file
	// hashes and the progressive byte ranges.
	Manifest Manifest
	// PassThrough lists primitives carried unchanged through every level,
	// and why.
	PassThrough []PassThrough
	// Warnings lists things that did not stop the bake but may surprise,
	// such as a texture that failed to decode and stays full size.
	Warnings []string
}

// File returns the named output file.
func (r *Result) File(name string) ([]byte, bool) {
	for _, f := range r.Files {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}

// Bake turns one model into a chain of levels of detail: a progressive GLB
// that streams coarsest first, one standalone GLB per level, and a manifest.
// The steps are parse, extract (read and weld), simplify, downscale
// textures, encode, lay out and describe; ctx is checked between them and
// inside the long ones. The output bytes depend only on the input and cfg
// (Workers and Progress aside).
func Bake(ctx context.Context, in Input, cfg Config) (res *Result, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// A bake runs on uploaded files; a bug that panics on one of them must
	// fail that bake, not the process.
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("lod: internal error: %v\n%s", r, debug.Stack())
		}
	}()
	prog := newProgress(cfg.Progress)

	src, err := parse(in, cfg)
	if err != nil {
		return nil, err
	}
	prog.step("parse")
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x, err := extract(ctx, src, cfg)
	if err != nil {
		return nil, err
	}
	plan := planLevels(x, cfg)
	prog.grow(len(x.geoms)*(plan.levels-1) + len(src.images) + plan.levels + 1)
	levels, err := simplifyChains(ctx, x, plan, cfg, prog.unit("simplify"))
	if err != nil {
		return nil, err
	}
	tex, warnings, err := downscaleTextures(ctx, src, levels, cfg, prog.unit("textures"))
	if err != nil {
		return nil, err
	}
	st := measure(src, x, plan, levels, cfg)

	// Each output is its own document; they share only read-only input.
	outs := make([]encoded, levels+1)
	done := prog.unit("encode")
	err = parallel(ctx, cfg.Workers, levels+1, func(ctx context.Context, i int) error {
		var err error
		if i == levels {
			outs[i], err = encodeProgressive(src, x, tex, levels, func(m int) []float64 { return st.meshCov[m] })
		} else {
			outs[i], err = encodeStandalone(src, x, tex, levels, i)
		}
		done()
		return err
	})
	if err != nil {
		return nil, err
	}

	man := buildManifest(in, src, st, outs[levels], outs[:levels], x, warnings)
	manJSON, err := encodeManifest(man)
	if err != nil {
		return nil, err
	}
	res = &Result{Manifest: man, PassThrough: x.passThrough, Warnings: warnings}
	res.Files = append(res.Files, File{Name: ProgressiveFile, Data: outs[levels].glb})
	for k := range levels {
		res.Files = append(res.Files, File{Name: levelFile(k), Data: outs[k].glb})
	}
	res.Files = append(res.Files, File{Name: ManifestFile, Data: manJSON})
	prog.finish()
	return res, nil
}

// Check runs the baker's parse step alone: every check that refuses a model
// (truncated or lying files, out-of-bounds accessors, limits, unsupported
// compression, undecodable or oversized images) without simplifying
// anything, so that a publisher can refuse an upload with the baker's own
// message before storing it. A model Check accepts can still fail later
// steps only through cancellation or an internal error.
func Check(in Input, cfg Config) (err error) {
	if err := cfg.Validate(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("lod: internal error: %v\n%s", r, debug.Stack())
		}
	}()
	_, err = parse(in, cfg)
	return err
}

// parallel runs fn(ctx, 0) … fn(ctx, n-1) on at most workers goroutines and
// returns the first error; the ctx given to fn is cancelled on that error.
// A panicking fn becomes an error.
func parallel(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("lod: internal error: %v\n%s", r, debug.Stack())
				}
			}()
			if err := gctx.Err(); err != nil {
				return err
			}
			return fn(gctx, i)
		})
	}
	if err := g.Wait(); err != nil {
		// A cancelled parent shows as the parent's error, not as whatever
		// a worker made of it.
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			return cerr
		}
		return err
	}
	return ctx.Err()
}

// progress serializes Config.Progress calls.
type progress struct {
	mu          sync.Mutex
	fn          func(Progress)
	done, total int
}

func newProgress(fn func(Progress)) *progress { return &progress{fn: fn, total: 1} }

func (p *progress) report(stage string) {
	if p.fn != nil {
		p.fn(Progress{Stage: stage, Done: p.done, Total: p.total})
	}
}

// step finishes one unit of a sequential stage.
func (p *progress) step(stage string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.report(stage)
}

func (p *progress) grow(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total += n
}

// unit returns a function that finishes one unit of stage.
func (p *progress) unit(stage string) func() {
	return func() { p.step(stage) }
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = p.total
	p.report("done")
}
