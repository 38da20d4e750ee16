package storefront

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Config tunes the Service. Every duration is wall-clock time.
type Config struct {
	// Password sets the argon2id cost of new hashes. Default OWASP's
	// m=19 MiB, t=2, p=1 (about 30-60 ms and 19 MiB per hash on one core).
	Password PasswordConfig
	// MaxConcurrentHashes bounds argon2id runs at once, so a burst of logins
	// can't take more than MaxConcurrentHashes × 19 MiB of memory or every
	// core. Default GOMAXPROCS.
	MaxConcurrentHashes int
	// SessionIdleTimeout ends a session not used for this long. Default 24 h.
	SessionIdleTimeout time.Duration
	// SessionMaxAge ends a session this long after login, however active.
	// Default 7 days.
	SessionMaxAge time.Duration
	// LoginPerAccount limits failed logins per email. Default 10 at once,
	// then one per minute.
	LoginPerAccount RateConfig
	// LoginPerIP limits login and sign-up attempts per client IP (each costs
	// an argon2id hash). Default 30 at once, then one every 2 s.
	LoginPerIP RateConfig
	// RateLimitKeys bounds the buckets each limiter keeps (about 150 bytes
	// each). Default 100,000.
	RateLimitKeys int
	// IdempotencyLease is how long a checkout holds its Idempotency-Key before
	// a retry may take it over (the holder crashed). It must exceed the
	// longest checkout. Default 30 s.
	IdempotencyLease time.Duration
	// Now is the clock; tests set it. Default time.Now.
	Now func() time.Time
}

// DefaultConfig returns the production defaults.
func DefaultConfig() Config {
	return Config{
		Password:            DefaultPasswordConfig(),
		MaxConcurrentHashes: runtime.GOMAXPROCS(0),
		SessionIdleTimeout:  24 * time.Hour,
		SessionMaxAge:       7 * 24 * time.Hour,
		LoginPerAccount:     RateConfig{Burst: 10, Every: time.Minute},
		LoginPerIP:          RateConfig{Burst: 30, Every: 2 * time.Second},
		RateLimitKeys:       100_000,
		IdempotencyLease:    30 * time.Second,
		Now:                 time.Now,
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("storefront: "+format, args...)) }
	if err := c.Password.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.MaxConcurrentHashes < 1 {
		bad("max concurrent hashes must be at least 1")
	}
	if c.SessionIdleTimeout < time.Minute {
		bad("session idle timeout %s is below 1m", c.SessionIdleTimeout)
	}
	if c.SessionMaxAge < c.SessionIdleTimeout {
		bad("session max age %s is below the idle timeout %s", c.SessionMaxAge, c.SessionIdleTimeout)
	}
	for name, r := range map[string]RateConfig{"login per account": c.LoginPerAccount, "login per IP": c.LoginPerIP} {
		if r.Burst < 0 || (r.Burst > 0 && r.Every <= 0) {
			bad("%s rate needs a burst ≥ 0 and a positive refill interval", name)
		}
	}
	if c.RateLimitKeys < 1 {
		bad("rate limit keys must be at least 1")
	}
	if c.IdempotencyLease < time.Second {
		bad("idempotency lease %s is below 1s", c.IdempotencyLease)
	}
	if c.Now == nil {
		bad("a clock is required")
	}
	return errors.Join(errs...)
}
