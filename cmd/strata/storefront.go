package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/strata3d/strata/server"
	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/dynamo"
	"github.com/strata3d/strata/storefront/httpapi"
	"github.com/strata3d/strata/storefront/postgres"
	"github.com/strata3d/strata/storefront/sqlite"
	"github.com/strata3d/strata/storefront/stripepay"
)

// storefrontConfig is how `strata serve` (and `strata migrate`) run the
// storefront API at /api/v1.
type storefrontConfig struct {
	// Backend is "sqlite" (the embedded default: one file, no servers),
	// "aws" (catalog, sessions and carts in DynamoDB; accounts, stock and
	// orders in PostgreSQL) or "off" (no API).
	Backend    string
	SQLitePath string
	Postgres   postgres.Config
	Dynamo     dynamo.Config
	// Payments is "offline" (payment is taken outside Strata, orders are paid
	// at once) or "stripe".
	Payments            string
	StripeKey           string
	StripeWebhookSecret string
	StripeEndpoint      string
	TrustedOrigins      []string
	ClientIPHeader      string
	SessionIdleTimeout  time.Duration
	SessionMaxAge       time.Duration
	// PendingOrderTimeout cancels orders left unpaid this long, returning
	// their stock; 0 keeps them.
	PendingOrderTimeout time.Duration
}

// sqlitePath is the database file of the sqlite storefront: --sqlite-path,
// or else strata.db beside the assets directory, so that the catalog lives
// with the assets it describes (./data/strata.db for `make run`).
func (c *storefrontConfig) sqlitePath(assetsDir string) string {
	if c.SQLitePath != "" {
		return c.SQLitePath
	}
	return filepath.Join(filepath.Dir(filepath.Clean(assetsDir)), "strata.db")
}

func defaultStorefrontConfig() storefrontConfig {
	sc := storefront.DefaultConfig()
	return storefrontConfig{
		Backend: "sqlite", Dynamo: dynamo.DefaultConfig(), Payments: "offline",
		SessionIdleTimeout: sc.SessionIdleTimeout, SessionMaxAge: sc.SessionMaxAge, PendingOrderTimeout: 2 * time.Hour,
	}
}

func (c *storefrontConfig) flags(fs *commandFlags) {
	fs.StringVar(&c.Backend, "storefront", c.Backend, "storefront backend: sqlite (embedded, one file), aws (DynamoDB + PostgreSQL) or off")
	fs.StringVar(&c.SQLitePath, "sqlite-path", c.SQLitePath, "database file of the sqlite storefront, created if missing; empty is strata.db beside --assets-dir")
	fs.StringVar(&c.Postgres.DSN, "postgres-dsn", c.Postgres.DSN, "PostgreSQL URL of the aws storefront (accounts, stock, orders, payments)")
	fs.StringVar(&c.Postgres.Schema, "postgres-schema", c.Postgres.Schema, "PostgreSQL schema of the storefront tables; empty uses the DSN's search_path")
	fs.StringVar(&c.Dynamo.Endpoint, "dynamo-endpoint", c.Dynamo.Endpoint, "custom DynamoDB endpoint URL (DynamoDB Local, dynalite); empty means AWS")
	fs.StringVar(&c.Dynamo.Region, "dynamo-region", c.Dynamo.Region, "DynamoDB region")
	fs.StringVar(&c.Dynamo.TablePrefix, "dynamo-table-prefix", c.Dynamo.TablePrefix, "prefix of the DynamoDB table names (products, sessions, carts)")
	fs.StringVar(&c.Payments, "payment-provider", c.Payments, "payment provider: offline (paid outside Strata) or stripe")
	fs.StringVar(&c.StripeKey, "stripe-key", c.StripeKey, "Stripe secret API key (sk_…) of the stripe payment provider")
	fs.StringVar(&c.StripeWebhookSecret, "stripe-webhook-secret", c.StripeWebhookSecret, "signing secret (whsec_…) of POST /api/v1/webhooks/stripe; empty disables the endpoint")
	fs.StringVar(&c.StripeEndpoint, "stripe-endpoint", c.StripeEndpoint, "custom Stripe API URL (stripe-mock); empty means api.stripe.com")
	fs.list(&c.TrustedOrigins, "api-trusted-origins", "other origins allowed cookie-authenticated API writes (CSRF), comma-separated, e.g. https://shop.example")
	fs.StringVar(&c.ClientIPHeader, "api-client-ip-header", c.ClientIPHeader, "header holding the client IP for login rate limits (e.g. CloudFront-Viewer-Address); empty uses the peer address")
	fs.duration(&c.SessionIdleTimeout, "session-idle-timeout", "a storefront session unused this long ends")
	fs.duration(&c.SessionMaxAge, "session-max-age", "a storefront session ends this long after login, however active")
	fs.duration(&c.PendingOrderTimeout, "pending-order-timeout", "orders left unpaid this long are cancelled and their stock returned; 0 keeps them")
}

