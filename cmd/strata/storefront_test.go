package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/jackc/pgx/v5"

	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/dynamo"
	"github.com/strata3d/strata/storefront/sqlite"
)

const testAdminToken = "storefront-test-admin-token-0123456789abcdef"

// startStorefrontApp runs `strata serve` in process on port 0 with the
// storefront configured by mutate, without demo content (its models take
// minutes to bake on a small machine).
func startStorefrontApp(t *testing.T, mutate func(*serveConfig)) string {
	t.Helper()
	cfg := defaultServeConfig()
	cfg.AssetsDir = filepath.Join(t.TempDir(), "assets")
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Server.MaxBodyBytes = 8 << 10
	cfg.Cache.MaxBytes = 64 << 20
	cfg.Demo = false
	cfg.Publish.AdminToken = testAdminToken
	if mutate != nil {
		mutate(&cfg)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := newServeApp(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		app.Close()
	})
	return "http://" + app.Addr()
}

type apiCall struct {
	status int
	header http.Header
	body   []byte
}

func callAPI(t *testing.T, method, url, body string, headers ...string) apiCall {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiCall{resp.StatusCode, resp.Header, b}
}

func (c apiCall) problem(t *testing.T, status int, code string) {
	t.Helper()
	var p struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
		Title  string `json:"title"`
	}
	if c.status != status || c.header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(c.body, &p) != nil ||
		p.Status != status || (code != "" && p.Code != code) || p.Title == "" {
		t.Fatalf("want a %d %s problem, got %d %s: %s", status, code, c.status, c.header.Get("Content-Type"), c.body)
	}
}

// TestStorefrontThroughTheOrigin drives the storefront API through the real
// fasthttp server (server.New with Deps.API): cookies, status codes and
// problem bodies cross the net/http adaptor intact.
func TestStorefrontThroughTheOrigin(t *testing.T) {
	base := startStorefrontApp(t, nil)
	api := base + "/api/v1"
	if c := callAPI(t, "GET", api+"/products", ""); c.status != 200 || !bytes.Contains(c.body, []byte(`"products":[]`)) {
		t.Fatalf("empty catalog: %d %s", c.status, c.body)
	}
	prod := `{"slug":"oak-chair","title":"Oak Chair","price":12900,"currency":"EUR","model_id":"tufted-armchair","variants":[{"sku":"CHAIR-1","stock":2}]}`
	callAPI(t, "POST", api+"/admin/products", prod).problem(t, 401, "unauthenticated")
	if c := callAPI(t, "POST", api+"/admin/products", prod, "Authorization", "Bearer "+testAdminToken); c.status != 201 {
		t.Fatalf("create product: %d %s", c.status, c.body)
	}

	if c := callAPI(t, "POST", api+"/customers", `{"email":"e2e@example.com","password":"correct horse battery"}`); c.status != 201 {
		t.Fatalf("sign up: %d %s", c.status, c.body)
	}
	login := callAPI(t, "POST", api+"/sessions", `{"email":"e2e@example.com","password":"correct horse battery"}`)
	if login.status != 201 {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	raw := login.header.Get("Set-Cookie")
	for _, want := range []string{"__Host-session=", "; Path=/", "; HttpOnly", "; Secure", "; SameSite=Lax", "; Max-Age="} {
		if !strings.Contains(raw, want) {
			t.Fatalf("Set-Cookie %q lacks %q", raw, want)
		}
	}
	cookie := strings.SplitN(raw, ";", 2)[0]
	if c := callAPI(t, "GET", api+"/customers/me", "", "Cookie", cookie); c.status != 200 || !bytes.Contains(c.body, []byte("e2e@example.com")) {
		t.Fatalf("me: %d %s", c.status, c.body)
	}
	if c := callAPI(t, "POST", api+"/cart/items", `{"sku":"CHAIR-1","quantity":2}`, "Cookie", cookie); c.status != 200 {
		t.Fatalf("add to cart: %d %s", c.status, c.body)
	}
	callAPI(t, "POST", api+"/cart/items", `{"sku":"CHAIR-1"}`, "Cookie", cookie, "Sec-Fetch-Site", "cross-site").problem(t, 403, "forbidden")

	body := `{"shipping":{"name":"Ada","line1":"1 Main St","city":"Berlin","postal_code":"10115","country":"DE"}}`
	first := callAPI(t, "POST", api+"/checkout", body, "Cookie", cookie, "Idempotency-Key", "e2e-1")
	if first.status != 201 || !strings.HasPrefix(first.header.Get("Location"), "/api/v1/orders/ord_") {
		t.Fatalf("checkout: %d %v %s", first.status, first.header, first.body)
	}
	replay := callAPI(t, "POST", api+"/checkout", body, "Cookie", cookie, "Idempotency-Key", "e2e-1")
	if replay.status != 201 || replay.header.Get("Idempotent-Replayed") != "true" || replay.header.Get("Location") != first.header.Get("Location") {
		t.Fatalf("replay: %d %v %s", replay.status, replay.header, replay.body)
	}
	callAPI(t, "POST", api+"/checkout", strings.Replace(body, "Ada", "Bob", 1), "Cookie", cookie, "Idempotency-Key", "e2e-1").problem(t, 422, "idempotency_mismatch")
	callAPI(t, "GET", base+first.header.Get("Location"), "").problem(t, 401, "unauthenticated")
	if c := callAPI(t, "GET", base+first.header.Get("Location"), "", "Cookie", cookie); c.status != 200 || !bytes.Contains(c.body, []byte(`"status":"paid"`)) {
		t.Fatalf("order: %d %s", c.status, c.body)
	}
	if c := callAPI(t, "GET", api+"/products/oak-chair", ""); !bytes.Contains(c.body, []byte(`"stock":0`)) {
		t.Fatalf("stock after checkout: %s", c.body)
	}

	callAPI(t, "GET", api+"/orders/ord_aaaaaaaaaaaaaaaaaaaaaaaa", "", "Cookie", cookie).problem(t, 404, "not_found")
	m := callAPI(t, "PUT", api+"/products", "")
	m.problem(t, 405, "method_not_allowed")
	if m.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("Allow %q", m.header.Get("Allow"))
	}
	callAPI(t, "POST", api+"/customers", `{"email":"x@example.com","password":"`+strings.Repeat("x", 9<<10)+`"}`).problem(t, 413, "")
	if c := callAPI(t, "DELETE", api+"/sessions/current", "", "Cookie", cookie); c.status != 204 || !strings.Contains(c.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", c.status, c.header)
	}
	callAPI(t, "GET", api+"/customers/me", "", "Cookie", cookie).problem(t, 401, "unauthenticated")
}

