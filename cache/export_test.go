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

// FrontHeld counts the front table's chunks, the bytes they hold, and those
// among them ristretto has let go (which it must not keep).
func FrontHeld(t *Tier) (chunks int, bytes int64, gone int) {
	for i := range t.front.slots {
		if c := t.front.slots[i].Load(); c != nil {
			chunks++
			bytes += int64(len(c.data))
			if c.gone.Load() {
				gone++
			}
		}
	}
	return chunks, bytes, gone
}
