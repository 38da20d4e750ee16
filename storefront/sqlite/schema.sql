-- Strata's embedded storefront: every store in one SQLite file. Times are
-- Unix nanoseconds (UTC); prices are integer minor units.

CREATE TABLE products (
	id         TEXT PRIMARY KEY,
	slug       TEXT NOT NULL UNIQUE,
	category   TEXT NOT NULL,
	price      INTEGER NOT NULL,
	created_ns INTEGER NOT NULL,
	title_lc   TEXT NOT NULL,
	tags       TEXT NOT NULL, -- JSON array of lower-case tags
	version    INTEGER NOT NULL,
	doc        TEXT NOT NULL  -- the product as JSON
);
CREATE INDEX products_newest ON products (created_ns DESC, id DESC);
CREATE INDEX products_price ON products (price, id);
CREATE INDEX products_category ON products (category, created_ns DESC, id DESC);

-- A SKU belongs to one product; the primary key makes that unique.
CREATE TABLE product_skus (
	sku        TEXT PRIMARY KEY,
	product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE
);
CREATE INDEX product_skus_product ON product_skus (product_id);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	customer_id  TEXT NOT NULL,
	cart_id      TEXT NOT NULL,
	created_ns   INTEGER NOT NULL,
	last_seen_ns INTEGER NOT NULL,
	expires_ns   INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_ns);

CREATE TABLE carts (
	id         TEXT PRIMARY KEY,
	lines      TEXT NOT NULL, -- JSON array of {sku, quantity}
	version    INTEGER NOT NULL,
	updated_ns INTEGER NOT NULL,
	expires_ns INTEGER NOT NULL -- 0: never
);

CREATE TABLE customers (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_ns    INTEGER NOT NULL
);

CREATE TABLE stock (
	sku      TEXT PRIMARY KEY,
	quantity INTEGER NOT NULL CHECK (quantity >= 0)
);

CREATE TABLE orders (
	id          TEXT PRIMARY KEY,
	customer_id TEXT NOT NULL REFERENCES customers (id),
	status      TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'fulfilled', 'cancelled', 'refunded')),
	currency    TEXT NOT NULL,
	subtotal    INTEGER NOT NULL CHECK (subtotal >= 0),
	total       INTEGER NOT NULL CHECK (total >= 0),
	shipping    TEXT NOT NULL, -- JSON address
	created_ns  INTEGER NOT NULL,
	updated_ns  INTEGER NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, created_ns DESC, id DESC);

CREATE TABLE order_lines (
	order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	line_no    INTEGER NOT NULL,
	sku        TEXT NOT NULL,
	product_id TEXT NOT NULL,
	title      TEXT NOT NULL,
	options    TEXT NOT NULL, -- JSON object
	unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
	quantity   INTEGER NOT NULL CHECK (quantity > 0),
	PRIMARY KEY (order_id, line_no)
);

CREATE TABLE payments (
	id            TEXT PRIMARY KEY,
	order_id      TEXT NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
	provider      TEXT NOT NULL,
	provider_ref  TEXT NOT NULL,
	status        TEXT NOT NULL,
	amount        INTEGER NOT NULL CHECK (amount >= 0),
	currency      TEXT NOT NULL,
	client_secret TEXT NOT NULL,
	created_ns    INTEGER NOT NULL,
	updated_ns    INTEGER NOT NULL
);

CREATE TABLE idempotency_keys (
	customer_id    TEXT NOT NULL,
	key            TEXT NOT NULL,
	request_hash   BLOB NOT NULL,
	state          TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
	token          TEXT NOT NULL,
	lease_until_ns INTEGER NOT NULL,
	order_id       TEXT REFERENCES orders (id),
	created_ns     INTEGER NOT NULL,
	PRIMARY KEY (customer_id, key)
);
CREATE INDEX orders_pending ON orders (created_ns) WHERE status = 'pending';