func (c *storefrontConfig) validate() error {
	var errs []error
	switch c.Backend {
	case "off":
		return nil
	case "sqlite": // the database path defaults to one beside the assets
	case "aws":
		if err := c.Postgres.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("--postgres-dsn: %w", err))
		}
		if err := c.Dynamo.Validate(); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("--storefront must be sqlite, aws or off, got %q", c.Backend))
	}
	switch c.Payments {
	case "offline":
	case "stripe":
		if err := (stripepay.Config{SecretKey: c.StripeKey, Endpoint: c.StripeEndpoint}).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("--stripe-key/--stripe-endpoint: %w", err))
		}
	default:
		errs = append(errs, fmt.Errorf("--payment-provider must be offline or stripe, got %q", c.Payments))
	}
	if c.PendingOrderTimeout != 0 && c.PendingOrderTimeout < time.Minute {
		errs = append(errs, errors.New("--pending-order-timeout must be 0 or at least 1m"))
	}
	if c.StripeWebhookSecret != "" && !strings.HasPrefix(c.StripeWebhookSecret, "whsec_") {
		errs = append(errs, errors.New("--stripe-webhook-secret must start with whsec_"))
	}
	sc := storefront.DefaultConfig()
	sc.SessionIdleTimeout, sc.SessionMaxAge = c.SessionIdleTimeout, c.SessionMaxAge
	if err := sc.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := (httpapi.Config{TrustedOrigins: c.TrustedOrigins, ClientIPHeader: c.ClientIPHeader}).Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// openStores opens the configured backend. migrate creates what is missing
// (tables, schema); without it, a backend that is not migrated is an error
// naming `strata migrate`. The sqlite file always migrates itself.
func (c *storefrontConfig) openStores(ctx context.Context, assetsDir string, migrate bool, log *slog.Logger) (storefront.Stores, func(), error) {
	switch c.Backend {
	case "sqlite": // the database path defaults to one beside the assets
		db, err := sqlite.Open(ctx, c.sqlitePath(assetsDir))
		if err != nil {
			return storefront.Stores{}, nil, err
		}
		// SQLite has no TTL: expired sessions and guest carts are swept hourly.
		sweepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		go func() {
			t := time.NewTicker(time.Hour)
			defer t.Stop()
			for {
				if n, err := db.Sweep(sweepCtx, time.Now()); err != nil && sweepCtx.Err() == nil {
					log.Warn("storefront: sweep failed", "err", err)
				} else if n > 0 {
					log.Info("storefront: swept expired sessions and carts", "rows", n)
				}
				select {
				case <-sweepCtx.Done():
					return
				case <-t.C:
				}
			}
		}()
		return db.Stores(), func() { stop(); db.Close() }, nil
	case "aws":
		pg, err := postgres.Open(ctx, c.Postgres)
		if err != nil {
			return storefront.Stores{}, nil, err
		}
		dyn, err := dynamo.New(ctx, c.Dynamo)
		if err != nil {
			pg.Close()
			return storefront.Stores{}, nil, err
		}
		if migrate {
			applied, err := pg.Migrate(ctx)
			if err != nil {
				pg.Close()
				return storefront.Stores{}, nil, err
			}
			log.Info("postgres migrated", "applied", applied)
			notes, err := dyn.CreateTables(ctx)
			if err != nil {
				pg.Close()
				return storefront.Stores{}, nil, err
			}
			for _, n := range notes {
				log.Info("dynamodb: " + n)
			}
		} else {
			pending, err := pg.Pending(ctx)
			if err != nil {
				pg.Close()
				return storefront.Stores{}, nil, fmt.Errorf("postgres: %w", err)
			}
			if len(pending) > 0 {
				pg.Close()
				return storefront.Stores{}, nil, fmt.Errorf("postgres: migrations %v are not applied; run strata migrate", pending)
			}
			if err := dyn.Ping(ctx); err != nil {
				pg.Close()
				return storefront.Stores{}, nil, fmt.Errorf("dynamodb: the storefront tables are missing or unreachable (run strata migrate): %w", err)
			}
		}
		stores := storefront.Stores{Products: dyn, Sessions: dyn, Carts: dyn, Customers: pg, Inventory: pg, Orders: pg}
		return stores, pg.Close, nil
	}
	return storefront.Stores{}, nil, fmt.Errorf("no storefront backend %q", c.Backend)
}

