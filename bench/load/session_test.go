package load_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata3d/strata/bench/load"
)

// shop imitates the storefront API (storefront/httpapi: the routes of
// issue 6, the response shapes the real API sends) only as far as the
// generator's session logic needs proving: a session cookie set
// by the server and regenerated at login, a guest cart bound to it,
// captures from JSON bodies, and checkout with an Idempotency-Key. It
// records what each session did so the test can check that cookies never
// leak between sessions and that think times were observed.
type shop struct {
	mu       sync.Mutex
	sessions map[string]*shopSession // by cookie value
	emails   map[string]bool
	problems []string
}

type shopSession struct {
	email     string // after login
	cart      []string
	last      time.Time // previous request
	gaps      []time.Duration
	checkouts int
	keys      map[string]bool
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func (s *shop) problem(format string, args ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

func newCookie() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	// The session: from the cookie, or a fresh guest session.
	var sess *shopSession
	var id string
	if c, err := r.Cookie("__Host-session"); err == nil {
		id = c.Value
		if sess = s.sessions[id]; sess == nil {
			s.problem("%s %s: unknown session cookie %q", r.Method, r.URL.Path, id)
			http.Error(w, "unknown session", http.StatusUnauthorized)
			return
		}
		sess.gaps = append(sess.gaps, time.Since(sess.last))
	} else {
		id, sess = newCookie(), &shopSession{keys: map[string]bool{}}
		s.sessions[id] = sess
	}
	sess.last = time.Now()
	setSession := func(id string) {
		http.SetCookie(w, &http.Cookie{Name: "__Host-session", Value: id, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	setSession(id)
	writeJSON := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/api/v1/products":
		writeJSON(200, map[string]any{"products": []map[string]any{{"id": "p1", "slug": "oak-chair"}, {"id": "p2", "slug": "brass-lamp"}}})
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/v1/products/"):
		slug := strings.TrimPrefix(r.URL.Path, "/api/v1/products/")
		if slug != "oak-chair" && slug != "brass-lamp" {
			writeJSON(404, map[string]string{"title": "not found"})
			return
		}
		writeJSON(200, map[string]any{"slug": slug, "variants": []map[string]any{{"sku": strings.ToUpper(slug) + "-1", "price": 12900}}})
	case r.Method == "POST" && r.URL.Path == "/api/v1/cart/items":
		var item struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
		}
		if err := json.Unmarshal(body, &item); err != nil || item.SKU == "" || item.Quantity != 1 {
			s.problem("add to cart: body %q", body)
			writeJSON(422, map[string]string{"title": "bad item"})
			return
		}
		sess.cart = append(sess.cart, item.SKU)
		writeJSON(200, map[string]any{"lines": len(sess.cart)})
	case r.Method == "POST" && r.URL.Path == "/api/v1/customers":
		var c struct{ Email, Password string }
		if err := json.Unmarshal(body, &c); err != nil || !strings.Contains(c.Email, "@") || s.emails[c.Email] {
			s.problem("sign-up: body %q (taken: %v)", body, s.emails[c.Email])
			writeJSON(409, map[string]string{"title": "email taken"})
			return
		}
		s.emails[c.Email] = true
		writeJSON(201, map[string]string{"email": c.Email})
	case r.Method == "POST" && r.URL.Path == "/api/v1/sessions":
		var c struct{ Email string }
		_ = json.Unmarshal(body, &c)
		if !s.emails[c.Email] {
			writeJSON(401, map[string]string{"title": "bad login"})
			return
		}
		// Login regenerates the session id; the guest cart moves along.
		delete(s.sessions, id)
		sess.email = c.Email
		nid := newCookie()
		s.sessions[nid] = sess
		setSession(nid)
		writeJSON(201, map[string]string{"email": c.Email})
	case r.Method == "GET" && r.URL.Path == "/api/v1/cart":
		writeJSON(200, map[string]any{"lines": sess.cart})
	case r.Method == "POST" && r.URL.Path == "/api/v1/checkout":
		key := r.Header.Get("Idempotency-Key")
		switch {
		case sess.email == "":
			writeJSON(401, map[string]string{"title": "log in first"})
		case !uuidRe.MatchString(key):
			s.problem("checkout: Idempotency-Key %q is not a v4 UUID", key)
			writeJSON(400, map[string]string{"title": "bad key"})
		case len(sess.cart) == 0:
			writeJSON(422, map[string]string{"title": "empty cart"})
		default:
			sess.checkouts++
			sess.keys[key] = true
			writeJSON(201, map[string]any{"order": "o-" + key[:8]})
		}
	default:
		writeJSON(404, map[string]string{"title": "no route"})
	}
}

const shopScenario = `{"name": "shop", "peer": "none", "mode": "open", "rate": 20, "connections": 32,
	"duration": "1s", "steps": [
	{"name": "browse", "path": "/api/v1/products", "capture": [{"var": "slug", "json": "products.*.slug"}]},
	{"name": "product", "think": {"min": "40ms", "max": "80ms"}, "path": "/api/v1/products/{var:slug}",
	 "capture": [{"var": "sku", "json": "variants.0.sku"}]},
	{"name": "add", "think": "40ms", "method": "POST", "path": "/api/v1/cart/items",
	 "headers": {"Content-Type": "application/json"}, "body": "{\"sku\": \"{var:sku}\", \"quantity\": 1}", "expect": [200]},
	{"name": "signup", "method": "POST", "path": "/api/v1/customers", "headers": {"Content-Type": "application/json"},
	 "body": "{\"email\": \"bench-{run}-{session}@example.com\", \"password\": \"correct horse {session}\"}", "expect": [201]},
	{"name": "login", "method": "POST", "path": "/api/v1/sessions", "headers": {"Content-Type": "application/json"},
	 "body": "{\"email\": \"bench-{run}-{session}@example.com\", \"password\": \"correct horse {session}\"}", "expect": [201]},
	{"name": "cart", "path": "/api/v1/cart"},
	{"name": "checkout", "think": "40ms", "method": "POST", "path": "/api/v1/checkout",
	 "headers": {"Idempotency-Key": "{uuid}", "Content-Type": "application/json"}, "body": "{}", "expect": [201]}]}`

// TestStorefrontSessions runs 20 shopper sessions (browse → product → add
// to cart → sign up → log in → cart → checkout) against the imitation and
// checks the generator's side of each: cookies kept per session and
// replaced at login, captured values used, think times observed, one
// Idempotency-Key per session.
func TestStorefrontSessions(t *testing.T) {
	sh := &shop{sessions: map[string]*shopSession{}, emails: map[string]bool{}}
	srv := httptest.NewServer(sh)
	defer srv.Close()
	res := run(t, scenario(t, shopScenario), srv.URL)

	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, p := range sh.problems {
		t.Error(p)
	}
	// Sessions still going when the window closes are cut: a request due
	// after the end is not sent. The ones started in the first half finish.
	if res.Errors != 0 || res.Sessions != 20 || res.Requests < 10*7 || res.Requests > 20*7 {
		t.Fatalf("sessions %d, requests %d, errors %d (%v); want 20 sessions, 70-140 requests, no errors", res.Sessions, res.Requests, res.Errors, res.ErrorsByKind)
	}
	if len(res.Steps) != 7 || res.Steps[6].Name != "checkout" || res.Steps[0].Requests != 20 {
		t.Fatalf("steps %+v", res.Steps)
	}
	var orders int
	for _, s := range sh.sessions {
		if s.checkouts == 0 {
			continue // cut by the end of the run, or the guest entry a login replaced
		}
		orders += s.checkouts
		if len(s.cart) != 1 || s.checkouts != 1 || len(s.keys) != 1 || s.email == "" {
			t.Errorf("session %q: cart %v, %d checkouts, %d keys; want one of each", s.email, s.cart, s.checkouts, len(s.keys))
		}
		// gaps[0] is browse → product (think ≥ 40 ms), gaps[1] product →
		// add (think 40 ms), gaps[5] cart → checkout (think 40 ms).
		if len(s.gaps) != 6 {
			t.Fatalf("session %s: %d requests after the first, want 6", s.email, len(s.gaps))
		}
		for _, i := range []int{0, 1, 5} {
			if s.gaps[i] < 40*time.Millisecond {
				t.Errorf("session %s: gap %d is %v, shorter than its think time", s.email, i, s.gaps[i])
			}
		}
	}
	if int64(orders) != res.Steps[6].Requests || orders < 10 {
		t.Errorf("%d orders, %d checkout requests; want equal and at least 10", orders, res.Steps[6].Requests)
	}
}

// TestSessionFailuresAreCounted: a capture that finds nothing ends the
// session with a "capture" error; an unexpected status is "status_NNN".
func TestSessionFailuresAreCounted(t *testing.T) {
	sh := &shop{sessions: map[string]*shopSession{}, emails: map[string]bool{}}
	srv := httptest.NewServer(sh)
	defer srv.Close()
	res := run(t, scenario(t, `{"name": "broken", "mode": "open", "rate": 10, "duration": "1s", "steps": [
		{"name": "browse", "path": "/api/v1/products", "capture": [{"var": "slug", "json": "items.*.slug"}]},
		{"name": "product", "path": "/api/v1/products/{var:slug}"}]}`), srv.URL)
	if res.Errors != 10 || res.ErrorsByKind["capture"] != 10 || res.Requests != 10 {
		t.Errorf("errors %d %v, requests %d; want 10 capture errors and no product requests", res.Errors, res.ErrorsByKind, res.Requests)
	}
	res = run(t, scenario(t, `{"name": "nologin", "mode": "open", "rate": 10, "duration": "1s", "steps": [
		{"name": "checkout", "method": "POST", "path": "/api/v1/checkout", "headers": {"Idempotency-Key": "{uuid}"}, "expect": [201]}]}`), srv.URL)
	if res.ErrorsByKind["status_401"] != 10 {
		t.Errorf("errors %v, want 10 × status_401", res.ErrorsByKind)
	}
}

// rangeLog is a file server that records each Range header it answers.
type rangeLog struct {
	mu     sync.Mutex
	ranges []string
	data   []byte
	short  bool // answer one byte short
}

func (l *rangeLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.ranges = append(l.ranges, r.URL.Path+" "+r.Header.Get("Range"))
	l.mu.Unlock()
	if l.short {
		w.Header().Set("Content-Range", "bytes 0-0/1")
		w.WriteHeader(http.StatusPartialContent)
		return
	}
	http.ServeContent(w, r, "f.glb", time.Time{}, bytes.NewReader(l.data))
}

func TestSequentialRangesWalkTheObject(t *testing.T) {
	l := &rangeLog{data: bytes.Repeat([]byte("0123456789"), 100)} // 1000 bytes
	srv := httptest.NewServer(l)
	defer srv.Close()
	res := run(t, scenario(t, `{"name": "walk", "mode": "open", "rate": 5, "duration": "1s",
		"keys": {"list": ["a.glb"]},
		"steps": [{"name": "walk", "path": "/{key}", "range": {"bytes": 300, "object_bytes": 1000, "offset": "sequential"}}]}`), srv.URL)
	if res.Errors != 0 || res.Requests != 20 || res.Bytes != 5000 {
		t.Fatalf("requests %d bytes %d errors %d %v; want 5 sessions × 4 windows, 5000 bytes", res.Requests, res.Bytes, res.Errors, res.ErrorsByKind)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	want := []string{"/a.glb bytes=0-299", "/a.glb bytes=300-599", "/a.glb bytes=600-899", "/a.glb bytes=900-999"}
	counts := map[string]int{}
	for _, r := range l.ranges {
		counts[r]++
	}
	for _, w := range want {
		if counts[w] != 5 {
			t.Errorf("%q asked %d times, want 5 (all: %v)", w, counts[w], l.ranges)
		}
	}
}

func TestRandomRangesStayInside(t *testing.T) {
	l := &rangeLog{data: make([]byte, 5000)}
	srv := httptest.NewServer(l)
	defer srv.Close()
	res := run(t, scenario(t, `{"name": "rnd", "mode": "closed", "connections": 2, "duration": "300ms",
		"steps": [{"name": "get", "path": "/x.glb", "range": {"bytes": 1000, "object_bytes": 5000, "requests": 3}}]}`), srv.URL)
	if res.Errors != 0 || res.Requests == 0 || res.Bytes != res.Requests*1000 {
		t.Fatalf("requests %d bytes %d errors %v", res.Requests, res.Bytes, res.ErrorsByKind)
	}
	l.short = true
	res = run(t, scenario(t, `{"name": "rnd", "mode": "open", "rate": 10, "duration": "1s",
		"steps": [{"name": "get", "path": "/x.glb", "range": {"bytes": 1000, "object_bytes": 5000}}]}`), srv.URL)
	if res.ErrorsByKind["body_length"] != 10 {
		t.Errorf("errors %v, want 10 body_length from a server answering short", res.ErrorsByKind)
	}
}

// TestViewerStreamsCoarsestFirst: the progressive step reads the pointer,
// then the coarsest prefix, then each finer level's range, in that order,
// from the URL the pointer names relative to itself.
func TestViewerStreamsCoarsestFirst(t *testing.T) {
	glb := make([]byte, 10000)
	manifest := `{"version": 1, "progressive": {"file": "progressive.glb", "bytes": 10000},
		"published": {"id": "chair", "version": "abc123", "base": "abc123/", "progressive": "abc123/progressive.glb"},
		"levels": [{"progressiveRange": [3000, 10000], "progressivePrefix": 10000},
		           {"progressiveRange": [1000, 3000], "progressivePrefix": 3000},
		           {"progressiveRange": [1000, 1000], "progressivePrefix": 1000},
		           {"progressiveRange": [200, 1000], "progressivePrefix": 1000}]}`
	var mu sync.Mutex
	var log []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		log = append(log, r.URL.Path+" "+r.Header.Get("Range"))
		mu.Unlock()
		switch r.URL.Path {
		case "/models/chair/manifest.json":
			w.Write([]byte(manifest))
		case "/models/chair/abc123/progressive.glb":
			http.ServeContent(w, r, "p.glb", time.Time{}, bytes.NewReader(glb))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		finest int
		want   []string
	}{
		{0, []string{"/models/chair/manifest.json ", "/models/chair/abc123/progressive.glb bytes=0-999",
			"/models/chair/abc123/progressive.glb bytes=1000-2999", "/models/chair/abc123/progressive.glb bytes=3000-9999"}},
		{1, []string{"/models/chair/manifest.json ", "/models/chair/abc123/progressive.glb bytes=0-999",
			"/models/chair/abc123/progressive.glb bytes=1000-2999"}},
	} {
		log = nil
		res := run(t, scenario(t, fmt.Sprintf(`{"name": "viewer", "mode": "open", "rate": 1, "duration": "1s",
			"keys": {"list": ["chair"]},
			"steps": [{"name": "view", "path": "/models/{key}/manifest.json", "progressive": {"finest": %d}}]}`, tc.finest)), srv.URL)
		if res.Errors != 0 || fmt.Sprint(log) != fmt.Sprint(tc.want) {
			t.Errorf("finest %d: errors %v, requests:\n%q\nwant:\n%q", tc.finest, res.ErrorsByKind, log, tc.want)
		}
		if len(res.Steps) != 3 || res.Steps[0].Name != "view:manifest" || res.Steps[1].Requests != 1 || res.Steps[2].Requests != int64(len(tc.want)-2) {
			t.Errorf("finest %d: steps %+v", tc.finest, res.Steps)
		}
	}
}

func TestKeysAreSeededAndSkewed(t *testing.T) {
	f, err := load.ParseFile([]byte(`{"version": 1, "scenarios": [
		{"name": "z", "mode": "closed", "duration": "1s", "keys": {"pattern": "k{n}", "count": 100, "start": 5}, "steps": [{"name": "g", "path": "/{key}"}]},
		{"name": "s", "mode": "closed", "duration": "1s", "keys": {"pattern": "k{n}", "count": 10, "order": "sequential"}, "steps": [{"name": "g", "path": "/{key}"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	z, s := f.Scenarios[0].Keys, f.Scenarios[1].Keys
	counts := make(map[string]int)
	for i := range int64(20000) {
		k, n, _ := load.KeyFor(z, i, 0)
		if k2, _, _ := load.KeyFor(z, i, 0); k2 != k {
			t.Fatalf("session %d drew %q then %q", i, k, k2)
		}
		if n < 5 || n >= 105 || k != fmt.Sprintf("k%d", n) {
			t.Fatalf("key %q index %d outside the pattern's range", k, n)
		}
		counts[k]++
	}
	// Zipf(s=1.1, v=1) over 100 keys: the first key is drawn about 17 %
	// of the time and the popularity falls with rank.
	if counts["k5"] < counts["k6"] || counts["k6"] < counts["k10"] || counts["k10"] < counts["k50"] || counts["k5"] < 2000 {
		t.Errorf("not Zipf-shaped: k5 %d, k6 %d, k10 %d, k50 %d", counts["k5"], counts["k6"], counts["k10"], counts["k50"])
	}
	for i, want := range []struct {
		key     string
		wrapped bool
	}{{"k7", false}, {"k8", false}, {"k9", false}, {"k0", true}} {
		k, _, wrapped := load.KeyFor(s, int64(i), 7)
		if k != want.key || wrapped != want.wrapped {
			t.Errorf("sequential session %d from offset 7: %q wrapped %v, want %q %v", i, k, wrapped, want.key, want.wrapped)
		}
	}
}

// TestProgressiveURL: where the progressive GLB is, for the layouts a
// viewer meets.
func TestProgressiveURL(t *testing.T) {
	const levels = `"levels": [{"progressiveRange": [100, 1000], "progressivePrefix": 1000}, {"progressiveRange": [20, 100], "progressivePrefix": 100}]`
	cases := []struct {
		name, manifest, want, err string
	}{
		{"publisher's pointer", `{"version": 1, "progressive": {"file": "progressive.glb", "bytes": 1000}, "published": {"base": "v1/", "progressive": "v1/progressive.glb"}, ` + levels + `}`, "http://h/models/a/v1/progressive.glb", ""},
		{"base only", `{"version": 1, "progressive": {"file": "progressive.glb", "bytes": 1000}, "published": {"base": "v2/"}, ` + levels + `}`, "http://h/models/a/v2/progressive.glb", ""},
		{"bake directory", `{"version": 1, "progressive": {"file": "progressive.glb", "bytes": 1000}, ` + levels + `}`, "http://h/models/a/progressive.glb", ""},
		{"absolute path", `{"version": 1, "progressive": {"file": "progressive.glb", "bytes": 1000}, "published": {"progressive": "/cdn/p.glb"}, ` + levels + `}`, "http://h/cdn/p.glb", ""},
		{"other scheme", `{"version": 1, "progressive": {"file": "progressive.glb", "bytes": 1000}, "published": {"progressive": "file:///etc/passwd"}, ` + levels + `}`, "", "resolves to"},
		{"unknown version", `{"version": 2, "progressive": {"file": "p.glb", "bytes": 1000}, ` + levels + `}`, "", "version 2"},
		{"prefix past the end", `{"version": 1, "progressive": {"file": "p.glb", "bytes": 50}, ` + levels + `}`, "", "outside"},
		{"no levels", `{"version": 1, "progressive": {"file": "p.glb", "bytes": 50}, "levels": []}`, "", "no levels"},
		{"not JSON", `<html>`, "", "manifest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, spans, err := load.ParseViewerManifest([]byte(tc.manifest), "http://h/models/a/manifest.json", 0)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want || len(spans) != 2 {
				t.Fatalf("%q %v %v, want %q and 2 spans", got, spans, err, tc.want)
			}
		})
	}
}
