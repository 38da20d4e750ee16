package load_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/bench/load"
)

func TestParseFileDefaults(t *testing.T) {
	f, err := load.ParseFile([]byte(`{"version": 1, "scenarios": [{
		"name": "hot", "mode": "open", "rate": 100, "duration": "2s",
		"keys": {"pattern": "hot/{n}.bin", "count": 10},
		"steps": [{"name": "get", "path": "/assets/{key}"},
		          {"name": "walk", "path": "/assets/big.glb", "think": {"min": "1s", "max": "2s"},
		           "range": {"bytes": 65536, "object_bytes": 1048576, "offset": "sequential"}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Lookup("hot")
	if s == nil || f.Lookup("cold") != nil {
		t.Fatal("Lookup does not find scenarios by name")
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"peer defaults to static", s.Peer == load.PeerStatic},
		{"16 connections", s.Connections == 16},
		{"10s timeout", time.Duration(s.Timeout) == 10*time.Second},
		{"zipf order", s.Keys.Order == load.OrderZipf && s.Keys.ZipfS == 1.1 && s.Keys.ZipfV == 1 && s.Keys.Seed == 1},
		{"GET", s.Steps[0].Method == "GET"},
		{"think range", s.Steps[1].Think.Min == time.Second && s.Steps[1].Think.Max == 2*time.Second},
		{"sequential walks to the end", s.Steps[1].Range.Requests == 0},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %+v", c.name, s)
		}
	}
}

func TestParseFileErrors(t *testing.T) {
	wrap := func(s string) string { return `{"version": 1, "scenarios": [` + s + `]}` }
	const ok = `"mode": "open", "rate": 10, "duration": "1s"`
	cases := []struct {
		name, file, want string
	}{
		{"not JSON", `{`, "scenario file"},
		{"unknown field", wrap(`{"name": "a", ` + ok + `, "stpes": []}`), "unknown field"},
		{"trailing data", wrap(`{"name": "a", `+ok+`, "steps": [{"name": "g", "path": "/"}]}`) + `{}`, "after the top-level"},
		{"wrong version", `{"version": 2, "scenarios": []}`, "version 2"},
		{"no scenarios", `{"version": 1, "scenarios": []}`, "0 scenarios"},
		{"null scenario", wrap(`null`), "is null"},
		{"bad name", wrap(`{"name": "Hot Small", ` + ok + `, "steps": [{"name": "g", "path": "/"}]}`), "name must be"},
		{"duplicate scenario", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/"}]}, {"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/"}]}`), "listed twice"},
		{"open without rate", wrap(`{"name": "a", "mode": "open", "duration": "1s", "steps": [{"name": "g", "path": "/"}]}`), "needs a rate"},
		{"closed with rate", wrap(`{"name": "a", "mode": "closed", "rate": 5, "duration": "1s", "steps": [{"name": "g", "path": "/"}]}`), "takes no rate"},
		{"unknown mode", wrap(`{"name": "a", "mode": "burst", "duration": "1s", "steps": [{"name": "g", "path": "/"}]}`), `mode "burst"`},
		{"bad duration", wrap(`{"name": "a", "mode": "closed", "duration": "soon", "steps": [{"name": "g", "path": "/"}]}`), "invalid duration"},
		{"zero duration", wrap(`{"name": "a", "mode": "closed", "duration": "0s", "steps": [{"name": "g", "path": "/"}]}`), "duration 0s"},
		{"no steps", wrap(`{"name": "a", ` + ok + `, "steps": []}`), "0 steps"},
		{"relative path", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "x"}]}`), "must start with /"},
		{"space in path", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/a b"}]}`), "space or control"},
		{"unknown placeholder", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/{kye}"}]}`), "unknown placeholder {kye}"},
		{"key without keys", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/{key}"}]}`), "needs the scenario's keys"},
		{"var not captured", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/{var:sku}"}]}`), `captures "sku"`},
		{"var captured later", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/{var:sku}", "capture": [{"var": "sku", "json": "a"}]}]}`), `captures "sku"`},
		{"bad method", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/", "method": "GE T"}]}`), "not an HTTP token"},
		{"header line break", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/", "headers": {"X-A": "a\r\nb"}}]}`), "line break"},
		{"bad expect", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/", "expect": [999]}]}`), "not an HTTP status"},
		{"range too big", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/", "range": {"bytes": 10, "object_bytes": 5}}]}`), "bytes ≤ object_bytes"},
		{"range and progressive", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/", "range": {"bytes": 1, "object_bytes": 5}, "progressive": {}}]}`), "not both"},
		{"range header by hand", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/", "headers": {"Range": "bytes=0-1"}, "range": {"bytes": 1, "object_bytes": 5}}]}`), "sets the Range header"},
		{"think backwards", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/", "think": {"min": "2s", "max": "1s"}}]}`), "min ≤ max"},
		{"think unknown field", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/", "think": {"mean": "2s"}}]}`), "think"},
		{"capture both", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/", "capture": [{"var": "x", "json": "a", "header": "B"}]}]}`), "one of them"},
		{"capture empty segment", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/", "capture": [{"var": "x", "json": "a..b"}]}]}`), "empty segment"},
		{"keys pattern without n", wrap(`{"name": "a", ` + ok + `, "keys": {"pattern": "x", "count": 2}, "steps": [{"name": "g", "path": "/"}]}`), "has no {n}"},
		{"keys without count", wrap(`{"name": "a", ` + ok + `, "keys": {"pattern": "{n}"}, "steps": [{"name": "g", "path": "/"}]}`), "count 0"},
		{"keys both", wrap(`{"name": "a", ` + ok + `, "keys": {"pattern": "{n}", "count": 1, "list": ["a"]}, "steps": [{"name": "g", "path": "/"}]}`), "not both"},
		{"zipf s too small", wrap(`{"name": "a", ` + ok + `, "keys": {"list": ["a"], "zipf_s": 1}, "steps": [{"name": "g", "path": "/"}]}`), "zipf_s"},
		{"unknown peer", wrap(`{"name": "a", ` + ok + `, "peer": "apache", "steps": [{"name": "g", "path": "/"}]}`), `peer "apache"`},
		{"duplicate step", wrap(`{"name": "a", ` + ok + `, "steps": [{"name": "g", "path": "/"}, {"name": "g", "path": "/"}]}`), "used twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load.ParseFile([]byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestParseFileReportsEveryProblem: one pass names all mistakes.
func TestParseFileReportsEveryProblem(t *testing.T) {
	_, err := load.ParseFile([]byte(`{"version": 1, "scenarios": [{"name": "a", "mode": "open", "duration": "1s",
		"connections": -1, "steps": [{"name": "g", "path": "x"}]}]}`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"needs a rate", "connections -1", "must start with /"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestJSONBodyBracesAreLiteral: a JSON body's braces are text, its
// placeholders are not.
func TestJSONBodyBracesAreLiteral(t *testing.T) {
	_, err := load.ParseFile([]byte(`{"version": 1, "scenarios": [{"name": "a", "mode": "closed", "duration": "1s",
		"steps": [{"name": "g", "path": "/", "capture": [{"var": "sku", "json": "items.*.sku"}]},
		          {"name": "p", "path": "/cart", "method": "POST", "body": "{\"sku\": \"{var:sku}\", \"q\": {\"n\": 1}, \"e\": {}}"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
}

// TestStandardFilesParse: every scenario file checked into the repository
// (bench/suite's standard suite and any beside it) parses.
func TestStandardFilesParse(t *testing.T) {
	files, _ := filepath.Glob("../suite/*.json")
	if len(files) == 0 {
		t.Fatal("no scenario files under bench/suite")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := load.ParseFile(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParseFile: no input makes the parser panic, and what it accepts is
// valid enough to expand: every scenario has steps with compiled paths.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(`{"version": 1, "scenarios": [{"name": "a", "mode": "open", "rate": 10, "duration": "1s", "steps": [{"name": "g", "path": "/"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := load.ParseFile(data)
		if err != nil {
			return
		}
		for _, s := range file.Scenarios {
			if len(s.Steps) == 0 || s.Connections < 1 || s.Duration <= 0 {
				t.Fatalf("accepted scenario %+v", s)
			}
			if err := s.Prepare(); err != nil {
				t.Fatalf("Prepare of an accepted scenario fails: %v", err)
			}
		}
	})
}
