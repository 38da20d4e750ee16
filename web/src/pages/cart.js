// The cart and the checkout. Prices shown are always the server's: the cart
// is re-read after every change and checkout sends only the address.
import { api, ApiError, markFields, problemBox } from '../api.js';
import { h, money, optionsText } from '../dom.js';

export async function cartPage(main, _params, { signal, app }) {
	app.title('Cart');
	main.append(h('h1', { text: 'Your cart' }));
	const body = h('div', { class: 'cart' });
	const live = h('div', { 'aria-live': 'polite', class: 'form-result' });
	main.append(live, body);
	let cart;
	try {
		cart = await api('/cart', { signal });
	} catch (err) {
		if (err.name === 'AbortError') throw err;
		body.append(problemBox(err));
		return;
	}
	const draw = (c) => {
		cart = c;
		app.setCart(c);
		body.replaceChildren(...cartView(c, { change, remove }));
	};
	async function change(sku, quantity) {
		live.replaceChildren();
		try {
			draw(await api('/cart/items/' + encodeURIComponent(sku), { method: 'PATCH', body: { quantity } }));
			live.append(h('p', { class: 'ok', role: 'status', text: 'Cart updated.' }));
		} catch (err) {
			live.append(problemBox(err));
			draw(cart);
		}
	}
	async function remove(sku, title) {
		live.replaceChildren();
		try {
			const c = await api('/cart/items/' + encodeURIComponent(sku), { method: 'DELETE' });
			draw(c ?? (await api('/cart')));
			live.append(h('p', { class: 'ok', role: 'status', text: `Removed ${title}.` }));
		} catch (err) {
			live.append(problemBox(err));
		}
	}
	draw(cart);
}

function cartView(cart, { change, remove }) {
	const lines = cart.lines ?? [];
	if (!lines.length) return [h('p', {}, 'Your cart is empty. ', h('a', { href: '/' }, 'Browse the catalog'), '.')];
	const rows = lines.map((l, i) => {
		const id = `qty-${i}`;
		const input = h('input', { id, type: 'number', min: '1', max: '99', value: String(l.quantity), inputmode: 'numeric', class: 'qty-input' });
		input.addEventListener('change', () => {
			const q = Number(input.value);
			if (Number.isInteger(q) && q >= 1 && q <= 99) change(l.sku, q);
			else input.setAttribute('aria-invalid', 'true');
		});
		return h('tr', {},
			h('th', { scope: 'row' }, h('a', { href: '/products/' + encodeURIComponent(l.slug || l.product_id), text: l.title }), l.options ? h('div', { class: 'muted', text: optionsText(l.options) }) : null),
			h('td', { class: 'num', text: money(l.unit_price, cart.currency) }),
			h('td', {}, h('label', { for: id, class: 'visually-hidden', text: `Quantity of ${l.title}` }), input),
			h('td', { class: 'num', text: money(l.line_total, cart.currency) }),
			h('td', {}, h('button', { type: 'button', class: 'secondary small', 'aria-label': `Remove ${l.title}`, onclick: () => remove(l.sku, l.title) }, 'Remove')));
	});
	const out = [
		h('table', { class: 'lines' },
			h('caption', { class: 'visually-hidden', text: 'Items in your cart' }),
			h('thead', {}, h('tr', {}, ['Item', 'Price', 'Quantity', 'Total', ''].map((t, i) => h('th', { scope: 'col', class: i === 1 || i === 3 ? 'num' : '', text: t })))),
			h('tbody', {}, rows)),
		h('dl', { class: 'totals' }, h('dt', { text: 'Subtotal' }), h('dd', { text: money(cart.subtotal, cart.currency) }), h('dt', { text: 'Total' }), h('dd', { class: 'grand', id: 'cart-total', text: money(cart.total, cart.currency) })),
	];
	if (cart.problems?.length) {
		out.push(h('div', { class: 'problem', role: 'alert' }, h('p', { class: 'problem-title', text: 'Some items cannot be bought as they are:' }), h('ul', {}, cart.problems.map((p) => h('li', { text: `${p.field}: ${p.message}` })))));
	} else {
		out.push(h('p', {}, h('a', { href: '/checkout', class: 'button', id: 'to-checkout' }, 'Check out')));
	}
	return out;
}

