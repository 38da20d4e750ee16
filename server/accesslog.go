package server

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"math"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// accessLog writes one JSON line per request, in the shape of log/slog's JSON
// handler (time, level, msg, then fields), so one log pipeline reads both.
// It encodes by hand into blocks written by a goroutine of its own: the access
// log is on the hot path, and slog's generic handler would cost more than the
// rest of a cached request.
//
// Lines are buffered per connection shard, so requests on different cores do
// not contend for one lock and one buffer. A full block goes to the writer
// and the shard takes an empty one, so no request waits for the output unless
// it falls so far behind that every spare block is queued (then requests wait
// for it: lines are never dropped). The writer also takes what every shard
// holds once a second. Lines reach the output whole, and each shard's in the
// order they were logged; lines of different shards reach it in blocks, each
// line with its own time stamp.
type accessLog struct {
	sample uint64
	n      atomic.Uint64

	clock stampClock

	shards [logShards]logShard
	out    io.Writer
	// free holds empty blocks; full the blocks waiting for the writer, in
	// the order they were handed over. Both can hold every block, so putting
	// one back never blocks.
	free, full chan []byte

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	// lateMu serialises the lines of requests that outlive Close (after a
	// shutdown that timed out): the writer is gone, so they write their
	// own, one by one.
	lateMu sync.Mutex
}

const (
	logShards = 8
	// logBlock is the size of one write. It is nginx's access-log buffer:
	// a write per 16 KiB cost about 5 % of the CPU of a 64 KiB GET.
	logBlock = 64 << 10
	// logBlockFull is where a block is handed over, below logBlock so that
	// ordinary lines never grow it.
	logBlockFull = logBlock - 4<<10
	// logSpare is the number of blocks beyond one per shard.
	logSpare = logShards + 2
)

type logShard struct {
	mu  sync.Mutex
	buf []byte
	_   [40]byte // keep neighbouring shards' locks off one cache line
}

func newAccessLog(out io.Writer, sample int) *accessLog {
	a := &accessLog{
		sample: uint64(sample),
		out:    out,
		free:   make(chan []byte, logShards+logSpare),
		full:   make(chan []byte, logShards+logSpare),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	for i := range a.shards {
		a.shards[i].buf = make([]byte, 0, logBlock)
	}
	for range logSpare {
		a.free <- make([]byte, 0, logBlock)
	}
	go a.writeLoop()
	return a
}

// writeLoop writes handed-over blocks as they come, and every second what the
// shards hold; on Close, everything left.
func (a *accessLog) writeLoop() {
	defer close(a.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case b := <-a.full:
			a.write(b)
		case <-t.C:
			a.collect()
		case <-a.stop:
			a.closeShards()
			for {
				select {
				case b := <-a.full:
					a.write(b)
				default:
					return
				}
			}
		}
	}
}

// write writes one block and returns it to the free list.
func (a *accessLog) write(b []byte) {
	_, _ = a.out.Write(b)
	if cap(b) > 2*logBlock {
		b = make([]byte, 0, logBlock) // grown by a huge line: don't keep it
	}
	a.free <- b[:0]
}

// The writer never waits for a shard's lock: a request holding it may be
// waiting for a free block, and only the writer returns blocks.

// collect queues the lines of every shard it can take at once. A busy shard,
// or one whose swap would wait for a free block (the writer is behind, so
// blocks fill on their own), is left for the next round.
func (a *accessLog) collect() {
	for i := range a.shards {
		sh := &a.shards[i]
		if !sh.mu.TryLock() {
			continue
		}
		if len(sh.buf) > 0 {
			select {
			case next := <-a.free:
				a.full <- sh.buf
				sh.buf = next
			default:
			}
		}
		sh.mu.Unlock()
	}
}

// closeShards queues every shard's lines and leaves the shard without a
// buffer, which tells later requests that the writer is gone. While a shard
// is busy it keeps writing queued blocks, freeing the one its holder may be
// waiting for.
func (a *accessLog) closeShards() {
	for i := range a.shards {
		sh := &a.shards[i]
		for !sh.mu.TryLock() {
			select {
			case b := <-a.full:
				a.write(b)
			default:
				time.Sleep(100 * time.Microsecond)
			}
		}
		if len(sh.buf) > 0 {
			a.full <- sh.buf
		}
		sh.buf = nil
		sh.mu.Unlock()
	}
}

// Close writes every line logged so far and stops the writer.
func (a *accessLog) Close() {
	a.closeOnce.Do(func() {
		close(a.stop)
		<-a.done
	})
}

func (a *accessLog) log(ctx *fasthttp.RequestCtx, x *exchange, status int, sent int64, d time.Duration) {
	if status < 500 && a.sample > 1 && a.n.Add(1)%a.sample != 0 {
		return
	}
	sh := &a.shards[ctx.ConnID()%logShards]
	sh.mu.Lock()
	if sh.buf == nil { // closed
		sh.mu.Unlock()
		a.lateMu.Lock()
		_, _ = a.out.Write(a.format(nil, ctx, x, status, sent, d))
		a.lateMu.Unlock()
		return
	}
	sh.buf = a.format(sh.buf, ctx, x, status, sent, d)
	if len(sh.buf) >= logBlockFull {
		a.full <- sh.buf
		sh.buf = <-a.free
	}
	sh.mu.Unlock()
}

