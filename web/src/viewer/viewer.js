// The product viewer: streams a model coarsest first, shows each level as it
// arrives and asks for finer ones only while the model's size on screen
// needs them (levels.js). Rendering happens on demand, never in a loop, so
// an idle product page costs no CPU.
import { Group, Spherical, Vector3 } from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { levelForView } from './levels.js';
import { ModelError, ProgressiveModel } from './progressive.js';
import { dispose, measure, newCamera, newRenderer, newStage, webglAvailable } from './scene.js';

const FALLBACK_IMAGE = '/static/fallback.svg';

function el(tag, attrs = {}, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (k === 'class') e.className = v;
		else if (k === 'text') e.textContent = v;
		else e.setAttribute(k, v);
	}
	e.append(...children);
	return e;
}

export function formatBytes(n) {
	if (n < 1024) return `${n} B`;
	if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
	return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Viewer mounts into `host` (an element sized by CSS). Options: modelId,
 * title (for labels), image (fallback picture URL), onLevel(info) called
 * whenever a level is shown.
 *
 * The host carries the state for people and tests alike: data-state is
 * loading, ready, error or fallback; data-level the level shown;
 * data-target the level the view needs; data-bytes the model bytes fetched.
 */
export class Viewer {
	constructor(host, { modelId, title = 'product', image, onLevel } = {}) {
		this.host = host;
		this.modelId = modelId;
		this.title = title;
		this.image = image;
		this.onLevel = onLevel;
		this.abort = new AbortController();
		this.pinned = null; // a level chosen in the picker, or null for auto
		this.shown = -1;
		this.busy = false;
		this.frame = null;
		host.classList.add('viewer');
		host.dataset.state = 'loading';
		if (!webglAvailable()) {
			this.fallback('3D preview is not available in this browser (WebGL is off or unsupported).');
			return;
		}
		this.status = el('p', { class: 'viewer-message', role: 'status', text: 'Loading 3D model…' });
		this.canvas = el('canvas', {
			class: 'viewer-canvas',
			tabindex: '0',
			role: 'img',
			'aria-label': `3D model of ${title}. Drag or use the arrow keys to turn it, + and − to zoom.`,
		});
		this.indicator = el('div', { class: 'lod-indicator', hidden: '' });
		this.levelText = el('span', { class: 'lod-text', 'aria-live': 'polite' });
		const pickerId = `lod-pick-${Math.random().toString(36).slice(2, 8)}`;
		this.picker = el('select', { id: pickerId, class: 'lod-picker' });
		this.picker.addEventListener('change', () => this.pick(this.picker.value));
		this.indicator.append(this.levelText, el('label', { for: pickerId, class: 'visually-hidden', text: 'Detail level' }), this.picker);
		host.append(this.canvas, this.indicator, this.status);
		this.canvas.addEventListener('webglcontextlost', (e) => {
			// The browser took the GPU back (too many contexts, a driver reset):
			// the canvas is blank now, so fall back to the picture.
			e.preventDefault();
			if (this.closed) return; // our own forceContextLoss in teardown
			this.abort.abort();
			this.shown = -1;
			this.teardown();
			this.host.dataset.state = 'error';
			this.showPicture('The 3D view was stopped by the browser. Reload the page to see it again.');
		});
		this.start().catch((err) => this.fail(err));
	}

	async start() {
		// The coarsest level downloads while the renderer and its environment
		// map are set up: the map blocks the main thread (for seconds on a
		// software rasterizer), so the range request must be on its way first.
		const opening = ProgressiveModel.open(this.modelId, { signal: this.abort.signal });
		const loading = opening.then(async (model) => {
			await model.fetchLevel(model.coarsest, { signal: this.abort.signal });
			return model;
		});
		loading.catch(() => {}); // reported when awaited below
		const renderer = (this.renderer = newRenderer(this.canvas));
		renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
		// A model that can't be opened fails here, before the costly set-up.
		if (!(await opening.then(() => true, () => false))) await loading;
		if (this.abort.signal.aborted) return;
		const stage = newStage(renderer);
		this.stage = stage;
		this.scene = stage.scene;
		this.holder = new Group();
		this.scene.add(this.holder);
		this.resize();
		this.ro = new ResizeObserver(() => {
			this.resize();
			this.request();
		});
		this.ro.observe(this.host);

		const model = (this.model = await loading);
		this.fillPicker();
		await this.show(model.coarsest);
		this.refine();
	}

	fillPicker() {
		const levels = this.model.manifest.levels;
		this.picker.replaceChildren(el('option', { value: 'auto', text: 'Auto detail' }));
		for (const lv of levels) {
			const name = lv.level === 0 ? 'finest' : lv.level === levels.length - 1 ? 'coarsest' : '';
			this.picker.append(el('option', { value: String(lv.level), text: `Level ${lv.level}${name ? ` (${name})` : ''}` }));
		}
	}

	resize() {
		const w = Math.max(1, this.host.clientWidth);
		const h = Math.max(1, this.host.clientHeight);
		this.renderer.setSize(w, h, false);
		if (this.camera) {
			this.camera.aspect = w / h;
			this.camera.updateProjectionMatrix();
		}
	}

	/** targetLevel is the level the current view needs (or the pinned one). */
	targetLevel() {
		const m = this.model.manifest;
		if (this.pinned !== null) return this.pinned;
		const distance = this.camera.position.distanceTo(this.controls.target);
		return levelForView(m.levels, {
			extent: m.extent > 0 ? m.extent : this.frame.extent,
			radius: this.frame.radius,
			distance,
			fovDegrees: this.camera.fov,
			viewportPixels: this.renderer.domElement.height,
		});
	}

	/**
	 * refine brings the shown level to the target: finer levels are fetched
	 * one range at a time and each is shown when it arrives; a coarser
	 * target (only when pinned) is shown from bytes already held.
	 */
	async refine() {
		if (this.busy || !this.camera) return;
		this.busy = true;
		try {
			for (;;) {
				const target = this.targetLevel();
				this.host.dataset.target = String(target);
				if (target === this.shown) break;
				if (target > this.shown) {
					if (this.pinned === null) break; // auto keeps the finer level it has
					await this.show(target);
					continue;
				}
				const next = Math.max(target, Math.min(this.shown, this.model.loadedLevel) - 1);
				this.host.dataset.state = 'loading';
				this.updateText(`Loading level ${next}…`);
				await this.model.fetchLevel(next, { signal: this.abort.signal });
				await this.show(next);
			}
			this.host.dataset.state = 'ready';
			this.updateText();
		} catch (err) {
			this.fail(err);
		} finally {
			this.busy = false;
		}
	}

	async show(level) {
		const object = await this.model.scene(level);
		if (this.abort.signal.aborted) {
			dispose(object);
			return;
		}
		if (!this.frame) this.setUp(object);
		const old = this.holder.children.slice();
		this.holder.add(object);
		for (const o of old) {
			this.holder.remove(o);
			dispose(o);
		}
		this.shown = level;
		this.status.hidden = true;
		this.indicator.hidden = false;
		this.host.dataset.level = String(level);
		this.host.dataset.bytes = String(this.model.bytesLoaded);
		this.updateText();
		this.render();
		const lv = this.model.manifest.levels[level];
		this.host.dispatchEvent(new CustomEvent('strata:level', { bubbles: true, detail: { level, triangles: lv.triangles, bytes: this.model.bytesLoaded } }));
		this.onLevel?.({ level, triangles: lv.triangles, bytes: this.model.bytesLoaded });
	}

	/** setUp frames the first level shown; later levels keep its framing. */
	setUp(object) {
		this.frame = measure(object);
		this.holder.position.copy(this.frame.center).negate();
		const c = this.renderer.domElement;
		this.camera = newCamera(this.frame, c.width / c.height);
		const controls = (this.controls = new OrbitControls(this.camera, this.canvas));
		controls.enableDamping = true;
		controls.minDistance = this.frame.radius * 0.3;
		controls.maxDistance = this.camera.position.length() * 4;
		controls.addEventListener('change', () => this.request());
		this.canvas.addEventListener('keydown', (e) => this.onKey(e));
	}

	onKey(e) {
		const step = Math.PI / 18;
		const offset = new Vector3().subVectors(this.camera.position, this.controls.target);
		const s = new Spherical().setFromVector3(offset);
		switch (e.key) {
			case 'ArrowLeft': s.theta -= step; break;
			case 'ArrowRight': s.theta += step; break;
			case 'ArrowUp': s.phi = Math.max(0.05, s.phi - step); break;
			case 'ArrowDown': s.phi = Math.min(Math.PI - 0.05, s.phi + step); break;
			case '+': case '=': s.radius = Math.max(this.controls.minDistance, s.radius * 0.85); break;
			case '-': case '_': s.radius = Math.min(this.controls.maxDistance, s.radius / 0.85); break;
			default: return;
		}
		e.preventDefault();
		this.camera.position.copy(this.controls.target).add(new Vector3().setFromSpherical(s));
		this.camera.lookAt(this.controls.target);
		this.request();
	}

	/** request schedules one frame; camera changes also re-check the level. */
	request() {
		if (this.raf || !this.camera) return;
		this.raf = requestAnimationFrame(() => {
			this.raf = 0;
			if (this.controls.update()) this.request(); // damping still settling
			this.render();
			this.refine();
		});
	}

	render() {
		if (this.camera) this.renderer.render(this.scene, this.camera);
	}

	pick(value) {
		this.pinned = value === 'auto' ? null : Number(value);
		this.refine();
	}

	updateText(text) {
		if (text) {
			this.levelText.textContent = text;
			return;
		}
		const m = this.model.manifest;
		const lv = m.levels[this.shown];
		const name = this.shown === 0 ? ' (finest)' : this.shown === m.levels.length - 1 ? ' (coarsest)' : '';
		this.levelText.textContent = `Level ${this.shown}${name} · ${lv.triangles.toLocaleString('en')} triangles · ${formatBytes(this.model.bytesLoaded)} loaded`;
	}

	fail(err) {
		if (err?.name === 'AbortError') return;
		console.error('strata viewer:', err);
		const message = err instanceof ModelError ? err.message : 'The 3D model could not be shown.';
		this.host.dataset.state = 'error';
		if (this.shown >= 0) {
			// A coarser level is on screen: keep it and say why it stays coarse.
			this.updateText(`${message} Showing level ${this.shown}.`);
			return;
		}
		this.teardown();
		this.showPicture(message);
		this.host.dataset.state = 'error';
	}

	fallback(message) {
		this.host.dataset.state = 'fallback';
		this.showPicture(message);
	}

	showPicture(message) {
		this.host.replaceChildren(
			el('img', { class: 'viewer-fallback', src: this.image || FALLBACK_IMAGE, alt: `Picture of ${this.title}` }),
			el('p', { class: 'viewer-message viewer-error', role: 'status', text: message }),
		);
	}

	teardown() {
		if (this.closed) return;
		this.closed = true;
		this.ro?.disconnect();
		if (this.raf) cancelAnimationFrame(this.raf);
		this.controls?.dispose();
		for (const o of this.holder?.children ?? []) dispose(o);
		this.stage?.dispose();
		this.renderer?.dispose();
		this.renderer?.forceContextLoss();
		this.camera = null;
	}

	/** destroy stops downloads and frees the GPU; call it when the page goes. */
	destroy() {
		this.abort.abort();
		this.teardown();
	}
}
