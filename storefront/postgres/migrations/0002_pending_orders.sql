-- Finds orders left pending (unpaid checkouts) so their stock can return.
CREATE INDEX orders_pending_created ON orders (created_at) WHERE status = 'pending';
