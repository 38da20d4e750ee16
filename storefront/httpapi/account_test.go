package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/httpapi"
)

func TestSignUpLoginLogout(t *testing.T) {
	e := startEnv(t, options{})
	c := e.client(t)
	var cus storefront.Customer
	r := c.must(201, "POST", "/api/v1/customers", map[string]string{"email": " Ada@Example.com ", "password": "correct horse battery", "name": "Ada"})
	r.decode(t, &cus)
	if cus.Email != "ada@example.com" || !storefront.ValidID("cus", cus.ID) || strings.Contains(string(r.Body), "argon2") {
		t.Fatalf("sign-up answered %s", r.Body)
	}
	p := problem(t, c.do("POST", "/api/v1/customers", map[string]string{"email": "ADA@example.com", "password": "another password"}), 409, "conflict")
	if p.Errors[0].Field != "email" {
		t.Errorf("conflict fields %+v", p.Errors)
	}
	p = problem(t, c.do("POST", "/api/v1/customers", map[string]string{"email": "not-an-email", "password": "short"}), 422, "invalid")
	if len(p.Errors) != 2 {
		t.Errorf("want email and password errors, got %+v", p.Errors)
	}

	// Wrong password and unknown account get the same answer.
	wrong := problem(t, c.do("POST", "/api/v1/sessions", map[string]string{"email": "ada@example.com", "password": "wrong password!"}), 401, "unauthenticated")
	unknown := problem(t, c.do("POST", "/api/v1/sessions", map[string]string{"email": "bob@example.com", "password": "wrong password!"}), 401, "unauthenticated")
	if wrong.Detail != unknown.Detail {
		t.Errorf("login failures differ: %q vs %q", wrong.Detail, unknown.Detail)
	}
	problem(t, c.do("GET", "/api/v1/customers/me", nil), 401, "unauthenticated")

	// A guest session (from a cart) is replaced at login: a new id, the old
	// one dead.
	e.mustProduct(t, "stool", 4900, map[string]int{"STOOL-1": 5})
	c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "STOOL-1", "quantity": 2})
	guest := c.cookie
	if guest == "" {
		t.Fatal("no guest session cookie")
	}
	r = c.must(201, "POST", "/api/v1/sessions", map[string]string{"email": "ADA@example.com", "password": "correct horse battery"})
	checkSessionCookie(t, r.Response, e.Svc.SessionMaxAge())
	if c.cookie == guest || c.cookie == "" {
		t.Fatal("session id not regenerated at login")
	}
	c.must(200, "GET", "/api/v1/customers/me", nil).decode(t, &cus)
	if cus.Email != "ada@example.com" {
		t.Fatalf("me: %+v", cus)
	}
	old := e.client(t)
	old.cookie = guest
	problem(t, old.do("GET", "/api/v1/customers/me", nil), 401, "unauthenticated")
	var cart storefront.PricedCart
	c.must(200, "GET", "/api/v1/cart", nil).decode(t, &cart)
	if len(cart.Lines) != 1 || cart.Lines[0].Quantity != 2 {
		t.Fatalf("guest cart not merged at login: %+v", cart)
	}

	r = c.must(204, "DELETE", "/api/v1/sessions/current", nil)
	var cleared bool
	for _, ck := range r.Cookies() {
		cleared = cleared || (ck.Name == "__Host-session" && ck.MaxAge < 0)
	}
	if !cleared {
		t.Errorf("logout did not clear the cookie: %v", r.Header["Set-Cookie"])
	}
	logged := e.client(t)
	logged.cookie = c.cookie
	problem(t, logged.do("GET", "/api/v1/customers/me", nil), 401, "unauthenticated")
	junk := e.client(t)
	junk.cookie = "not-a-token"
	problem(t, junk.do("GET", "/api/v1/customers/me", nil), 401, "unauthenticated")
}

