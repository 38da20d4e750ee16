// Catalog thumbnails: the same progressive loader, stopped at the coarsest
// level, drawn by one shared renderer into each card's 2D canvas. One WebGL
// context serves the whole grid (browsers allow only a handful), and a
// thumbnail never asks for more than the coarsest level's prefix.
import { Group } from 'three';
import { ProgressiveModel } from './progressive.js';
import { dispose, measure, newCamera, newRenderer, newStage, webglAvailable } from './scene.js';

let shared;
let queue = Promise.resolve();

function stage() {
	if (!shared) {
		const canvas = document.createElement('canvas');
		const renderer = newRenderer(canvas);
		shared = { renderer, ...newStage(renderer) };
	}
	return shared;
}

/**
 * drawThumbnail renders the coarsest level of a model into `canvas` (a 2D
 * canvas sized by CSS). It resolves with the level drawn, and marks the
 * canvas with data-state ready or error; on error the caller shows a picture.
 */
export function drawThumbnail(canvas, modelId, { signal } = {}) {
	canvas.dataset.state = 'loading';
	const job = queue.then(async () => {
		if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
		if (!webglAvailable()) throw new Error('WebGL unavailable');
		const model = await ProgressiveModel.open(modelId, { signal });
		const level = model.coarsest;
		await model.fetchLevel(level, { signal });
		const object = await model.scene(level);
		const { renderer, scene } = stage();
		const ratio = Math.min(window.devicePixelRatio || 1, 2);
		const w = Math.max(1, Math.round(canvas.clientWidth * ratio));
		const h = Math.max(1, Math.round(canvas.clientHeight * ratio));
		renderer.setPixelRatio(1);
		renderer.setSize(w, h, false);
		const holder = new Group();
		const frame = measure(object);
		holder.add(object);
		holder.position.copy(frame.center).negate();
		scene.add(holder);
		renderer.render(scene, newCamera(frame, w / h));
		canvas.width = w;
		canvas.height = h;
		// Copied in the same task as the render, so the drawing buffer is intact.
		canvas.getContext('2d').drawImage(renderer.domElement, 0, 0);
		scene.remove(holder);
		dispose(object);
		canvas.dataset.state = 'ready';
		canvas.dataset.level = String(level);
		canvas.dataset.bytes = String(model.bytesLoaded);
		return level;
	});
	queue = job.catch(() => {});
	job.catch((err) => {
		canvas.dataset.state = err?.name === 'AbortError' ? 'aborted' : 'error';
	});
	return job;
}
