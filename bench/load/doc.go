// Package load is Strata's load generator: it runs scenarios (sequences of
// HTTP requests a visitor makes, read from a small JSON file) against a base
// URL and records every request's latency in HDR histograms.
//
// Two modes:
//
//   - open loop ("open"): sessions start at a constant arrival rate, like
//     wrk2 and vegeta, whatever the server does. A request's latency is
//     measured from the moment it was meant to be sent (its place in the
//     schedule), so a server that stalls is charged for every request that
//     queued behind the stall: the coordinated-omission correction that a
//     naive "send, wait, measure" loop lacks.
//   - closed loop ("closed"): N workers, each one connection, run sessions
//     back to back. Latency is service time, and the tail is corrected the
//     way HdrHistogram's RecordCorrectedValue does, with the expected
//     interval taken from the warm-up's median (or set in the scenario).
//
// Both modes also keep the uncorrected service time (send to last byte) so a
// report can show what a naive measurement would have said. Warm-up requests
// are never recorded.
//
// The HTTP client is fasthttp's, confined to fasthttpclient.go: the
// repository keeps fasthttp inside server/ otherwise, and the benchmark
// issue asks for fasthttp's client here because net/http's allocations would
// make the generator, not the server, the bottleneck on a 2-core machine.
//
// The generator refuses to open a connection to any address outside the
// loopback range unless Target.AllowRemote is set (the --allow-remote flag):
// the check runs on every dial, after name resolution, so neither a typo nor
// a manifest pointing elsewhere can send traffic off the machine.
//
// The main trade-off: one process generates load and measures it, on the
// same cores as the server under test, so the generator's own scheduling
// delays show up as latency. The open loop counts them honestly (a late
// send is late for the user too); the accuracy tests bound them.
package load
