// Package bench holds Strata's benchmark harnesses, one subpackage per
// question asked of the system (bench/origin: is the origin at least as fast
// as nginx on the same files?).
//
// The harnesses drive real servers with real load generators and report
// numbers; they never pass or fail on a wall-clock threshold, because the
// machines they run on are shared and noisy. That is why every comparison is
// made by alternating the contenders and reporting ratios pair by pair.
package bench
