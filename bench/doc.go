// Package bench holds Strata's benchmark harnesses: bench/load is the load
// generator (scenarios, open and closed loop, HDR latency corrected for
// coordinated omission), bench/suite runs scenario files against Strata and
// its peers (`strata bench run`), bench/report writes and compares the
// result files; bench/origin and bench/tier are the older wrk-based
// comparisons (is the origin as fast as nginx on the same files? what does
// the cache tier ask of S3?).
//
// The harnesses drive real servers with real load generators and report
// numbers; they never pass or fail on a wall-clock threshold, because the
// machines they run on are shared and noisy. That is why every comparison is
// made by alternating the contenders and reporting ratios pair by pair.
package bench
