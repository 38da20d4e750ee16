package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

// TestReadmeConfigurationTable keeps the README's configuration table equal to
// the flags of `strata serve`. STRATA_UPDATE_README=1 rewrites the table.
func TestReadmeConfigurationTable(t *testing.T) {
	const path = "../../README.md"
	const head = "| flag | environment | default | meaning |\n| --- | --- | --- | --- |\n"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultServeConfig()
	fs := newCommandFlags("serve", "", io.Discard)
	cfg.flags(fs)
	var table strings.Builder
	table.WriteString(head)
	fs.VisitAll(func(f *flag.Flag) { // VisitAll walks in name order
		def := ""
		if f.DefValue != "" && f.DefValue != "[]" {
			def = "`" + f.DefValue + "`"
		}
		fmt.Fprintf(&table, "| `--%s` | `%s` | %s | %s |\n", f.Name, envName(f.Name), def, strings.ReplaceAll(f.Usage, "|", `\|`))
	})
	text := string(readme)
	start := strings.Index(text, head)
	if start < 0 {
		t.Fatalf("README.md has no configuration table starting %q", head)
	}
	end := start + len(head)
	for end < len(text) && text[end] == '|' {
		nl := strings.IndexByte(text[end:], '\n')
		if nl < 0 {
			end = len(text)
			break
		}
		end += nl + 1
	}
	if text[start:end] == table.String() {
		return
	}
	if os.Getenv("STRATA_UPDATE_README") == "1" {
		if err := os.WriteFile(path, []byte(text[:start]+table.String()+text[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's configuration table differs from `strata serve --help`; rerun with STRATA_UPDATE_README=1.\nwant:\n%s", table.String())
}
