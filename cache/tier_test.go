package cache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/storetest"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		modify  func(*cache.Config)
		wantErr []string // substrings; nil means valid
	}{
		{"default", func(*cache.Config) {}, nil},
		{"zero TTLs are allowed", func(c *cache.Config) { c.MetaTTL, c.NegativeTTL, c.StaleIfError = 0, 0, 0 }, nil},
		{"explicit counters", func(c *cache.Config) { c.NumCounters = 1e6 }, nil},
		{"chunk bigger than budget still streams", func(c *cache.Config) { c.MaxBytes = 8 << 10; c.ChunkSize = 1 << 20 }, nil},
		{"no memory", func(c *cache.Config) { c.MaxBytes = 0 }, []string{"MaxBytes"}},
		{"tiny chunk", func(c *cache.Config) { c.ChunkSize = 100 }, []string{"ChunkSize"}},
		{"huge chunk", func(c *cache.Config) { c.ChunkSize = 1 << 30 }, []string{"ChunkSize"}},
		{"negative TTLs", func(c *cache.Config) { c.MetaTTL, c.NegativeTTL, c.StaleIfError = -1, -1, -1 }, []string{"MetaTTL", "NegativeTTL", "StaleIfError"}},
		{"no timeout", func(c *cache.Config) { c.StoreTimeout = 0 }, []string{"StoreTimeout"}},
		{"negative counters", func(c *cache.Config) { c.NumCounters = -1 }, []string{"NumCounters"}},
		{"everything wrong", func(c *cache.Config) { *c = cache.Config{ChunkSize: 1, NumCounters: -5} }, []string{"MaxBytes", "ChunkSize", "StoreTimeout", "NumCounters"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := cache.DefaultConfig()
			tc.modify(&cfg)
			err := cfg.Validate()
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors about %v", tc.wantErr)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %q, missing %q", err, want)
				}
			}
			if _, newErr := cache.New(newTestStore(nil), cfg, nil, nil); newErr == nil {
				t.Errorf("New accepted an invalid Config")
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := cache.DefaultConfig()
	if cfg.MaxBytes < 64<<20 {
		t.Errorf("default MaxBytes = %d, implausibly small", cfg.MaxBytes)
	}
	if cfg.ChunkSize != 1<<20 || cfg.MetaTTL != 5*time.Second || cfg.NegativeTTL != 2*time.Second ||
		cfg.StaleIfError != 24*time.Hour || cfg.StoreTimeout != 10*time.Second || !cfg.ReadAhead {
		t.Errorf("DefaultConfig() = %+v, differs from the documented defaults", cfg)
	}
}

