// A shopper's journey through the storefront served by `strata serve`:
// browse → search → product (the model on the canvas, a screenshot per
// level) → add to cart → sign up → checkout → order history; then the
// error paths: readable API problems, and a product whose model is damaged.
import { LEVELS, base, inkFraction, launch, params, recordNetwork, run, settled, shot, viewerState } from './lib.mjs';

run(async () => {
	const report = { steps: [] };
	const step = (name, data = {}) => report.steps.push({ name, ...data });
	const browser = await launch({ viewport: { width: 1280, height: 900 } });
	const { page } = browser;
	await page.addInitScript(LEVELS);
	const net = recordNetwork(page);
	try {
		// Browse.
		await page.goto(base + '/');
		await page.locator('.product-card').first().waitFor();
		await page.waitForFunction(() => [...document.querySelectorAll('.thumb-frame canvas')].every((c) => c.dataset.state === 'ready' || c.dataset.state === 'error') || document.querySelectorAll('.thumb-frame canvas').length === 0);
		const cards = await page.locator('.product-card .card-title').allTextContents();
		const thumbs = await page.locator('.thumb-frame canvas').evaluateAll((cs) => cs.map((c) => ({ state: c.dataset.state, level: c.dataset.level })));
		await shot(page, 'journey-1-catalog.png', { fullPage: true });
		step('browse', { cards, thumbs, thumbRequests: net.filter((r) => r.path.startsWith('/models/')) });

		// Search.
		await page.getByLabel('Search', { exact: true }).fill(params.search);
		await page.getByRole('button', { name: 'Apply' }).click();
		await page.waitForURL((u) => u.searchParams.get('q') === params.search);
		await page.locator('.result-count').filter({ hasText: /shown|No products/ }).waitFor();
		const found = await page.locator('.product-card .card-title').allTextContents();
		step('search', { query: params.search, found, url: page.url() });

		// Open the product.
		await page.locator('.product-card a').first().click();
		await page.waitForURL(/\/products\//);
		const productURL = page.url();
		let state = await settled(page);
		const title = await page.locator('h1').textContent();
		const price = await page.locator('#price').textContent();
		step('product', { title, price, url: productURL, state, ink: await inkFraction(page, '#viewer canvas') });

		// A screenshot of the product page at every level, chosen with the picker.
		const options = await page.locator('#viewer select').evaluate((s) => [...s.options].map((o) => o.value).filter((v) => v !== 'auto'));
		const levels = options.map(Number).sort((a, b) => b - a);
		const shots = [];
		for (const k of levels) {
			await page.locator('#viewer select').selectOption(String(k));
			await page.waitForFunction((k) => {
				const e = document.querySelector('#viewer');
				return e.dataset.state === 'ready' && e.dataset.level === String(k);
			}, k);
			shots.push({ level: k, file: await shot(page, `product-level${k}.png`), ink: await inkFraction(page, '#viewer canvas'), indicator: await page.locator('#viewer .lod-text').textContent() });
		}
		await page.locator('#viewer select').selectOption('auto');
		step('levels', { shots, shown: await page.evaluate(() => window.__levels) });

		// Add to cart.
		await page.locator('#qty').fill('2');
		await page.getByRole('button', { name: 'Add to cart' }).click();
		await page.locator('.form-result .ok').waitFor();
		step('add', { message: await page.locator('.form-result').textContent(), nav: await page.locator('#site-nav').textContent() });

		// Cart → checkout asks to sign in → sign up.
		await page.getByRole('link', { name: /^Cart/ }).click();
		await page.locator('table.lines').waitFor();
		const cartTotal = await page.locator('#cart-total').textContent();
		await page.getByRole('link', { name: 'Check out' }).click();
		await page.getByRole('link', { name: 'create an account' }).click();
		await page.waitForURL(/\/signup/);
		// A password that is too short first: the API's field error is shown.
		await page.getByLabel('Name').fill('Ada Shopper');
		await page.getByLabel('Email').fill(params.email);
		await page.getByLabel('Password').fill('short');
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.locator('.problem').waitFor();
		const signupProblem = await page.locator('.problem').textContent();
		const invalid = await page.locator('[aria-invalid="true"]').evaluateAll((es) => es.map((e) => e.id));
		await page.getByLabel('Password').fill(params.password);
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL((u) => u.pathname === '/checkout');
		await page.getByRole('button', { name: /^Sign out/ }).waitFor();
		step('signup', { cartTotal, signupProblem, invalid, nav: await page.locator('#site-nav').textContent() });

		// Checkout with the offline provider.
		await page.locator('#place-order').waitFor();
		await page.getByLabel('Address', { exact: true }).fill('1 Test Street');
		await page.getByLabel('City').fill('Berlin');
		await page.getByLabel('Postal code').fill('10115');
		await page.getByLabel(/Country code/).fill('de');
		const checkoutTotal = await page.locator('#checkout-total').textContent();
		await page.locator('#place-order').click();
		await page.waitForURL(/\/orders\/[^/?]+\?placed=1/);
		const orderURL = new URL(page.url());
		const orderId = decodeURIComponent(orderURL.pathname.split('/').pop());
		await page.locator('#order-status').waitFor();
		await shot(page, 'journey-2-order.png', { fullPage: true });
		step('checkout', { checkoutTotal, orderId, status: await page.locator('#order-status').textContent(), heading: await page.locator('h1').textContent() });
		const checkoutRequest = net.find((r) => r.path === '/api/v1/checkout');

		// Order history.
		await page.getByRole('link', { name: 'Orders', exact: true }).click();
		await page.locator('#order-rows tr').first().waitFor();
		const rows = await page.locator('#order-rows tr').evaluateAll((trs) => trs.map((tr) => ({ id: tr.dataset.order, text: tr.textContent })));
		step('history', { rows, checkoutStatus: checkoutRequest?.status });

		// Errors: a wrong password after signing out.
		await page.getByRole('button', { name: /^Sign out/ }).click();
		await page.getByRole('link', { name: 'Sign in' }).waitFor();
		await page.getByRole('link', { name: 'Sign in' }).click();
		await page.getByLabel('Email').fill(params.email);
		await page.getByLabel('Password').fill('wrong password!');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.locator('.problem').waitFor();
		step('bad-login', { problem: await page.locator('.problem').textContent(), role: await page.locator('.problem').getAttribute('role') });

		// A product that does not exist.
		await page.goto(base + '/products/no-such-product');
		await page.locator('.problem').waitFor();
		step('missing-product', { heading: await page.locator('h1').textContent(), problem: await page.locator('.problem').textContent() });

		// A product whose model fails to load: the page still sells.
		await page.goto(base + '/products/' + params.brokenSlug);
		state = await settled(page);
		const viewerMessage = await page.locator('#viewer .viewer-message').textContent();
		await page.getByRole('button', { name: 'Add to cart' }).click();
		await page.locator('.form-result .ok').waitFor();
		await shot(page, 'journey-3-broken-model.png');
		step('broken-model', { state, viewerMessage, added: await page.locator('.form-result').textContent() });

		// The phone width: the product page stacks and still shows the model.
		await page.setViewportSize({ width: 390, height: 844 });
		await page.goto(productURL);
		state = await settled(page);
		await shot(page, 'journey-4-phone.png', { fullPage: true });
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		step('phone', { state, overflow, ink: await inkFraction(page, '#viewer canvas') });
	} finally {
		report.console = browser.consoleLog;
		report.requests = net.filter((r) => r.path.startsWith('/models/') || r.path.startsWith('/api/'));
		await browser.close();
	}
	return report;
});