// checkSessionCookie checks the cookie attributes the issue asks for.
func checkSessionCookie(tb testing.TB, r *http.Response, maxAge time.Duration) {
	tb.Helper()
	var raw string
	for _, v := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "__Host-session=") {
			raw = v
		}
	}
	if raw == "" {
		tb.Fatalf("no __Host-session cookie in %v", r.Header.Values("Set-Cookie"))
	}
	for _, attr := range []string{"Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=" + strconv.Itoa(int(maxAge.Seconds()))} {
		if !strings.Contains(raw, "; "+attr) {
			tb.Errorf("cookie %q lacks %s", raw, attr)
		}
	}
	if strings.Contains(strings.ToLower(raw), "domain=") {
		tb.Errorf("cookie %q has a Domain (forbidden with __Host-)", raw)
	}
	val := strings.TrimPrefix(strings.SplitN(raw, ";", 2)[0], "__Host-session=")
	if len(val) < 22 { // 128 bits in base64url
		tb.Errorf("session token %q is shorter than 128 bits", val)
	}
}

func TestSessionExpiry(t *testing.T) {
	e := startEnv(t, options{mutate: func(c *storefront.Config) {
		c.SessionIdleTimeout = time.Hour
		c.SessionMaxAge = 3 * time.Hour
	}})
	c := e.shopper(t, "idle@example.com")
	e.Clock.Advance(59 * time.Minute)
	c.must(200, "GET", "/api/v1/customers/me", nil) // activity resets the idle clock
	e.Clock.Advance(59 * time.Minute)
	c.must(200, "GET", "/api/v1/customers/me", nil)
	e.Clock.Advance(61 * time.Minute)
	problem(t, c.do("GET", "/api/v1/customers/me", nil), 401, "unauthenticated") // idle

	// Active all along, the session still ends at its absolute deadline.
	c.must(201, "POST", "/api/v1/sessions", map[string]string{"email": "idle@example.com", "password": "correct horse battery"})
	for range 4 {
		e.Clock.Advance(35 * time.Minute)
		c.must(200, "GET", "/api/v1/customers/me", nil)
	}
	e.Clock.Advance(30 * time.Minute)
	c.must(200, "GET", "/api/v1/customers/me", nil) // 2h50m
	e.Clock.Advance(11 * time.Minute)
	problem(t, c.do("GET", "/api/v1/customers/me", nil), 401, "unauthenticated") // 3h01m
}

func TestLoginRateLimits(t *testing.T) {
	e := startEnv(t, options{mutate: func(c *storefront.Config) {
		c.LoginPerAccount = storefront.RateConfig{Burst: 3, Every: time.Minute}
		c.LoginPerIP = storefront.RateConfig{Burst: 8, Every: time.Minute}
	}})
	e.client(t).must(201, "POST", "/api/v1/customers", map[string]string{"email": "target@example.com", "password": "correct horse battery"})
	c := e.client(t)
	bad := map[string]string{"email": "target@example.com", "password": "guess guess"}
	for range 3 {
		problem(t, c.do("POST", "/api/v1/sessions", bad), 401, "unauthenticated")
	}
	r := c.do("POST", "/api/v1/sessions", bad)
	problem(t, r, 429, "rate_limited")
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// Even the right password waits: the account is locked for now.
	problem(t, c.do("POST", "/api/v1/sessions", map[string]string{"email": "target@example.com", "password": "correct horse battery"}), 429, "rate_limited")
	e.Clock.Advance(time.Minute)
	c.must(201, "POST", "/api/v1/sessions", map[string]string{"email": "target@example.com", "password": "correct horse battery"})

	// Per IP: many accounts from one address run dry too. Of 8 attempts,
	// sign-up, 3 failures, 2 refusals and a login took 7, one refilled: 2 left.
	for i := range 2 {
		problem(t, c.do("POST", "/api/v1/sessions", map[string]string{"email": "spray" + strconv.Itoa(i) + "@example.com", "password": "guess guess"}), 401, "unauthenticated")
	}
	problem(t, c.do("POST", "/api/v1/sessions", map[string]string{"email": "other@example.com", "password": "guess guess"}), 429, "rate_limited")
}

