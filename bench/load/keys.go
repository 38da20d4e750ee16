package load

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// keyFor returns session i's key and its index. Draws depend only on the
// seed and i, never on timing, so session i asks for the same key of every
// server in every run. offset shifts the sequential order (a run that must
// not touch what an earlier run cached starts where it stopped); wrapped
// reports that a sequential draw came round to keys already used.
func (k *Keys) keyFor(i, offset int64) (key string, n int64, wrapped bool) {
	var idx int64
	switch k.Order {
	case OrderSequential:
		pos := offset + i
		wrapped = pos >= k.Count
		idx = pos % k.Count
	case OrderUniform:
		idx = keyRand(k.Seed, i).Int64N(k.Count)
	default:
		// rank 0 is the most popular key: P(rank r) ∝ 1/(v+r)^s.
		z := rand.NewZipf(keyRand(k.Seed, i), k.ZipfS, k.ZipfV, uint64(k.Count-1))
		idx = int64(z.Uint64())
	}
	if len(k.List) > 0 {
		return k.List[idx], idx, wrapped
	}
	n = k.Start + idx
	return strings.ReplaceAll(k.Pattern, "{n}", strconv.FormatInt(n, 10)), n, wrapped
}

// keyRand is the generator of session i's key draw.
func keyRand(seed uint64, i int64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(i)))
}

// sessionRand is session i's generator for everything else it draws (think
// times, range offsets, captured elements, its UUID), kept apart from the
// key draw so that adding a think time does not change which keys are read.
func sessionRand(seed uint64, i int64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(i)))
}
