// What the product viewer and the catalog thumbnails share: WebGL detection,
// a renderer with environment lighting, framing and disposal.
import {
	ACESFilmicToneMapping,
	Box3,
	Color,
	PMREMGenerator,
	PerspectiveCamera,
	Scene,
	Sphere,
	SRGBColorSpace,
	Vector3,
	WebGLRenderer,
} from 'three';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';

let webgl;

/** webglAvailable reports once whether this browser can create a WebGL context. */
export function webglAvailable() {
	if (webgl === undefined) {
		try {
			const c = document.createElement('canvas');
			const gl = c.getContext('webgl2') || c.getContext('webgl');
			webgl = !!gl;
			gl?.getExtension('WEBGL_lose_context')?.loseContext();
		} catch {
			webgl = false;
		}
	}
	return webgl;
}

/** newRenderer makes a renderer with the colour pipeline every view uses. */
export function newRenderer(canvas, { preserve = false } = {}) {
	const renderer = new WebGLRenderer({ canvas, antialias: true, alpha: false, preserveDrawingBuffer: preserve });
	renderer.outputColorSpace = SRGBColorSpace;
	renderer.toneMapping = ACESFilmicToneMapping;
	renderer.toneMappingExposure = 1;
	return renderer;
}

/** newStage makes a scene lit by a studio room environment. */
export function newStage(renderer) {
	const scene = new Scene();
	scene.background = new Color(0xf3f1ee);
	const pmrem = new PMREMGenerator(renderer);
	const env = pmrem.fromScene(new RoomEnvironment(), 0.04);
	scene.environment = env.texture;
	pmrem.dispose();
	return { scene, dispose: () => env.dispose() };
}

/**
 * measure returns the framing of a model: its centre, box size, bounding
 * sphere radius and largest side. It is taken once, from the first level
 * shown, and kept for every finer level, so a swap never moves or rescales
 * the model.
 */
export function measure(object) {
	const box = new Box3().setFromObject(object);
	if (box.isEmpty()) return { center: new Vector3(), size: new Vector3(1, 1, 1), radius: 1, extent: 1 };
	const sphere = box.getBoundingSphere(new Sphere());
	const size = box.getSize(new Vector3());
	return { center: box.getCenter(new Vector3()), size, radius: sphere.radius || 1, extent: Math.max(size.x, size.y, size.z) || 1 };
}

/** newCamera looks at a model of the given framing from the front-right, above. */
export function newCamera(frame, aspect) {
	const camera = new PerspectiveCamera(35, aspect, frame.radius / 100, frame.radius * 100);
	placeCamera(camera, frame);
	return camera;
}

/**
 * placeCamera backs the camera off until the model's box fits the view with
 * a margin: its height against the vertical field of view, its footprint
 * against the horizontal one, plus half its depth.
 */
export function placeCamera(camera, frame) {
	const vfov = (camera.fov * Math.PI) / 180;
	const hfov = 2 * Math.atan(Math.tan(vfov / 2) * camera.aspect);
	const foot = Math.hypot(frame.size.x, frame.size.z);
	const fit = Math.max(frame.size.y / 2 / Math.tan(vfov / 2), foot / 2 / Math.tan(hfov / 2));
	const dist = Math.min(fit * 1.15 + foot / 2, frame.radius / Math.sin(Math.min(vfov, hfov) / 2));
	camera.position.set(0.55, 0.35, 1).normalize().multiplyScalar(dist);
	camera.lookAt(0, 0, 0);
	camera.updateProjectionMatrix();
	return dist;
}

/** dispose frees the GPU resources of an object tree. */
export function dispose(object) {
	object?.traverse((o) => {
		o.geometry?.dispose();
		const mats = Array.isArray(o.material) ? o.material : o.material ? [o.material] : [];
		for (const m of mats) {
			for (const v of Object.values(m)) if (v && v.isTexture) v.dispose();
			m.dispose();
		}
	});
}
