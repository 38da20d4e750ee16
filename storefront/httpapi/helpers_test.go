package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/dynamo/dynamotest"
	"github.com/strata3d/strata/storefront/httpapi"
	"github.com/strata3d/strata/storefront/postgres"
	"github.com/strata3d/strata/storefront/postgres/pgtest"
	"github.com/strata3d/strata/storefront/sqlite"
)

const adminToken = "test-admin-token-0123456789abcdef"

// clock is a settable clock for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a running API over a backend, with the pieces tests inspect.
type env struct {
	URL   string
	Svc   *storefront.Service
	PG    *postgres.DB // set for the aws backend
	Clock *clock
}

type options struct {
	backend  string // "sqlite" (default) or "aws" (DynamoDB + PostgreSQL)
	mutate   func(*storefront.Config)
	api      func(*httpapi.Config)
	payments storefront.PaymentProvider
}

// testConfig is the service configuration of tests: argon2id at a cost far
// below production through the explicit knob, generous rate limits.
func testConfig(c *clock) storefront.Config {
	cfg := storefront.DefaultConfig()
	cfg.Password = storefront.PasswordConfig{MemoryKiB: 64, Iterations: 1, Parallelism: 1, InsecureLowCost: true}
	cfg.LoginPerIP = storefront.RateConfig{Burst: 10000, Every: time.Millisecond}
	cfg.Now = c.Now
	return cfg
}

func startEnv(tb testing.TB, o options) *env {
	tb.Helper()
	e := &env{Clock: &clock{t: time.Now().UTC()}}
	var stores storefront.Stores
	switch o.backend {
	case "", "sqlite":
		db, err := sqlite.Open(tb.Context(), tb.TempDir()+"/strata.db")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		stores = db.Stores()
	case "aws":
		dyn := dynamotest.MustOpen(tb)
		pg := pgtest.MustOpen(tb)
		e.PG = pg
		stores = storefront.Stores{Products: dyn, Sessions: dyn, Carts: dyn, Customers: pg, Inventory: pg, Orders: pg}
	default:
		tb.Fatalf("unknown backend %q", o.backend)
	}
	cfg := testConfig(e.Clock)
	if o.mutate != nil {
		o.mutate(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := storefront.New(cfg, stores, o.payments, log)
	if err != nil {
		tb.Fatal(err)
	}
	e.Svc = svc
	acfg := httpapi.Config{AdminToken: adminToken, Logger: log}
	if o.api != nil {
		o.api(&acfg)
	}
	api, err := httpapi.New(svc, acfg)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(api)
	tb.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// client is one browser: it keeps the session cookie by hand, because the
// cookie is Secure and the test server speaks plain HTTP on loopback.
type client struct {
	tb      testing.TB
	base    string
	cookie  string
	headers map[string]string
}

func (e *env) client(tb testing.TB) *client {
	return &client{tb: tb, base: e.URL, headers: map[string]string{}}
}

func (e *env) admin(tb testing.TB) *client {
	c := e.client(tb)
	c.headers["Authorization"] = "Bearer " + adminToken
	return c
}

type response struct {
	*http.Response
	Body []byte
}

func (r response) decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

var httpClient = &http.Client{Timeout: 60 * time.Second}

// do sends a request; body may be nil, a string (sent as is) or a value
// (sent as JSON).
func (c *client) do(method, path string, body any, headers ...string) response {
	c.tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.tb.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(c.tb.Context(), method, c.base+path, rd)
	if err != nil {
		c.tb.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "__Host-session", Value: c.cookie})
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tb.Fatal(err)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-session" {
			c.cookie = ck.Value
			if ck.MaxAge < 0 {
				c.cookie = ""
			}
		}
	}
	return response{resp, b}
}

// must sends a request and fails unless the status is want.
func (c *client) must(want int, method, path string, body any, headers ...string) response {
	c.tb.Helper()
	r := c.do(method, path, body, headers...)
	if r.StatusCode != want {
		c.tb.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.StatusCode, want, r.Body)
	}
	return r
}

// problem checks r is a problem document with status and code.
func problem(tb testing.TB, r response, status int, code string) httpapi.Problem {
	tb.Helper()
	if r.StatusCode != status {
		tb.Fatalf("status %d, want %d; body %s", r.StatusCode, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p httpapi.Problem
	r.decode(tb, &p)
	if p.Status != status || p.Code != code || p.Title == "" || p.Detail == "" || p.Type == "" {
		tb.Fatalf("problem %+v, want status %d code %s", p, status, code)
	}
	return p
}

// product is an admin product payload.
func product(slug string, price int64, stock map[string]int) map[string]any {
	var variants []map[string]any
	for sku, n := range stock {
		variants = append(variants, map[string]any{"sku": sku, "stock": n, "options": map[string]string{"finish": "oak"}})
	}
	return map[string]any{
		"slug": slug, "title": "The " + slug, "description": "Made in tests.", "category": "chairs",
		"tags": []string{"Wood", "living"}, "price": price, "currency": "EUR", "variants": variants,
		"images": []map[string]string{{"url": "/assets/" + slug + ".jpg"}}, "model_id": "tufted-armchair",
	}
}

func (e *env) mustProduct(tb testing.TB, slug string, price int64, stock map[string]int) storefront.Product {
	tb.Helper()
	var p storefront.Product
	e.admin(tb).must(201, "POST", "/api/v1/admin/products", product(slug, price, stock)).decode(tb, &p)
	return p
}

// shopper signs up and logs in a customer.
func (e *env) shopper(tb testing.TB, email string) *client {
	tb.Helper()
	c := e.client(tb)
	c.must(201, "POST", "/api/v1/customers", map[string]string{"email": email, "password": "correct horse battery", "name": "Ada"})
	c.must(201, "POST", "/api/v1/sessions", map[string]string{"email": email, "password": "correct horse battery"})
	if c.cookie == "" {
		tb.Fatal("login set no session cookie")
	}
	return c
}

var shipping = map[string]any{"shipping": map[string]string{
	"name": "Ada Lovelace", "line1": "1 Analytical Way", "city": "London", "postal_code": "N1 9GU", "country": "GB"}}