func TestClientIPHeader(t *testing.T) {
	e := startEnv(t, options{
		mutate: func(c *storefront.Config) { c.LoginPerIP = storefront.RateConfig{Burst: 1, Every: time.Hour} },
		api:    func(c *httpapi.Config) { c.ClientIPHeader = "CloudFront-Viewer-Address" },
	})
	c := e.client(t)
	login := map[string]string{"email": "x@example.com", "password": "whatever1"}
	problem(t, c.do("POST", "/api/v1/sessions", login, "CloudFront-Viewer-Address", "203.0.113.7:4711"), 401, "unauthenticated")
	problem(t, c.do("POST", "/api/v1/sessions", login, "CloudFront-Viewer-Address", "203.0.113.7:4712"), 429, "rate_limited")
	problem(t, c.do("POST", "/api/v1/sessions", login, "CloudFront-Viewer-Address", "198.51.100.1:80"), 401, "unauthenticated")
	// One IPv6 /64 is one client.
	problem(t, c.do("POST", "/api/v1/sessions", login, "CloudFront-Viewer-Address", "[2001:db8:1:2::1]:443"), 401, "unauthenticated")
	problem(t, c.do("POST", "/api/v1/sessions", login, "CloudFront-Viewer-Address", "[2001:db8:1:2:ffff::9]:443"), 429, "rate_limited")
}

func TestCrossOriginProtection(t *testing.T) {
	e := startEnv(t, options{api: func(c *httpapi.Config) { c.TrustedOrigins = []string{"https://shop.example"} }})
	e.mustProduct(t, "lamp", 100, map[string]int{"LAMP-1": 9})
	c := e.shopper(t, "csrf@example.com")
	add := map[string]any{"sku": "LAMP-1"}
	host := strings.TrimPrefix(e.URL, "http://")
	cases := []struct {
		name    string
		headers []string
		status  int
	}{
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"same-site but other origin", []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"foreign Origin without fetch metadata", []string{"Origin", "https://evil.example"}, 403},
		{"same origin", []string{"Sec-Fetch-Site", "same-origin"}, 200},
		{"Origin matching Host", []string{"Origin", "http://" + host}, 200},
		{"trusted origin", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://shop.example"}, 200},
		{"user-initiated navigation", []string{"Sec-Fetch-Site", "none"}, 200},
		{"no browser headers (curl, servers)", nil, 200},
	}
	for _, tc := range cases {
		r := c.do("POST", "/api/v1/cart/items", add, tc.headers...)
		if tc.status == 403 {
			problem(t, r, 403, "forbidden")
		} else if r.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, r.StatusCode, tc.status, r.Body)
		}
	}
	// Reads are never blocked; logout and checkout are state changes too.
	c.must(200, "GET", "/api/v1/cart", nil, "Sec-Fetch-Site", "cross-site")
	problem(t, c.do("DELETE", "/api/v1/sessions/current", nil, "Sec-Fetch-Site", "cross-site"), 403, "forbidden")
	problem(t, c.do("POST", "/api/v1/checkout", shipping, "Sec-Fetch-Site", "cross-site", "Idempotency-Key", "k1"), 403, "forbidden")
	c.must(200, "GET", "/api/v1/customers/me", nil)
}

