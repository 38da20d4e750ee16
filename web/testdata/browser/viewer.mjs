// The viewer on its own page (/3d/{id}) at full size, at thumbnail size,
// without WebGL and with a damaged model. Reports what it saw; the Go test
// decides (web/browser_test.go).
import { LEVELS, base, inkFraction, launch, params, recordNetwork, run, settled, shot, viewerState } from './lib.mjs';

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
