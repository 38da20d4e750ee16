// The product page: the 3D viewer beside the price, the variant picker and
// add-to-cart. A model that fails to load leaves the rest of the page working.
import { api, ApiError, problemBox } from '../api.js';
import { h, money, optionsText } from '../dom.js';
import { Viewer } from '../viewer/viewer.js';

export async function productPage(main, [slug], { signal, app }) {
	let p;
	try {
		p = await api('/products/' + encodeURIComponent(slug), { signal });
	} catch (err) {
		if (err.name === 'AbortError') throw err;
		app.title(err instanceof ApiError && err.status === 404 ? 'Product not found' : 'Product unavailable');
		main.append(h('h1', { text: err instanceof ApiError && err.status === 404 ? 'Product not found' : 'This product could not be loaded' }), problemBox(err), h('p', {}, h('a', { href: '/' }, 'Back to the catalog')));
		return;
	}
	app.title(p.title);
	const variants = p.variants ?? [];
	const viewerHost = h('div', { class: 'product-viewer', id: 'viewer' });
	const price = h('p', { class: 'price big', id: 'price', 'aria-live': 'polite' });
	const stock = h('p', { class: 'stock', id: 'stock' });
	const qty = h('input', { id: 'qty', name: 'quantity', type: 'number', min: '1', max: '99', value: '1', required: true, inputmode: 'numeric' });
	const addBtn = h('button', { type: 'submit', id: 'add-to-cart' }, 'Add to cart');
	const result = h('div', { class: 'form-result', 'aria-live': 'polite' });

	const picker = h('fieldset', { class: 'variants' }, h('legend', { text: variants.length > 1 ? 'Choose a variant' : 'Variant' }));
	variants.forEach((v, i) => {
		const id = `variant-${i}`;
		const label = optionsText(v.options) || v.sku;
		picker.append(
			h('div', { class: 'radio' },
				h('input', { type: 'radio', name: 'sku', id, value: v.sku, checked: i === firstInStock(variants) }),
				h('label', { for: id }, label, ' ', h('span', { class: 'muted', text: `· ${money(v.price || p.price, p.currency)}` }))),
		);
	});
	const form = h('form', { class: 'buy', 'aria-label': 'Add to cart' }, picker, h('div', { class: 'field qty' }, h('label', { for: 'qty', text: 'Quantity' }), qty), addBtn, result);

	const selected = () => variants.find((v) => v.sku === form.elements.sku?.value) ?? variants[0];
	const update = () => {
		const v = selected();
		price.textContent = money(v?.price || p.price, p.currency);
		const n = v?.stock;
		stock.textContent = typeof n !== 'number' ? '' : n <= 0 ? 'Out of stock' : n < 5 ? `Only ${n} left` : 'In stock';
		addBtn.disabled = typeof n === 'number' && n <= 0;
	};
	form.addEventListener('change', update);
	update();

	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		const v = selected();
		const quantity = Number(qty.value);
		if (!Number.isInteger(quantity) || quantity < 1 || quantity > 99) {
			result.replaceChildren(h('p', { class: 'problem', role: 'alert', text: 'Quantity must be a whole number from 1 to 99.' }));
			qty.setAttribute('aria-invalid', 'true');
			qty.focus();
			return;
		}
		qty.removeAttribute('aria-invalid');
		addBtn.disabled = true;
		result.replaceChildren(h('p', { class: 'muted', text: 'Adding…' }));
		try {
			const cart = await api('/cart/items', { method: 'POST', body: { sku: v.sku, quantity } });
			app.setCart(cart);
			result.replaceChildren(h('p', { class: 'ok', role: 'status' }, `Added ${quantity} × ${p.title} to your cart. `, h('a', { href: '/cart' }, 'View cart')));
		} catch (err) {
			result.replaceChildren(problemBox(err));
		} finally {
			update();
		}
	});

	const tags = (p.tags ?? []).map((t) => h('li', {}, h('a', { href: '/?tag=' + encodeURIComponent(t), text: t })));
	main.append(
		h('nav', { 'aria-label': 'Breadcrumb', class: 'crumbs' }, h('a', { href: '/' }, 'Catalog'), p.category ? [' / ', h('a', { href: '/?category=' + encodeURIComponent(p.category), text: p.category })] : null),
		h('article', { class: 'product' },
			viewerHost,
			h('div', { class: 'product-info' },
				h('h1', { text: p.title }),
				price,
				stock,
				form,
				p.description ? h('p', { class: 'description', text: p.description }) : null,
				tags.length ? h('ul', { class: 'tags', 'aria-label': 'Tags' }, tags) : null)),
	);

	let viewer = null;
	if (p.model_id) {
		viewer = new Viewer(viewerHost, { modelId: p.model_id, title: p.title, image: p.images?.[0]?.url });
	} else {
		viewerHost.append(h('img', { class: 'viewer-fallback', src: p.images?.[0]?.url || '/static/fallback.svg', alt: p.images?.[0]?.alt || `Picture of ${p.title}` }));
	}
	return () => viewer?.destroy();
}

function firstInStock(variants) {
	const i = variants.findIndex((v) => typeof v.stock !== 'number' || v.stock > 0);
	return i < 0 ? 0 : i;
}