func TestCartPricesComeFromTheCatalog(t *testing.T) {
	e := startEnv(t, options{})
	e.mustProduct(t, "chair", 12900, map[string]int{"CHAIR-1": 3})
	e.mustProduct(t, "vase", 4500, map[string]int{"VASE-1": 10})
	c := e.client(t)
	var cart storefront.PricedCart
	c.must(200, "GET", "/api/v1/cart", nil).decode(t, &cart)
	if len(cart.Lines) != 0 || c.cookie != "" {
		t.Fatalf("empty cart %+v, cookie %q (reading must not start a session)", cart, c.cookie)
	}
	// A client can't send a price.
	p := problem(t, c.do("POST", "/api/v1/cart/items", map[string]any{"sku": "CHAIR-1", "quantity": 1, "unit_price": 1}), 422, "invalid")
	if p.Errors[0].Field != "unit_price" {
		t.Errorf("errors %+v", p.Errors)
	}
	r := c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "CHAIR-1", "quantity": 2})
	checkSessionCookie(t, r.Response, e.Svc.SessionMaxAge())
	c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "VASE-1"}).decode(t, &cart)
	if cart.Subtotal != 2*12900+4500 || cart.Total != cart.Subtotal || cart.Items != 3 || cart.Currency != "EUR" {
		t.Fatalf("cart %+v", cart)
	}
	// Price changes show at once.
	upd := product("chair", 9900, map[string]int{"CHAIR-1": 3})
	var chair storefront.Product
	e.client(t).must(200, "GET", "/api/v1/products/chair", nil).decode(t, &chair)
	e.admin(t).must(200, "PUT", "/api/v1/admin/products/"+chair.ID, upd)
	c.must(200, "GET", "/api/v1/cart", nil).decode(t, &cart)
	if cart.Subtotal != 2*9900+4500 {
		t.Fatalf("after price change: %+v", cart)
	}
	p = problem(t, c.do("POST", "/api/v1/cart/items", map[string]any{"sku": "CHAIR-1", "quantity": 2}), 409, "out_of_stock")
	if len(p.Shortages) != 1 || p.Shortages[0] != (storefront.Shortage{SKU: "CHAIR-1", Requested: 4, Available: 3}) {
		t.Errorf("shortages %+v", p.Shortages)
	}
	problem(t, c.do("POST", "/api/v1/cart/items", map[string]any{"sku": "NOPE-1"}), 404, "not_found")
	problem(t, c.do("POST", "/api/v1/cart/items", map[string]any{"sku": "VASE-1", "quantity": 100}), 422, "invalid")
	problem(t, c.do("POST", "/api/v1/cart/items", map[string]any{"sku": "VASE-1", "quantity": -1}), 422, "invalid")
	c.must(200, "PATCH", "/api/v1/cart/items/VASE-1", map[string]any{"quantity": 4}).decode(t, &cart)
	if cart.Items != 6 {
		t.Fatalf("after patch %+v", cart)
	}
	problem(t, c.do("PATCH", "/api/v1/cart/items/VASE-1", map[string]any{}), 422, "invalid")
	c.must(200, "DELETE", "/api/v1/cart/items/CHAIR-1", nil).decode(t, &cart)
	if len(cart.Lines) != 1 || cart.Lines[0].SKU != "VASE-1" {
		t.Fatalf("after delete %+v", cart)
	}
	problem(t, c.do("DELETE", "/api/v1/cart/items/CHAIR-1", nil), 404, "not_found")
	c.must(200, "PATCH", "/api/v1/cart/items/VASE-1", map[string]any{"quantity": 0}).decode(t, &cart)
	if len(cart.Lines) != 0 {
		t.Fatalf("quantity 0 keeps the line: %+v", cart)
	}
	// A product leaving the catalog shows up as a problem of the cart.
	c.must(200, "POST", "/api/v1/cart/items", map[string]any{"sku": "CHAIR-1"})
	e.admin(t).must(204, "DELETE", "/api/v1/admin/products/"+chair.ID, nil)
	c.must(200, "GET", "/api/v1/cart", nil).decode(t, &cart)
	if len(cart.Lines) != 0 || len(cart.Problems) != 1 || cart.Problems[0].Field != "CHAIR-1" {
		t.Fatalf("cart with a deleted product %+v", cart)
	}
}

func TestRoutingProblems(t *testing.T) {
	e := startEnv(t, options{})
	c := e.client(t)
	problem(t, c.do("GET", "/api/v1/nothing-here", nil), 404, "not_found")
	problem(t, c.do("GET", "/api/v2/products", nil), 404, "not_found")
	r := c.do("DELETE", "/api/v1/products", nil)
	problem(t, r, 405, "method_not_allowed")
	if r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
	r = c.do("PUT", "/api/v1/cart/items/X", nil)
	problem(t, r, 405, "method_not_allowed")
	if r.Header.Get("Allow") != "PATCH, DELETE" {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
	r = c.must(200, "GET", "/api/v1/openapi.yaml", nil)
	if !strings.HasPrefix(string(r.Body), "openapi: 3.") {
		t.Errorf("openapi document starts %.40q", r.Body)
	}
}
