// Small DOM helpers: elements are built with h(), never from HTML strings,
// so text from the API can't inject markup.

/** h builds an element: h('a', {href: '/x', class: 'c'}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs ?? {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k === 'class') e.className = v;
		else if (k === 'text') e.textContent = v;
		else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
		else if (v === true) e.setAttribute(k, '');
		else e.setAttribute(k, String(v));
	}
	for (const c of children.flat()) {
		if (c === undefined || c === null || c === false) continue;
		e.append(c instanceof Node ? c : String(c));
	}
	return e;
}

const digitsCache = new Map();

/** money formats integer minor units of an ISO currency. */
export function money(minor, currency) {
	if (typeof minor !== 'number' || !currency) return '';
	let f = digitsCache.get(currency);
	if (!f) {
		try {
			f = new Intl.NumberFormat('en', { style: 'currency', currency });
		} catch {
			f = new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR' });
		}
		digitsCache.set(currency, f);
	}
	const digits = f.resolvedOptions().maximumFractionDigits;
	return f.format(minor / 10 ** digits);
}

/** minorUnits turns a price typed in major units ("12.50") into minor units. */
export function minorUnits(text, currency = 'EUR') {
	const s = String(text).trim().replace(',', '.');
	if (s === '') return undefined;
	const v = Number(s);
	if (!Number.isFinite(v) || v < 0) return NaN;
	const f = new Intl.NumberFormat('en', { style: 'currency', currency });
	return Math.round(v * 10 ** f.resolvedOptions().maximumFractionDigits);
}

/** date formats an RFC 3339 time for people. */
export function date(s) {
	const d = new Date(s);
	return Number.isNaN(d.getTime()) ? '' : d.toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
}

/** optionsText describes a variant's options: "colour: oak, size: large". */
export function optionsText(options) {
	return Object.entries(options ?? {})
		.map(([k, v]) => `${k}: ${v}`)
		.join(', ');
}