func TestParseMemTotal(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
	}{
		{"linux", "MemTotal:       16318412 kB\nMemFree:         1234 kB\n", 16318412 << 10},
		{"not first", "Foo: 1 kB\nMemTotal: 1024 kB\n", 1 << 20},
		{"missing", "MemFree: 1 kB\n", 0},
		{"bad unit", "MemTotal: 1024 MB\n", 0},
		{"garbage", "MemTotal: lots kB\n", 0},
		{"empty", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cache.ParseMemTotal([]byte(tc.in)); got != tc.want {
				t.Errorf("parseMemTotal = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestOutcomeString(t *testing.T) {
	tests := []struct {
		o    cache.Outcome
		want string
	}{
		{cache.Hit, "hit"}, {cache.Miss, "miss"}, {cache.Revalidated, "revalidated"},
		{cache.Stale, "stale"}, {cache.NegativeHit, "negative-hit"}, {cache.Outcome(0), "Outcome(0)"},
	}
	for _, tc := range tests {
		if got := tc.o.String(); got != tc.want {
			t.Errorf("Outcome(%d).String() = %q, want %q", tc.o, got, tc.want)
		}
	}
}

func TestNewMeta(t *testing.T) {
	mod := time.Date(2024, 3, 1, 12, 30, 45, 123, time.FixedZone("X", 3600))
	m := cache.NewMeta(cache.ObjectInfo{Key: "a", ETag: "abc", ModTime: mod})
	if m.QuotedETag != `"abc"` {
		t.Errorf("QuotedETag = %s", m.QuotedETag)
	}
	if want := "Fri, 01 Mar 2024 11:30:45 GMT"; m.LastModified != want {
		t.Errorf("LastModified = %q, want %q", m.LastModified, want)
	}
}

func TestStatAndReadSmallObject(t *testing.T) {
	f := newFixture(t, testConfig())
	data := storetest.Pattern(1000, 1)
	f.put(t, "small.glb", data)

	m, o := f.mustStat(t, "small.glb")
	if o != cache.Miss || m.Size != 1000 || m.ETag != storetest.ETagOf(data) || m.QuotedETag != `"`+m.ETag+`"` || m.LastModified == "" {
		t.Fatalf("first Stat = %+v, %v", m, o)
	}
	if m2, o := f.mustStat(t, "small.glb"); o != cache.Hit || m2 != m {
		t.Errorf("second Stat = %p %v, want the same Meta as a hit", m2, o)
	}
	for i, want := range []cache.Outcome{cache.Miss, cache.Hit} {
		parts, o, err := f.tier.Read(t.Context(), m, 0, m.Size)
		if err != nil {
			t.Fatal(err)
		}
		if o != want || len(parts) != 1 || !bytes.Equal(parts[0], data) {
			t.Errorf("Read #%d: outcome %v, %d parts; want %v and the object in one part", i, o, len(parts), want)
		}
	}
	if n := f.store.stats.Load(); n != 1 {
		t.Errorf("store Stats = %d, want 1", n)
	}
	if n := f.store.gets.Load(); n != 1 {
		t.Errorf("store Gets = %d, want 1", n)
	}
	st := f.tier.Stats()
	if st.MetaHits != 1 || st.MetaMisses != 1 || st.ChunkHits != 1 || st.ChunkMisses != 1 || st.StoreGets["ok"] != 1 || st.BytesFetched != 1000 {
		t.Errorf("Stats = %+v", st)
	}
	if st.BytesCached != 1000 {
		t.Errorf("BytesCached = %d, want 1000", st.BytesCached)
	}
}

func TestReadRanges(t *testing.T) {
	const size = 3*testChunk + 1000
	data := storetest.Pattern(size, 2)
	tests := []struct {
		name    string
		off, n  int64
		fetches int64 // chunk GETs on a cold cache
	}{
		{"inside one chunk", 100, 200, 1},
		{"whole first chunk", 0, testChunk, 1},
		{"first byte", 0, 1, 1},
		{"across two chunks", testChunk - 10, 20, 2},
		{"across three chunks", testChunk - 10, testChunk + 20, 3},
		{"exactly chunks two and three", testChunk, 2 * testChunk, 2},
		{"last partial chunk", 3 * testChunk, 1000, 1},
		{"inside last partial chunk", 3*testChunk + 10, 500, 1},
		{"last byte", size - 1, 1, 1},
		{"into last partial chunk", 2*testChunk + 5, testChunk + 100, 2},
		{"whole object", 0, size, 4},
		{"zero length", 500, 0, 0},
		{"zero length at end", size, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := data[tc.off : tc.off+tc.n]
			f := newFixture(t, testConfig())
			f.put(t, "obj.glb", data)
			m, _ := f.mustStat(t, "obj.glb")
			for _, pass := range []string{"cold", "warm"} {
				parts, _, err := f.tier.Read(t.Context(), m, tc.off, tc.n)
				if err != nil {
					t.Fatalf("%s Read: %v", pass, err)
				}
				if got := join(parts); !bytes.Equal(got, want) {
					t.Errorf("%s Read returned %d bytes in %d parts, want %d bytes", pass, len(got), len(parts), len(want))
				}
			}
			if n := f.store.gets.Load(); n != tc.fetches {
				t.Errorf("store Gets = %d, want %d (only touched chunks, once)", n, tc.fetches)
			}

			f2 := newFixture(t, testConfig())
			f2.put(t, "obj.glb", data)
			m2, _ := f2.mustStat(t, "obj.glb")
			if got := readAll(t, f2.tier.NewReader(t.Context(), m2, tc.off, tc.n)); !bytes.Equal(got, want) {
				t.Errorf("NewReader returned %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

func TestReadInvalidRange(t *testing.T) {
	f := newFixture(t, testConfig())
	f.put(t, "obj", storetest.Pattern(100, 3))
	m, _ := f.mustStat(t, "obj")
	tests := []struct {
		name   string
		m      *cache.Meta
		off, n int64
	}{
		{"negative offset", m, -1, 10},
		{"negative length", m, 0, -1},
		{"past end", m, 50, 51},
		{"offset past end", m, 101, 0},
		{"nil meta", nil, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := f.tier.Read(t.Context(), tc.m, tc.off, tc.n); err == nil {
				t.Errorf("Read succeeded")
			}
			if _, err := io.ReadAll(f.tier.NewReader(t.Context(), tc.m, tc.off, tc.n)); err == nil {
				t.Errorf("NewReader succeeded")
			}
		})
	}
}

// TestConcurrentMissesCollapse has 200 readers ask for one uncached chunk at
// once: the store must see exactly one GET.
func TestConcurrentMissesCollapse(t *testing.T) {
	f := newFixture(t, testConfig())
	data := storetest.Pattern(3*testChunk, 4)
	f.put(t, "hot.glb", data)
	m, _ := f.mustStat(t, "hot.glb")
	release := f.store.gate("get")

	const readers = 200
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		wg.Go(func() {
			parts, _, err := f.tier.Read(context.Background(), m, testChunk+10, 100)
			if err != nil {
				errs <- err
				return
			}
			if got := join(parts); !bytes.Equal(got, data[testChunk+10:testChunk+110]) {
				errs <- fmt.Errorf("wrong bytes")
			}
		})
	}
	waitFor(t, f.store.entered, "the first GET")
	// Let every reader reach the flight before the GET completes; the
	// tier counts a miss just before joining it.
	deadline := time.Now().Add(10 * time.Second)
	for f.tier.Stats().ChunkMisses < readers && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.store.gets.Load(); n != 1 {
		t.Errorf("store Gets = %d for %d concurrent readers, want 1", n, readers)
	}
	st := f.tier.Stats()
	t.Logf("collapsed %d, hits %d, misses %d", st.ChunkCollapsed, st.ChunkHits, st.ChunkMisses)
	if st.ChunkCollapsed == 0 {
		t.Errorf("no reader was counted as a collapsed waiter")
	}
}

func TestIdenticalBytesShareChunks(t *testing.T) {
	f := newFixture(t, testConfig())
	data := storetest.Pattern(2*testChunk, 5)
	f.put(t, "a.glb", data)
	f.put(t, "copies/b.glb", data)
	ma, _ := f.mustStat(t, "a.glb")
	mb, _ := f.mustStat(t, "copies/b.glb")
	for _, m := range []*cache.Meta{ma, mb} {
		parts, _, err := f.tier.Read(t.Context(), m, 0, m.Size)
		if err != nil || !bytes.Equal(join(parts), data) {
			t.Fatalf("Read(%s): %v", m.Key, err)
		}
	}
	if n := f.store.gets.Load(); n != 2 {
		t.Errorf("store Gets = %d, want 2 (one per chunk, shared by both keys)", n)
	}
}

// TestChangedObjectNeverMixes overwrites an object between two chunk reads:
// the second read must fail with ErrChanged rather than return new bytes
// for an old Meta, and a fresh Stat must then give the new version.
func TestChangedObjectNeverMixes(t *testing.T) {
	f := newFixture(t, testConfig())
	old := storetest.Pattern(3*testChunk, 6)
	updated := storetest.Pattern(3*testChunk, 7)
	f.put(t, "obj.glb", old)
	m, _ := f.mustStat(t, "obj.glb")
	parts, _, err := f.tier.Read(t.Context(), m, 0, testChunk)
	if err != nil || !bytes.Equal(join(parts), old[:testChunk]) {
		t.Fatalf("first chunk: %v", err)
	}

	f.put(t, "obj.glb", updated)
	_, _, err = f.tier.Read(t.Context(), m, 0, m.Size)
	if !errors.Is(err, cache.ErrChanged) {
		t.Fatalf("Read after overwrite: error = %v, want ErrChanged", err)
	}
	// A stream over the old Meta fails the same way.
	if _, err := io.ReadAll(f.tier.NewReader(t.Context(), m, 0, m.Size)); !errors.Is(err, cache.ErrChanged) {
		t.Errorf("NewReader after overwrite: error = %v, want ErrChanged", err)
	}

	m2, o := f.mustStat(t, "obj.glb")
	if m2.ETag != storetest.ETagOf(updated) || o != cache.Miss {
		t.Fatalf("Stat after ErrChanged: ETag %s (%v), want the new version from the store", m2.ETag, o)
	}
	parts, _, err = f.tier.Read(t.Context(), m2, 0, m2.Size)
	if err != nil || !bytes.Equal(join(parts), updated) {
		t.Fatalf("Read of the new version: %v", err)
	}

	// Deleted between Stat and Read: also ErrChanged, then not found.
	if err := f.fs.Delete(t.Context(), "obj.glb"); err != nil {
		t.Fatal(err)
	}
	f.tier.Invalidate("never-cached") // harmless
	m3 := &cache.Meta{ObjectInfo: m2.ObjectInfo}
	m3.ETag = storetest.ETagOf([]byte("some other version"))
	if _, _, err := f.tier.Read(t.Context(), m3, 0, 10); !errors.Is(err, cache.ErrChanged) {
		t.Errorf("Read of a deleted object: error = %v, want ErrChanged", err)
	}
	if _, _, err := f.tier.Stat(t.Context(), "obj.glb"); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Stat after delete: error = %v, want ErrNotFound", err)
	}
}

func TestRevalidation(t *testing.T) {
	f := newFixture(t, testConfig())
	v1 := storetest.Pattern(2*testChunk, 8)
	f.put(t, "obj.glb", v1)
	m, _ := f.mustStat(t, "obj.glb")
	if _, _, err := f.tier.Read(t.Context(), m, 0, m.Size); err != nil {
		t.Fatal(err)
	}
	gets := f.store.gets.Load()

	f.clock.Advance(6 * time.Second)
	m2, o := f.mustStat(t, "obj.glb")
	if o != cache.Revalidated || m2 != m {
		t.Fatalf("Stat after TTL = %v (same Meta: %v), want revalidated, unchanged", o, m2 == m)
	}
	if _, o := f.mustStat(t, "obj.glb"); o != cache.Hit {
		t.Errorf("Stat right after revalidation = %v, want hit", o)
	}
	parts, o, err := f.tier.Read(t.Context(), m2, 0, m2.Size)
	if err != nil || o != cache.Hit || !bytes.Equal(join(parts), v1) {
		t.Fatalf("Read after unchanged revalidation: %v, %v", o, err)
	}
	if n := f.store.gets.Load(); n != gets {
		t.Errorf("unchanged revalidation re-fetched chunks: %d GETs, want %d", n, gets)
	}

	v2 := storetest.Pattern(testChunk+5, 9)
	f.put(t, "obj.glb", v2)
	if _, o := f.mustStat(t, "obj.glb"); o != cache.Hit {
		t.Errorf("Stat within TTL after a change = %v, want hit (the TTL is the staleness bound)", o)
	}
	f.clock.Advance(6 * time.Second)
	m3, o := f.mustStat(t, "obj.glb")
	if o != cache.Revalidated || m3.ETag != storetest.ETagOf(v2) || m3.Size != int64(len(v2)) {
		t.Fatalf("Stat after change = %v %+v, want revalidated with the new version", o, m3.ObjectInfo)
	}
	parts, _, err = f.tier.Read(t.Context(), m3, 0, m3.Size)
	if err != nil || !bytes.Equal(join(parts), v2) {
		t.Fatalf("Read of the new version: %v", err)
	}

	if err := f.fs.Delete(t.Context(), "obj.glb"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(6 * time.Second)
	if _, _, err := f.tier.Stat(t.Context(), "obj.glb"); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Stat after delete and TTL: error = %v, want ErrNotFound", err)
	}
	if _, o, err := f.tier.Stat(t.Context(), "obj.glb"); o != cache.NegativeHit || !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("next Stat = %v, %v; want a negative hit", o, err)
	}
	st := f.tier.Stats()
	want := map[string]uint64{"unchanged": 1, "changed": 1, "gone": 1, "error": 0}
	for k, v := range want {
		if st.Revalidations[k] != v {
			t.Errorf("Revalidations[%s] = %d, want %d", k, st.Revalidations[k], v)
		}
	}
}

// TestOneRevalidatorAtATime holds the revalidating Stat inside the store and
// checks that other callers meanwhile get the cached Meta without waiting.
func TestOneRevalidatorAtATime(t *testing.T) {
	f := newFixture(t, testConfig())
	f.put(t, "obj.glb", []byte("v1"))
	m, _ := f.mustStat(t, "obj.glb")
	f.clock.Advance(6 * time.Second)

	release := f.store.gate("stat")
	done := make(chan cache.Outcome)
	go func() {
		_, o, _ := f.tier.Stat(context.Background(), "obj.glb")
		done <- o
	}()
	waitFor(t, f.store.entered, "the revalidating Stat")
	for range 10 {
		m2, o := f.mustStat(t, "obj.glb")
		if m2 != m || o != cache.Hit {
			t.Fatalf("Stat during revalidation = %v, want the cached Meta as a hit", o)
		}
	}
	release()
	if o := waitFor(t, done, "the revalidation"); o != cache.Revalidated {
		t.Errorf("revalidating Stat = %v", o)
	}
	if n := f.store.stats.Load(); n != 2 {
		t.Errorf("store Stats = %d, want 2 (first fetch, one revalidation)", n)
	}
}

func TestNegativeCaching(t *testing.T) {
	f := newFixture(t, testConfig())
	_, o, err := f.tier.Stat(t.Context(), "missing.glb")
	if !errors.Is(err, cache.ErrNotFound) || o != cache.Miss {
		t.Fatalf("first Stat = %v, %v; want a miss with ErrNotFound", o, err)
	}
	for range 3 {
		if _, o, err := f.tier.Stat(t.Context(), "missing.glb"); !errors.Is(err, cache.ErrNotFound) || o != cache.NegativeHit {
			t.Fatalf("Stat = %v, %v; want a negative hit", o, err)
		}
	}
	f.put(t, "missing.glb", []byte("here now"))
	if _, o, _ := f.tier.Stat(t.Context(), "missing.glb"); o != cache.NegativeHit {
		t.Errorf("Stat within NegativeTTL = %v, want a negative hit", o)
	}
	if n := f.store.stats.Load(); n != 1 {
		t.Errorf("store Stats = %d, want 1", n)
	}
	f.clock.Advance(3 * time.Second)
	m, o := f.mustStat(t, "missing.glb")
	if m.Size != 8 || o != cache.Miss {
		t.Errorf("Stat after NegativeTTL = %v %+v, want the new object", o, m.ObjectInfo)
	}
	if st := f.tier.Stats(); st.NegativeHits != 4 {
		t.Errorf("NegativeHits = %d, want 4", st.NegativeHits)
	}
}

func TestInvalidKeysAreNotCached(t *testing.T) {
	f := newFixture(t, testConfig())
	for _, key := range []string{"", "../etc/passwd", "a//b", `a\b`} {
		if _, _, err := f.tier.Stat(t.Context(), key); !errors.Is(err, cache.ErrInvalidKey) {
			t.Errorf("Stat(%q) error = %v, want ErrInvalidKey", key, err)
		}
	}
	if n := f.store.stats.Load(); n != 0 {
		t.Errorf("invalid keys reached the store %d times", n)
	}
}

func TestInvalidate(t *testing.T) {
	f := newFixture(t, testConfig())
	f.put(t, "obj.glb", []byte("v1"))
	f.mustStat(t, "obj.glb")
	f.put(t, "obj.glb", []byte("v2!"))
	f.tier.Invalidate("obj.glb")
	m, o := f.mustStat(t, "obj.glb")
	if o != cache.Miss || m.Size != 3 {
		t.Errorf("Stat after Invalidate = %v, size %d; want a miss with the new version", o, m.Size)
	}
}

// TestStaleIfError serves expired but cached content while the store fails,
// up to MetaTTL+StaleIfError, and answers ErrUnavailable otherwise.
func TestStaleIfError(t *testing.T) {
	f := newFixture(t, testConfig())
	data := storetest.Pattern(2*testChunk, 10)
	f.put(t, "cached.glb", data)
	f.put(t, "uncached.glb", data[:10])
	m, _ := f.mustStat(t, "cached.glb")
	if _, _, err := f.tier.Read(t.Context(), m, 0, m.Size); err != nil {
		t.Fatal(err)
	}

	f.store.fail.Store(true)
	f.clock.Advance(6 * time.Second)
	for i := range 3 {
		m2, o, err := f.tier.Stat(t.Context(), "cached.glb")
		if err != nil || o != cache.Stale || m2 != m {
			t.Fatalf("Stat #%d with failing store = %v, %v; want the cached Meta as stale", i, o, err)
		}
		parts, o, err := f.tier.Read(t.Context(), m2, 0, m2.Size)
		if err != nil || o != cache.Hit || !bytes.Equal(join(parts), data) {
			t.Fatalf("Read with failing store: %v, %v", o, err)
		}
	}
	if st := f.tier.Stats(); st.StaleServes != 3 || st.Revalidations["error"] != 1 {
		t.Errorf("StaleServes = %d, failed revalidations = %d; want 3 and 1 (retries are spaced out)", st.StaleServes, st.Revalidations["error"])
	}

	if _, _, err := f.tier.Stat(t.Context(), "uncached.glb"); !errors.Is(err, cache.ErrUnavailable) || !errors.Is(err, errStoreDown) {
		t.Errorf("Stat of uncached key with failing store: error = %v, want ErrUnavailable wrapping the store error", err)
	}
	f.clock.Advance(2 * time.Second) // past the retry spacing
	if _, o, _ := f.tier.Stat(t.Context(), "cached.glb"); o != cache.Stale {
		t.Errorf("Stat after the retry interval = %v, want stale", o)
	}
	if st := f.tier.Stats(); st.Revalidations["error"] != 2 {
		t.Errorf("failed revalidations = %d, want 2", st.Revalidations["error"])
	}

	f.clock.Advance(time.Hour)
	if _, _, err := f.tier.Stat(t.Context(), "cached.glb"); !errors.Is(err, cache.ErrUnavailable) {
		t.Errorf("Stat past MetaTTL+StaleIfError: error = %v, want ErrUnavailable", err)
	}

	// The store recovers: fresh answers again.
	f.store.fail.Store(false)
	if _, o := f.mustStat(t, "cached.glb"); o != cache.Revalidated {
		t.Errorf("Stat after recovery = %v, want revalidated", o)
	}
	if _, o := f.mustStat(t, "cached.glb"); o != cache.Hit {
		t.Errorf("Stat after recovery = %v, want hit", o)
	}
}

func TestUncachedChunkWithFailingStore(t *testing.T) {
	f := newFixture(t, testConfig())
	f.put(t, "obj.glb", storetest.Pattern(2*testChunk, 11))
	m, _ := f.mustStat(t, "obj.glb")
	f.store.fail.Store(true)
	if _, _, err := f.tier.Read(t.Context(), m, 0, m.Size); !errors.Is(err, cache.ErrUnavailable) {
		t.Errorf("Read with failing store: error = %v, want ErrUnavailable", err)
	}
	if st := f.tier.Stats(); st.StoreGets["error"] == 0 {
		t.Errorf("failed GETs not counted: %+v", st.StoreGets)
	}
}

// TestHangingStore checks that a store that never answers costs a request
// StoreTimeout, then ErrUnavailable.
func TestHangingStore(t *testing.T) {
	cfg := testConfig()
	cfg.StoreTimeout = 50 * time.Millisecond
	f := newFixture(t, cfg)
	f.put(t, "obj.glb", storetest.Pattern(100, 12))
	m, _ := f.mustStat(t, "obj.glb")
	f.store.hang.Store(true)

	_, _, err := f.tier.Stat(t.Context(), "other.glb")
	if !errors.Is(err, cache.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stat with hanging store: error = %v, want ErrUnavailable from the deadline", err)
	}
	_, _, err = f.tier.Read(t.Context(), m, 0, m.Size)
	if !errors.Is(err, cache.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Read with hanging store: error = %v, want ErrUnavailable from the deadline", err)
	}
}

func TestPanickingStore(t *testing.T) {
	f := newFixture(t, testConfig())
	data := storetest.Pattern(testChunk, 13)
	f.put(t, "obj.glb", data)
	m, _ := f.mustStat(t, "obj.glb")
	f.store.panic.Store(true)

	const waiters = 50
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range waiters {
		wg.Go(func() {
			if _, _, err := f.tier.Read(context.Background(), m, 0, m.Size); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != waiters {
		t.Errorf("%d of %d waiters got an error from a panicking fetch", n, waiters)
	}
	if _, _, err := f.tier.Stat(t.Context(), "other.glb"); err == nil || errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Stat with a panicking store: error = %v, want the panic as an error", err)
	}
	if _, err := f.tier.Derived(t.Context(), m, "x", 1<<20, func(b []byte) ([]byte, error) { panic("derive panics") }); err == nil {
		t.Errorf("Derived with a panicking store: no error")
	}

	// Nothing is stuck: once the store behaves, reads work.
	f.store.panic.Store(false)
	parts, _, err := f.tier.Read(t.Context(), m, 0, m.Size)
	if err != nil || !bytes.Equal(join(parts), data) {
		t.Errorf("Read after the panics: %v", err)
	}
	if _, err := f.tier.Derived(t.Context(), m, "x", 1<<20, func(b []byte) ([]byte, error) { panic("derive panics") }); err == nil || !strings.Contains(err.Error(), "derive panics") {
		t.Errorf("Derived whose function panics: error = %v", err)
	}
}

// TestCallerCancellation cancels the caller that started a fetch: it returns
// at once, while the fetch goes on for the other waiter.
func TestCallerCancellation(t *testing.T) {
	f := newFixture(t, testConfig())
	data := storetest.Pattern(testChunk, 14)
	f.put(t, "obj.glb", data)
	m, _ := f.mustStat(t, "obj.glb")
	release := f.store.gate("get")
	defer release()

	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error)
	go func() {
		_, _, err := f.tier.Read(ctxA, m, 0, m.Size)
		errA <- err
	}()
	waitFor(t, f.store.entered, "A's GET")
	resB := make(chan []byte)
	go func() {
		parts, _, err := f.tier.Read(context.Background(), m, 0, m.Size)
		if err != nil {
			t.Errorf("B: %v", err)
		}
		resB <- join(parts)
	}()
	cancelA()
	if err := waitFor(t, errA, "A to give up"); !errors.Is(err, context.Canceled) {
		t.Errorf("A: error = %v, want context.Canceled", err)
	}
	release()
	if got := waitFor(t, resB, "B"); !bytes.Equal(got, data) {
		t.Errorf("B got %d wrong bytes", len(got))
	}
	if n := f.store.gets.Load(); n != 1 {
		t.Errorf("store Gets = %d, want 1", n)
	}
	f.store.mu.Lock()
	defer f.store.mu.Unlock()
	if len(f.store.getErrs) != 1 || f.store.getErrs[0] != nil {
		t.Errorf("the store GET saw context errors %v, want it never canceled", f.store.getErrs)
	}
}

func TestNewReaderReadAhead(t *testing.T) {
	f := newFixture(t, testConfig())
	data := storetest.Pattern(4*testChunk, 15)
	f.put(t, "big.glb", data)
	m, _ := f.mustStat(t, "big.glb")

	r := f.tier.NewReader(t.Context(), m, 10, m.Size-10)
	defer r.Close()
	buf := make([]byte, 1)
	if _, err := io.ReadFull(r, buf); err != nil || buf[0] != data[10] {
		t.Fatalf("first byte: %v", err)
	}
	if got := waitFor(t, f.store.rangeCh, "the first GET"); got.Offset != 0 {
		t.Errorf("first GET at %d", got.Offset)
	}
	// Only one byte consumed, yet the next chunk is already being fetched.
	if got := waitFor(t, f.store.rangeCh, "the read-ahead GET"); got.Offset != testChunk {
		t.Errorf("read-ahead GET at %d, want %d", got.Offset, testChunk)
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, data[11:]) {
		t.Fatalf("rest of stream: %d bytes, %v", len(rest), err)
	}
	if n := f.store.gets.Load(); n != 4 {
		t.Errorf("store Gets = %d, want 4", n)
	}
	if _, err := r.Read(buf); err != io.EOF {
		t.Errorf("Read at end = %v, want EOF", err)
	}
}

func TestNewReaderWithoutReadAhead(t *testing.T) {
	cfg := testConfig()
	cfg.ReadAhead = false
	f := newFixture(t, cfg)
	data := storetest.Pattern(3*testChunk, 16)
	f.put(t, "big.glb", data)
	m, _ := f.mustStat(t, "big.glb")
	r := f.tier.NewReader(t.Context(), m, 0, m.Size)
	buf := make([]byte, 10)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	if n := f.store.gets.Load(); n != 1 {
		t.Errorf("store Gets after the first read = %d, want 1 without read-ahead", n)
	}
	rest := readAll(t, r)
	if !bytes.Equal(append(buf, rest...), data) {
		t.Errorf("stream differs from the object")
	}
}

// TestNewReaderWriteTo streams through io.Copy, which uses WriteTo, and
// streams an object bigger than the whole cache.
func TestNewReaderWriteTo(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBytes = 2 * testChunk
	f := newFixture(t, cfg)
	data := storetest.Pattern(10*testChunk+7, 17)
	f.put(t, "huge.glb", data)
	m, _ := f.mustStat(t, "huge.glb")
	for pass := range 2 {
		var out bytes.Buffer
		r := f.tier.NewReader(t.Context(), m, 3, m.Size-3)
		n, err := io.Copy(&out, r)
		r.Close()
		if err != nil || n != m.Size-3 || !bytes.Equal(out.Bytes(), data[3:]) {
			t.Fatalf("pass %d: copied %d bytes, %v", pass, n, err)
		}
	}
	st := f.tier.Stats()
	if st.BytesCached > cfg.MaxBytes {
		t.Errorf("BytesCached = %d beyond MaxBytes %d", st.BytesCached, cfg.MaxBytes)
	}
	if st.Evictions == 0 {
		t.Errorf("streaming %d chunks through a %d-chunk cache evicted nothing", m.Size/testChunk+1, cfg.MaxBytes/testChunk)
	}
}

func TestChunkLargerThanBudgetStreams(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBytes = testChunk / 2
	f := newFixture(t, cfg)
	data := storetest.Pattern(testChunk, 18)
	f.put(t, "obj.glb", data)
	m, _ := f.mustStat(t, "obj.glb")
	for range 2 {
		parts, o, err := f.tier.Read(t.Context(), m, 0, m.Size)
		if err != nil || o != cache.Miss || !bytes.Equal(join(parts), data) {
			t.Fatalf("Read: %v, %v", o, err)
		}
	}
	if st := f.tier.Stats(); st.BytesCached != 0 {
		t.Errorf("a chunk above MaxBytes was cached: %d bytes", st.BytesCached)
	}
}

func TestNewReaderClose(t *testing.T) {
	f := newFixture(t, testConfig())
	f.put(t, "obj.glb", storetest.Pattern(3*testChunk, 19))
	m, _ := f.mustStat(t, "obj.glb")
	r := f.tier.NewReader(t.Context(), m, 0, m.Size)
	if _, err := r.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 10)); err == nil || err == io.EOF {
		t.Errorf("Read after Close = %v, want an error", err)
	}
}

func TestDerived(t *testing.T) {
	f := newFixture(t, testConfig())
	data := storetest.Pattern(3*testChunk+100, 20)
	f.put(t, "a.glb", data)
	f.put(t, "same-bytes.glb", data)
	m, _ := f.mustStat(t, "a.glb")
	var calls atomic.Int64
	upper := func(in []byte) ([]byte, error) {
		calls.Add(1)
		if !bytes.Equal(in, data) {
			return nil, errors.New("derived function got the wrong input")
		}
		return append([]byte("derived:"), in[:10]...), nil
	}
	want := append([]byte("derived:"), data[:10]...)

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			out, err := f.tier.Derived(context.Background(), m, "test", 1<<20, upper)
			if err != nil || !bytes.Equal(out, want) {
				t.Errorf("Derived = %q, %v", out, err)
			}
		})
	}
	wg.Wait()
	m2, _ := f.mustStat(t, "same-bytes.glb")
	if out, err := f.tier.Derived(t.Context(), m2, "test", 1<<20, upper); err != nil || !bytes.Equal(out, want) {
		t.Errorf("Derived for equal bytes under another key = %q, %v", out, err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("derived function ran %d times, want 1", n)
	}
	if st := f.tier.Stats(); st.DerivedComputes != 1 || st.DerivedHits == 0 {
		t.Errorf("Stats = computes %d, hits %d", st.DerivedComputes, st.DerivedHits)
	}

	if _, err := f.tier.Derived(t.Context(), m, "other", 1<<20, upper); err != nil || calls.Load() != 2 {
		t.Errorf("another name: %v after %d calls, want a second computation", err, calls.Load())
	}
	if _, err := f.tier.Derived(t.Context(), m, "small-only", 100, upper); !errors.Is(err, cache.ErrTooLarge) || calls.Load() != 2 {
		t.Errorf("over maxInput: error = %v after %d calls, want ErrTooLarge without computing", err, calls.Load())
	}

	boom := errors.New("boom")
	var failing atomic.Int64
	fail := func([]byte) ([]byte, error) { failing.Add(1); return nil, boom }
	for range 2 {
		if _, err := f.tier.Derived(t.Context(), m, "failing", 1<<20, fail); !errors.Is(err, boom) {
			t.Errorf("failing function: error = %v, want boom", err)
		}
	}
	if failing.Load() != 2 {
		t.Errorf("failed computation was cached: ran %d times, want 2", failing.Load())
	}

	// A new version gets a new result.
	f.put(t, "a.glb", []byte("version two"))
	f.tier.Invalidate("a.glb")
	m3, _ := f.mustStat(t, "a.glb")
	out, err := f.tier.Derived(t.Context(), m3, "len", 1<<20, func(in []byte) ([]byte, error) { return []byte(string(in)), nil })
	if err != nil || string(out) != "version two" {
		t.Errorf("Derived of the new version = %q, %v", out, err)
	}
}

func TestTierMetrics(t *testing.T) {
	f := newFixture(t, testConfig())
	f.put(t, "obj.glb", storetest.Pattern(100, 21))
	m, _ := f.mustStat(t, "obj.glb")
	f.mustStat(t, "obj.glb")
	f.tier.Read(t.Context(), m, 0, m.Size)
	f.tier.Read(t.Context(), m, 0, m.Size)
	f.tier.Stat(t.Context(), "missing")

	tests := []struct {
		metric string
		labels map[string]string
		want   float64
	}{
		{"strata_cache_hits_total", map[string]string{"kind": "meta"}, 1},
		{"strata_cache_hits_total", map[string]string{"kind": "chunk"}, 1},
		{"strata_cache_misses_total", map[string]string{"kind": "meta"}, 2},
		{"strata_cache_misses_total", map[string]string{"kind": "chunk"}, 1},
		{"strata_cache_store_gets_total", map[string]string{"outcome": "ok"}, 1},
		{"strata_cache_store_stats_total", map[string]string{"outcome": "not_found"}, 1},
		{"strata_cache_store_fetched_bytes_total", nil, 100},
		{"strata_cache_bytes", nil, 100},
	}
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.metric+fmt.Sprint(tc.labels), func(t *testing.T) {
			got, ok := findMetric(families, tc.metric, tc.labels)
			if !ok || got != tc.want {
				t.Errorf("%s%v = %v (found %v), want %v", tc.metric, tc.labels, got, ok, tc.want)
			}
		})
	}
	if len(families) != 11 {
		t.Errorf("gathered %d metric families, want 11", len(families))
	}
	// A second tier cannot register over the first, but can after Close.
	if _, err := cache.New(f.store, testConfig(), nil, f.reg); err == nil {
		t.Errorf("a second tier registered the same metrics")
	}
	f.tier.Close()
	t2, err := cache.New(f.store, testConfig(), nil, f.reg)
	if err != nil {
		t.Fatalf("New after Close: %v", err)
	}
	t2.Close()
}

