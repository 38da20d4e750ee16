package origin

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr []string // substrings, all required; none means valid
	}{
		{name: "defaults", edit: func(*Config) {}},
		{name: "one scenario, no warm-up", edit: func(c *Config) { c.Scenarios = []string{ScenarioGet4K}; c.Warmup = 0 }},
		{name: "empty binaries", edit: func(c *Config) { c.StrataBin, c.NginxBin, c.WrkBin = "", "", "" },
			wantErr: []string{"StrataBin", "NginxBin", "WrkBin"}},
		{name: "sub-second duration", edit: func(c *Config) { c.Duration = 500 * time.Millisecond }, wantErr: []string{"Duration"}},
		{name: "fractional seconds", edit: func(c *Config) { c.Duration = 1500 * time.Millisecond }, wantErr: []string{"whole number"}},
		{name: "negative warm-up", edit: func(c *Config) { c.Warmup = -time.Second }, wantErr: []string{"Warmup"}},
		{name: "no rounds", edit: func(c *Config) { c.Rounds = 0 }, wantErr: []string{"Rounds"}},
		{name: "fewer connections than threads", edit: func(c *Config) { c.Connections, c.Threads = 1, 2 }, wantErr: []string{"Connections"}},
		{name: "no threads", edit: func(c *Config) { c.Threads = 0 }, wantErr: []string{"Threads"}},
		{name: "unknown scenario", edit: func(c *Config) { c.Scenarios = []string{"get-1g"} }, wantErr: []string{`unknown scenario "get-1g"`}},
		{name: "scenario twice", edit: func(c *Config) { c.Scenarios = []string{ScenarioGet4K, ScenarioGet4K} }, wantErr: []string{"twice"}},
		{name: "no scenarios", edit: func(c *Config) { c.Scenarios = nil }, wantErr: []string{"Scenarios is empty"}},
		{name: "every problem at once", edit: func(c *Config) { c.Rounds, c.Threads = 0, 0 }, wantErr: []string{"Rounds", "Threads"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %+v", c)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestDefaultConfigFromEnv(t *testing.T) {
	t.Setenv("STRATA_TEST_NGINX", "/opt/nginx/sbin/nginx")
	t.Setenv("STRATA_TEST_WRK", "/opt/wrk/wrk")
	c := DefaultConfig()
	if c.NginxBin != "/opt/nginx/sbin/nginx" || c.WrkBin != "/opt/wrk/wrk" {
		t.Errorf("DefaultConfig ignores STRATA_TEST_NGINX/WRK: %q, %q", c.NginxBin, c.WrkBin)
	}
	t.Setenv("STRATA_TEST_NGINX", "")
	if c := DefaultConfig(); c.NginxBin != "/usr/sbin/nginx" {
		t.Errorf("NginxBin default %q, want /usr/sbin/nginx", c.NginxBin)
	}
}
