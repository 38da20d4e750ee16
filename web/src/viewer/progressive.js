// Strata's progressive loader: streams one published model level by level
// from progressive.glb with HTTP range requests, and hands each level to
// three.js's GLTFLoader as a document of its own.
//
// three.js has no MSFT_lod support, so the loader does what the extension
// means itself: for level k it rewrites every node that lists MSFT_lod ids to
// show the mesh of its k-th coarser copy (those copies carry their level's
// materials), and serves GLTFLoader's bufferView reads from the bytes fetched
// so far. The file is laid out coarsest first (docs/manifest.md), so the bytes
// held are always a prefix of the file and level k needs exactly the prefix
// up to levels[k].progressivePrefix.
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';

const GLB_MAGIC = 0x46546c67; // "glTF"
const CHUNK_JSON = 0x4e4f534a;
const CHUNK_BIN = 0x004e4942;

/** ModelError is a model that can't be shown; message is for people. */
export class ModelError extends Error {
	constructor(message, { status, cause } = {}) {
		super(message, { cause });
		this.name = 'ModelError';
		this.status = status;
	}
}

/** manifestURL is where the published pointer of a model lives. */
export function manifestURL(modelId) {
	return `/models/${encodeURIComponent(modelId)}/manifest.json`;
}

/**
 * resolveManifest reads a model's pointer and returns the bake manifest with
 * the URL of its progressive.glb. The pointer (lod/publish) is the bake
 * manifest plus a "published" object whose `progressive` (or `base`) is
 * relative to the pointer's own URL; without it, files sit beside it.
 */
export async function resolveManifest(modelId, { signal } = {}) {
	const url = new URL(manifestURL(modelId), location.href).href;
	let res;
	try {
		res = await fetch(url, { signal, headers: { Accept: 'application/json' }, credentials: 'same-origin' });
	} catch (err) {
		if (err.name === 'AbortError') throw err;
		throw new ModelError('The 3D model could not be reached. Check your connection and reload.', { cause: err });
	}
	if (res.status === 404) throw new ModelError('This product has no published 3D model yet.', { status: 404 });
	if (!res.ok) throw new ModelError(`The 3D model is unavailable right now (HTTP ${res.status}).`, { status: res.status });
	let doc;
	try {
		doc = await res.json();
	} catch (err) {
		throw new ModelError('The 3D model description is damaged.', { cause: err });
	}
	if (!doc || !Array.isArray(doc.levels)) throw new ModelError('The 3D model description is damaged.');
	const pub = doc.published && typeof doc.published === 'object' ? doc.published : {};
	const base = typeof pub.base === 'string' && pub.base !== '' ? pub.base.replace(/\/?$/, '/') : './';
	const progressiveURL = typeof pub.progressive === 'string' && pub.progressive !== ''
		? new URL(pub.progressive, url).href
		: new URL(doc.progressive?.file || 'progressive.glb', new URL(base, url)).href;
	return { manifest: checkManifest(doc), progressiveURL, manifestURL: url };
}

/** checkManifest refuses what the loader can't stream, with a reason. */
export function checkManifest(m) {
	const bad = (why) => {
		throw new ModelError('The 3D model description is damaged.', { cause: new Error(why) });
	};
	if (m.version !== 1) bad(`manifest version ${m.version} is not 1`);
	if (!m.progressive || !(m.progressive.bytes > 0) || !(m.progressive.headerBytes > 20)) bad('no progressive file');
	if (!m.levels.length) bad('no levels');
	let prev = m.progressive.headerBytes;
	for (let k = m.levels.length - 1; k >= 0; k--) {
		const lv = m.levels[k];
		if (lv.level !== k) bad(`levels[${k}].level is ${lv.level}`);
		const [start, end] = lv.progressiveRange ?? [];
		if (start !== prev || end < start || lv.progressivePrefix !== end || end > m.progressive.bytes) {
			bad(`levels[${k}] range ${lv.progressiveRange} does not follow ${prev}`);
		}
		prev = end;
	}
	return m;
}

/**
 * ProgressiveModel holds the bytes of one model's progressive.glb fetched so
 * far and builds three.js scenes of any level they cover.
 */
export class ProgressiveModel {
	constructor({ manifest, progressiveURL }) {
		this.manifest = manifest;
		this.url = progressiveURL;
		this.total = manifest.progressive.bytes;
		// Grown as levels arrive: a thumbnail holds only the coarsest prefix.
		this.bytes = new Uint8Array(0);
		this.have = 0; // bytes [0, have) are present
		this.bytesLoaded = 0; // bytes received over the network
		this.json = null;
		this.binStart = 0;
		this.pending = null;
	}

	static async open(modelId, opts = {}) {
		return new ProgressiveModel(await resolveManifest(modelId, opts));
	}

	get coarsest() {
		return this.manifest.levels.length - 1;
	}

	/** loadedLevel is the finest level whose bytes are all present, or -1. */
	get loadedLevel() {
		for (let k = 0; k <= this.coarsest; k++) {
			if (this.manifest.levels[k].progressivePrefix <= this.have) return k;
		}
		return -1;
	}

