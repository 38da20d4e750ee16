//go:build race

package httpsem_test

// The race detector adds allocations of its own; allocation counts are only
// checked without it.
const raceEnabled = true
