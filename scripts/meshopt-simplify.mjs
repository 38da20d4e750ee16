// Runs meshoptimizer's simplifier (WASM, npm package) on a mesh written by
// lod/simplify's comparison benchmark, so the Go simplifier can be measured
// against it on identical input.
//
//   node scripts/meshopt-simplify.mjs IN.bin OUT.bin
//
// meshoptimizer is loaded from $STRATA_TEST_NODE_MODULES (set by
// scripts/testenv.sh). IN.bin, all little-endian:
//
//   "SMSH"  u32 version=1  u32 vertexCount  u32 indexCount  u32 attrStride
//   u32 targetIndexCount  u32 repetitions  u32 flags (bit 0: LockBorder)
//   f32 targetError (relative; 0 = unlimited, passed to meshopt as 1)
//   f32 positions[3·vertexCount]  f32 attributes[attrStride·vertexCount]
//   f32 weights[attrStride]  u32 indices[indexCount]
//
// With attrStride > 0 simplifyWithAttributes is used, otherwise simplify.
// OUT.bin receives the u32 result indices of the last repetition. Only the
// simplify call itself is timed, in wall-clock and in CPU time; stdout gets
// one JSON object with the medians and every repetition's times.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [inPath, outPath] = process.argv.slice(2);
if (!inPath || !outPath) {
	console.error('usage: node meshopt-simplify.mjs IN.bin OUT.bin');
	process.exit(2);
}
const modules = process.env.STRATA_TEST_NODE_MODULES;
if (!modules) {
	console.error('STRATA_TEST_NODE_MODULES is not set; run via `scripts/testenv.sh run ...` or `make test`');
	process.exit(2);
}
const { MeshoptSimplifier } = await import(pathToFileURL(join(modules, 'meshoptimizer', 'index.js')).href);
await MeshoptSimplifier.ready;

const file = readFileSync(inPath);
// Copy into a fresh, aligned buffer so typed arrays can view it directly.
const buf = new Uint8Array(file.byteLength);
buf.set(file);
const view = new DataView(buf.buffer);
const magic = String.fromCharCode(buf[0], buf[1], buf[2], buf[3]);
if (magic !== 'SMSH' || view.getUint32(4, true) !== 1) {
	console.error(`${inPath}: not a version 1 SMSH mesh file`);
	process.exit(2);
}
const vertexCount = view.getUint32(8, true);
const indexCount = view.getUint32(12, true);
const attrStride = view.getUint32(16, true);
const targetIndexCount = view.getUint32(20, true);
const repetitions = Math.max(1, view.getUint32(24, true));
const flagBits = view.getUint32(28, true);
const targetError = view.getFloat32(32, true);
let off = 36;
const positions = new Float32Array(buf.buffer, off, 3 * vertexCount);
off += 12 * vertexCount;
const attributes = new Float32Array(buf.buffer, off, attrStride * vertexCount);
off += 4 * attrStride * vertexCount;
const weights = Array.from(new Float32Array(buf.buffer, off, attrStride));
off += 4 * attrStride;
const indices = new Uint32Array(buf.buffer, off, indexCount);

const flags = [];
if (flagBits & 1) flags.push('LockBorder');
const errorLimit = targetError > 0 ? targetError : 1;

const times = [];
const cpuTimes = [];
let result, error;
for (let i = 0; i < repetitions; i++) {
	const c0 = process.cpuUsage();
	const t0 = process.hrtime.bigint();
	if (attrStride > 0) {
		[result, error] = MeshoptSimplifier.simplifyWithAttributes(
			indices, positions, 3, attributes, attrStride, weights, null, targetIndexCount, errorLimit, flags);
	} else {
		[result, error] = MeshoptSimplifier.simplify(indices, positions, 3, targetIndexCount, errorLimit, flags);
	}
	times.push(Number(process.hrtime.bigint() - t0) / 1e6);
	const c = process.cpuUsage(c0);
	cpuTimes.push((c.user + c.system) / 1e3);
}
writeFileSync(outPath, new Uint8Array(result.buffer, result.byteOffset, result.byteLength));

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const medianMs = median(times);
const medianCpuMs = median(cpuTimes);
process.stdout.write(JSON.stringify({
	inputTriangles: indexCount / 3,
	triangles: result.length / 3,
	error,
	medianMs,
	timesMs: times,
	trianglesPerSecond: indexCount / 3 / (medianMs / 1000),
	// CPU time (user + system, all threads) is steadier than wall time on a
	// shared machine.
	medianCpuMs,
	cpuTimesMs: cpuTimes,
}) + '\n');
