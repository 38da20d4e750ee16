package cache

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Instrument wraps s so that every operation is timed in
// strata_store_operation_seconds{op} and every failure counted in
// strata_store_errors_total{op}. Answers that are outcomes rather than
// failures (ErrNotFound, ErrNotModified, ErrPreconditionFailed,
// ErrInvalidKey, a caller's cancellation) are not counted as errors; a failing body read counts under
// op "get". With a nil reg, s is returned unchanged. Wrapping several stores
// on one registry shares the metrics.
func Instrument(s Store, reg prometheus.Registerer) Store {
	if reg == nil {
		return s
	}
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "strata_store_operation_seconds",
		Help: "Latency of object store operations, by operation (a get until its body starts).",
		// 0.5 ms to ~16 s: local disks sit at the bottom, S3 in the middle,
		// timeouts at the top.
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"op"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "strata_store_errors_total",
		Help: "Failed object store operations, by operation.",
	}, []string{"op"})
	dur = registerOrReuse(reg, dur)
	errs = registerOrReuse(reg, errs)
	i := &instrumented{s: s, errs: errs, dur: map[string]prometheus.Observer{}}
	for _, op := range []string{"stat", "get", "put", "delete", "list", "ping"} {
		i.dur[op] = dur.WithLabelValues(op)
		errs.WithLabelValues(op) // export zeros, so rates work from the start
	}
	return i
}

func registerOrReuse[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		// A conflicting collector under our name: keep working unexported.
	}
	return c
}

type instrumented struct {
	s    Store
	dur  map[string]prometheus.Observer
	errs *prometheus.CounterVec
}

func (i *instrumented) done(op string, start time.Time, err error) {
	i.dur[op].Observe(time.Since(start).Seconds())
	i.count(op, err)
}

func (i *instrumented) count(op string, err error) {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotModified) ||
		errors.Is(err, ErrPreconditionFailed) || errors.Is(err, ErrInvalidKey) || errors.Is(err, context.Canceled) {
		return
	}
	i.errs.WithLabelValues(op).Inc()
}

func (i *instrumented) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	start := time.Now()
	info, err := i.s.Stat(ctx, key)
	i.done("stat", start, err)
	return info, err
}

func (i *instrumented) Get(ctx context.Context, key string, r ByteRange, opts GetOptions) (*Object, error) {
	start := time.Now()
	obj, err := i.s.Get(ctx, key, r, opts)
	i.done("get", start, err)
	if err == nil {
		obj.Body = &countingBody{ReadCloser: obj.Body, i: i}
	}
	return obj, err
}

// OpenFile forwards to the wrapped store (see FileOpener), timed as a get:
// it is the start of a read. A store without local files is not a failure.
func (i *instrumented) OpenFile(ctx context.Context, key, etag string) (*os.File, error) {
	start := time.Now()
	f, err := OpenFile(ctx, i.s, key, etag)
	if errors.Is(err, ErrNoFile) {
		return nil, err
	}
	i.done("get", start, err)
	return f, err
}

// countingBody counts a body that fails mid-read as a failed get.
type countingBody struct {
	io.ReadCloser
	i      *instrumented
	failed bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && !b.failed {
		b.failed = true
		b.i.count("get", err)
	}
	return n, err
}

func (i *instrumented) Put(ctx context.Context, key string, body io.Reader, size int64, opts PutOptions) (ObjectInfo, error) {
	start := time.Now()
	info, err := i.s.Put(ctx, key, body, size, opts)
	i.done("put", start, err)
	return info, err
}

func (i *instrumented) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := i.s.Delete(ctx, key)
	i.done("delete", start, err)
	return err
}

func (i *instrumented) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	start := time.Now()
	var fnErr error
	err := i.s.List(ctx, prefix, func(info ObjectInfo) error {
		fnErr = fn(info)
		return fnErr
	})
	// The callback's own error stops a listing; it is not a store failure.
	if fnErr != nil && errors.Is(err, fnErr) {
		i.dur["list"].Observe(time.Since(start).Seconds())
	} else {
		i.done("list", start, err)
	}
	return err
}

func (i *instrumented) Ping(ctx context.Context) error {
	start := time.Now()
	err := i.s.Ping(ctx)
	i.done("ping", start, err)
	return err
}
