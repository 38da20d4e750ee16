package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// runMigrate creates the storefront's DynamoDB tables and indexes and applies
// the embedded PostgreSQL migrations (--storefront aws), or brings the SQLite
// file's schema up to date (--storefront sqlite). Both are idempotent.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := defaultStorefrontConfig()
	fs := newCommandFlags("migrate", "usage: strata migrate [flags]\n\nCreates or updates the storefront's tables: DynamoDB tables and indexes and PostgreSQL migrations (--storefront aws), or the SQLite schema (--storefront sqlite).", stderr)
	cfg.flags(fs)
	if err := fs.parseValid(args, cfg.validate); err != nil {
		return err
	}
	if cfg.Backend == "off" {
		return fmt.Errorf("%w: --storefront off has nothing to migrate", errUsage)
	}
	log := slog.New(slog.NewTextHandler(stdout, nil))
	_, closeStores, err := cfg.openStores(ctx, defaultServeConfig().AssetsDir, true, log)
	if err != nil {
		return err
	}
	closeStores()
	fmt.Fprintf(stdout, "storefront (%s) is migrated\n", cfg.Backend)
	return nil
}
