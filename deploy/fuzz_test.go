package deploy_test

import (
	"strings"
	"testing"

	"github.com/strata3d/strata/deploy"
)

// FuzzParse feeds arbitrary bytes to the template loader and, when they load, to every check: neither may
// panic, whatever a template says. The seeds (testdata/fuzz/FuzzParse) are small templates using each kind of
// intrinsic; the real templates are left out because at 20-40 KB each they slow the fuzzer down a hundredfold
// (they are checked by every other test).
func FuzzParse(f *testing.F) {
	facts := strataFacts(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := deploy.Parse("fuzz", data)
		if err != nil {
			return
		}
		s := &deploy.Set{Templates: []*deploy.Template{tpl}, Strata: facts, Refresh: map[string]any{"AlarmSpecification": "x"}}
		_ = deploy.Lint(s)
		_ = tpl.Tree()
	})
}

// FuzzParseUserData checks the boot-script reader never panics and that every file it reports was written by
// a heredoc of the script.
func FuzzParseUserData(f *testing.F) {
	f.Add("#!/bin/bash\ncat > /etc/x <<'END'\nA=1\nEND\nsystemctl enable --now x \\\n  y\n")
	f.Fuzz(func(t *testing.T, script string) {
		u, err := deploy.ParseUserData(script)
		if err != nil {
			return
		}
		for path, body := range u.Files {
			if !strings.Contains(script, path) {
				t.Errorf("file %q was not written by the script", path)
			}
			if !strings.HasSuffix(body, "\n") {
				t.Errorf("file %q lost its final newline", path)
			}
		}
	})
}
