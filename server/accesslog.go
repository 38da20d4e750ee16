package server

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// accessLog writes one JSON line per request, in the shape of log/slog's JSON
// handler (time, level, msg, then fields), so one log pipeline reads both.
// It encodes by hand into buffers flushed every second: the access log is on
// the hot path, and slog's generic handler would cost more than the rest of a
// cached request.
//
// Lines are buffered per connection shard, so requests on different cores do
// not contend for one lock and one buffer. A shard hands the output only whole
// lines, so lines never interleave; lines of different shards reach the output
// in blocks, each line with its own time stamp.
type accessLog struct {
	sample uint64
	n      atomic.Uint64

	clock stampClock

	shards [logShards]logShard
	outMu  sync.Mutex // serialises the shards' writes to out
	out    io.Writer

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

const (
	logShards      = 8
	logShardBuffer = 16 << 10
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
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	for i := range a.shards {
		a.shards[i].buf = make([]byte, 0, logShardBuffer)
	}
	go a.flushLoop()
	return a
}

func (a *accessLog) flushLoop() {
	defer close(a.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.flush()
		case <-a.stop:
			return
		}
	}
}

// flush writes every shard's buffered lines.
func (a *accessLog) flush() {
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		a.write(sh)
		sh.mu.Unlock()
	}
}

// write hands sh's whole lines to the output; sh.mu is held.
func (a *accessLog) write(sh *logShard) {
	if len(sh.buf) == 0 {
		return
	}
	a.outMu.Lock()
	_, _ = a.out.Write(sh.buf)
	a.outMu.Unlock()
	sh.buf = sh.buf[:0]
}

// Close flushes and stops the flusher.
func (a *accessLog) Close() {
	a.closeOnce.Do(func() {
		close(a.stop)
		<-a.done
	})
	a.flush()
}

func (a *accessLog) log(ctx *fasthttp.RequestCtx, x *exchange, status int, sent int64, d time.Duration) {
	if status < 500 && a.sample > 1 && a.n.Add(1)%a.sample != 0 {
		return
	}
	sh := &a.shards[ctx.ConnID()%logShards]
	sh.mu.Lock()
	start := len(sh.buf)
	sh.buf = a.format(sh.buf, ctx, x, status, sent, d)
	if len(sh.buf) > logShardBuffer {
		// Hand over the lines before this one, then keep it as the start
		// of the next block (or write it alone if it is that long).
		line := sh.buf[start:]
		if start > 0 {
			a.outMu.Lock()
			_, _ = a.out.Write(sh.buf[:start])
			a.outMu.Unlock()
		}
		if len(line) >= logShardBuffer {
			a.outMu.Lock()
			_, _ = a.out.Write(line)
			a.outMu.Unlock()
			sh.buf = sh.buf[:0]
		} else {
			sh.buf = append(sh.buf[:0], line...)
		}
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
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, sent, 10)
	b = append(b, `,"dur_us":`...)
	b = strconv.AppendInt(b, d.Microseconds(), 10)
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

func appendIP(b []byte, ctx *fasthttp.RequestCtx) []byte {
	ip := ctx.RemoteIP()
	if ip4 := ip.To4(); ip4 != nil {
		for i, v := range ip4 {
			if i > 0 {
				b = append(b, '.')
			}
			b = strconv.AppendUint(b, uint64(v), 10)
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

// requestIDs makes request ids: a random per-process prefix and a counter,
// unique across instances without a per-request random read.
type requestIDs struct {
	prefix [8]byte
	n      atomic.Uint64
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
	var buf [32]byte
	b := append(buf[:0], r.prefix[:]...)
	b = append(b, '-')
	b = strconv.AppendUint(b, r.n.Add(1), 36)
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
