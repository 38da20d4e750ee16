package tier

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
				if c.Clients != d.Clients || c.ChunkSize != d.ChunkSize || !slices.Equal(c.Phases, d.Phases) || !c.NginxCacheLock || o.jsonPath != "" {
					t.Errorf("got %+v, %+v; want the defaults", c, o)
				}
			},
		},
		{
			name: "flags",
			args: []string{"--phases", "cold, rss", "--clients", "8", "--cold-rounds=5", "--chunk-size", "256KiB",
				"--cold-object-size", "4MiB", "--hot-object-size", "64MiB", "--hot-cache-bytes", "1GiB", "--rss-cache-bytes", "32MB",
				"--rss-slack", "48MiB", "--rss-duration", "3s", "--rss-idle", "500ms", "--duration", "2s", "--warmup", "0s",
				"--hot-rounds", "4", "--connections", "16", "--threads", "1", "--nginx-cache-lock=false",
				"--strata-bin", "/x/strata", "--strata-args", "--cache-read-ahead=false  --access-log=false",
				"--nginx-bin", "/x/nginx", "--wrk-bin", "/x/wrk", "--versitygw-bin", "/x/versitygw", "--dir", "/tmp/t", "--json", "out.json"},
			check: func(t *testing.T, c Config, o commandOptions) {
				want := Config{
					StrataBin: "/x/strata", StrataArgs: []string{"--cache-read-ahead=false", "--access-log=false"},
					NginxBin: "/x/nginx", WrkBin: "/x/wrk", VersitygwBin: "/x/versitygw", Dir: "/tmp/t",
					Phases: []string{PhaseCold, PhaseRSS}, ColdObjectSize: 4 << 20, ChunkSize: 256 << 10, Clients: 8, ColdRounds: 5,
					HotObjectSize: 64 << 20, HotCacheBytes: 1 << 30, Duration: 2 * time.Second, HotRounds: 4,
					Connections: 16, Threads: 1, RSSCacheBytes: 32e6, RSSSlack: 48 << 20, RSSDuration: 3 * time.Second,
					RSSIdle: 500 * time.Millisecond,
				}
				if !equalConfig(c, want) || o.jsonPath != "out.json" {
					t.Errorf("got  %+v, %+v\nwant %+v", c, o, want)
				}
			},
		},
		{
			name: "environment",
			env:  map[string]string{"STRATA_BENCH_CLIENTS": "64", "STRATA_BENCH_CHUNK_SIZE": "2MiB", "STRATA_BENCH_PHASES": "hot", "STRATA_BENCH_JSON": "env.json"},
			check: func(t *testing.T, c Config, o commandOptions) {
				if c.Clients != 64 || c.ChunkSize != 2<<20 || !slices.Equal(c.Phases, []string{PhaseHot}) || o.jsonPath != "env.json" {
					t.Errorf("environment ignored: %+v, %+v", c, o)
				}
			},
		},
		{
			name: "a flag beats the environment",
			args: []string{"--clients", "2"},
			env:  map[string]string{"STRATA_BENCH_CLIENTS": "7"},
			check: func(t *testing.T, c Config, _ commandOptions) {
				if c.Clients != 2 {
					t.Errorf("Clients = %d, want the flag's 2", c.Clients)
				}
			},
		},
		{name: "bad environment value names the variable", env: map[string]string{"STRATA_BENCH_COLD_OBJECT_SIZE": "big"}, wantErr: "STRATA_BENCH_COLD_OBJECT_SIZE"},
		{name: "bad byte size", args: []string{"--chunk-size", "1.5MiB"}, wantErr: "not a byte size"},
		{name: "invalid config", args: []string{"--clients", "0"}, wantErr: "Clients 0"},
		{name: "unknown phase", args: []string{"--phases", "lukewarm"}, wantErr: `unknown phase "lukewarm"`},
		{name: "stray argument", args: []string{"cold"}, wantErr: "unexpected arguments"},
		{name: "unknown flag", args: []string{"--rounds", "3"}, wantErr: "flag provided but not defined"},
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
				for _, want := range []string{"STRATA_BENCH_", "-clients", "-nginx-cache-lock", "-rss-cache-bytes", "default 16 MiB"} {
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
		a.WrkBin == b.WrkBin && a.VersitygwBin == b.VersitygwBin && a.Dir == b.Dir && slices.Equal(a.Phases, b.Phases) &&
		a.ColdObjectSize == b.ColdObjectSize && a.ChunkSize == b.ChunkSize && a.Clients == b.Clients &&
		a.ColdRounds == b.ColdRounds && a.NginxCacheLock == b.NginxCacheLock && a.HotObjectSize == b.HotObjectSize &&
		a.HotCacheBytes == b.HotCacheBytes && a.Duration == b.Duration && a.Warmup == b.Warmup &&
		a.HotRounds == b.HotRounds && a.Connections == b.Connections && a.Threads == b.Threads &&
		a.RSSCacheBytes == b.RSSCacheBytes && a.RSSSlack == b.RSSSlack && a.RSSDuration == b.RSSDuration &&
		a.RSSIdle == b.RSSIdle
}

func TestCommandHelpReturnsNil(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := Command(context.Background(), []string{"--help"}, &stdout, &stderr); err != nil {
		t.Fatalf("Command(--help) = %v, want nil", err)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "Usage: strata bench tier") {
		t.Errorf("help went to the wrong place: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{name: "plain bytes", in: "1048576", want: 1 << 20},
		{name: "binary units", in: "16MiB", want: 16 << 20},
		{name: "with a space, as printed", in: "512 KiB", want: 512 << 10},
		{name: "gibibytes", in: "2GiB", want: 2 << 30},
		{name: "decimal units", in: "200MB", want: 200e6},
		{name: "bytes suffix", in: "42B", want: 42},
		{name: "zero", in: "0", want: 0},
		{name: "fraction", in: "1.5MiB", wantErr: true},
		{name: "negative", in: "-1KiB", wantErr: true},
		{name: "unknown unit", in: "3 lbs", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "overflow", in: "9999999999GiB", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBytes(tt.in)
			if tt.wantErr {
				if !errors.Is(err, errByteSize) {
					t.Fatalf("parseBytes(%q) = %d, %v; want errByteSize", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseBytes(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		name string
		in   int64
		want string
	}{
		{"bytes", 17, "17 B"},
		{"whole mebibytes", 16 << 20, "16 MiB"},
		{"fraction", 3 << 19, "1.5 MiB"},
		{"two decimals", 61.75 * (1 << 20), "61.75 MiB"},
		{"gibibytes", 2 << 30, "2 GiB"},
		{"negative", -(4 << 10), "-4 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatBytes(tt.in); got != tt.want {
				t.Errorf("formatBytes(%d) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.in >= 0 && !strings.Contains(tt.want, ".") {
				if back, err := parseBytes(strings.ReplaceAll(tt.want, " ", "")); err != nil || back != tt.in {
					t.Errorf("parseBytes(formatBytes(%d)) = %d, %v", tt.in, back, err)
				}
			}
		})
	}
}
