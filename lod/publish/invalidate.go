package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/strata3d/strata/cache"
)

// Invalidator makes a cache forget objects after the publisher replaced
// them. Keys are store keys ("models/chair/manifest.json"); a CDN's URL path
// is "/" + key.
type Invalidator interface {
	Invalidate(ctx context.Context, keys []string) error
}

// TierInvalidator drops keys' metadata from the local cache tier, so the
// instance that published serves the new pointer at once instead of after
// the tier's metadata TTL.
func TierInvalidator(t *cache.Tier) Invalidator { return tierInvalidator{t} }

type tierInvalidator struct{ t *cache.Tier }

func (ti tierInvalidator) Invalidate(_ context.Context, keys []string) error {
	for _, k := range keys {
		ti.t.Invalidate(k)
	}
	return nil
}

// BatchConfig tunes a Batcher.
type BatchConfig struct {
	// Window is how long keys are collected before one request is sent:
	// a CDN bills and limits invalidation requests, and publishing many
	// models at once should cost a few. Default: 2s.
	Window time.Duration
	// MaxBatch bounds the keys of one request (CloudFront accepts up to
	// 3,000 paths in progress). Default: 1000.
	MaxBatch int
	// Attempts is how many times a batch is sent before it is given up
	// (and logged). Default: 5.
	Attempts int
	// Backoff is the wait before the second attempt; it doubles for each
	// further one, with jitter. Default: 1s.
	Backoff time.Duration
}

// DefaultBatchConfig returns the configuration described on each field.
func DefaultBatchConfig() BatchConfig {
	return BatchConfig{Window: 2 * time.Second, MaxBatch: 1000, Attempts: 5, Backoff: time.Second}
}

// Batcher collects keys for a slow, rate-limited Invalidator (a CDN) and
// sends them in batches, retrying failed batches with exponential backoff.
// Its Invalidate never blocks on the CDN: a publish is done when the
// pointer is stored, and the pointer's short TTL covers a CDN outage.
type Batcher struct {
	next Invalidator
	cfg  BatchConfig
	log  *slog.Logger

	mu      sync.Mutex
	pending []string
	seen    map[string]bool
	timer   *time.Timer
	closed  bool

	send    sync.Mutex // one batch at a time, in order
	batches int        // batches sent, under send
	started time.Time  // with batches, makes each batch's reference unique
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

// NewBatcher wraps next. A nil logger discards logs.
func NewBatcher(next Invalidator, cfg BatchConfig, log *slog.Logger) (*Batcher, error) {
	if next == nil {
		return nil, errors.New("publish: batcher without an invalidator")
	}
	if cfg.Window < 0 || cfg.MaxBatch < 1 || cfg.Attempts < 1 || cfg.Backoff < 0 {
		return nil, errors.New("publish: BatchConfig needs Window >= 0, MaxBatch >= 1, Attempts >= 1, Backoff >= 0")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Batcher{next: next, cfg: cfg, log: log, seen: map[string]bool{}, ctx: ctx, cancel: cancel, started: time.Now()}, nil
}

// Invalidate queues keys; they are sent within Window.
func (b *Batcher) Invalidate(_ context.Context, keys []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	for _, k := range keys {
		if !b.seen[k] {
			b.seen[k] = true
			b.pending = append(b.pending, k)
		}
	}
	if len(b.pending) > 0 && b.timer == nil {
		b.wg.Add(1)
		b.timer = time.AfterFunc(b.cfg.Window, func() {
			defer b.wg.Done()
			b.Flush(b.ctx)
		})
	}
	return nil
}

// Flush sends every queued key now and returns the error of the last batch
// that could not be sent, if any.
func (b *Batcher) Flush(ctx context.Context) error {
	b.send.Lock()
	defer b.send.Unlock()
	var last error
	for {
		b.mu.Lock()
		if b.timer != nil && b.timer.Stop() {
			b.wg.Done() // the timer's flush will not run
		}
		b.timer = nil
		n := min(len(b.pending), b.cfg.MaxBatch)
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		for _, k := range batch {
			delete(b.seen, k)
		}
		b.mu.Unlock()
		if n == 0 {
			return last
		}
		if err := b.sendBatch(ctx, batch); err != nil {
			last = err
		}
	}
}

func (b *Batcher) sendBatch(ctx context.Context, batch []string) error {
	b.batches++
	ctx = context.WithValue(ctx, batchRefKey{}, fmt.Sprintf("strata-%d-%d", b.started.UnixNano(), b.batches))
	wait := b.cfg.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		if err = b.next.Invalidate(ctx, batch); err == nil {
			b.log.Info("publish: invalidated", "keys", len(batch), "attempts", attempt)
			return nil
		}
		if attempt >= b.cfg.Attempts || ctx.Err() != nil {
			break
		}
		b.log.Warn("publish: invalidation failed, retrying", "keys", len(batch), "attempt", attempt, "err", err)
		// Full jitter keeps instances that failed together from retrying together.
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		wait *= 2
	}
	b.log.Error("publish: invalidation given up; the pointer's TTL will expire it", "keys", len(batch), "first", batch[0], "err", err)
	return err
}

// Close sends what is queued (bounded by ctx) and stops the batcher.
func (b *Batcher) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	err := b.Flush(ctx)
	b.cancel()
	b.wg.Wait()
	return err
}
