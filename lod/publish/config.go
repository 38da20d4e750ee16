package publish

import (
	"errors"
	"fmt"
	"time"

	"github.com/strata3d/strata/lod"
)

// Config tunes a Publisher. Start from DefaultConfig.
type Config struct {
	// Workers is how many jobs bake at once. Each bake already spreads its
	// meshes over Bake.Workers cores and holds its input and outputs in
	// memory (a few times the upload's size), so more workers mostly add
	// memory. Default: 1.
	Workers int

	// MaxQueued bounds the jobs accepted but not yet running; Submit refuses
	// more with a 503 (ErrBusy) instead of queueing without limit. Jobs
	// resumed at start do not count against it. Default: 64.
	MaxQueued int

	// MaxPreflights bounds the uploads being checked at once (parsed,
	// before they are stored); the check holds the upload and its parsed
	// form in memory. More wait. Default: 2.
	MaxPreflights int

	// Retention is how many published versions of each model are kept,
	// the current one included; older ones are deleted once RetentionAge
	// has passed since they were superseded. At least 1. Default: 3.
	Retention int

	// RetentionAge keeps a superseded version at least this long, so that
	// viewers and caches still holding the previous pointer (max-age,
	// s-maxage, stale-while-revalidate, stale-if-error) can fetch what it
	// names. Default: 24h.
	RetentionAge time.Duration

	// JobRetention is how long records of finished jobs stay in the store;
	// older ones are deleted when the publisher starts. Default: 7 days.
	JobRetention time.Duration

	// Attempts is how many times a job runs before a store failure fails it
	// for good. Input problems fail it at once. Default: 3.
	Attempts int

	// RetryBackoff is the wait before the second attempt; it doubles for
	// each further one. Default: 2s.
	RetryBackoff time.Duration

	// MaxFiles bounds the files of a multipart .gltf upload, document
	// included. Default: 256.
	MaxFiles int

	// Bake configures the baker, including its input limits
	// (MaxInputBytes, MaxTriangles, MaxTexturePixels…). Default:
	// lod.DefaultConfig().
	Bake lod.Config
}

// DefaultConfig returns the configuration described on each Config field.
func DefaultConfig() Config {
	return Config{
		Workers:       1,
		MaxQueued:     64,
		MaxPreflights: 2,
		Retention:     3,
		RetentionAge:  24 * time.Hour,
		JobRetention:  7 * 24 * time.Hour,
		Attempts:      3,
		RetryBackoff:  2 * time.Second,
		MaxFiles:      256,
		Bake:          lod.DefaultConfig(),
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("publish: "+format, args...)) }
	if c.Workers < 1 {
		add("Workers %d must be at least 1", c.Workers)
	}
	if c.MaxQueued < 1 {
		add("MaxQueued %d must be at least 1", c.MaxQueued)
	}
	if c.MaxPreflights < 1 {
		add("MaxPreflights %d must be at least 1", c.MaxPreflights)
	}
	if c.Retention < 1 {
		add("Retention %d must be at least 1 (the current version)", c.Retention)
	}
	if c.RetentionAge < 0 {
		add("RetentionAge %v is negative", c.RetentionAge)
	}
	if c.JobRetention < 0 {
		add("JobRetention %v is negative", c.JobRetention)
	}
	if c.Attempts < 1 {
		add("Attempts %d must be at least 1", c.Attempts)
	}
	if c.RetryBackoff < 0 {
		add("RetryBackoff %v is negative", c.RetryBackoff)
	}
	if c.MaxFiles < 1 {
		add("MaxFiles %d must be at least 1", c.MaxFiles)
	}
	if err := c.Bake.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
