// The storefront's client: a small router over the pages in pages/, a header
// that knows the shopper and the cart, and focus handling so the keyboard and
// screen readers follow page changes.
import { api, ApiError } from './api.js';
import { h } from './dom.js';
import { catalogPage } from './pages/catalog.js';
import { productPage } from './pages/product.js';
import { cartPage, checkoutPage } from './pages/cart.js';
import { loginPage, signupPage } from './pages/account.js';
import { orderPage, ordersPage } from './pages/orders.js';
import { modelPage } from './pages/model.js';

const routes = [
	[/^\/$/, catalogPage],
	[/^\/products\/([^/]+)$/, productPage],
	[/^\/cart$/, cartPage],
	[/^\/checkout$/, checkoutPage],
	[/^\/login$/, loginPage],
	[/^\/signup$/, signupPage],
	[/^\/orders$/, ordersPage],
	[/^\/orders\/([^/]+)$/, orderPage],
	[/^\/3d\/([^/]+)$/, modelPage],
];

/** app is what pages share: the signed-in customer and the cart count. */
export const app = {
	me: null,
	cartItems: 0,
	navigate,
	async refresh() {
		const [me, cart] = await Promise.allSettled([api('/customers/me'), api('/cart')]);
		this.me = me.status === 'fulfilled' ? me.value : null;
		if (cart.status === 'fulfilled') this.cartItems = cart.value?.items ?? 0;
		renderHeader();
	},
	setCart(cart) {
		this.cartItems = cart?.items ?? 0;
		renderHeader();
	},
	title(text) {
		document.title = text ? `${text} · Strata Home` : 'Strata Home';
	},
};

let current = null; // {abort, cleanup}

function renderHeader() {
	const nav = document.getElementById('site-nav');
	if (!nav) return;
	const cartLabel = app.cartItems ? `Cart (${app.cartItems})` : 'Cart';
	const items = [h('li', {}, h('a', { href: '/' }, 'Catalog')), h('li', {}, h('a', { href: '/cart', 'data-cart-count': app.cartItems }, cartLabel))];
	if (app.me) {
		items.push(h('li', {}, h('a', { href: '/orders' }, 'Orders')));
		items.push(h('li', {}, h('button', { type: 'button', class: 'linkish', onclick: logout }, `Sign out ${app.me.name || app.me.email}`)));
	} else {
		items.push(h('li', {}, h('a', { href: '/login' }, 'Sign in')));
		items.push(h('li', {}, h('a', { href: '/signup' }, 'Create account')));
	}
	nav.replaceChildren(h('ul', {}, items));
	for (const a of nav.querySelectorAll('a')) {
		if (a.getAttribute('href') === location.pathname) a.setAttribute('aria-current', 'page');
	}
}

async function logout() {
	try {
		await api('/sessions/current', { method: 'DELETE' });
	} catch (err) {
		if (!(err instanceof ApiError && err.status === 401)) {
			flash(err.message || 'Sign-out failed.');
			return;
		}
	}
	app.me = null;
	await app.refresh();
	navigate('/');
}

function flash(text) {
	const main = document.getElementById('main');
	main.prepend(h('p', { class: 'problem', role: 'alert', text }));
}

/** navigate shows path without reloading; replace keeps history short. */
export function navigate(path, { replace = false } = {}) {
	if (replace) history.replaceState(null, '', path);
	else history.pushState(null, '', path);
	render();
}

async function render() {
	if (current) {
		current.abort.abort();
		try {
			current.cleanup?.();
		} catch (err) {
			console.error(err);
		}
	}
	const abort = new AbortController();
	current = { abort, cleanup: null };
	const main = document.getElementById('main');
	main.replaceChildren();
	main.setAttribute('aria-busy', 'true');
	renderHeader();
	const path = location.pathname;
	const query = new URLSearchParams(location.search);
	let page = notFoundPage;
	let params = [];
	for (const [re, fn] of routes) {
		const m = re.exec(path);
		if (m) {
			page = fn;
			params = m.slice(1).map(decodeURIComponent);
			break;
		}
	}
	try {
		const cleanup = await page(main, params, { signal: abort.signal, query, app });
		if (abort.signal.aborted) cleanup?.();
		else current.cleanup = cleanup;
	} catch (err) {
		if (err?.name === 'AbortError' || abort.signal.aborted) return;
		console.error(err);
		main.replaceChildren(h('h1', { tabindex: '-1', text: 'Something went wrong' }), h('p', { text: 'Please reload the page.' }));
	} finally {
		if (!abort.signal.aborted) main.removeAttribute('aria-busy');
	}
	if (abort.signal.aborted) return;
	// Move focus to the new page's heading, as a full page load would.
	const heading = main.querySelector('h1');
	if (heading && document.body.dataset.booted) {
		heading.setAttribute('tabindex', '-1');
		heading.focus({ preventScroll: false });
	}
	document.body.dataset.booted = 'true';
}

function notFoundPage(main) {
	app.title('Not found');
	main.append(h('h1', { text: 'Page not found' }), h('p', {}, 'There is nothing at this address. ', h('a', { href: '/' }, 'Back to the catalog'), '.'));
}

function onClick(e) {
	if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
	const a = e.target.closest('a[href]');
	if (!a || a.target || a.hasAttribute('download')) return;
	const url = new URL(a.href, location.href);
	if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/models/') || url.pathname.startsWith('/static/')) return;
	e.preventDefault();
	if (url.pathname + url.search === location.pathname + location.search && !url.hash) return;
	navigate(url.pathname + url.search + url.hash);
}

document.addEventListener('click', onClick);
window.addEventListener('popstate', render);
app.refresh();
render();
