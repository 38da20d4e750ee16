package cache

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config tunes a Tier. Start from DefaultConfig; the comments are a tuning guide.
type Config struct {
	// MaxBytes is the memory budget, in bytes, for cached chunks and derived
	// variants (--cache-bytes). It is what the cache holds, not the process
	// size: allow roughly 10% on top for ristretto's bookkeeping, and object
	// metadata is kept in a separate budget of MaxBytes/64 (at least 1 MiB).
	// Default: a quarter of physical memory (or of the cgroup limit, if lower);
	// 1 GiB when neither can be read.
	MaxBytes int64

	// ChunkSize is the size, in bytes, of the aligned chunks objects are cached
	// in: the unit of a store GET and of eviction. Objects up to ChunkSize are
	// one chunk. Larger chunks mean fewer GETs and less overhead per byte;
	// smaller ones mean less wasted memory for small ranges of big objects.
	// Between 4 KiB and 64 MiB. Default: 1 MiB.
	ChunkSize int64

	// MetaTTL is how long an object's metadata (size, ETag) is trusted before
	// one request revalidates it with the store; it bounds how long an
	// overwritten object keeps being served in its old version. 0 checks the
	// store on every request. Default: 5s.
	MetaTTL time.Duration

	// NegativeTTL is how long a "not found" answer is remembered, which keeps
	// scans for missing keys off the store. Default: 2s.
	NegativeTTL time.Duration

	// StaleIfError is how long past MetaTTL cached metadata (and the chunks it
	// names) may still be served while the store fails. 0 turns stale serving
	// off. Default: 24h.
	StaleIfError time.Duration

	// StoreTimeout is the deadline of one store operation (one Stat, one
	// chunk GET). It is also how long a request can wait on a store that hangs
	// before getting ErrUnavailable. Default: 10s.
	StoreTimeout time.Duration

	// ReadAhead makes a Reader fetch the next chunk while the current one is
	// being consumed, hiding store latency on sequential reads of large
	// objects at the price of at most one chunk fetched in vain. Default: true.
	ReadAhead bool

	// NumCounters is the number of ristretto admission counters for chunks,
	// ideally ten times the number of items the cache holds when full. 0 means
	// MaxBytes/ChunkSize*10, at least 10,000. Default: 0.
	NumCounters int64
}

// DefaultConfig returns the configuration described on each Config field.
func DefaultConfig() Config {
	return Config{
		MaxBytes:     defaultMaxBytes(),
		ChunkSize:    1 << 20,
		MetaTTL:      5 * time.Second,
		NegativeTTL:  2 * time.Second,
		StaleIfError: 24 * time.Hour,
		StoreTimeout: 10 * time.Second,
		ReadAhead:    true,
	}
}

const (
	minChunkSize = 4 << 10
	maxChunkSize = 64 << 20
)

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("cache: MaxBytes must be positive, got %d", c.MaxBytes))
	}
	if c.ChunkSize < minChunkSize || c.ChunkSize > maxChunkSize {
		errs = append(errs, fmt.Errorf("cache: ChunkSize must be between %d and %d bytes, got %d", minChunkSize, maxChunkSize, c.ChunkSize))
	}
	if c.MetaTTL < 0 {
		errs = append(errs, fmt.Errorf("cache: MetaTTL must not be negative, got %v", c.MetaTTL))
	}
	if c.NegativeTTL < 0 {
		errs = append(errs, fmt.Errorf("cache: NegativeTTL must not be negative, got %v", c.NegativeTTL))
	}
	if c.StaleIfError < 0 {
		errs = append(errs, fmt.Errorf("cache: StaleIfError must not be negative, got %v", c.StaleIfError))
	}
	if c.StoreTimeout <= 0 {
		errs = append(errs, fmt.Errorf("cache: StoreTimeout must be positive, got %v", c.StoreTimeout))
	}
	if c.NumCounters < 0 {
		errs = append(errs, fmt.Errorf("cache: NumCounters must not be negative, got %d", c.NumCounters))
	}
	return errors.Join(errs...)
}

// numCounters resolves NumCounters' automatic value.
func (c Config) numCounters() int64 {
	if c.NumCounters > 0 {
		return c.NumCounters
	}
	return max(c.MaxBytes/c.ChunkSize*10, 10_000)
}

// MemoryBytes is the most memory the tier's caches hold: MaxBytes of chunks
// plus the metadata budget. Size a process memory limit from it.
func (c Config) MemoryBytes() int64 { return c.MaxBytes + c.metaBudget() }

// metaBudget is the cost budget of the metadata cache.
func (c Config) metaBudget() int64 {
	return max(c.MaxBytes/64, 1<<20)
}

func defaultMaxBytes() int64 {
	mem := physicalMemory()
	if limit := cgroupMemoryLimit(); limit > 0 && (mem == 0 || limit < mem) {
		mem = limit
	}
	if mem <= 0 {
		return 1 << 30
	}
	return mem / 4
}

// physicalMemory reads MemTotal from /proc/meminfo; 0 when unknown.
func physicalMemory() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMemTotal(data)
}

func parseMemTotal(meminfo []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || kb <= 0 {
			return 0
		}
		return kb << 10
	}
	return 0
}

// cgroupMemoryLimit reads the cgroup v2 memory limit, so a container sized
// below the host's RAM gets a cache that fits it; 0 when there is none.
func cgroupMemoryLimit() int64 {
	data, err := os.ReadFile("/sys/fs/cgroup/memory.max")
	if err != nil {
		return 0
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil || v <= 0 {
		return 0 // "max" means unlimited
	}
	return v
}
