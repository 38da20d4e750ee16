-- Accounts, stock, orders, payments and checkout idempotency keys: everything
-- a checkout changes, so one transaction covers it. Prices are integer minor
-- units.

CREATE TABLE customers (
	id            text PRIMARY KEY,
	email         text NOT NULL UNIQUE,
	name          text NOT NULL,
	password_hash text NOT NULL,
	created_at    timestamptz NOT NULL
);

CREATE TABLE stock (
	sku        text PRIMARY KEY,
	-- The backstop of the conditional decrement: even a buggy query can't
	-- take stock below zero.
	quantity   integer NOT NULL CONSTRAINT stock_never_negative CHECK (quantity >= 0),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
	id          text PRIMARY KEY,
	customer_id text NOT NULL REFERENCES customers (id),
	status      text NOT NULL CHECK (status IN ('pending', 'paid', 'fulfilled', 'cancelled', 'refunded')),
	currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
	subtotal    bigint NOT NULL CHECK (subtotal >= 0),
	total       bigint NOT NULL CHECK (total >= 0),
	shipping    jsonb NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);
CREATE INDEX orders_customer_newest ON orders (customer_id, created_at DESC, id DESC);

CREATE TABLE order_lines (
	order_id   text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	line_no    integer NOT NULL,
	sku        text NOT NULL,
	product_id text NOT NULL,
	title      text NOT NULL,
	options    jsonb NOT NULL,
	unit_price bigint NOT NULL CHECK (unit_price >= 0),
	quantity   integer NOT NULL CHECK (quantity > 0),
	PRIMARY KEY (order_id, line_no)
);

CREATE TABLE payments (
	id            text PRIMARY KEY,
	order_id      text NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
	provider      text NOT NULL,
	provider_ref  text NOT NULL DEFAULT '',
	status        text NOT NULL,
	amount        bigint NOT NULL CHECK (amount >= 0),
	currency      text NOT NULL,
	client_secret text NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL
);
CREATE INDEX payments_provider_ref ON payments (provider, provider_ref);

CREATE TABLE idempotency_keys (
	customer_id  text NOT NULL REFERENCES customers (id),
	key          text NOT NULL,
	request_hash bytea NOT NULL,
	state        text NOT NULL CHECK (state IN ('in_flight', 'done')),
	token        text NOT NULL,
	lease_until  timestamptz NOT NULL,
	order_id     text REFERENCES orders (id),
	created_at   timestamptz NOT NULL,
	PRIMARY KEY (customer_id, key),
	CHECK ((state = 'done') = (order_id IS NOT NULL))
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Every state change of an order, for support and audits.
CREATE TABLE order_events (
	order_id    text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	from_status text NOT NULL,
	to_status   text NOT NULL,
	at          timestamptz NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, at);