// wireStorefront mounts the storefront API at /api/ and, with --demo, seeds
// the demo catalog into an empty store.
func (a *serveApp) wireStorefront(ctx context.Context, deps *server.Deps) error {
	c := a.cfg.Storefront
	if c.Backend == "off" {
		return nil
	}
	stores, closeStores, err := c.openStores(ctx, a.cfg.AssetsDir, false, a.log)
	if err != nil {
		return fmt.Errorf("storefront: %w", err)
	}
	a.closer = append(a.closer, closeStores)
	var payments storefront.PaymentProvider = storefront.OfflinePayments{}
	if c.Payments == "stripe" {
		if payments, err = stripepay.New(stripepay.Config{SecretKey: c.StripeKey, Endpoint: c.StripeEndpoint}); err != nil {
			return err
		}
	}
	scfg := storefront.DefaultConfig()
	scfg.SessionIdleTimeout, scfg.SessionMaxAge = c.SessionIdleTimeout, c.SessionMaxAge
	svc, err := storefront.New(scfg, stores, payments, a.log)
	if err != nil {
		return err
	}
	acfg := httpapi.Config{
		AdminToken:     a.cfg.Publish.AdminToken,
		TrustedOrigins: c.TrustedOrigins,
		ClientIPHeader: c.ClientIPHeader,
		Logger:         a.log,
	}
	if c.StripeWebhookSecret != "" {
		acfg.StripeWebhooks = stripepay.Webhooks{Secret: c.StripeWebhookSecret}
	}
	api, err := httpapi.New(svc, acfg)
	if err != nil {
		return err
	}
	if a.cfg.Demo {
		if n, err := seedDemoCatalog(ctx, svc); err != nil {
			return fmt.Errorf("storefront demo catalog: %w", err)
		} else if n > 0 {
			a.log.Info("storefront demo catalog created", "products", n)
		}
	}
	if c.PendingOrderTimeout > 0 {
		a.sweepPendingOrders(ctx, svc, c.PendingOrderTimeout)
	}
	deps.API = api
	a.log.Info("storefront API enabled", "path", "/api/v1", "backend", c.Backend, "payments", payments.Name())
	return nil
}

// sweepPendingOrders cancels unpaid orders older than timeout in the
// background, checking a few times per timeout period, until the app closes.
func (a *serveApp) sweepPendingOrders(ctx context.Context, svc *storefront.Service, timeout time.Duration) {
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	a.closer = append(a.closer, func() { stop(); <-done })
	go func() {
		defer close(done)
		t := time.NewTicker(min(timeout/4, 5*time.Minute))
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
			}
			n, err := svc.CancelStaleOrders(sctx, timeout)
			if err != nil && sctx.Err() == nil {
				a.log.Warn("storefront: cancelling unpaid orders failed", "err", err)
			}
			if n > 0 {
				a.log.Info("storefront: cancelled unpaid orders", "orders", n, "older_than", timeout.String())
			}
		}
	}()
}

