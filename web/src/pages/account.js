// Sign-up and sign-in. After either, the shopper returns to where they came
// from (?next=), and the guest cart follows them (the server merges it).
import { api, markFields, problemBox } from '../api.js';
import { h } from '../dom.js';

function nextPath(query) {
	const next = query.get('next') ?? '/';
	// Only local paths: an open redirect would let a link send people elsewhere.
	return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function field(id, label, attrs, hint) {
	if (hint) attrs['aria-describedby'] = id + '-hint';
	return h('div', { class: 'field' }, h('label', { for: id, text: label }), h('input', { id, ...attrs }), hint ? h('p', { class: 'hint', id: id + '-hint', text: hint }) : null);
}

export function signupPage(main, _params, { query, app }) {
	app.title('Create account');
	const next = nextPath(query);
	const result = h('div', { class: 'form-result', 'aria-live': 'polite' });
	const form = h('form', { class: 'account', novalidate: true },
		field('su-name', 'Name', { name: 'name', autocomplete: 'name', required: true, 'data-field': 'name' }),
		field('su-email', 'Email', { name: 'email', type: 'email', autocomplete: 'email', required: true, 'data-field': 'email' }),
		field('su-password', 'Password', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: '8', 'data-field': 'password' }, 'At least 8 characters.'),
		h('button', { type: 'submit', id: 'signup-submit' }, 'Create account'),
		result);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		const body = { name: form.elements.name.value.trim(), email: form.elements.email.value.trim(), password: form.elements.password.value };
		result.replaceChildren(h('p', { class: 'muted', text: 'Creating your account…' }));
		try {
			await api('/customers', { method: 'POST', body });
			// Sign in unless the sign-up already did.
			try {
				await api('/customers/me');
			} catch {
				await api('/sessions', { method: 'POST', body: { email: body.email, password: body.password } });
			}
			await app.refresh();
			app.navigate(next);
		} catch (err) {
			markFields(form, err);
			result.replaceChildren(problemBox(err, { fieldLabels: { name: 'Name', email: 'Email', password: 'Password' } }));
			form.querySelector('[aria-invalid="true"]')?.focus();
		}
	});
	main.append(h('h1', { text: 'Create an account' }), form, h('p', {}, 'Already have one? ', h('a', { href: '/login' + (next !== '/' ? '?next=' + encodeURIComponent(next) : '') }, 'Sign in'), '.'));
}

export function loginPage(main, _params, { query, app }) {
	app.title('Sign in');
	const next = nextPath(query);
	const result = h('div', { class: 'form-result', 'aria-live': 'polite' });
	const form = h('form', { class: 'account', novalidate: true },
		field('li-email', 'Email', { name: 'email', type: 'email', autocomplete: 'username', required: true, 'data-field': 'email' }),
		field('li-password', 'Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-field': 'password' }),
		h('button', { type: 'submit', id: 'login-submit' }, 'Sign in'),
		result);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		result.replaceChildren(h('p', { class: 'muted', text: 'Signing in…' }));
		try {
			await api('/sessions', { method: 'POST', body: { email: form.elements.email.value.trim(), password: form.elements.password.value } });
			await app.refresh();
			app.navigate(next);
		} catch (err) {
			markFields(form, err);
			result.replaceChildren(problemBox(err, { fieldLabels: { email: 'Email', password: 'Password' } }));
		}
	});
	main.append(h('h1', { text: 'Sign in' }), form, h('p', {}, 'New here? ', h('a', { href: '/signup' + (next !== '/' ? '?next=' + encodeURIComponent(next) : '') }, 'Create an account'), '.'));
}
