// Level choice from screen coverage. Pure functions of numbers, so a Go test
// runs them under node with a table of cases (web/levels_test.go).
//
// The manifest's screenCoverage[k] is the fraction of a reference viewport's
// area (REFERENCE_VIEWPORT_PIXELS tall, the baker's --viewport-pixels) the
// model may cover before level k+1's error exceeds one pixel; level k is
// needed at or above it. A canvas of another size is brought to that
// reference through the model's size in device pixels: a model whose extent
// spans P pixels covers (P / 1080)² of the reference viewport's area in the
// sense the baker used, whatever the canvas size. So a 200-pixel thumbnail
// never asks for the level a 1000-pixel view needs.

/** Viewport height in pixels that the baker's coverage figures assume. */
export const REFERENCE_VIEWPORT_PIXELS = 1080;

/**
 * projectedPixels is the on-screen size, in device pixels, of a model of the
 * given extent (model units) whose centre is `distance` from a perspective
 * camera of vertical field of view `fovDegrees`, on a canvas
 * `viewportPixels` device pixels tall. The nearest point of the model's
 * bounding sphere counts, not its centre, so the estimate errs towards the
 * finer level; a camera inside that sphere gets Infinity.
 */
export function projectedPixels({ extent, radius, distance, fovDegrees, viewportPixels }) {
	if (!(extent > 0) || !(viewportPixels > 0) || !(fovDegrees > 0 && fovDegrees < 180)) return 0;
	const r = radius > 0 ? radius : extent / 2;
	const near = distance - r;
	if (!(near > 0)) return Infinity;
	const visible = 2 * near * Math.tan((fovDegrees * Math.PI) / 360);
	return (extent / visible) * viewportPixels;
}

/** coverage turns an on-screen size in pixels into the manifest's area fraction. */
export function coverage(pixels) {
	if (!(pixels > 0)) return 0;
	const s = pixels / REFERENCE_VIEWPORT_PIXELS;
	return s * s;
}

/**
 * chooseLevel returns the coarsest level whose detail is enough at the given
 * coverage: the first k (finest first) with coverage >= screenCoverage[k],
 * clamped to [finest, coarsest]. Levels are the manifest's, finest first; a
 * level with a missing or non-numeric figure is never chosen for its detail,
 * so a damaged manifest degrades to coarse rather than to the whole file.
 */
export function chooseLevel(levels, cov, { finest = 0, coarsest } = {}) {
	const last = levels.length - 1;
	if (last < 0) throw new Error('manifest has no levels');
	const hi = Math.min(last, coarsest ?? last);
	const lo = Math.max(0, Math.min(finest, hi));
	for (let k = lo; k <= hi; k++) {
		const need = levels[k].screenCoverage;
		if (typeof need === 'number' && Number.isFinite(need) && cov >= need) return k;
	}
	return hi;
}

/**
 * levelForView combines the three: the level a viewer should reach for a model
 * seen by a camera on a canvas. View holds extent, radius (bounding sphere, model
 * units after the viewer's framing scale), distance, fovDegrees and viewportPixels.
 */
export function levelForView(levels, view, limits) {
	return chooseLevel(levels, coverage(projectedPixels(view)), limits);
}
