// The storefront API client. Every failure becomes an ApiError carrying the
// RFC 9457 problem details the server sent, so pages can show its words.
import { h } from './dom.js';

export class ApiError extends Error {
	constructor(status, problem) {
		super(problem.detail || problem.title || `HTTP ${status}`);
		this.name = 'ApiError';
		this.status = status;
		this.problem = problem;
	}

	/** fields lists field-level problems as {field, message}. */
	get fields() {
		const p = this.problem;
		const list = p.errors ?? p.fields ?? p.invalid_params ?? p.invalidParams ?? [];
		if (!Array.isArray(list)) return [];
		return list
			.map((e) => ({
				field: String(e.field ?? e.name ?? e.pointer ?? ''),
				message: String(e.message ?? e.detail ?? e.reason ?? ''),
			}))
			.filter((e) => e.message);
	}
}

const JSON_TYPES = /^application\/(problem\+)?json/;

/**
 * api calls /api/v1{path}. body is sent as JSON; headers adds to the request.
 * Resolves with the parsed body (null for 204), rejects with ApiError.
 */
export async function api(path, { method = 'GET', body, headers = {}, signal } = {}) {
	const init = { method, signal, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
	if (body !== undefined) {
		init.body = JSON.stringify(body);
		init.headers['Content-Type'] = 'application/json';
	}
	let res;
	try {
		res = await fetch('/api/v1' + path, init);
	} catch (err) {
		if (err.name === 'AbortError') throw err;
		throw new ApiError(0, {
			title: 'The shop could not be reached',
			detail: 'Check your connection and try again.',
		});
	}
	const type = res.headers.get('Content-Type') || '';
	let data = null;
	if (res.status !== 204 && JSON_TYPES.test(type)) {
		try {
			data = await res.json();
		} catch {
			data = null;
		}
	}
	if (!res.ok) {
		const problem = data && typeof data === 'object' ? data : {};
		if (!problem.title) problem.title = defaultTitle(res.status);
		throw new ApiError(res.status, problem);
	}
	return data;
}

function defaultTitle(status) {
	if (status === 401) return 'Please sign in';
	if (status === 403) return 'Not allowed';
	if (status === 404) return 'Not found';
	if (status === 409) return 'Conflict';
	if (status === 429) return 'Too many attempts';
	if (status >= 500) return 'The shop is having trouble';
	return `Request failed (HTTP ${status})`;
}

/**
 * problemBox renders an error for people: the problem's title and detail and
 * its field errors. Errors that are not from the API get a generic text.
 */
export function problemBox(err, { fieldLabels = {} } = {}) {
	if (!(err instanceof ApiError)) {
		console.error(err);
		return h('div', { class: 'problem', role: 'alert' }, h('p', { class: 'problem-title', text: 'Something went wrong.' }), h('p', { text: 'Please reload the page and try again.' }));
	}
	const p = err.problem;
	const fields = err.fields;
	return h(
		'div',
		{ class: 'problem', role: 'alert' },
		h('p', { class: 'problem-title', text: p.title }),
		p.detail && p.detail !== p.title ? h('p', { class: 'problem-detail', text: p.detail }) : null,
		fields.length
			? h('ul', { class: 'problem-fields' }, fields.map((f) => h('li', {}, f.field ? h('strong', { text: (fieldLabels[f.field] ?? f.field) + ': ' }) : null, f.message)))
			: null,
		Array.isArray(p.shortages) && p.shortages.length
			? h('ul', { class: 'problem-fields' }, p.shortages.map((s) => h('li', { text: `${s.sku}: ${s.available} left, ${s.requested} asked` })))
			: null,
	);
}

/** markFields flags inputs named in an error's field list as invalid. */
export function markFields(form, err) {
	for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
	if (!(err instanceof ApiError)) return;
	for (const f of err.fields) {
		const input = form.querySelector(`[data-field="${CSS.escape(f.field)}"]`);
		if (input) input.setAttribute('aria-invalid', 'true');
	}
}