func TestInstrument(t *testing.T) {
	f := newFixture(t, testConfig())
	reg := prometheus.NewRegistry()
	s := cache.Instrument(f.store, reg)
	if cache.Instrument(f.store, nil) != cache.Store(f.store) {
		t.Errorf("Instrument with a nil registry wrapped the store")
	}
	again := cache.Instrument(f.store, reg) // shares the metrics
	ctx := t.Context()
	storetest.MustPut(t, s, "a.glb", []byte("hello"))
	storetest.MustGet(t, s, "a.glb", cache.All, cache.GetOptions{})
	s.Stat(ctx, "a.glb")
	again.Stat(ctx, "a.glb")
	s.Stat(ctx, "missing")                                                      // not found: not an error
	s.List(ctx, "", func(cache.ObjectInfo) error { return errors.New("stop") }) // callback error: not a store error
	s.Ping(ctx)
	f.store.fail.Store(true)
	s.Stat(ctx, "a.glb")
	s.Get(ctx, "a.glb", cache.All, cache.GetOptions{})
	f.store.fail.Store(false)
	s.Delete(ctx, "a.glb")

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		metric string
		op     string
		want   float64
	}{
		{"strata_store_operation_seconds", "stat", 4},
		{"strata_store_operation_seconds", "get", 2},
		{"strata_store_operation_seconds", "put", 1},
		{"strata_store_operation_seconds", "list", 1},
		{"strata_store_operation_seconds", "ping", 1},
		{"strata_store_operation_seconds", "delete", 1},
		{"strata_store_errors_total", "stat", 1},
		{"strata_store_errors_total", "get", 1},
		{"strata_store_errors_total", "list", 0},
		{"strata_store_errors_total", "put", 0},
	}
	for _, tc := range tests {
		got, ok := findMetric(families, tc.metric, map[string]string{"op": tc.op})
		if !ok || got != tc.want {
			t.Errorf("%s{op=%s} = %v (found %v), want %v", tc.metric, tc.op, got, ok, tc.want)
		}
	}
}