	/**
	 * fetchLevel makes sure the bytes of `level` are present, fetching the
	 * missing levels coarsest first with one range request each, so that
	 * every request is the next contiguous span. onLevel(k) runs as each
	 * level becomes complete.
	 */
	async fetchLevel(level, { signal, onLevel } = {}) {
		const levels = this.manifest.levels;
		while (this.loadedLevel === -1 || this.loadedLevel > level) {
			const k = this.loadedLevel === -1 ? this.coarsest : this.loadedLevel - 1;
			// The first request takes the header and JSON with the coarsest level.
			const start = this.have;
			const end = levels[k].progressivePrefix;
			if (end > start) await this.fetchRange(start, end, signal);
			else this.have = Math.max(this.have, end);
			if (!this.json) this.parseHeader();
			if (onLevel) onLevel(k);
		}
	}

	async fetchRange(start, end, signal) {
		let res;
		try {
			res = await fetch(this.url, {
				signal,
				headers: { Range: `bytes=${start}-${end - 1}` },
				credentials: 'same-origin',
			});
		} catch (err) {
			if (err.name === 'AbortError') throw err;
			throw new ModelError('The 3D model could not be downloaded. Check your connection and reload.', { cause: err });
		}
		if (!res.ok) throw new ModelError(`The 3D model could not be downloaded (HTTP ${res.status}).`, { status: res.status });
		const body = new Uint8Array(await res.arrayBuffer());
		this.bytesLoaded += body.length;
		if (res.status === 200) {
			// A server or proxy that ignores Range sends the whole file: keep it.
			if (body.length !== this.total) throw new ModelError('The 3D model file does not match its description.');
			this.bytes = body;
			this.have = body.length;
			return;
		}
		const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('Content-Range') || '');
		if (!cr || Number(cr[1]) !== start || Number(cr[2]) !== end - 1 || body.length !== end - start) {
			throw new ModelError('The 3D model file does not match its description.', {
				cause: new Error(`asked for ${start}-${end - 1}, got ${res.headers.get('Content-Range')} (${body.length} bytes)`),
			});
		}
		if (this.bytes.length < end) {
			const grown = new Uint8Array(end);
			grown.set(this.bytes.subarray(0, this.have));
			this.bytes = grown;
		}
		this.bytes.set(body, start);
		this.have = end;
	}

	parseHeader() {
		const dv = new DataView(this.bytes.buffer);
		const damaged = (why) => new ModelError('The 3D model file is damaged.', { cause: new Error(why) });
		if (this.have < 20 || dv.getUint32(0, true) !== GLB_MAGIC || dv.getUint32(4, true) !== 2) throw damaged('not a GLB 2.0 file');
		if (dv.getUint32(8, true) !== this.total) throw damaged('GLB length differs from the manifest');
		const jsonLen = dv.getUint32(12, true);
		if (dv.getUint32(16, true) !== CHUNK_JSON || 20 + jsonLen + 8 > this.have) throw damaged('JSON chunk');
		const binHeader = 20 + jsonLen;
		if (dv.getUint32(binHeader + 4, true) !== CHUNK_BIN) throw damaged('BIN chunk');
		this.binStart = binHeader + 8;
		if (this.binStart !== this.manifest.progressive.headerBytes) throw damaged('headerBytes differs from the file');
		try {
			this.json = JSON.parse(new TextDecoder().decode(this.bytes.subarray(20, binHeader)));
		} catch (err) {
			throw damaged('JSON chunk does not parse: ' + err.message);
		}
	}

	/**
	 * levelDocument returns a copy of the glTF JSON that shows `level`: nodes
	 * listing MSFT_lod ids take the mesh (and skin) of their coarser copy.
	 * Nodes with fewer copies than the level keep their coarsest one.
	 */
	levelDocument(level) {
		const doc = structuredClone(this.json);
		if (level > 0) {
			for (const node of doc.nodes ?? []) {
				const ids = node.extensions?.MSFT_lod?.ids;
				if (!Array.isArray(ids) || ids.length === 0) continue;
				const lod = doc.nodes[ids[Math.min(level, ids.length) - 1]];
				if (!lod) continue;
				node.mesh = lod.mesh;
				if (lod.skin !== undefined) node.skin = lod.skin;
			}
		}
		return doc;
	}

	/** scene builds a three.js scene of a level whose bytes are present. */
	async scene(level) {
		if (this.manifest.levels[level].progressivePrefix > this.have) throw new Error(`level ${level} is not loaded`);
		const model = this;
		const loader = new GLTFLoader();
		loader.register((parser) => ({
			name: 'STRATA_progressive_bytes',
			loadBufferView(index) {
				const bv = parser.json.bufferViews[index];
				const start = model.binStart + (bv.byteOffset ?? 0);
				const end = start + bv.byteLength;
				if ((bv.buffer ?? 0) !== 0 || end > model.have) {
					return Promise.reject(new ModelError('The 3D model file is damaged.', { cause: new Error(`bufferView ${index} lies outside the bytes of its level`) }));
				}
				return Promise.resolve(model.bytes.buffer.slice(start, end));
			},
		}));
		try {
			const gltf = await loader.parseAsync(this.levelDocument(level), '');
			return gltf.scene;
		} catch (err) {
			if (err instanceof ModelError) throw err;
			throw new ModelError('The 3D model file is damaged.', { cause: err });
		}
	}
}
