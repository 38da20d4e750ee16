package publish

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/strata3d/strata/cache"
)

// Deps are a Publisher's collaborators.
type Deps struct {
	// Store is where originals, records and artifacts are written: the
	// whole store, not its PublicView. Required.
	Store cache.Store
	// Invalidators are told about every replaced pointer: the local cache
	// tier (TierInvalidator) and a CDN (a Batcher over CloudFront).
	Invalidators []Invalidator
	// Logger receives the publisher's logs. Default: discarded.
	Logger *slog.Logger
}

// Publisher accepts uploads, bakes them in a bounded worker pool and
// publishes the results. It is safe for concurrent use.
type Publisher struct {
	cfg   Config
	store cache.Store
	inv   []Invalidator
	log   *slog.Logger
	now   func() time.Time

	preflights chan struct{}
	// locks serializes the pointer updates of one model within this
	// instance; instances sharing a store converge through the records.
	locks [64]sync.Mutex
	seed  maphash.Seed

	mu       sync.Mutex
	cond     *sync.Cond // signals workers: queue grew or closed
	queue    []string
	jobs     map[string]*entry // jobs this instance runs, until terminal
	reserved int               // Submits past the queue check, not yet queued
	busy     int               // jobs queued, running or waiting to retry
	idle     []chan struct{}
	started  bool
	closed   bool

	ctx    context.Context // cancelled by Close; bakes stop with it
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type entry struct {
	job  Job
	done chan struct{}
}

// New builds a Publisher. Call Start to resume stored jobs and run workers;
// without Start, Publish still runs jobs in the caller's goroutine.
func New(cfg Config, deps Deps) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil {
		return nil, errors.New("publish: a store is required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Publisher{
		cfg:        cfg,
		store:      deps.Store,
		inv:        deps.Invalidators,
		log:        deps.Logger,
		now:        func() time.Time { return time.Now().UTC() },
		preflights: make(chan struct{}, cfg.MaxPreflights),
		seed:       maphash.MakeSeed(),
		jobs:       map[string]*entry{},
		ctx:        ctx,
		cancel:     cancel,
	}
	p.cond = sync.NewCond(&p.mu)
	return p, nil
}

// Config returns the publisher's configuration.
func (p *Publisher) Config() Config { return p.cfg }

// Request is one model to publish.
type Request struct {
	// ID names the model: models/{ID}/manifest.json. See ValidID.
	ID     string
	Upload Upload
	// JobID, when set, makes the request idempotent: a job of that id that
	// is already stored is returned as it is. It must satisfy ValidJobID.
	// Default: a random id.
	JobID string
	// Uploaded orders publishes of the same model; the newest wins.
	// Default: now.
	Uploaded time.Time
}

// Start resumes the unfinished jobs found in the store, deletes records of
// jobs that failed more than JobRetention ago, and starts the workers. Jobs
// interrupted by a stop (in any instance sharing the store) run again;
// a bake is deterministic, so a job that runs twice writes the same bytes.
func (p *Publisher) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.started || p.closed {
		p.mu.Unlock()
		return errors.New("publish: Start called twice or after Close")
	}
	p.started = true
	p.mu.Unlock()

	infos, err := p.list(ctx, jobsPrefix)
	if err != nil {
		return fmt.Errorf("publish: listing jobs: %w", err)
	}
	var resumed []Job
	for _, info := range infos {
		data, err := p.get(ctx, info.Key, maxRecordBytes)
		if errors.Is(err, cache.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("publish: reading %s: %w", info.Key, err)
		}
		j, err := decodeJob(data)
		if err != nil {
			p.log.Warn("publish: skipping an unreadable job record", "key", info.Key, "err", err)
			continue
		}
		switch {
		case !j.State.Terminal():
			resumed = append(resumed, *j)
		case j.State == Failed && j.Finished != nil && p.now().Sub(*j.Finished) > p.cfg.JobRetention:
			if err := p.deleteJob(ctx, j); err != nil {
				p.log.Warn("publish: deleting an old job", "job", j.ID, "err", err)
			}
		}
	}
	p.mu.Lock()
	for _, j := range resumed {
		p.track(j)
		p.queue = append(p.queue, j.ID)
	}
	for range p.cfg.Workers {
		p.wg.Add(1)
		go p.worker()
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	if len(resumed) > 0 {
		p.log.Info("publish: resumed unfinished jobs", "jobs", len(resumed))
	}
	return nil
}

// track registers a job this instance will run; under p.mu.
func (p *Publisher) track(j Job) {
	if _, ok := p.jobs[j.ID]; ok {
		return
	}
	p.jobs[j.ID] = &entry{job: j, done: make(chan struct{})}
	p.busy++
}

// Submit checks the upload, stores it and a job record, and queues the
// job; it returns the queued job. The model is published when the job is
// done (Wait). Errors are *Error: 400 for a bad id, 413/422 for an upload
// the baker refuses, 503 when the queue is full or the store fails.
func (p *Publisher) Submit(ctx context.Context, req Request) (Job, error) {
	p.mu.Lock()
	switch {
	case !p.started || p.closed:
		p.mu.Unlock()
		return Job{}, AsError(ErrClosed)
	case len(p.queue)+p.reserved >= p.cfg.MaxQueued:
		p.mu.Unlock()
		return Job{}, &Error{Status: http.StatusServiceUnavailable, Title: "Publishing queue full", Detail: fmt.Sprintf("%d jobs are waiting; try again later", p.cfg.MaxQueued), Err: ErrBusy}
	}
	p.reserved++
	p.mu.Unlock()

	j, err := p.accept(ctx, req)

	p.mu.Lock()
	defer p.mu.Unlock()
	p.reserved--
	if err != nil {
		return Job{}, err
	}
	if j.State.Terminal() {
		return j, nil
	}
	if _, running := p.jobs[j.ID]; running {
		return p.jobs[j.ID].job, nil
	}
	if p.closed {
		// Stored and recorded: the next Start resumes it.
		return j, nil
	}
	p.track(j)
	p.queue = append(p.queue, j.ID)
	p.cond.Signal()
	return j, nil
}

// Publish runs a request to the end in the caller's goroutine: check,
// store, bake, publish. The Lambda handler uses it; a failed attempt that
// may succeed later (the store failed) returns an error and leaves the job
// queued in the store, so a retry of the same request (same JobID) or the
// next Start of a publisher resumes it.
func (p *Publisher) Publish(ctx context.Context, req Request) (Job, error) {
	j, err := p.accept(ctx, req)
	if err != nil {
		return Job{}, err
	}
	if j.State.Terminal() {
		return j, nil
	}
	err = p.execute(ctx, &j)
	switch {
	case err == nil:
		return j, nil
	case retryable(err):
		j.State = Queued
		p.saveJob(context.WithoutCancel(ctx), &j)
		return j, err
	}
	p.fail(&j, err)
	p.saveJob(context.WithoutCancel(ctx), &j)
	return j, nil
}

// accept checks and stores a request and records its job as queued.
func (p *Publisher) accept(ctx context.Context, req Request) (Job, error) {
	if err := ValidID(req.ID); err != nil {
		return Job{}, err
	}
	jobID := req.JobID
	if jobID == "" {
		jobID = newJobID()
	} else if !ValidJobID(jobID) {
		return Job{}, fmt.Errorf("publish: job id %q is not 24 hex digits", jobID)
	} else if data, err := p.get(ctx, jobKey(jobID), maxRecordBytes); err == nil {
		if j, err := decodeJob(data); err == nil {
			return *j, nil
		}
	} else if !errors.Is(err, cache.ErrNotFound) {
		return Job{}, storeError("read job", err)
	}
	up := req.Upload
	if up.Name == "" {
		up.Name = req.ID + ".glb"
	}
	if err := CleanPath(up.Name); err != nil || strings.Contains(up.Name, "/") {
		return Job{}, badUpload(fmt.Sprintf("the file name %q is not a plain file name", up.Name))
	}
	for name := range up.Files {
		if err := CleanPath(name); err != nil {
			return Job{}, badUpload(fmt.Sprintf("the file name %q: %v", name, err))
		}
		if name == up.Name {
			return Job{}, badUpload(fmt.Sprintf("the file %q is in the upload twice", name))
		}
	}
	if err := p.preflight(ctx, up); err != nil {
		return Job{}, err
	}

	uploaded := req.Uploaded
	if uploaded.IsZero() {
		uploaded = p.now()
	}
	j := Job{ID: jobID, Model: req.ID, State: Queued, Uploaded: uploaded.UTC(), Source: Source{Name: up.Name, Bytes: up.Size()}}
	// The original first: once the job record exists, a restart must find
	// everything the job needs.
	j.Source.Files = append(j.Source.Files, SourceFile{Name: up.Name, Bytes: int64(len(up.Data))})
	if err := p.put(ctx, originalKey(jobID, up.Name), up.Data, ""); err != nil {
		return Job{}, err
	}
	for _, name := range sortedKeys(up.Files) {
		data := up.Files[name]
		j.Source.Files = append(j.Source.Files, SourceFile{Name: name, Bytes: int64(len(data))})
		if err := p.put(ctx, originalKey(jobID, name), data, ""); err != nil {
			return Job{}, err
		}
	}
	if err := p.put(ctx, jobKey(jobID), encodeJob(&j), "application/json"); err != nil {
		return Job{}, err
	}
	p.log.Info("publish: accepted", "job", j.ID, "id", j.Model, "bytes", j.Source.Bytes)
	return j, nil
}

// Job returns a job's current state: from memory for jobs this instance
// runs, else from the store (jobs of other instances, finished jobs).
func (p *Publisher) Job(ctx context.Context, jobID string) (Job, error) {
	if !ValidJobID(jobID) {
		return Job{}, &Error{Status: http.StatusNotFound, Title: "Job not found", Detail: "no job has this id", Err: ErrJobNotFound}
	}
	p.mu.Lock()
	if e, ok := p.jobs[jobID]; ok {
		j := e.job
		p.mu.Unlock()
		return j, nil
	}
	p.mu.Unlock()
	data, err := p.get(ctx, jobKey(jobID), maxRecordBytes)
	if errors.Is(err, cache.ErrNotFound) {
		return Job{}, &Error{Status: http.StatusNotFound, Title: "Job not found", Detail: "no job has this id", Err: ErrJobNotFound}
	}
	if err != nil {
		return Job{}, storeError("read job", err)
	}
	j, err := decodeJob(data)
	if err != nil {
		return Job{}, fmt.Errorf("publish: job %s: %w", jobID, err)
	}
	return *j, nil
}

// Wait blocks until a job this instance runs is done or failed, or ctx
// ends, and returns its state then. For other jobs it returns at once.
func (p *Publisher) Wait(ctx context.Context, jobID string) (Job, error) {
	p.mu.Lock()
	e, ok := p.jobs[jobID]
	p.mu.Unlock()
	if ok {
		select {
		case <-e.done:
		case <-ctx.Done():
		}
	}
	return p.Job(context.WithoutCancel(ctx), jobID)
}

// Idle blocks until no job is queued, running or waiting to retry.
func (p *Publisher) Idle(ctx context.Context) error {
	p.mu.Lock()
	if p.busy == 0 {
		p.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	p.idle = append(p.idle, ch)
	p.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the workers. Running bakes are cancelled; their jobs stay
// recorded as running and are resumed by the next Start.
func (p *Publisher) Close() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
}

func (p *Publisher) worker() {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.closed {
			p.cond.Wait()
		}
		if p.closed {
			p.mu.Unlock()
			return
		}
		id := p.queue[0]
		p.queue = p.queue[1:]
		j := p.jobs[id].job
		p.mu.Unlock()
		p.runQueued(j)
	}
}

// runQueued runs one attempt of a queued job and decides what follows.
func (p *Publisher) runQueued(j Job) {
	err := p.execute(p.ctx, &j)
	if p.ctx.Err() != nil {
		// Closing: the record says queued or running, the next Start resumes.
		return
	}
	if err != nil && retryable(err) && j.Attempts < p.cfg.Attempts {
		j.State = Queued
		p.saveJob(p.ctx, &j)
		p.update(j)
		wait := p.cfg.RetryBackoff << (j.Attempts - 1)
		p.log.Warn("publish: job attempt failed, retrying", "job", j.ID, "attempt", j.Attempts, "in", wait.String(), "err", err)
		time.AfterFunc(wait, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if !p.closed {
				p.queue = append(p.queue, j.ID)
				p.cond.Signal()
			}
		})
		return
	}
	if err != nil {
		p.fail(&j, err)
		p.saveJob(p.ctx, &j)
	}
	p.finish(j)
}

