package httpsem

import "testing"

func TestProblemJSON(t *testing.T) {
	cases := []struct {
		name string
		p    Problem
		want string
	}{
		{"with code", Problem{Title: "Not Found", Status: 404, Code: "not_found", Detail: "No such asset."},
			`{"type":"about:blank","title":"Not Found","status":404,"code":"not_found","detail":"No such asset."}`},
		{"without code", Problem{Title: "Not found", Status: 404, Detail: "There is no such file."},
			`{"type":"about:blank","title":"Not found","status":404,"detail":"There is no such file."}`},
		{"own type, escaped detail", Problem{Type: "https://strata3d.dev/p/x", Title: "T", Status: 400, Code: "c", Detail: `say "<hi>"`},
			`{"type":"https://strata3d.dev/p/x","title":"T","status":400,"code":"c","detail":"say \"\u003chi\u003e\""}`},
	}
	for _, c := range cases {
		if got := string(c.p.JSON()); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}
