package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/lod"
	"github.com/strata3d/strata/lod/meshgen"
)

type journeyStep struct {
	Name string `json:"name"`
	// Fields of the steps that report them.
	Cards         []string `json:"cards"`
	Thumbs        []struct{ State, Level string }
	ThumbRequests []netEntry   `json:"thumbRequests"`
	Found         []string     `json:"found"`
	Title         string       `json:"title"`
	Price         string       `json:"price"`
	State         viewerState  `json:"state"`
	Ink           float64      `json:"ink"`
	Shots         []levelShot  `json:"shots"`
	Shown         []levelEvent `json:"shown"`
	Message       string       `json:"message"`
	Nav           string       `json:"nav"`
	CartTotal     string       `json:"cartTotal"`
	SignupProb    string       `json:"signupProblem"`
	Invalid       []string     `json:"invalid"`
	CheckoutTot   string       `json:"checkoutTotal"`
	OrderID       string       `json:"orderId"`
	Status        string       `json:"status"`
	Rows          []struct{ ID, Text string }
	Problem       string `json:"problem"`
	Role          string `json:"role"`
	Heading       string `json:"heading"`
	ViewerMsg     string `json:"viewerMessage"`
	Added         string `json:"added"`
	Overflow      int    `json:"overflow"`
	CheckoutCode  int    `json:"checkoutStatus"`
}

type levelShot struct {
	Level     int     `json:"level"`
	File      string  `json:"file"`
	Ink       float64 `json:"ink"`
	Indicator string  `json:"indicator"`
}

type journeyReport struct {
	Steps    []journeyStep `json:"steps"`
	Console  []string      `json:"console"`
	Requests []netEntry    `json:"requests"`
}

func (r journeyReport) step(t *testing.T, name string) journeyStep {
	t.Helper()
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("the journey did not reach step %q", name)
	return journeyStep{}
}

type apiProduct struct {
	ID      string `json:"id"`
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	ModelID string `json:"model_id"`
}

