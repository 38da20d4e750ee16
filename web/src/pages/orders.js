// Order history and order detail; the API shows a customer only their own.
import { api, ApiError, problemBox } from '../api.js';
import { date, h, money, optionsText } from '../dom.js';

const STATUS = { pending: 'Pending payment', paid: 'Paid', fulfilled: 'Shipped', cancelled: 'Cancelled', refunded: 'Refunded' };

function needLogin(main, err, next) {
	if (err instanceof ApiError && err.status === 401) {
		main.append(h('p', {}, 'Please ', h('a', { href: '/login?next=' + encodeURIComponent(next) }, 'sign in'), ' to see your orders.'));
		return true;
	}
	return false;
}

export async function ordersPage(main, _params, { signal, app }) {
	app.title('Orders');
	main.append(h('h1', { text: 'Your orders' }));
	const list = h('div', {});
	main.append(list);
	async function load(cursor) {
		let page;
		try {
			page = await api('/orders' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''), { signal });
		} catch (err) {
			if (err.name === 'AbortError') throw err;
			if (!needLogin(list, err, '/orders')) list.append(problemBox(err));
			return;
		}
		const orders = page.orders ?? [];
		if (!orders.length && !cursor) {
			list.append(h('p', {}, 'No orders yet. ', h('a', { href: '/' }, 'Browse the catalog'), '.'));
			return;
		}
		let tbody = list.querySelector('tbody');
		if (!tbody) {
			tbody = h('tbody', { id: 'order-rows' });
			list.append(h('table', { class: 'lines' },
				h('caption', { class: 'visually-hidden', text: 'Your orders, newest first' }),
				h('thead', {}, h('tr', {}, ['Order', 'Placed', 'Status', 'Items', 'Total'].map((t, i) => h('th', { scope: 'col', class: i >= 3 ? 'num' : '', text: t })))),
				tbody));
		}
		for (const o of orders) {
			tbody.append(h('tr', { 'data-order': o.id },
				h('th', { scope: 'row' }, h('a', { href: '/orders/' + encodeURIComponent(o.id), text: shortId(o.id) })),
				h('td', { text: date(o.created_at) }),
				h('td', {}, h('span', { class: 'badge ' + o.status, text: STATUS[o.status] ?? o.status })),
				h('td', { class: 'num', text: String((o.lines ?? []).reduce((n, l) => n + l.quantity, 0)) }),
				h('td', { class: 'num', text: money(o.total, o.currency) })));
		}
		list.querySelector('.more')?.remove();
		if (page.next_cursor) {
			const btn = h('button', { type: 'button', class: 'secondary' }, 'Older orders');
			btn.addEventListener('click', () => load(page.next_cursor));
			list.append(h('p', { class: 'more' }, btn));
		}
	}
	await load('');
}

export async function orderPage(main, [id], { signal, query, app }) {
	app.title('Order');
	let o;
	try {
		o = await api('/orders/' + encodeURIComponent(id), { signal });
	} catch (err) {
		if (err.name === 'AbortError') throw err;
		main.append(h('h1', { text: 'Order' }));
		if (!needLogin(main, err, '/orders/' + id)) main.append(problemBox(err), h('p', {}, h('a', { href: '/orders' }, 'All orders')));
		return;
	}
	app.title(`Order ${shortId(o.id)}`);
	const a = o.shipping ?? {};
	main.append(
		h('h1', { text: `Order ${shortId(o.id)}` }),
		query.get('placed') ? h('p', { class: 'ok', role: 'status', text: 'Thank you — your order is placed.' }) : null,
		h('dl', { class: 'facts' },
			h('dt', { text: 'Status' }), h('dd', {}, h('span', { class: 'badge ' + o.status, id: 'order-status', text: STATUS[o.status] ?? o.status })),
			h('dt', { text: 'Placed' }), h('dd', { text: date(o.created_at) }),
			o.payment ? [h('dt', { text: 'Payment' }), h('dd', { text: `${o.payment.status} (${o.payment.provider})` })] : null),
		h('table', { class: 'lines' },
			h('caption', { class: 'visually-hidden', text: 'Items in this order' }),
			h('thead', {}, h('tr', {}, ['Item', 'Price', 'Quantity', 'Total'].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : '', text: t })))),
			h('tbody', {}, (o.lines ?? []).map((l) => h('tr', {},
				h('th', { scope: 'row' }, l.title, l.options ? h('div', { class: 'muted', text: optionsText(l.options) }) : null),
				h('td', { class: 'num', text: money(l.unit_price, o.currency) }),
				h('td', { class: 'num', text: String(l.quantity) }),
				h('td', { class: 'num', text: money(l.line_total, o.currency) }))))),
		h('dl', { class: 'totals' }, h('dt', { text: 'Total' }), h('dd', { class: 'grand', text: money(o.total, o.currency) })),
		h('h2', { text: 'Shipping to' }),
		h('address', {}, [a.name, a.line1, a.line2, [a.postal_code, a.city].filter(Boolean).join(' '), a.country].filter(Boolean).flatMap((x, i) => (i ? [h('br'), x] : [x]))),
		h('p', {}, h('a', { href: '/orders' }, 'All orders')),
	);
}

function shortId(id) {
	return '#' + String(id).slice(-8).toUpperCase();
}
