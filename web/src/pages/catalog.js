// The catalog: a grid of products with search, filters, sort and "more"
// paging by the API's cursor. Filters live in the URL, so a filtered
// catalog can be bookmarked and the back button restores it.
import { api, problemBox } from '../api.js';
import { h, minorUnits, money } from '../dom.js';
import { drawThumbnail } from '../viewer/thumbnails.js';

const SORTS = [
	['newest', 'Newest'],
	['price_asc', 'Price: low to high'],
	['price_desc', 'Price: high to low'],
];

let knownCategories = null;
let knownCurrency = 'EUR';

export async function catalogPage(main, _params, { signal, query, app }) {
	const q = query.get('q') ?? '';
	app.title(q ? `Search: ${q}` : 'Catalog');
	main.append(h('h1', { text: q ? `Results for “${q}”` : 'Furniture and lighting' }));

	if (!knownCategories) {
		try {
			const all = await api('/products?limit=100', { signal });
			knownCategories = [...new Set(all.products.map((p) => p.category).filter(Boolean))].sort();
			knownCurrency = all.products[0]?.currency ?? knownCurrency;
		} catch {
			knownCategories = null; // the listing below reports the failure
		}
	}

	const form = filterForm(query, app);
	const status = h('p', { class: 'result-count', role: 'status' });
	const grid = h('ul', { class: 'product-grid', 'aria-label': 'Products' });
	const more = h('div', { class: 'more' });
	main.append(form, status, grid, more);

	const params = apiQuery(query);
	if (params instanceof Error) {
		status.replaceWith(h('div', { class: 'problem', role: 'alert' }, h('p', { class: 'problem-title', text: params.message })));
		return;
	}
	const observer = new IntersectionObserver((entries) => {
		for (const e of entries) {
			if (!e.isIntersecting) continue;
			observer.unobserve(e.target);
			const fig = e.target;
			drawThumbnail(fig.querySelector('canvas'), fig.dataset.model, { signal }).catch((err) => {
				if (err?.name !== 'AbortError') showPicture(fig);
			});
		}
	}, { rootMargin: '200px' });

	let shown = 0;
	async function load(cursor) {
		const p = new URLSearchParams(params);
		p.set('limit', '12');
		if (cursor) p.set('cursor', cursor);
		let page;
		try {
			page = await api('/products?' + p, { signal });
		} catch (err) {
			if (err.name === 'AbortError') throw err;
			more.replaceChildren(problemBox(err));
			return;
		}
		for (const product of page.products ?? []) grid.append(card(product, observer));
		shown += page.products?.length ?? 0;
		status.textContent = shown === 0 ? 'No products match these filters.' : `${shown} product${shown === 1 ? '' : 's'} shown`;
		more.replaceChildren();
		if (page.next_cursor) {
			const btn = h('button', { type: 'button', class: 'secondary' }, 'Show more products');
			btn.addEventListener('click', () => {
				btn.disabled = true;
				load(page.next_cursor);
			});
			more.append(btn);
		}
	}
	await load('');
	return () => observer.disconnect();
}

function filterForm(query, app) {
	const field = (label, input) => h('div', { class: 'field' }, h('label', { for: input.id, text: label }), input);
	const search = h('input', { id: 'f-q', name: 'q', type: 'search', value: query.get('q') ?? '', placeholder: 'Sofa, oak, lamp…' });
	const category = h('select', { id: 'f-category', name: 'category' }, h('option', { value: '', text: 'All categories' }), (knownCategories ?? []).map((c) => h('option', { value: c, text: c[0].toUpperCase() + c.slice(1), selected: query.get('category') === c })));
	if (query.get('category') && !(knownCategories ?? []).includes(query.get('category'))) {
		category.append(h('option', { value: query.get('category'), text: query.get('category'), selected: true }));
	}
	const tag = h('input', { id: 'f-tag', name: 'tag', type: 'text', value: query.get('tag') ?? '', placeholder: 'e.g. velvet' });
	const min = h('input', { id: 'f-min', name: 'min', type: 'number', min: '0', step: '0.01', inputmode: 'decimal', value: query.get('min') ?? '' });
	const max = h('input', { id: 'f-max', name: 'max', type: 'number', min: '0', step: '0.01', inputmode: 'decimal', value: query.get('max') ?? '' });
	const sort = h('select', { id: 'f-sort', name: 'sort' }, SORTS.map(([v, t]) => h('option', { value: v, text: t, selected: (query.get('sort') ?? 'newest') === v })));
	const form = h(
		'form',
		{ class: 'filters', role: 'search', 'aria-label': 'Search and filter products', action: '/' },
		field('Search', search),
		field('Category', category),
		field('Tag', tag),
		field(`Min price (${knownCurrency})`, min),
		field(`Max price (${knownCurrency})`, max),
		field('Sort by', sort),
		h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Apply'), h('a', { href: '/', class: 'button secondary' }, 'Clear')),
	);
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		const p = new URLSearchParams();
		for (const [k, v] of new FormData(form)) if (String(v).trim() !== '' && !(k === 'sort' && v === 'newest')) p.set(k, String(v).trim());
		app.navigate('/' + (p.size ? '?' + p : ''));
	});
	return form;
}

/** apiQuery maps the page's query (prices in major units) to the API's. */
function apiQuery(query) {
	const p = new URLSearchParams();
	for (const k of ['q', 'category', 'tag', 'sort']) if (query.get(k)) p.set(k, query.get(k));
	for (const [k, name] of [['min', 'min_price'], ['max', 'max_price']]) {
		if (!query.get(k)) continue;
		const v = minorUnits(query.get(k), knownCurrency);
		if (Number.isNaN(v)) return new Error(`The ${k === 'min' ? 'minimum' : 'maximum'} price must be a number of at least 0.`);
		p.set(name, String(v));
	}
	return p;
}

function card(p, observer) {
	const href = `/products/${encodeURIComponent(p.slug || p.id)}`;
	const canvas = h('canvas', { class: 'thumb', role: 'img', 'aria-label': `3D preview of ${p.title}` });
	const fig = h('div', { class: 'thumb-frame', 'data-model': p.model_id || '' }, canvas);
	if (p.model_id) observer.observe(fig);
	else showPicture(fig, p);
	fig.dataset.image = p.images?.[0]?.url ?? '';
	return h(
		'li',
		{ class: 'product-card' },
		h('a', { href, class: 'card-link' }, fig, h('h2', { class: 'card-title', text: p.title })),
		h('p', { class: 'card-meta' }, h('span', { class: 'price', text: money(p.price, p.currency) }), p.category ? h('span', { class: 'category', text: p.category }) : null),
	);
}

function showPicture(fig, p) {
	const url = p?.images?.[0]?.url || fig.dataset.image || '/static/fallback.svg';
	const alt = p?.images?.[0]?.alt || '';
	fig.replaceChildren(h('img', { class: 'thumb', src: url, alt, loading: 'lazy' }));
}
