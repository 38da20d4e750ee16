package main

import (
	"fmt"
	"log/slog"

	"github.com/strata3d/strata/server"
	"github.com/strata3d/strata/web"
)

// wireWeb mounts the web storefront (package web) on the server: its pages
// answer / and every GET no other route takes.
func wireWeb(deps *server.Deps, log *slog.Logger) error {
	h, err := web.New(web.Config{})
	if err != nil {
		return fmt.Errorf("web storefront: %w", err)
	}
	if !h.Built() {
		log.Warn("web storefront: this binary has no client bundle; pages will say so (build with make build)")
	}
	deps.Web = h
	return nil
}
