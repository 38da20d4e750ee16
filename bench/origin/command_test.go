package origin

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		check    func(t *testing.T, c Config, o commandOptions)
		wantErr  string
		wantHelp bool
	}{
		{
			name: "defaults",
			check: func(t *testing.T, c Config, o commandOptions) {
				d := DefaultConfig()
				if c.Duration != d.Duration || c.Rounds != d.Rounds || !slices.Equal(c.Scenarios, d.Scenarios) || o.jsonPath != "" {
					t.Errorf("got %+v, %+v; want the defaults", c, o)
				}
			},
		},
		{
			name: "flags",
			args: []string{"--duration", "3s", "--warmup=0s", "--rounds", "5", "--connections", "128", "--threads", "4",
				"--scenarios", "get-64k, range-64k-in-20m", "--json", "out.json", "--strata-bin", "/x/strata",
				"--strata-args", "--cache-size 1GiB  --log-format json", "--nginx-bin", "/x/nginx", "--wrk-bin", "/x/wrk", "--dir", "/tmp/b"},
			check: func(t *testing.T, c Config, o commandOptions) {
				want := Config{StrataBin: "/x/strata", StrataArgs: []string{"--cache-size", "1GiB", "--log-format", "json"},
					NginxBin: "/x/nginx", WrkBin: "/x/wrk", Dir: "/tmp/b", Duration: 3 * time.Second, Rounds: 5,
					Connections: 128, Threads: 4, Scenarios: []string{ScenarioGet64K, ScenarioRange64KIn20M}}
				if !equalConfig(c, want) || o.jsonPath != "out.json" {
					t.Errorf("got %+v, %+v\nwant %+v", c, o, want)
				}
			},
		},
		{
			name: "environment",
			env:  map[string]string{"STRATA_BENCH_ROUNDS": "7", "STRATA_BENCH_STRATA_BIN": "/env/strata", "STRATA_BENCH_SCENARIOS": "get-4k", "STRATA_BENCH_JSON": "env.json"},
			check: func(t *testing.T, c Config, o commandOptions) {
				if c.Rounds != 7 || c.StrataBin != "/env/strata" || !slices.Equal(c.Scenarios, []string{ScenarioGet4K}) || o.jsonPath != "env.json" {
					t.Errorf("environment ignored: %+v, %+v", c, o)
				}
			},
		},
		{
			name: "a flag beats the environment",
			args: []string{"--rounds", "2"},
			env:  map[string]string{"STRATA_BENCH_ROUNDS": "7"},
			check: func(t *testing.T, c Config, _ commandOptions) {
				if c.Rounds != 2 {
					t.Errorf("Rounds %d, want the flag's 2", c.Rounds)
				}
			},
		},
		{name: "bad environment value", env: map[string]string{"STRATA_BENCH_DURATION": "soon"}, wantErr: "STRATA_BENCH_DURATION"},
		{name: "invalid config", args: []string{"--rounds", "0"}, wantErr: "Rounds"},
		{name: "unknown scenario", args: []string{"--scenarios", "get-4k,get-1g"}, wantErr: "get-1g"},
		{name: "stray argument", args: []string{"now"}, wantErr: "unexpected arguments"},
		{name: "unknown flag", args: []string{"--fast"}, wantErr: "not defined"},
		{name: "help", args: []string{"--help"}, wantHelp: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			var stderr bytes.Buffer
			c, o, err := parseCommand(tt.args, lookup, &stderr)
			switch {
			case tt.wantHelp:
				if !errors.Is(err, flag.ErrHelp) {
					t.Fatalf("err = %v, want flag.ErrHelp", err)
				}
				for _, want := range []string{"STRATA_BENCH_<NAME>", "-duration", "-scenarios", "-json", "-strata-bin"} {
					if !strings.Contains(stderr.String(), want) {
						t.Errorf("help lacks %q:\n%s", want, stderr.String())
					}
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatalf("parseCommand: %v", err)
				}
				tt.check(t, c, o)
			}
		})
	}
}

func equalConfig(a, b Config) bool {
	return a.StrataBin == b.StrataBin && slices.Equal(a.StrataArgs, b.StrataArgs) && a.NginxBin == b.NginxBin &&
		a.WrkBin == b.WrkBin && a.Dir == b.Dir && a.Duration == b.Duration && a.Warmup == b.Warmup &&
		a.Rounds == b.Rounds && a.Connections == b.Connections && a.Threads == b.Threads && slices.Equal(a.Scenarios, b.Scenarios)
}

func TestCommandHelpSucceeds(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := Command(context.Background(), []string{"-h"}, &stdout, &stderr); err != nil {
		t.Fatalf("Command -h: %v", err)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "Usage: strata bench origin") {
		t.Errorf("help went to the wrong place: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

func TestCommandReportsMissingBinary(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := Command(context.Background(), []string{"--strata-bin", "/nonexistent/strata"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "StrataBin") {
		t.Fatalf("Command = %v, want an error naming StrataBin", err)
	}
}
