// Package meshgen generates Strata's own 3D content in code: the demo
// furniture catalogue that `make run` serves, and deterministic high-poly test
// meshes (100k–1M triangles) for the LOD simplifier and its benchmarks.
//
// Everything is built from a handful of primitives (surfaces of revolution,
// rounded boxes, extrusions along paths, displaced cushion surfaces) sampled
// on parametric grids. Generation favours determinism over cleverness: no map
// iteration, fixed seeds and exact seam handling, so the same call yields the
// same bytes on every run and machine, which lets tests and caches compare
// assets by hash. The price is that shapes are procedural approximations, not
// hand-modelled products.
package meshgen
