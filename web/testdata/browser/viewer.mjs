// The viewer on its own page (/3d/{id}) at full size, at thumbnail size,
// without WebGL and with a damaged model. Reports what it saw; the Go test
// decides (web/browser_test.go).
import { base, inkFraction, launch, params, recordNetwork, run, settled, shot, viewerState } from './lib.mjs';

// Runs in the page before its scripts: records every level the viewer shows
// and how much of the canvas it covers at that moment. The event fires in
// the task that rendered the level, so the drawing buffer still holds it.
const LEVELS = () => {
	window.__levels = [];
	document.addEventListener('strata:level', (e) => {
		const src = e.target.querySelector('canvas');
		const c = document.createElement('canvas');
		c.width = 160;
		c.height = Math.max(1, Math.round((160 * src.height) / src.width));
		const ctx = c.getContext('2d');
		ctx.drawImage(src, 0, 0, c.width, c.height);
		const d = ctx.getImageData(0, 0, c.width, c.height).data;
		let ink = 0;
		const box = [c.width, c.height, -1, -1]; // the drawn pixels' bounds
		for (let i = 0; i < d.length; i += 4) {
			if (Math.abs(d[i] - 243) + Math.abs(d[i + 1] - 241) + Math.abs(d[i + 2] - 238) > 30) {
				ink++;
				const x = (i / 4) % c.width;
				const y = Math.floor(i / 4 / c.width);
				box[0] = Math.min(box[0], x);
				box[1] = Math.min(box[1], y);
				box[2] = Math.max(box[2], x);
				box[3] = Math.max(box[3], y);
			}
		}
		window.__levels.push({ ...e.detail, ink: ink / (d.length / 4), box, at: performance.now() });
	});
};

async function openViewer(context, url, viewport) {
	const page = await context.newPage();
	await page.setViewportSize(viewport);
	await page.addInitScript(LEVELS);
	const net = recordNetwork(page);
	await page.goto(url);
	return { page, net };
}

const nextFrames = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));

run(async () => {
	const report = {};
	const browser = await launch();
	try {
		// Full size: the coarsest level at once, then finer ones as the view needs them.
		{
			const { page, net } = await openViewer(browser.context, `${base}/3d/${params.model}`, { width: 1280, height: 960 });
			let state = await settled(page);
			const atOpen = state;
			const atOpenAt = await page.evaluate(() => performance.now());
			// Zoom in with the keyboard until the view needs the finest level.
			let presses = 0;
			await page.locator('#viewer canvas').focus();
			while (state.target !== '0' && presses < 25) {
				await page.keyboard.press('+');
				presses++;
				await nextFrames(page);
				state = await viewerState(page);
			}
			state = await settled(page);
			const finalInk = await inkFraction(page, '#viewer canvas');
			await shot(page, `viewer-${params.model}-level${state.level}.png`);
			report.full = {
				atOpen, atOpenAt, final: state, finalInk, presses,
				levels: await page.evaluate(() => window.__levels),
				requests: net.filter((r) => r.path.startsWith('/models/')),
				indicator: await page.locator('#viewer .lod-text').textContent(),
			};
			await page.close();
		}
		// Thumbnail size: never the finest level.
		{
			const { page, net } = await openViewer(browser.context, `${base}/3d/${params.model}`, { width: 200, height: 150 });
			const state = await settled(page);
			report.thumb = {
				final: state,
				ink: await inkFraction(page, '#viewer canvas'),
				levels: await page.evaluate(() => window.__levels),
				requests: net.filter((r) => r.path.startsWith('/models/')),
			};
			await page.close();
		}
		// A damaged model: a readable message, and the page still answers.
		{
			const { page } = await openViewer(browser.context, `${base}/3d/${params.broken}`, { width: 800, height: 600 });
			const state = await settled(page);
			report.broken = { final: state, message: await page.locator('#viewer .viewer-message').textContent(), img: await page.locator('#viewer img').count() };
			await page.close();
		}
		// A model that does not exist.
		{
			const { page } = await openViewer(browser.context, `${base}/3d/no-such-model`, { width: 800, height: 600 });
			const state = await settled(page);
			report.missing = { final: state, message: await page.locator('#viewer .viewer-message').textContent() };
			await page.close();
		}
		report.console = browser.consoleLog;
	} finally {
		await browser.close();
	}
	// Without WebGL: the fallback picture and a message.
	const plain = await launch({ webgl: false });
	try {
		const page = plain.page;
		await page.goto(`${base}/3d/${params.model}`);
		const state = await settled(page);
		report.nowebgl = { final: state, message: await page.locator('#viewer .viewer-message').textContent(), img: await page.locator('#viewer img').getAttribute('src') };
	} finally {
		await plain.close();
	}
	return report;
});