// Chunks served from the front table (read again and again) stay bounded by
// the cache: once ristretto evicts them, the table lets them go too.
func TestFrontTableHoldsOnlyCachedChunks(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBytes = 8 * testChunk
	f := newFixture(t, cfg)
	ctx := context.Background()
	var metas []*cache.Meta
	var want [][]byte
	for i := range 12 {
		key := fmt.Sprintf("obj%d.bin", i)
		want = append(want, bytes.Repeat([]byte{byte('a' + i)}, 4*testChunk))
		f.put(t, key, want[i])
		m, _ := f.mustStat(t, key)
		metas = append(metas, m)
	}
	for round := range 3 {
		for i, m := range metas {
			for range 2 { // the second read finds the chunks cached, and they enter the front table
				parts, _, err := f.tier.Read(ctx, m, 0, m.Size)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(join(parts), want[i]) {
					t.Fatalf("round %d: %s read wrong bytes", round, m.Key)
				}
			}
		}
	}
	chunks, held, gone := cache.FrontHeld(f.tier)
	if chunks == 0 {
		t.Fatal("nothing entered the front table")
	}
	if gone != 0 {
		t.Errorf("the front table holds %d chunks ristretto let go", gone)
	}
	if held > cfg.MaxBytes {
		t.Errorf("the front table holds %d bytes, over the %d-byte budget", held, cfg.MaxBytes)
	}
	if st := f.tier.Stats(); st.Evictions == 0 {
		t.Errorf("48 chunks through an 8-chunk cache evicted nothing")
	}
}
