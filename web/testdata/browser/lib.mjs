// Shared helpers of the browser scenarios that web/browser_test.go runs:
// Debian's chromium driven by playwright-core, a network log, pixel checks
// decoded by the browser itself, and the JSON report the Go test asserts on.
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const modules = process.env.STRATA_TEST_NODE_MODULES;
if (!modules) throw new Error('STRATA_TEST_NODE_MODULES is not set (run under scripts/testenv.sh run)');
const { chromium } = require(path.join(modules, 'playwright-core'));

export const base = process.env.STRATA_URL;
export const params = JSON.parse(process.env.STRATA_BROWSER_PARAMS || '{}');
export const artifacts = process.env.STRATA_ARTIFACTS;

// Every browser console line of the run, printed when a scenario fails.
const allConsole = [];

const ARGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
	'--no-first-run', '--disable-component-update', '--disable-sync',
	// WebGL without a GPU: ANGLE over SwiftShader.
	'--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

/** launch starts chromium with a fresh profile; webgl:false turns 3D APIs off. */
export async function launch({ webgl = true, viewport = { width: 1280, height: 900 }, deviceScaleFactor = 1 } = {}) {
	const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-chromium-'));
	const args = webgl ? ARGS : [...ARGS, '--disable-3d-apis'];
	const context = await chromium.launchPersistentContext(dir, {
		executablePath: process.env.STRATA_TEST_CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args,
		viewport,
		deviceScaleFactor,
		timeout: 60_000,
	});
	context.setDefaultTimeout(120_000); // generous: the machine is shared and WebGL is software-rendered
	const page = context.pages()[0] ?? (await context.newPage());
	const consoleLog = [];
	const note = (line) => {
		consoleLog.push(line);
		allConsole.push(line);
	};
	context.on('console', (m) => note(`${m.type()}: ${m.text()}`));
	context.on('weberror', (e) => note(`pageerror: ${e.error().message}`));
	return {
		context,
		page,
		consoleLog,
		async close() {
			await context.close();
			await fs.rm(dir, { recursive: true, force: true });
		},
	};
}

/** recordNetwork logs every request the page makes, in order. */
export function recordNetwork(page) {
	const log = [];
	page.on('request', (r) => {
		const u = new URL(r.url());
		log.push({ path: u.pathname, query: u.search, method: r.method(), range: r.headers()['range'] ?? '', type: r.resourceType() });
	});
	page.on('response', (res) => {
		const u = new URL(res.url());
		for (let i = log.length - 1; i >= 0; i--) {
			if (log[i].path === u.pathname && log[i].status === undefined) {
				log[i].status = res.status();
				break;
			}
		}
	});
	return log;
}

/**
 * inkFraction screenshots an element and returns the fraction of its pixels
 * that differ clearly from the viewer's backdrop (#f3f1ee): 0 is blank.
 */
export async function inkFraction(page, selector) {
	const png = await page.locator(selector).screenshot();
	return page.evaluate(async (b64) => {
		const img = new Image();
		img.src = 'data:image/png;base64,' + b64;
		await img.decode();
		const c = document.createElement('canvas');
		c.width = img.naturalWidth;
		c.height = img.naturalHeight;
		const ctx = c.getContext('2d');
		ctx.drawImage(img, 0, 0);
		const d = ctx.getImageData(0, 0, c.width, c.height).data;
		let ink = 0;
		for (let i = 0; i < d.length; i += 4) {
			if (Math.abs(d[i] - 243) + Math.abs(d[i + 1] - 241) + Math.abs(d[i + 2] - 238) > 30) ink++;
		}
		return ink / (d.length / 4);
	}, png.toString('base64'));
}

/** shot saves a screenshot artifact and returns its path. */
export async function shot(page, name, opts = {}) {
	await fs.mkdir(artifacts, { recursive: true });
	const file = path.join(artifacts, name);
	await page.screenshot({ path: file, ...opts });
	return file;
}

/** viewerState reads what the viewer host says about itself. */
export function viewerState(page, selector = '#viewer') {
	return page.locator(selector).evaluate((e) => ({ ...e.dataset, text: e.textContent }));
}

/** settled waits until the viewer shows the level its view needs. */
export async function settled(page, selector = '#viewer') {
	await page.waitForFunction((sel) => {
		const e = document.querySelector(sel);
		return e && (e.dataset.state === 'error' || e.dataset.state === 'fallback' ||
			(e.dataset.state === 'ready' && e.dataset.level !== undefined && e.dataset.level === e.dataset.target));
	}, selector);
	return viewerState(page, selector);
}

/** run executes a scenario and prints its report as the last line of stdout. */
export async function run(scenario) {
	try {
		const report = await scenario();
		process.stdout.write('\n' + JSON.stringify(report) + '\n');
	} catch (err) {
		process.stderr.write(`scenario failed: ${err.stack || err}\nbrowser console:\n${allConsole.join('\n')}\n`);
		process.exit(1);
	}
}

// Runs in the page before its scripts: records every level the viewer shows
// and how much of the canvas it covers at that moment. The event fires in
// the task that rendered the level, so the drawing buffer still holds it.
export const LEVELS = () => {
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
