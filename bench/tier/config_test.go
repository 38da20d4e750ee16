package tier

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr []string // substrings; none means valid
	}{
		{name: "defaults", edit: func(*Config) {}},
		{name: "one phase", edit: func(c *Config) { c.Phases = []string{PhaseRSS} }},
		{name: "tiny run", edit: func(c *Config) {
			c.ColdObjectSize, c.ChunkSize, c.Clients, c.ColdRounds = 2<<20, 256<<10, 4, 1
			c.HotObjectSize, c.HotCacheBytes, c.RSSCacheBytes = 4<<20, 8<<20, 1<<20
			c.Duration, c.Warmup, c.RSSDuration, c.RSSIdle = time.Second, 0, time.Second, 0
		}},
		{name: "missing binaries", edit: func(c *Config) { c.StrataBin, c.VersitygwBin = "", "" },
			wantErr: []string{"StrataBin is empty", "VersitygwBin is empty"}},
		{name: "no phases", edit: func(c *Config) { c.Phases = nil }, wantErr: []string{"Phases is empty"}},
		{name: "unknown and repeated phases", edit: func(c *Config) { c.Phases = []string{"cold", "warm", "cold"} },
			wantErr: []string{`unknown phase "warm"`, `phase "cold" listed twice`}},
		{name: "object size not a multiple of 4", edit: func(c *Config) { c.ColdObjectSize = 16<<20 + 1 },
			wantErr: []string{"ColdObjectSize"}},
		{name: "object too small for a GLB", edit: func(c *Config) { c.ColdObjectSize = 64 }, wantErr: []string{"ColdObjectSize"}},
		{name: "chunk below Strata's minimum", edit: func(c *Config) { c.ChunkSize = 1024 }, wantErr: []string{"ChunkSize"}},
		{name: "chunk above Strata's maximum", edit: func(c *Config) { c.ChunkSize = 128 << 20 }, wantErr: []string{"ChunkSize"}},
		{name: "no clients", edit: func(c *Config) { c.Clients = 0 }, wantErr: []string{"Clients"}},
		{name: "no cold rounds", edit: func(c *Config) { c.ColdRounds = 0 }, wantErr: []string{"ColdRounds"}},
		{name: "hot cache cannot hold the object", edit: func(c *Config) { c.HotCacheBytes = c.HotObjectSize },
			wantErr: []string{"HotCacheBytes"}},
		{name: "fractional duration", edit: func(c *Config) { c.Duration = 1500 * time.Millisecond }, wantErr: []string{"Duration"}},
		{name: "negative warm-up", edit: func(c *Config) { c.Warmup = -time.Second }, wantErr: []string{"Warmup"}},
		{name: "zero rss duration", edit: func(c *Config) { c.RSSDuration = 0 }, wantErr: []string{"RSSDuration"}},
		{name: "fewer connections than threads", edit: func(c *Config) { c.Connections, c.Threads = 1, 2 },
			wantErr: []string{"Connections 1"}},
		{name: "rss budget holds the whole object", edit: func(c *Config) { c.RSSCacheBytes = c.HotObjectSize },
			wantErr: []string{"RSSCacheBytes"}},
		{name: "negative slack and idle", edit: func(c *Config) { c.RSSSlack, c.RSSIdle = -1, -time.Second },
			wantErr: []string{"RSSSlack", "RSSIdle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.StrataBin, c.NginxBin, c.WrkBin, c.VersitygwBin = "strata", "nginx", "wrk", "versitygw"
			tt.edit(&c)
			err := c.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %v, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestColdOrderRotates(t *testing.T) {
	servers := []string{ServerStrata, ServerNginx, ServerNginxLock}
	firsts := map[string]int{}
	for round := range 6 {
		order := coldOrder(servers, round)
		if len(order) != len(servers) {
			t.Fatalf("round %d: order %v has %d servers", round, order, len(order))
		}
		firsts[order[0]]++
	}
	for _, s := range servers {
		if firsts[s] != 2 {
			t.Errorf("%s went first %d times in 6 rounds, want 2 (%v)", s, firsts[s], firsts)
		}
	}
}