const ADDRESS = [
	['name', 'Full name', 'name', true],
	['line1', 'Address', 'address-line1', true],
	['line2', 'Address line 2 (optional)', 'address-line2', false],
	['city', 'City', 'address-level2', true],
	['postal_code', 'Postal code', 'postal-code', true],
	['country', 'Country code (e.g. DE)', 'country', true],
];
const LABELS = Object.fromEntries(ADDRESS.map(([k, label]) => ['shipping.' + k, label]));

export async function checkoutPage(main, _params, { signal, app }) {
	app.title('Checkout');
	main.append(h('h1', { text: 'Checkout' }));
	let me = null;
	try {
		me = await api('/customers/me', { signal });
	} catch (err) {
		if (err.name === 'AbortError') throw err;
		if (!(err instanceof ApiError && err.status === 401)) {
			main.append(problemBox(err));
			return;
		}
	}
	if (!me) {
		main.append(h('p', {}, 'Please ', h('a', { href: '/login?next=/checkout' }, 'sign in'), ' or ', h('a', { href: '/signup?next=/checkout' }, 'create an account'), ' to check out. Your cart is kept.'));
		return;
	}
	let cart;
	try {
		cart = await api('/cart', { signal });
	} catch (err) {
		if (err.name === 'AbortError') throw err;
		main.append(problemBox(err));
		return;
	}
	if (!cart.lines?.length) {
		main.append(h('p', {}, 'Your cart is empty. ', h('a', { href: '/' }, 'Browse the catalog'), '.'));
		return;
	}
	const summary = h('section', { class: 'summary', 'aria-labelledby': 'sum-h' },
		h('h2', { id: 'sum-h', text: 'Order summary' }),
		h('ul', { class: 'plain' }, cart.lines.map((l) => h('li', { text: `${l.quantity} × ${l.title} — ${money(l.line_total, cart.currency)}` }))),
		h('p', { class: 'grand' }, 'Total: ', h('strong', { id: 'checkout-total', text: money(cart.total, cart.currency) })));
	const fields = ADDRESS.map(([k, label, auto, required]) =>
		h('div', { class: 'field' }, h('label', { for: 'ship-' + k, text: label }),
			h('input', { id: 'ship-' + k, name: k, autocomplete: 'shipping ' + auto, required, 'data-field': 'shipping.' + k, value: k === 'name' ? me.name ?? '' : '', maxlength: k === 'country' ? '2' : '200' })));
	const submit = h('button', { type: 'submit', id: 'place-order' }, `Place order · ${money(cart.total, cart.currency)}`);
	const result = h('div', { class: 'form-result', 'aria-live': 'polite' });
	const form = h('form', { class: 'address', 'aria-labelledby': 'ship-h', novalidate: true },
		h('h2', { id: 'ship-h', text: 'Shipping address' }), fields,
		h('p', { class: 'muted', text: 'Payment is taken by the shop’s configured provider when you place the order.' }),
		submit, result);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		const shipping = {};
		for (const [k] of ADDRESS) shipping[k] = form.elements[k].value.trim();
		shipping.country = shipping.country.toUpperCase();
		const body = { shipping };
		submit.disabled = true;
		result.replaceChildren(h('p', { class: 'muted', text: 'Placing your order…' }));
		try {
			const order = await api('/checkout', { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey(body, cart) } });
			sessionStorage.removeItem('strata-checkout');
			app.setCart({ items: 0 });
			app.navigate('/orders/' + encodeURIComponent(order.id ?? order.order?.id) + '?placed=1');
		} catch (err) {
			markFields(form, err);
			result.replaceChildren(problemBox(err, { fieldLabels: LABELS }));
			form.querySelector('[aria-invalid="true"]')?.focus();
			submit.disabled = false;
		}
	});
	main.append(h('div', { class: 'checkout' }, form, summary));
}

/**
 * idempotencyKey keeps one key per checkout attempt: a retry of the same
 * order (after a timeout, a double click or a reload) reuses it, so the
 * server answers with the order it already made; a changed address or cart
 * is a new attempt with a new key.
 */
function idempotencyKey(body, cart) {
	const fingerprint = JSON.stringify([body, cart.lines.map((l) => [l.sku, l.quantity]), cart.total]);
	try {
		const saved = JSON.parse(sessionStorage.getItem('strata-checkout') ?? 'null');
		if (saved && saved.fingerprint === fingerprint) return saved.key;
	} catch {
		// a damaged entry is replaced below
	}
	const key = crypto.randomUUID();
	sessionStorage.setItem('strata-checkout', JSON.stringify({ fingerprint, key }));
	return key;
}