func TestStorefrontOff(t *testing.T) {
	base := startStorefrontApp(t, func(c *serveConfig) { c.Storefront.Backend = "off" })
	callAPI(t, "GET", base+"/api/v1/products", "").problem(t, 404, "")
}

func TestStorefrontFlagValidation(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown backend", []string{"--storefront", "mysql"}, "--storefront must be"},
		{"aws without a DSN", []string{"--storefront", "aws"}, "--postgres-dsn"},
		{"stripe without a key", []string{"--payment-provider", "stripe"}, "secret key"},
		{"unknown provider", []string{"--payment-provider", "paypal"}, "--payment-provider"},
		{"webhook secret shape", []string{"--stripe-webhook-secret", "abc"}, "whsec_"},
		{"bad trusted origin", []string{"--api-trusted-origins", "shop.example"}, "trusted origin"},
		{"session ages", []string{"--session-idle-timeout", "2h", "--session-max-age", "1h"}, "max age"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), append([]string{"serve", "--assets-dir", t.TempDir()}, tc.args...), io.Discard, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tc.want)
			}
		})
	}
}

// TestDemoCatalog seeds the demo products into an empty catalog, once, each
// linked to a demo model that `strata serve` publishes.
func TestDemoCatalog(t *testing.T) {
	var names []string
	for _, m := range meshgen.Demo() {
		names = append(names, m.Name)
	}
	var linked []string
	for _, p := range demoCatalog() {
		linked = append(linked, p.ModelID)
	}
	slices.Sort(names)
	slices.Sort(linked)
	if !slices.Equal(names, linked) {
		t.Fatalf("demo products link models %v, the demo models are %v", linked, names)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := storefront.New(storefront.DefaultConfig(), db.Stores(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for round, want := range []int{6, 0} {
		n, err := seedDemoCatalog(context.Background(), svc)
		if err != nil || n != want {
			t.Fatalf("round %d: seeded %d, %v; want %d", round, n, err, want)
		}
	}
	p, err := svc.Product(context.Background(), "tufted-velvet-armchair")
	if err != nil || p.ModelID != "tufted-armchair" || p.Variants[0].Stock == 0 {
		t.Fatalf("demo product %+v, %v", p, err)
	}
}

// TestMigrateAndServeAWS runs `strata migrate --storefront aws` against
// dynalite and PostgreSQL, then serves the storefront from them; a server on
// an unmigrated database refuses to start.
func TestMigrateAndServeAWS(t *testing.T) {
	dsn, endpoint := os.Getenv("STRATA_TEST_POSTGRES"), os.Getenv("STRATA_TEST_DYNAMO_ENDPOINT")
	if dsn == "" || endpoint == "" {
		if testing.Short() {
			t.Skip("STRATA_TEST_POSTGRES and STRATA_TEST_DYNAMO_ENDPOINT are not set")
		}
		t.Fatal("STRATA_TEST_POSTGRES and STRATA_TEST_DYNAMO_ENDPOINT must be set: run the tests through scripts/testenv.sh run")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "strata-test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "strata-test-secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	b := make([]byte, 6)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	schema, prefix := "strata_cmd_"+suffix, "cmd"+suffix+"_"
	t.Cleanup(func() {
		if conn, err := pgx.Connect(context.Background(), dsn); err == nil {
			conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			conn.Close(context.Background())
		}
		dcfg := dynamo.DefaultConfig()
		dcfg.Endpoint, dcfg.TablePrefix = endpoint, prefix
		dcfg.Credentials = credentials.NewStaticCredentialsProvider("strata-test", "strata-test-secret", "")
		if s, err := dynamo.New(context.Background(), dcfg); err == nil {
			s.DeleteTables(context.Background())
		}
	})
	args := []string{"--storefront", "aws", "--postgres-dsn", dsn, "--postgres-schema", schema,
		"--dynamo-endpoint", endpoint, "--dynamo-table-prefix", prefix}
	aws := func(c *serveConfig) {
		c.Storefront.Backend = "aws"
		c.Storefront.Postgres.DSN, c.Storefront.Postgres.Schema = dsn, schema
		c.Storefront.Dynamo.Endpoint, c.Storefront.Dynamo.TablePrefix = endpoint, prefix
	}

	// Not migrated yet: serve refuses, naming the fix.
	cfg := defaultServeConfig()
	cfg.AssetsDir, cfg.Server.Addr, cfg.Demo = t.TempDir(), "127.0.0.1:0", false
	aws(&cfg)
	if _, err := newServeApp(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), io.Discard); err == nil || !strings.Contains(err.Error(), "strata migrate") {
		t.Fatalf("serve on an unmigrated database: %v", err)
	}

	for range 2 { // migrate is idempotent
		var out, errOut bytes.Buffer
		if code := run(context.Background(), append([]string{"migrate"}, args...), &out, &errOut); code != 0 {
			t.Fatalf("migrate exit %d: %s %s", code, out.String(), errOut.String())
		}
		if !strings.Contains(out.String(), "migrated") {
			t.Fatalf("migrate said %q", out.String())
		}
	}
	base := startStorefrontApp(t, aws)
	prod := `{"slug":"lamp","title":"Lamp","price":100,"currency":"EUR","variants":[{"sku":"LAMP-1","stock":3}]}`
	if c := callAPI(t, "POST", base+"/api/v1/admin/products", prod, "Authorization", "Bearer "+testAdminToken); c.status != 201 {
		t.Fatalf("create product on aws: %d %s", c.status, c.body)
	}
	if c := callAPI(t, "GET", base+"/api/v1/products/lamp", ""); c.status != 200 || !bytes.Contains(c.body, []byte(`"stock":3`)) {
		t.Fatalf("product on aws: %d %s", c.status, c.body)
	}
}

func TestMigrateSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "shop.db")
	var out bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--sqlite-path", path}, &out, io.Discard); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if code := run(context.Background(), []string{"migrate", "--storefront", "off"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("migrate with the storefront off: exit %d, want 2", code)
	}
}

func TestSQLitePathFollowsTheAssets(t *testing.T) {
	cases := []struct{ name, flag, assets, want string }{
		{"make run", "", "./data/assets", "data/strata.db"},
		{"another assets directory", "", "/srv/shop/assets", "/srv/shop/strata.db"},
		{"explicit path wins", "/var/lib/strata/shop.db", "/srv/shop/assets", "/var/lib/strata/shop.db"},
		{"explicit path equal to the old default wins", "./data/strata.db", "/srv/shop/assets", "./data/strata.db"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultStorefrontConfig()
			c.SQLitePath = tc.flag
			if got := c.sqlitePath(tc.assets); got != tc.want {
				t.Errorf("sqlitePath(%q) with --sqlite-path %q = %q, want %q", tc.assets, tc.flag, got, tc.want)
			}
		})
	}
}
