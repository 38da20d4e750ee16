package load

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// session is one visitor's pass through a scenario's steps.
type session struct {
	index    int64
	key      string
	keyIndex int64
	run      string
	rng      *rand.Rand
	vars     map[string]string
	jar      jar
	id       string // UUID, made on first use
}

// uuid returns the session's random (version 4) UUID: an Idempotency-Key
// that is the same for every request of the session and differs between
// sessions and runs.
func (s *session) uuid() string {
	if s.id == "" {
		var b [16]byte
		for i := range 2 {
			v := s.rng.Uint64()
			for j := range 8 {
				b[i*8+j] = byte(v >> (8 * j))
			}
		}
		// Mix in the run so that two runs of the same seed differ.
		for i := range min(len(s.run), 16) {
			b[i] ^= s.run[i]
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		s.id = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	}
	return s.id
}

// runSession plays every step of session i, whose first request is due at
// intended. It stops at the first failed step (later steps depend on it) and
// at the end of the run.
func (w *worker) runSession(i int64, intended time.Time) {
	r := w.r
	s := &session{index: i, run: r.runID, rng: sessionRand(r.seed, i)}
	if k := r.sc.Keys; k != nil {
		var wrapped bool
		s.key, s.keyIndex, wrapped = k.keyFor(i, r.opts.KeyOffset)
		if wrapped && !intended.Before(r.warmEnd) {
			w.rec.keysReused(1)
		}
	}
	if !intended.Before(r.warmEnd) {
		w.rec.session()
	}
	at := intended
	for si, st := range r.sc.Steps {
		if st.Think != nil {
			at = at.Add(st.Think.draw(s.rng))
		}
		var ok bool
		at, ok = w.runStep(s, st, r.stepLabel[si], at)
		if !ok {
			return
		}
	}
}

// draw returns a think time in [Min, Max].
func (t *Think) draw(rng *rand.Rand) time.Duration {
	if t.Max <= t.Min {
		return t.Min
	}
	return t.Min + time.Duration(rng.Int64N(int64(t.Max-t.Min)+1))
}

// runStep plays one step whose first request is due at at, and returns
// when its last request completed.
func (w *worker) runStep(s *session, st *Step, label int, at time.Time) (time.Time, bool) {
	switch {
	case st.Progressive != nil:
		return w.runProgressive(s, st, label, at)
	case st.Range != nil:
		return w.runRange(s, st, label, at)
	}
	x := &w.x
	if !w.build(x, s, st, at) {
		return at, false
	}
	for _, c := range st.Capture {
		if c.JSON != "" {
			x.keepBody = true
		} else {
			x.wantHeaders = append(x.wantHeaders, c.Header)
		}
	}
	done, ok := w.send(s, st, label, at, x, nil)
	if !ok {
		return done, false
	}
	if len(st.Capture) > 0 && !w.capture(s, st, x) {
		w.fail(at, "capture")
		return done, false
	}
	return done, true
}

// build fills x with the step's request for session s.
func (w *worker) build(x *exchange, s *session, st *Step, at time.Time) bool {
	x.reset()
	x.method = st.Method
	x.timeout = time.Duration(w.r.sc.Timeout)
	x.url = append(x.url, w.r.base...)
	var err error
	if x.url, err = st.path.appendTo(x.url, s); err != nil {
		w.fail(at, "template")
		return false
	}
	for _, h := range w.r.headers {
		x.headers = append(x.headers, h)
	}
	for _, h := range st.headers {
		if w.scratch, err = h.value.appendTo(w.scratch[:0], s); err != nil {
			w.fail(at, "template")
			return false
		}
		x.headers = append(x.headers, [2]string{h.name, string(w.scratch)})
	}
	if !st.body.empty() {
		if x.body, err = st.body.appendTo(x.body[:0], s); err != nil {
			w.fail(at, "template")
			return false
		}
	}
	return true
}

// capture saves the step's captured values into s.vars.
func (w *worker) capture(s *session, st *Step, x *exchange) bool {
	if s.vars == nil {
		s.vars = map[string]string{}
	}
	var doc any
	parsed := false
	h := 0
	for _, c := range st.Capture {
		if c.Header != "" {
			v := x.gotHeaders[h]
			h++
			if v == "" {
				return false
			}
			s.vars[c.Var] = v
			continue
		}
		if !parsed {
			if err := json.Unmarshal(x.respBody, &doc); err != nil {
				return false
			}
			parsed = true
		}
		path, _ := splitJSONPath(c.JSON)
		v, ok := lookupJSON(doc, path, s.rng)
		if !ok {
			return false
		}
		s.vars[c.Var] = v
	}
	return true
}

// lookupJSON follows path through doc; "*" picks an array element at
// random. Strings are returned as they are, numbers and booleans in their
// JSON form; objects, arrays and null are not values.
func lookupJSON(doc any, path []string, rng *rand.Rand) (string, bool) {
	cur := doc
	for _, seg := range path {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[seg]
			if !ok {
				return "", false
			}
			cur = next
		case []any:
			if len(v) == 0 {
				return "", false
			}
			if seg == "*" {
				cur = v[rng.IntN(len(v))]
				continue
			}
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(v) {
				return "", false
			}
			cur = v[i]
		default:
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// runRange asks for the step's byte windows, one request each.
func (w *worker) runRange(s *session, st *Step, label int, at time.Time) (time.Time, bool) {
	r := st.Range
	n := int64(r.Requests)
	if r.Offset == "sequential" && n == 0 {
		n = (r.ObjectBytes + r.Bytes - 1) / r.Bytes
	}
	var next int64
	for range n {
		var first int64
		if r.Offset == "sequential" {
			first = next
			if first >= r.ObjectBytes {
				first = 0 // a session asking for more windows than fit starts over
			}
		} else {
			first = s.rng.Int64N(r.ObjectBytes - r.Bytes + 1)
		}
		last := min(first+r.Bytes, r.ObjectBytes) - 1
		next = last + 1
		x := &w.x
		if !w.build(x, s, st, at) {
			return at, false
		}
		x.headers = append(x.headers, [2]string{"Range", "bytes=" + strconv.FormatInt(first, 10) + "-" + strconv.FormatInt(last, 10)})
		done, ok := w.send(s, st, label, at, x, func(x *exchange) string {
			return checkPartial(x, first, last)
		})
		if !ok {
			return done, false
		}
		at = done
	}
	return at, true
}

// checkPartial checks a 206's length and Content-Range start and end; the
// total after the slash is not checked (a scenario's object_bytes may
// understate a file the server holds whole).
func checkPartial(x *exchange, first, last int64) string {
	if x.status != http.StatusPartialContent {
		return "" // the step's expectations already judged the status
	}
	if x.bodyLen != last-first+1 {
		return "body_length"
	}
	var a, b int64
	if _, err := fmt.Sscanf(x.contentRange, "bytes %d-%d/", &a, &b); err != nil || a != first || b != last {
		return "content_range"
	}
	return ""
}

// send waits until intended, sends x, records it under label and reports
// when it completed and whether it succeeded. check, when set, judges a
// response whose status the step expects ("" = fine, else an error kind).
// A request due at or after the end of the run is not sent.
func (w *worker) send(s *session, st *Step, label int, intended time.Time, x *exchange, check func(*exchange) string) (time.Time, bool) {
	r := w.r
	if !intended.Before(r.end) {
		return intended, false
	}
	if d := time.Until(intended); d > 0 && !w.sleep(d) {
		return intended, false
	}
	if c := s.jar.header(); c != "" {
		x.headers = append(x.headers, [2]string{"Cookie", c})
	}
	sent := time.Now()
	err := r.client.do(x)
	done := time.Now()
	kind := ""
	switch {
	case err != nil:
		kind = errorKind(err)
	default:
		for _, line := range x.setCookies {
			s.jar.set(line, done)
		}
		if !st.expects(x.status) {
			kind = statusKind(x.status)
		} else if check != nil {
			kind = check(x)
		}
	}
	w.rec.record(r, label, intended, sent, done, x.bodyLen, kind)
	return done, kind == ""
}

// statusKind names an unexpected status: "status_503".
func statusKind(code int) string { return "status_" + strconv.Itoa(code) }
