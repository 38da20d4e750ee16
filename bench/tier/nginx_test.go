package tier

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// updateGolden regenerates testdata/*.golden: STRATA_UPDATE_GOLDEN=1 go test ./bench/tier/
var updateGolden = os.Getenv("STRATA_UPDATE_GOLDEN") != ""

func validProxyConf() proxyConf {
	return proxyConf{
		Prefix: "/w/nginx", CacheDir: "/w/nginx/cache", Port: 8082, StoreAddr: "127.0.0.1:9000",
		Bucket: "strata-bench", Slice: 1 << 20,
		ErrorLog: "/w/nginx/logs/error.log", AccessLog: "/w/nginx/logs/access.log", PidFile: "/w/nginx/nginx.pid",
	}
}

func TestProxyConfRender(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*proxyConf)
		golden  string // file under testdata; "" when an error is expected
		wantErr string
	}{
		{name: "nginx defaults", edit: func(*proxyConf) {}, golden: "nginx-proxy.conf.golden"},
		{name: "cache lock, as root", edit: func(c *proxyConf) { c.CacheLock, c.User = true, "root" }, golden: "nginx-proxy-lock-root.conf.golden"},
		{name: "relative cache dir", edit: func(c *proxyConf) { c.CacheDir = "cache" }, wantErr: "not an absolute path"},
		{name: "space in a path", edit: func(c *proxyConf) { c.Prefix = "/w/my nginx" }, wantErr: "cannot take unquoted"},
		{name: "variable in a path", edit: func(c *proxyConf) { c.AccessLog = "/w/$host.log" }, wantErr: "cannot take unquoted"},
		{name: "port zero", edit: func(c *proxyConf) { c.Port = 0 }, wantErr: "out of range"},
		{name: "store address with a path", edit: func(c *proxyConf) { c.StoreAddr = "127.0.0.1:9000/x" }, wantErr: "bare host:port"},
		{name: "store address closing the block", edit: func(c *proxyConf) { c.StoreAddr = "127.0.0.1:9000;}" }, wantErr: "bare host:port"},
		{name: "bucket with a slash", edit: func(c *proxyConf) { c.Bucket = "a/b" }, wantErr: "bare bucket"},
		{name: "no slice", edit: func(c *proxyConf) { c.Slice = 0 }, wantErr: "slice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validProxyConf()
			tt.edit(&c)
			got, err := c.render()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("render() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("render(): %v", err)
			}
			golden := filepath.Join("testdata", tt.golden)
			if updateGolden {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (regenerate with STRATA_UPDATE_GOLDEN=1)", err)
			}
			if got != string(want) {
				t.Errorf("render() differs from %s (regenerate with STRATA_UPDATE_GOLDEN=1 if intended):\n%s", golden, got)
			}
		})
	}
}

func TestNginxSize(t *testing.T) {
	tests := []struct {
		name string
		in   int64
		want string
	}{
		{"mebibytes", 1 << 20, "1m"},
		{"many mebibytes", 64 << 20, "64m"},
		{"kibibytes", 256 << 10, "256k"},
		{"not a whole kibibyte", 5000, "5000"},
		{"mebibyte and a half", 3 << 19, "1536k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nginxSize(tt.in); got != tt.want {
				t.Errorf("nginxSize(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// The golden files only prove the text is stable; nginx itself must accept
// it, slice module included, without warnings.
func TestProxyConfAcceptedByNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nginx -t; skipped in -short mode")
	}
	nginxBin := mustTool(t, "STRATA_TEST_NGINX")
	for _, lock := range []bool{false, true} {
		dir := t.TempDir()
		for _, sub := range []string{"logs", "tmp", "cache"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		c := proxyConf{
			Prefix: dir, CacheDir: filepath.Join(dir, "cache"), Port: 8082, StoreAddr: "127.0.0.1:9000",
			Bucket: bucket, Slice: 1 << 20, CacheLock: lock,
			ErrorLog: filepath.Join(dir, "logs", "error.log"), AccessLog: filepath.Join(dir, "logs", "access.log"),
			PidFile: filepath.Join(dir, "nginx.pid"),
		}
		if os.Geteuid() == 0 {
			c.User = "root"
		}
		text, err := c.render()
		if err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(nginxBin, "-t", "-c", conf, "-p", dir).CombinedOutput()
		if err != nil {
			t.Fatalf("nginx -t (lock %v): %v\n%s\n%s", lock, err, out, text)
		}
		if strings.Contains(string(out), "[warn]") {
			t.Errorf("nginx -t (lock %v) warns:\n%s", lock, out)
		}
	}
}
