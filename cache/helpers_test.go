package cache_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/fsstore"
	"github.com/strata3d/strata/cache/storetest"
)

const testChunk = 4096

// errStoreDown is what testStore returns while failing.
var errStoreDown = errors.New("store is down")

// testStore wraps a real fsstore with counters and switches that make it
// fail, hang, panic or wait at a gate, as a remote store can.
type testStore struct {
	cache.Store
	gets, stats atomic.Int64

	fail  atomic.Bool // Stat and Get return errStoreDown
	hang  atomic.Bool // Stat and Get block until their context ends
	panic atomic.Bool // Stat and Get panic

	mu       sync.Mutex
	getGate  chan struct{} // when non-nil, Get waits for it to close
	statGate chan struct{} // when non-nil, Stat waits for it to close
	entered  chan string   // receives "get"/"stat" when a call reaches its gate
	ranges   []cache.ByteRange
	rangeCh  chan cache.ByteRange // receives every Get's range
	getErrs  []error              // what each gated Get saw from its context
}

func newTestStore(s cache.Store) *testStore {
	return &testStore{Store: s, entered: make(chan string, 1000), rangeCh: make(chan cache.ByteRange, 1000)}
}

// gate makes Get (op "get") or Stat (op "stat") wait until the returned
// function is called.
func (s *testStore) gate(op string) (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	if op == "get" {
		s.getGate = ch
	} else {
		s.statGate = ch
	}
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if op == "get" {
				s.getGate = nil
			} else {
				s.statGate = nil
			}
			s.mu.Unlock()
			close(ch)
		})
	}
}

func (s *testStore) trouble(ctx context.Context, op string) error {
	if s.panic.Load() {
		panic("testStore: " + op + " panics")
	}
	if s.fail.Load() {
		return errStoreDown
	}
	if s.hang.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	s.mu.Lock()
	gate := s.statGate
	if op == "get" {
		gate = s.getGate
	}
	s.mu.Unlock()
	if gate != nil {
		select {
		case s.entered <- op:
		default:
		}
		select {
		case <-gate:
		case <-ctx.Done():
		}
		if op == "get" {
			s.mu.Lock()
			s.getErrs = append(s.getErrs, ctx.Err())
			s.mu.Unlock()
		}
		return ctx.Err()
	}
	return nil
}

func (s *testStore) Stat(ctx context.Context, key string) (cache.ObjectInfo, error) {
	s.stats.Add(1)
	if err := s.trouble(ctx, "stat"); err != nil {
		return cache.ObjectInfo{}, err
	}
	return s.Store.Stat(ctx, key)
}

func (s *testStore) Get(ctx context.Context, key string, r cache.ByteRange, opts cache.GetOptions) (*cache.Object, error) {
	s.gets.Add(1)
	s.mu.Lock()
	s.ranges = append(s.ranges, r)
	s.mu.Unlock()
	select {
	case s.rangeCh <- r:
	default: // nobody is watching; benchmarks make many GETs
	}
	if err := s.trouble(ctx, "get"); err != nil {
		return nil, err
	}
	return s.Store.Get(ctx, key, r, opts)
}

// fakeClock is a tier clock that moves only when told to.
type fakeClock struct {
	base   time.Time
	offset atomic.Int64
}

func (c *fakeClock) Now() time.Time          { return c.base.Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

type fixture struct {
	tier  *cache.Tier
	store *testStore
	fs    *fsstore.Store
	clock *fakeClock
	reg   *prometheus.Registry
}

func testConfig() cache.Config {
	cfg := cache.DefaultConfig()
	cfg.MaxBytes = 64 << 20
	cfg.ChunkSize = testChunk
	cfg.MetaTTL = 5 * time.Second
	cfg.NegativeTTL = 2 * time.Second
	cfg.StaleIfError = time.Hour
	cfg.StoreTimeout = 10 * time.Second
	return cfg
}

func newFixture(tb testing.TB, cfg cache.Config) *fixture {
	tb.Helper()
	fs, err := fsstore.New(filepath.Join(tb.TempDir(), "store"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { fs.Close() })
	f := &fixture{store: newTestStore(fs), fs: fs, clock: &fakeClock{base: time.Now()}, reg: prometheus.NewRegistry()}
	f.tier, err = cache.New(f.store, cfg, slog.New(slog.DiscardHandler), f.reg)
	if err != nil {
		tb.Fatalf("cache.New: %v", err)
	}
	cache.SetClock(f.tier, f.clock.Now)
	tb.Cleanup(f.tier.Close)
	return f
}

// put writes an object straight to the store, behind the tier's back.
func (f *fixture) put(tb testing.TB, key string, data []byte) {
	tb.Helper()
	storetest.MustPut(tb, f.fs, key, data)
}

func (f *fixture) mustStat(tb testing.TB, key string) (*cache.Meta, cache.Outcome) {
	tb.Helper()
	m, o, err := f.tier.Stat(context.Background(), key)
	if err != nil {
		tb.Fatalf("Stat(%q): %v", key, err)
	}
	return m, o
}

func join(parts [][]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func readAll(tb testing.TB, r io.ReadCloser) []byte {
	tb.Helper()
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("reading: %v", err)
	}
	return data
}

// waitFor receives from ch, failing the test if nothing arrives in time.
// (A guard against hanging, not a way of waiting for async work.)
func waitFor[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		tb.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
