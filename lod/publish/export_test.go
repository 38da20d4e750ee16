package publish

import (
	"context"
	"time"
)

// SetClock replaces the publisher's clock, so retention can be tested
// without waiting for it.
func SetClock(p *Publisher, now func() time.Time) { p.now = now }

// Accept stores a request and records its job without running it, as an
// instance that stopped right after accepting an upload leaves it.
func Accept(ctx context.Context, p *Publisher, req Request) (Job, error) { return p.accept(ctx, req) }

// SaveJob writes a job record as it is.
func SaveJob(ctx context.Context, p *Publisher, j Job) { p.saveJob(ctx, &j) }

// Commit runs the pointer update of model id.
func Commit(ctx context.Context, p *Publisher, id string) error { return p.commit(ctx, id) }

// Prune runs the retention of model id.
func Prune(ctx context.Context, p *Publisher, id string) error { return p.prune(ctx, id) }

var (
	VersionRecordKey = versionRecordKey
	JobKey           = jobKey
	OriginalKey      = originalKey
)