// waitPublished waits until `strata serve` has published every demo model
// (it bakes them in the background on first start), reading the pointers
// the way a viewer would; bounded by a deadline.
func waitPublished(t *testing.T, base string, ids []string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for _, id := range ids {
		for {
			resp, err := http.Get(base + "/models/" + id + "/manifest.json")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("demo model %s was not published within 3 minutes (last: %v %v)", id, resp, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// pointer reads a model's published manifest as the viewer does.
func pointer(t *testing.T, base, id string) lod.Manifest {
	t.Helper()
	resp, err := http.Get(base + "/models/" + id + "/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m lod.Manifest
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 || len(m.Levels) == 0 {
		t.Fatalf("pointer of %s: %d %v", id, resp.StatusCode, err)
	}
	return m
}

func demoProducts(t *testing.T, base string) []apiProduct {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/products?limit=100")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/products: %d %s — the storefront API (storefront/httpapi) must be mounted by strata serve", resp.StatusCode, body)
	}
	var page struct {
		Products []apiProduct `json:"products"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("products: %v", err)
	}
	return page.Products
}

func TestJourney(t *testing.T) {
	browserEnv(t)
	assets := t.TempDir()
	srv := startStrata(t, assets)
	var ids []string
	for _, m := range meshgen.Demo() {
		ids = append(ids, m.Name)
	}
	waitPublished(t, srv.URL, ids)
	products := demoProducts(t, srv.URL)
	byModel := map[string]apiProduct{}
	for _, p := range products {
		byModel[p.ModelID] = p
	}
	chair, lamp := byModel["tufted-armchair"], byModel["drum-floor-lamp"]
	if chair.Slug == "" || lamp.Slug == "" {
		t.Fatalf("the demo catalog has no products for tufted-armchair and drum-floor-lamp: %+v", products)
	}
	// The lamp's published file is damaged before any browser reads it.
	damageModel(t, assets, "drum-floor-lamp")
	search := longestWord(chair.Title)

	var rep journeyReport
	runScenario(t, "journey", srv.URL, map[string]string{
		"search": search, "brokenSlug": lamp.Slug,
		"email": fmt.Sprintf("ada-%d@example.com", time.Now().UnixNano()), "password": "correct horse battery",
	}, &rep)
	for _, line := range rep.Console {
		t.Log("console:", line)
	}

	t.Run("browse", func(t *testing.T) {
		s := rep.step(t, "browse")
		if len(s.Cards) < 2 {
			t.Errorf("catalog shows %d products", len(s.Cards))
		}
		ready := 0
		for _, th := range s.Thumbs {
			if th.State == "ready" {
				ready++
			}
		}
		if ready == 0 {
			t.Errorf("no thumbnail was drawn: %+v", s.Thumbs)
		}
		// Thumbnails stop at the coarsest level: each model's pointer, then
		// exactly its coarsest prefix of progressive.glb, nothing more.
		ranges := 0
		for _, r := range s.ThumbRequests {
			if !strings.HasSuffix(r.Path, "/progressive.glb") {
				continue
			}
			ranges++
			id := strings.Split(r.Path, "/")[2]
			man := pointer(t, srv.URL, id)
			if want := fmt.Sprintf("bytes=0-%d", man.Levels[len(man.Levels)-1].ProgressivePrefix-1); r.Range != want {
				t.Errorf("thumbnail of %s requested %q, want only the coarsest prefix %q", id, r.Range, want)
			}
		}
		if ranges == 0 {
			t.Error("no thumbnail requested model bytes")
		}
	})
	t.Run("search", func(t *testing.T) {
		s := rep.step(t, "search")
		if len(s.Found) == 0 {
			t.Fatalf("searching %q found nothing", search)
		}
		for _, title := range s.Found {
			if !strings.Contains(strings.ToLower(title), strings.ToLower(search)) {
				t.Errorf("search %q shows %q", search, title)
			}
		}
	})
	t.Run("product shows the model at every level", func(t *testing.T) {
		s := rep.step(t, "product")
		if s.State.State != "ready" || s.Ink < 0.02 {
			t.Errorf("product viewer %+v, %.4f of the canvas drawn", s.State, s.Ink)
		}
		lv := rep.step(t, "levels")
		if len(lv.Shots) < 3 {
			t.Fatalf("screenshots of %d levels", len(lv.Shots))
		}
		for _, sh := range lv.Shots {
			if sh.Ink < 0.02 || !strings.Contains(sh.Indicator, fmt.Sprintf("Level %d", sh.Level)) {
				t.Errorf("level %d: %.4f drawn, indicator %q", sh.Level, sh.Ink, sh.Indicator)
			}
			if _, err := os.Stat(sh.File); err != nil {
				t.Errorf("screenshot of level %d: %v", sh.Level, err)
			}
		}
		if len(lv.Shown) == 0 || lv.Shown[0].Level != len(lv.Shots)-1 {
			t.Errorf("first level shown %+v, want the coarsest", lv.Shown)
		}
	})
	t.Run("cart, sign-up, checkout, history", func(t *testing.T) {
		if s := rep.step(t, "add"); !strings.Contains(s.Message, "Added 2") || !strings.Contains(s.Nav, "Cart (2)") {
			t.Errorf("add to cart: %q, nav %q", s.Message, s.Nav)
		}
		su := rep.step(t, "signup")
		if !strings.Contains(strings.ToLower(su.SignupProb), "password") || len(su.Invalid) == 0 {
			t.Errorf("a short password should be reported on its field: %q %v", su.SignupProb, su.Invalid)
		}
		if !strings.Contains(su.Nav, "Sign out") {
			t.Errorf("after sign-up the header shows %q", su.Nav)
		}
		co := rep.step(t, "checkout")
		if co.OrderID == "" || co.CheckoutTot != su.CartTotal {
			t.Errorf("checkout: order %q, total %q vs cart %q", co.OrderID, co.CheckoutTot, su.CartTotal)
		}
		h := rep.step(t, "history")
		if h.CheckoutCode != 201 && h.CheckoutCode != 200 {
			t.Errorf("POST /api/v1/checkout answered %d", h.CheckoutCode)
		}
		found := false
		for _, r := range h.Rows {
			found = found || r.ID == co.OrderID
		}
		if !found {
			t.Errorf("order %s is not in the history %+v", co.OrderID, h.Rows)
		}
		t.Logf("order %s, %s, total %s", co.OrderID, co.Status, co.CheckoutTot)
	})
	t.Run("errors are readable", func(t *testing.T) {
		bl := rep.step(t, "bad-login")
		if bl.Role != "alert" || len(strings.TrimSpace(bl.Problem)) < 10 || strings.Contains(bl.Problem, "{") {
			t.Errorf("wrong password shows %q (role %q)", bl.Problem, bl.Role)
		}
		mp := rep.step(t, "missing-product")
		if !strings.Contains(mp.Heading, "not found") {
			t.Errorf("missing product: %q %q", mp.Heading, mp.Problem)
		}
		bm := rep.step(t, "broken-model")
		if bm.State.State != "error" || !strings.Contains(bm.ViewerMsg, "damaged") || !strings.Contains(bm.Added, "Added") {
			t.Errorf("damaged model: %+v", bm)
		}
	})
	t.Run("phone width", func(t *testing.T) {
		s := rep.step(t, "phone")
		if s.Overflow > 0 || s.State.State != "ready" || s.Ink < 0.02 {
			t.Errorf("phone: overflow %d px, viewer %+v, %.4f drawn", s.Overflow, s.State, s.Ink)
		}
	})
	// The README shows the product page at its finest level; keep the copy in
	// docs/ current when asked to.
	if os.Getenv("STRATA_UPDATE_DOCS") != "" {
		lv := rep.step(t, "levels")
		for _, sh := range lv.Shots {
			if sh.Level == 0 {
				b, err := os.ReadFile(sh.File)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(repoRoot(t), "docs", "storefront-product.png"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func longestWord(s string) string {
	var best string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == ',' }) {
		if len(w) > len(best) {
			best = w
		}
	}
	return best
}