func (a *accessLog) format(b []byte, ctx *fasthttp.RequestCtx, x *exchange, status int, sent int64, d time.Duration) []byte {
	b = append(b, `{"time":"`...)
	b = a.clock.appendRFC3339(b, x.start)
	b = append(b, `","level":"INFO","msg":"access","method":`...)
	b = appendJSONString(b, ctx.Method())
	b = append(b, `,"path":`...)
	uri := ctx.Request.Header.RequestURI()
	if len(uri) > 512 {
		uri = uri[:512]
	}
	b = appendJSONString(b, uri)
	b = append(b, `,"status":`...)
	b = appendDecimal(b, int64(status))
	b = append(b, `,"bytes":`...)
	b = appendDecimal(b, sent)
	b = append(b, `,"dur_us":`...)
	b = appendDecimal(b, d.Microseconds())
	b = append(b, `,"route":"`...)
	b = append(b, x.route.String()...)
	b = append(b, '"')
	if x.cached {
		b = append(b, `,"cache":"`...)
		b = append(b, x.outcome.String()...)
		b = append(b, '"')
	}
	if r := x.req.rng; len(r) > 0 {
		if len(r) > 128 {
			r = r[:128]
		}
		b = append(b, `,"range":`...)
		b = appendJSONString(b, r)
	}
	b = append(b, `,"req_id":`...)
	b = appendJSONString(b, ctx.Response.Header.Peek(headerRequestID))
	b = append(b, `,"remote":"`...)
	b = appendIP(b, ctx)
	return append(b, "\"}\n"...)
}

// stampClock formats RFC 3339 UTC timestamps with microseconds, caching the
// text of the current second: formatting a full time per line costs more
// than the rest of the line.
type stampClock struct {
	cur atomic.Pointer[secondStamp]
}

type secondStamp struct {
	unix int64
	text []byte // "2006-01-02T15:04:05"
}

func (c *stampClock) appendRFC3339(b []byte, t time.Time) []byte {
	t = t.UTC()
	sec := t.Unix()
	st := c.cur.Load()
	if st == nil || st.unix != sec {
		st = &secondStamp{unix: sec, text: t.AppendFormat(nil, "2006-01-02T15:04:05")}
		c.cur.Store(st)
	}
	b = append(b, st.text...)
	us := t.Nanosecond() / 1000
	b = append(b, '.')
	for div := 100000; div > 0; div /= 10 {
		b = append(b, byte('0'+us/div%10))
	}
	return append(b, 'Z')
}

// appendDecimal appends v in decimal. strconv's AppendInt formats into a
// buffer of its own and copies that; the copy call cost a third of a
// percent of the origin's CPU per number.
func appendDecimal(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		if v == math.MinInt64 {
			return append(b, "9223372036854775808"...)
		}
		v = -v
	}
	digits := 1
	for x := v; x >= 10; x /= 10 {
		digits++
	}
	b = slices.Grow(b, digits)
	end := len(b) + digits
	b = b[:end]
	for i := end - 1; i >= end-digits; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return b
}

// appendIP appends the client's address. A zero-copy connection keeps the
// text, so it is formatted once per connection, not once per request.
func appendIP(b []byte, ctx *fasthttp.RequestCtx) []byte {
	if c := connOf(ctx); c != nil {
		if c.remoteText == nil {
			c.remoteText = formatIP(nil, ctx.RemoteIP())
		}
		return append(b, c.remoteText...)
	}
	return formatIP(b, ctx.RemoteIP())
}

func formatIP(b []byte, ip net.IP) []byte {
	if ip4 := ip.To4(); ip4 != nil {
		for i, v := range ip4 {
			if i > 0 {
				b = append(b, '.')
			}
			b = appendDecimal(b, int64(v))
		}
		return b
	}
	return append(b, ip.String()...)
}

// appendJSONString appends s as a JSON string, escaping what JSON requires and
// replacing invalid UTF-8, so hostile paths can't break the log's framing.
func appendJSONString(b, s []byte) []byte {
	const hexdigits = "0123456789abcdef"
	b = append(b, '"')
	// Most values (methods, paths, ids) need no escaping: copy them whole.
	plain := 0
	for plain < len(s) {
		if c := s[plain]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			break
		}
		plain++
	}
	b = append(b, s[:plain]...)
	for i := plain; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexdigits[c>>4], hexdigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

const headerRequestID = "X-Request-Id"

// requestIDs makes request ids: a random per-process prefix, the
// connection's number and the request's number on it, unique across
// instances without a per-request random read or a counter shared by every
// connection (whose cache line the CPUs would pass back and forth).
type requestIDs struct {
	prefix [8]byte
}

func newRequestIDs() *requestIDs {
	r := &requestIDs{}
	var raw [4]byte
	_, _ = rand.Read(raw[:])
	hex.Encode(r.prefix[:], raw[:])
	return r
}

// set gives the response an X-Request-Id: the client's (or CloudFront's
// X-Amz-Cf-Id) when it is a sane token, else a new one.
func (r *requestIDs) set(ctx *fasthttp.RequestCtx, req *requestHeaders) {
	in := req.requestID
	if !saneID(in) {
		in = req.cloudFrontID
	}
	if saneID(in) {
		ctx.Response.Header.SetCanonical(hRequestID, in)
		return
	}
	var buf [48]byte
	b := append(buf[:0], r.prefix[:]...)
	b = append(b, '-')
	b = strconv.AppendUint(b, ctx.ConnID(), 36)
	b = append(b, '-')
	b = strconv.AppendUint(b, ctx.ConnRequestNum(), 36)
	ctx.Response.Header.SetCanonical(hRequestID, b)
}

func saneID(b []byte) bool {
	if len(b) == 0 || len(b) > 128 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
