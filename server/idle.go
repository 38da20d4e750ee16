package server

import "time"

// Returning memory when traffic stops.
//
// Under load the cache churns: evicted chunks are garbage until the collector
// runs, and the runtime keeps freed pages for reuse, so resident memory sits
// near the soft memory limit (--memory-limit) plus the runtime's own. When the
// origin goes idle, it hands freed pages back at once instead of leaving
// them to the background scavenger, so an idle instance's resident memory is
// what its cache and tables hold.

const (
	// idleCheck is how often traffic is sampled (and stale hot files closed).
	idleCheck = time.Second
	// minReleaseGap spaces releases, so a trickle of requests that leaves
	// every other second idle does not collect the heap every other second.
	minReleaseGap = 10 * time.Second
)

// idleWatch decides, from the request count sampled at each check, when to
// release: at the first check without a new request after traffic, at most
// once per gap.
type idleWatch struct {
	gap         time.Duration
	last        uint64
	busy        bool
	lastRelease time.Time
}

// observe takes the number of requests begun so far at now and reports
// whether to release memory.
func (w *idleWatch) observe(started uint64, now time.Time) bool {
	defer func() { w.last = started }()
	switch {
	case started != w.last:
		w.busy = true
	case w.busy && now.Sub(w.lastRelease) >= w.gap:
		w.busy = false
		w.lastRelease = now
		return true
	}
	return false
}

// maintain runs until the server's base context ends. At each tick it closes
// the files of hot entries that went stale (hotTable.dropStale) and calls
// release when the idle watch says so. Serve runs it with debug.FreeOSMemory:
// a full collection that returns freed pages to the operating system; the
// cache's chunks hold no pointers, so it takes milliseconds.
func (s *Server) maintain(ticks <-chan time.Time, gap time.Duration, release func()) {
	w := idleWatch{gap: gap}
	for {
		select {
		case <-s.base.Done():
			return
		case now := <-ticks:
			s.hot.dropStale(s.tier.Current)
			if w.observe(s.metrics.startedTotal(), now) {
				release()
			}
		}
	}
}
