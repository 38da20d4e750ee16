package cache

import "time"

// SetClock replaces t's clock, so tests can expire TTLs without sleeping.
// Call it before the tier is used.
func SetClock(t *Tier, now func() time.Time) {
	t.now = now
	t.epoch = now()
}

// ParseMemTotal exposes the /proc/meminfo parser.
var ParseMemTotal = parseMemTotal
