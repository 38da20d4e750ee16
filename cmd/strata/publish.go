package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/lod/publish"
	"github.com/strata3d/strata/lod/publish/adminhttp"
	"github.com/strata3d/strata/server"
)

// publishConfig is how `strata serve` publishes models.
type publishConfig struct {
	// AdminToken enables the publishing API at /admin/ (bearer token); empty
	// leaves it off. The publisher itself always runs: it resumes stored
	// jobs and publishes the demo content.
	AdminToken string
	// CloudFrontDistribution, when set, gets an invalidation of each
	// replaced pointer.
	CloudFrontDistribution string
	Publish                publish.Config
}

func defaultPublishConfig() publishConfig {
	return publishConfig{Publish: publish.DefaultConfig()}
}

func (c *publishConfig) flags(fs *commandFlags) {
	p := &c.Publish
	fs.StringVar(&c.AdminToken, "admin-token", c.AdminToken, "bearer token of the publishing API at /admin/ (at least 32 bytes); empty disables the API")
	fs.StringVar(&c.CloudFrontDistribution, "cloudfront-distribution", c.CloudFrontDistribution, "CloudFront distribution id whose cached model pointers are invalidated on publish; empty relies on the pointer's short TTL")
	fs.IntVar(&p.Workers, "publish-workers", p.Workers, "models baked at once")
	fs.IntVar(&p.MaxQueued, "publish-queue", p.MaxQueued, "uploads waiting to be baked before more are answered 503")
	fs.IntVar(&p.Retention, "publish-retention", p.Retention, "published versions kept per model, the current one included")
	fs.duration(&p.RetentionAge, "publish-retention-age", "how long a superseded version stays readable before it may be pruned")
}

func (c *publishConfig) validate() error {
	var errs []error
	if c.AdminToken != "" && len(c.AdminToken) < adminhttp.MinTokenLen {
		errs = append(errs, fmt.Errorf("--admin-token must be at least %d bytes", adminhttp.MinTokenLen))
	}
	if err := c.Publish.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// wirePublishing starts the publisher over store (the whole store: the tier
// reads through publish.PublicView), seeds the demo content through it when
// the store is empty, and mounts the admin API when a token is set.
func (a *serveApp) wirePublishing(ctx context.Context, deps *server.Deps, store cache.Store, _ prometheus.Registerer) error {
	cfg := a.cfg.Publish
	invalidators := []publish.Invalidator{publish.TierInvalidator(a.tier)}
	if cfg.CloudFrontDistribution != "" {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return fmt.Errorf("CloudFront: %w", err)
		}
		cf, err := publish.NewCloudFront(cloudfront.NewFromConfig(awsCfg), cfg.CloudFrontDistribution)
		if err != nil {
			return err
		}
		batcher, err := publish.NewBatcher(cf, publish.DefaultBatchConfig(), a.log)
		if err != nil {
			return err
		}
		a.closer = append(a.closer, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			batcher.Close(ctx)
		})
		invalidators = append(invalidators, batcher)
	}
	pub, err := publish.New(cfg.Publish, publish.Deps{Store: store, Invalidators: invalidators, Logger: a.log})
	if err != nil {
		return err
	}
	if err := pub.Start(ctx); err != nil {
		return err
	}
	a.publisher = pub
	a.closer = append(a.closer, pub.Close)
	if a.cfg.Demo {
		if err := seedDemo(ctx, store, pub, a.log); err != nil {
			return fmt.Errorf("demo content: %w", err)
		}
	}
	if cfg.AdminToken != "" {
		h, err := adminhttp.New(pub, adminhttp.Config{Token: cfg.AdminToken, MaxUploadBytes: a.cfg.Server.MaxUploadBytes}, a.log)
		if err != nil {
			return err
		}
		deps.Admin = h
		a.log.Info("publishing API enabled", "path", "/admin/")
	}
	return nil
}
