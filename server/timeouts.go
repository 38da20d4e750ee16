package server

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// connTimeouts enforces the read, write and idle timeouts of every
// connection with one sweeper on a coarse tick, instead of fasthttp's three
// deadline updates per request (each one a runtime timer change): on a
// 2-core origin those updates cost a few percent of all the CPU a cached
// request takes.
//
// Each connection has a phase and the coarse time it entered it. fasthttp
// reports the transitions it owns through ConnState (new, active = the first
// byte of a request arrived, idle, closed); the handler reports the two in
// between (handling, writing). The sweeper closes the door on a connection
// past its phase's limit by setting a deadline in the past, so the blocked
// read or write fails as a timeout and fasthttp closes the connection as it
// would have with its own deadlines. A limit is enforced within one tick.
//
//	phase     from                         limit
//	reading   accept, or a request's first byte   ReadTimeout (headers and body)
//	handling  the handler starts           none (handlers bound their own work)
//	writing   the handler returns          WriteTimeout
//	idle      the response was written     IdleTimeout
type connTimeouts struct {
	read, write, idle time.Duration
	tick              time.Duration

	now   atomic.Int64 // coarse clock, unix nanoseconds, advanced by the sweeper
	conns sync.Map     // net.Conn → *connClock, for the sweeper (and the clock of other conns)

	stop      chan struct{}
	done      chan struct{}
	startOnce sync.Once
	stopOnce  sync.Once
}

type connPhase uint32

const (
	phaseReading connPhase = iota
	phaseHandling
	phaseWriting
	phaseIdle
)

// connClock is one connection's phase and when it began (coarse unix
// nanoseconds), packed so both change in one atomic store.
type connClock struct {
	conn  net.Conn
	t     *connTimeouts // set for a zero-copy connection's own clock
	state atomic.Uint64 // since<<2 | phase
}

func packClock(phase connPhase, since int64) uint64 { return uint64(since)<<2 | uint64(phase) }

func unpackClock(v uint64) (connPhase, int64) { return connPhase(v & 3), int64(v >> 2) }

func newConnTimeouts(read, write, idle time.Duration) *connTimeouts {
	t := &connTimeouts{
		read: read, write: write, idle: idle,
		tick: sweepTick(read, write, idle),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	t.now.Store(time.Now().UnixNano())
	return t
}

// start runs the sweeper; Serve calls it, so a Server that never serves
// leaves no goroutine behind.
func (t *connTimeouts) start() {
	t.startOnce.Do(func() { go t.sweep() })
}

// maxTick bounds the sweeper's tick. Besides enforcing limits, each tick
// nudges the zero-copy connections that wait for their next request without
// having asked the socket (sockCalls.sendThenRead), which bounds what a
// pipelining client can lose to that wait.
const maxTick = 200 * time.Millisecond

// sweepTick is a tenth of the shortest limit, between 10ms and maxTick.
func sweepTick(limits ...time.Duration) time.Duration {
	tick := maxTick
	for _, l := range limits {
		if l > 0 {
			tick = min(tick, l/10)
		}
	}
	return max(tick, 10*time.Millisecond)
}

// close stops the sweeper, if it runs.
func (t *connTimeouts) close() {
	t.stopOnce.Do(func() {
		started := true
		t.startOnce.Do(func() { started = false })
		close(t.stop)
		if started {
			<-t.done
		}
	})
}

// connState is the fasthttp ConnState hook.
func (t *connTimeouts) connState(c net.Conn, state fasthttp.ConnState) {
	switch state {
	case fasthttp.StateNew:
		cc := &connClock{conn: c}
		if z, ok := c.(*zcConn); ok {
			cc = &z.clock
			cc.conn, cc.t = c, t
		}
		cc.state.Store(packClock(phaseReading, t.now.Load()))
		t.conns.Store(c, cc)
	case fasthttp.StateActive:
		t.enter(c, phaseReading)
	case fasthttp.StateIdle:
		t.enter(c, phaseIdle)
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		t.conns.Delete(c)
	}
}

// clock returns c's record, nil for a connection not accepted by the server
// (a test's fake context). A zero-copy connection carries its own, which
// saves the map lookup (hashing an interface) three times a request; its
// record is live from StateNew to StateClosed, as the map's entry is.
func (t *connTimeouts) clock(c net.Conn) *connClock {
	if z, ok := c.(*zcConn); ok {
		if z.clock.conn == nil {
			return nil
		}
		return &z.clock
	}
	if v, ok := t.conns.Load(c); ok {
		return v.(*connClock)
	}
	return nil
}

func (t *connTimeouts) enter(c net.Conn, phase connPhase) {
	t.set(t.clock(c), phase)
}

// set moves cc (which may be nil) into phase as of now.
func (t *connTimeouts) set(cc *connClock, phase connPhase) {
	if cc != nil {
		cc.state.Store(packClock(phase, t.now.Load()))
	}
}

func (t *connTimeouts) limit(phase connPhase) time.Duration {
	switch phase {
	case phaseReading:
		return t.read
	case phaseWriting:
		return t.write
	case phaseIdle:
		return t.idle
	}
	return 0
}

func (t *connTimeouts) sweep() {
	defer close(t.done)
	tk := time.NewTicker(t.tick)
	defer tk.Stop()
	for {
		select {
		case <-t.stop:
			return
		case now := <-tk.C:
			t.now.Store(now.UnixNano())
			t.expire(now.UnixNano())
		}
	}
}

// expire times out every connection past its phase's limit at now.
func (t *connTimeouts) expire(now int64) {
	t.conns.Range(func(_, v any) bool {
		cc := v.(*connClock)
		seen := cc.state.Load()
		phase, since := unpackClock(seen)
		limit := t.limit(phase)
		if limit <= 0 || now-since <= int64(limit) {
			// Idle for a whole tick: since lags the real time by up to one.
			if phase == phaseIdle && now-since >= 2*int64(t.tick) {
				if z, ok := cc.conn.(*zcConn); ok {
					z.nudge()
				}
			}
			return true
		}
		cc.deadline(phase, time.Unix(1, 0))
		// The connection may have moved on while the deadline was set: then
		// it did not time out, so lift the deadline again.
		if cc.state.Load() != seen {
			cc.deadline(phase, time.Time{})
		}
		return true
	})
}

// deadline sets the deadline of the direction phase waits on: the write
// while writing, else the read.
func (cc *connClock) deadline(phase connPhase, at time.Time) {
	if phase == phaseWriting {
		_ = cc.conn.SetWriteDeadline(at)
	} else {
		_ = cc.conn.SetReadDeadline(at)
	}
}
