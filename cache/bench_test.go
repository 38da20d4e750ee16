package cache_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/storetest"
)

func benchConfig() cache.Config {
	cfg := testConfig()
	cfg.ChunkSize = 1 << 20
	cfg.MaxBytes = 256 << 20
	return cfg
}

// BenchmarkReadSmallHot is the hot path of a small GLB: one Stat and one
// whole-object Read, both cached. It should not allocate.
func BenchmarkReadSmallHot(b *testing.B) {
	f := newFixture(b, benchConfig())
	f.put(b, "small.glb", storetest.Pattern(10<<10, 1))
	ctx := context.Background()
	m, _ := f.mustStat(b, "small.glb")
	if _, _, err := f.tier.Read(ctx, m, 0, m.Size); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, _, err := f.tier.Stat(ctx, "small.glb")
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := f.tier.Read(ctx, m, 0, m.Size); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m, _, err := f.tier.Stat(ctx, "small.glb")
				if err != nil {
					b.Error(err)
					return
				}
				if _, _, err := f.tier.Read(ctx, m, 0, m.Size); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkRead64KiBRange reads 64 KiB at random offsets of a 16 MiB object
// whose chunks are all cached: some ranges cross a chunk boundary.
func BenchmarkRead64KiBRange(b *testing.B) {
	f := newFixture(b, benchConfig())
	const size = 16 << 20
	f.put(b, "big.glb", storetest.Pattern(size, 2))
	ctx := context.Background()
	m, _ := f.mustStat(b, "big.glb")
	if _, _, err := f.tier.Read(ctx, m, 0, m.Size); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	offsets := make([]int64, 1024)
	for i := range offsets {
		offsets[i] = rng.Int63n(size - 64<<10)
	}
	b.ReportAllocs()
	b.SetBytes(64 << 10)
	i := 0
	for b.Loop() {
		if _, _, err := f.tier.Read(ctx, m, offsets[i%len(offsets)], 64<<10); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkZipf requests keys with a Zipf distribution (a few very popular
// assets, a long tail) over a working set four times MaxBytes, and reports
// the chunk hit ratio the admission policy achieves.
func BenchmarkZipf(b *testing.B) {
	for _, s := range []float64{1.01, 1.2} {
		b.Run(fmt.Sprintf("s=%.2f", s), func(b *testing.B) {
			const (
				objects = 4096
				objSize = 8 << 10
			)
			cfg := benchConfig()
			cfg.MaxBytes = objects * objSize / 4
			f := newFixture(b, cfg)
			// Written directly: Put's fsync per file would dominate the setup.
			for i := range objects {
				name := filepath.Join(f.fs.Dir(), fmt.Sprintf("k%05d.glb", i))
				if err := os.WriteFile(name, storetest.Pattern(objSize, uint64(i)), 0o644); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			zipf := rand.NewZipf(rand.New(rand.NewSource(42)), s, 1, objects-1)
			keys := make([]string, objects)
			for i := range keys {
				keys[i] = fmt.Sprintf("k%05d.glb", i)
			}
			// Steady state: the store has hashed every file once.
			for _, key := range keys {
				if _, err := f.fs.Stat(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
			before := f.tier.Stats()
			b.ReportAllocs()
			for b.Loop() {
				key := keys[zipf.Uint64()]
				m, _, err := f.tier.Stat(ctx, key)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := f.tier.Read(ctx, m, 0, m.Size); err != nil {
					b.Fatal(err)
				}
			}
			after := f.tier.Stats()
			hits := after.ChunkHits - before.ChunkHits
			misses := after.ChunkMisses - before.ChunkMisses
			if hits+misses > 0 {
				b.ReportMetric(float64(hits)/float64(hits+misses), "hit-ratio")
			}
		})
	}
}
