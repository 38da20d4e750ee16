package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/strata3d/strata/storefront"
	"github.com/strata3d/strata/storefront/httpapi"
)

func TestCatalog(t *testing.T) {
	for _, backend := range []string{"sqlite", "aws"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, options{backend: backend})
			chair := e.mustProduct(t, "oak-chair", 12900, map[string]int{"CHAIR-1": 4})
			e.mustProduct(t, "ash-stool", 4900, map[string]int{"STOOL-1": 0})
			lamp := product("brass-lamp", 8900, map[string]int{"LAMP-1": 2})
			lamp["category"], lamp["tags"] = "lamps", []string{"light"}
			e.admin(t).must(201, "POST", "/api/v1/admin/products", lamp)

			c := e.client(t)
			var p storefront.Product
			r := c.must(200, "GET", "/api/v1/products/oak-chair", nil)
			r.decode(t, &p)
			if p.ID != chair.ID || p.Variants[0].Stock != 4 || p.Price != 12900 || p.Tags[0] != "wood" || p.ModelID != "tufted-armchair" {
				t.Fatalf("by slug: %+v", p)
			}
			if cc := r.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
				t.Errorf("catalog Cache-Control %q", cc)
			}
			c.must(200, "GET", "/api/v1/products/"+chair.ID, nil).decode(t, &p)
			if p.Slug != "oak-chair" {
				t.Fatalf("by id: %+v", p)
			}
			problem(t, c.do("GET", "/api/v1/products/no-such-thing", nil), 404, "not_found")
			problem(t, c.do("GET", "/api/v1/products/prd_aaaaaaaaaaaaaaaaaaaaaaaa", nil), 404, "not_found")
			problem(t, c.do("GET", "/api/v1/products/..%2f..%2fetc", nil), 404, "not_found")

			list := func(query string) []string {
				t.Helper()
				var slugs []string
				path := "/api/v1/products?" + query
				for range 20 {
					var page storefront.ProductPage
					c.must(200, "GET", path, nil).decode(t, &page)
					for _, p := range page.Products {
						slugs = append(slugs, p.Slug)
					}
					if page.NextCursor == "" {
						return slugs
					}
					path = "/api/v1/products?" + query + "&cursor=" + url.QueryEscape(page.NextCursor)
				}
				t.Fatalf("%s: cursor loop", query)
				return nil
			}
			cases := []struct{ query, want string }{
				{"sort=price_asc", "[ash-stool brass-lamp oak-chair]"},
				{"sort=price_desc&limit=1", "[oak-chair brass-lamp ash-stool]"},
				{"category=chairs&sort=price_asc", "[ash-stool oak-chair]"},
				{"tag=light", "[brass-lamp]"},
				{"min_price=5000&max_price=13000&sort=price_asc", "[brass-lamp oak-chair]"},
				{"q=OAK", "[oak-chair]"},
				{"q=wood&sort=price_asc&limit=1", "[ash-stool oak-chair]"},
			}
			for _, tc := range cases {
				if got := fmt.Sprint(list(tc.query)); got != tc.want {
					t.Errorf("%s: %s, want %s", tc.query, got, tc.want)
				}
			}
			for _, bad := range []string{"limit=0", "limit=500", "sort=cheapest", "min_price=x", "min_price=9&max_price=1", "cursor=nonsense", "category=Not%20A%20Slug"} {
				p := problem(t, c.do("GET", "/api/v1/products?"+bad, nil), 422, "invalid")
				if len(p.Errors) == 0 {
					t.Errorf("%s: no field errors in %+v", bad, p)
				}
			}
		})
	}
}

func TestAdminProducts(t *testing.T) {
	e := startEnv(t, options{})
	adm := e.admin(t)
	p := e.mustProduct(t, "sofa", 90000, map[string]int{"SOFA-1": 1})
	if p.Version != 1 || !storefront.ValidID("prd", p.ID) {
		t.Fatalf("created %+v", p)
	}

	// Authentication.
	anon := e.client(t)
	problem(t, anon.do("POST", "/api/v1/admin/products", product("x", 1, map[string]int{"X": 1})), 401, "unauthenticated")
	wrong := e.client(t)
	wrong.headers["Authorization"] = "Bearer " + strings.Repeat("x", len(adminToken))
	problem(t, wrong.do("DELETE", "/api/v1/admin/products/"+p.ID, nil), 401, "unauthenticated")
	off := startEnv(t, options{api: func(c *httpapi.Config) { c.AdminToken = "" }})
	problem(t, off.admin(t).do("GET", "/api/v1/admin/products", nil), 403, "forbidden")

	// Validation and uniqueness.
	bad := product("Bad Slug", -1, map[string]int{"ok-1": 1})
	bad["currency"] = "euro"
	pr := problem(t, adm.do("POST", "/api/v1/admin/products", bad), 422, "invalid")
	fields := map[string]bool{}
	for _, f := range pr.Errors {
		fields[f.Field] = true
	}
	for _, f := range []string{"slug", "price", "currency"} {
		if !fields[f] {
			t.Errorf("no error for %s in %+v", f, pr.Errors)
		}
	}
	problem(t, adm.do("POST", "/api/v1/admin/products", product("sofa", 1, map[string]int{"OTHER": 1})), 409, "conflict")
	problem(t, adm.do("POST", "/api/v1/admin/products", product("other", 1, map[string]int{"SOFA-1": 1})), 409, "conflict")
	pr = problem(t, adm.do("POST", "/api/v1/admin/products", `{"slug":"x","price":"12"}`), 422, "invalid")
	if pr.Errors[0].Field != "price" {
		t.Errorf("type error field %+v", pr.Errors)
	}
	problem(t, adm.do("POST", "/api/v1/admin/products", `{"slug":"x","surprise":1}`), 422, "invalid")
	problem(t, adm.do("POST", "/api/v1/admin/products", `{"slug":`), 400, "malformed")
	problem(t, adm.do("POST", "/api/v1/admin/products", `{} {}`), 400, "malformed")
	problem(t, adm.do("POST", "/api/v1/admin/products", `{}`, "Content-Type", "text/plain"), 400, "malformed")

	// Update with optimistic locking, then delete.
	upd := product("sofa", 95000, map[string]int{"SOFA-1": 3})
	upd["version"] = 1
	var got storefront.Product
	adm.must(200, "PUT", "/api/v1/admin/products/"+p.ID, upd).decode(t, &got)
	if got.Version != 2 || got.Price != 95000 || got.Variants[0].Stock != 3 {
		t.Fatalf("updated %+v", got)
	}
	problem(t, adm.do("PUT", "/api/v1/admin/products/"+p.ID, upd), 409, "conflict") // version 1 is stale now
	upd["version"] = 0
	adm.must(200, "PUT", "/api/v1/admin/products/"+p.ID, upd)
	problem(t, adm.do("PUT", "/api/v1/admin/products/prd_aaaaaaaaaaaaaaaaaaaaaaaa", upd), 404, "not_found")
	adm.must(200, "GET", "/api/v1/admin/products/"+p.ID, nil)
	adm.must(204, "DELETE", "/api/v1/admin/products/"+p.ID, nil)
	problem(t, adm.do("DELETE", "/api/v1/admin/products/"+p.ID, nil), 404, "not_found")
	problem(t, anon.do("GET", "/api/v1/products/sofa", nil), 404, "not_found")
}
