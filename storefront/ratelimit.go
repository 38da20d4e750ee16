package storefront

import (
	"container/list"
	"math"
	"sync"
	"time"
)

// RateConfig is a token bucket: Burst attempts at once, refilled at one token
// per Every.
type RateConfig struct {
	// Burst is the bucket size, in attempts. 0 disables the limit.
	Burst int
	// Every is the time to refill one token.
	Every time.Duration
}

// Limiter is a set of token buckets by key (an email, an IP), in process and
// bounded: past MaxKeys the least recently used bucket is dropped. Dropping a
// bucket forgives its key, so the bound should exceed the number of keys an
// attacker can keep active within one refill period.
type Limiter struct {
	cfg     RateConfig
	maxKeys int
	mu      sync.Mutex
	items   map[string]*list.Element
	lru     *list.List // front = most recently used
}

type bucket struct {
	key    string
	tokens float64
	at     time.Time
}

// NewLimiter returns a limiter of at most maxKeys buckets.
func NewLimiter(cfg RateConfig, maxKeys int) *Limiter {
	return &Limiter{cfg: cfg, maxKeys: max(maxKeys, 1), items: map[string]*list.Element{}, lru: list.New()}
}

// refill brings b's tokens up to now and reports them.
func (l *Limiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = math.Min(float64(l.cfg.Burst), b.tokens+float64(el)/float64(l.cfg.Every))
		b.at = now
	}
}

// get returns key's bucket, creating a full one.
func (l *Limiter) get(key string, now time.Time) *bucket {
	if e, ok := l.items[key]; ok {
		l.lru.MoveToFront(e)
		b := e.Value.(*bucket)
		l.refill(b, now)
		return b
	}
	b := &bucket{key: key, tokens: float64(l.cfg.Burst), at: now}
	l.items[key] = l.lru.PushFront(b)
	for l.lru.Len() > l.maxKeys {
		old := l.lru.Back()
		l.lru.Remove(old)
		delete(l.items, old.Value.(*bucket).key)
	}
	return b
}

// wait is how long until b holds a token.
func (l *Limiter) wait(b *bucket) time.Duration {
	return time.Duration((1 - b.tokens) * float64(l.cfg.Every))
}

// Allow takes a token for key; when none is left it reports how long until one is.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.cfg.Burst <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, now)
	if b.tokens < 1 {
		return false, l.wait(b)
	}
	b.tokens--
	return true, 0
}

// Check reports whether key has a token, without taking it.
func (l *Limiter) Check(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.cfg.Burst <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.items[key]
	if !ok {
		return true, 0
	}
	b := e.Value.(*bucket)
	l.refill(b, now)
	if b.tokens < 1 {
		return false, l.wait(b)
	}
	return true, 0
}

// Len is the number of buckets held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}
