// Package lod bakes levels of detail: from one uploaded glTF model it
// produces a chain of simplified levels and lays them out so that a viewer
// reading a GLB by byte ranges shows a complete coarse model after the first
// few kilobytes and refines it level by level.
//
// Bake is a pipeline of small steps, one file each: parse (GLB/glTF decoding
// with limits, every reference and byte range checked before anything is
// read), extract (attributes to float arrays, strips and fans to lists,
// welding), simplify (each level from the previous one with lod/simplify,
// meshes in parallel), textures (coarser levels get smaller images), encode
// (one standalone GLB per level), layout (progressive.glb with MSFT_lod,
// coarsest data first) and manifest (sizes, errors, byte prefixes, hashes;
// docs/manifest.md).
//
// The main trade-off is fidelity of the input document against simplicity
// of the outputs: scenes, nodes, materials, skins, animations and unknown
// extensions are carried over as they are, but all binary data is rewritten
// (densified, one bufferView per accessor, one buffer), so extensions that
// point into buffers by index other than the known ones (skins, animations,
// EXT_mesh_gpu_instancing, texture sources) do not survive. Primitives that
// cannot be simplified without resampling — points, lines and meshes with
// morph targets — pass through unchanged and are reported.
package lod
