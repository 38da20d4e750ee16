// Package storefront is the commerce half of Strata: a catalog of products
// linked to 3D models, customer accounts and sessions, carts, checkout, orders
// and payments.
//
// The package owns the domain types, the store and payment interfaces each
// backend implements (storefront/sqlite, storefront/postgres,
// storefront/dynamo, storefront/stripepay) and the Service that holds the
// business rules; storefront/httpapi is the only importer of net/http.
//
// The main trade-off is correctness over convenience: prices are always
// recomputed from the catalog, stock is decremented with a conditional update
// inside the order's transaction, and checkout is keyed by an idempotency key,
// so a shop can't oversell, double-charge on a retry or trust a client's price
// — at the cost of an extra round trip per checkout and a store per concern.
package storefront