// update publishes a job's new state to Job and Wait callers.
func (p *Publisher) update(j Job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.jobs[j.ID]; ok {
		e.job = j
	}
}

// finish retires a terminal job.
func (p *Publisher) finish(j Job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.jobs[j.ID]
	if !ok {
		return
	}
	e.job = j
	delete(p.jobs, j.ID)
	close(e.done)
	p.busy--
	if p.busy == 0 {
		for _, ch := range p.idle {
			close(ch)
		}
		p.idle = nil
	}
}

// fail marks j failed with err's public message.
func (p *Publisher) fail(j *Job, err error) {
	pe := AsError(err)
	now := p.now()
	j.State = Failed
	j.Finished = &now
	j.Error = &JobError{Status: pe.Status, Title: pe.Title, Detail: pe.Detail}
	if j.Started != nil {
		j.Timings.TotalMS = ms(now.Sub(j.Uploaded))
	}
	p.log.Warn("publish: job failed", "job", j.ID, "id", j.Model, "status", pe.Status, "err", err)
}

// saveJob writes a job record; a failure is logged: the job then runs again
// after a restart, which is harmless.
func (p *Publisher) saveJob(ctx context.Context, j *Job) {
	if err := p.put(ctx, jobKey(j.ID), encodeJob(j), "application/json"); err != nil {
		p.log.Warn("publish: saving a job record failed", "job", j.ID, "err", err)
	}
}

// lock returns the mutex that serializes pointer updates of model id here.
func (p *Publisher) lock(id string) *sync.Mutex {
	return &p.locks[maphash.String(p.seed, id)%uint64(len(p.locks))]
}