// demoCatalog is one product per demo model (lod/meshgen.Demo), linked by
// model id, so a fresh `make run` has something to browse and buy.
func demoCatalog() []storefront.Product {
	oak := func(sku, finish string, price int64, stock int) storefront.Variant {
		return storefront.Variant{SKU: sku, Options: map[string]string{"finish": finish}, Price: price, Stock: stock}
	}
	return []storefront.Product{
		{Slug: "tufted-velvet-armchair", Title: "Tufted Velvet Armchair", ModelID: "tufted-armchair", Category: "seating",
			Tags: []string{"velvet", "armchair", "living"}, Price: 64900, Currency: "EUR",
			Description: "A deep-buttoned armchair in cotton velvet on turned oak legs.",
			Variants:    []storefront.Variant{oak("ARM-VEL-EMERALD", "emerald", 64900, 12), oak("ARM-VEL-RUST", "rust", 64900, 8)}},
		{Slug: "oak-bookshelf", Title: "Oak Bookshelf", ModelID: "oak-bookshelf", Category: "storage",
			Tags: []string{"oak", "shelf", "study"}, Price: 42900, Currency: "EUR",
			Description: "Five shelves of solid oak, delivered with a few books for scale.",
			Variants:    []storefront.Variant{oak("SHELF-OAK", "natural oak", 42900, 15)}},
		{Slug: "drum-shade-floor-lamp", Title: "Drum Shade Floor Lamp", ModelID: "drum-floor-lamp", Category: "lighting",
			Tags: []string{"lamp", "brass", "light"}, Price: 18900, Currency: "EUR",
			Description: "A brushed-brass stem under a linen drum shade.",
			Variants:    []storefront.Variant{oak("LAMP-DRUM-LINEN", "linen", 18900, 25)}},
		{Slug: "chesterfield-leather-sofa", Title: "Chesterfield Leather Sofa", ModelID: "chesterfield-sofa", Category: "seating",
			Tags: []string{"leather", "sofa", "living"}, Price: 249000, Currency: "EUR",
			Description: "Hand-buttoned leather over a hardwood frame, three seats.",
			Variants:    []storefront.Variant{oak("SOFA-CHES-COGNAC", "cognac", 249000, 4), oak("SOFA-CHES-OXBLOOD", "oxblood", 259000, 3)}},
		{Slug: "oak-dining-table", Title: "Oak Dining Table with Turned Legs", ModelID: "turned-dining-table", Category: "tables",
			Tags: []string{"oak", "table", "dining"}, Price: 129000, Currency: "EUR",
			Description: "Seats six; the legs are turned from solid oak.",
			Variants:    []storefront.Variant{oak("TABLE-OAK-180", "180 cm", 129000, 6), oak("TABLE-OAK-220", "220 cm", 149000, 4)}},
		{Slug: "stoneware-vase", Title: "Stoneware Vase with Pampas", ModelID: "stoneware-vase", Category: "decor",
			Tags: []string{"ceramic", "vase", "decor"}, Price: 5900, Currency: "EUR",
			Description: "Wheel-thrown stoneware in a speckled glaze, pampas included.",
			Variants:    []storefront.Variant{oak("VASE-STONE-SAND", "sand", 5900, 40)}},
	}
}

// seedDemoCatalog creates the demo catalog when the catalog is empty, so a
// restart (or an operator's own catalog) is never touched.
func seedDemoCatalog(ctx context.Context, svc *storefront.Service) (int, error) {
	page, err := svc.ListProducts(ctx, storefront.ProductQuery{Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(page.Products) > 0 {
		return 0, nil
	}
	for i, p := range demoCatalog() {
		if _, err := svc.CreateProduct(ctx, p); err != nil {
			return i, fmt.Errorf("%s: %w", p.Slug, err)
		}
	}
	return len(demoCatalog()), nil
}
