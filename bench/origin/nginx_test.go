package origin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// updateGolden regenerates testdata/*.golden: STRATA_UPDATE_GOLDEN=1 go test ./bench/origin/
var updateGolden = os.Getenv("STRATA_UPDATE_GOLDEN") != ""

func TestNginxConfRender(t *testing.T) {
	valid := nginxConf{
		Prefix: "/w/nginx", AssetsDir: "/w/assets", Port: 8081,
		ErrorLog: "/w/nginx/logs/error.log", AccessLog: "/w/nginx/logs/access.log", PidFile: "/w/nginx/nginx.pid",
	}
	tests := []struct {
		name    string
		edit    func(*nginxConf)
		golden  string // file under testdata; "" when an error is expected
		wantErr string
	}{
		{name: "as a normal user", edit: func(*nginxConf) {}, golden: "nginx.conf.golden"},
		{name: "as root: workers stay root", edit: func(c *nginxConf) { c.User = "root" }, golden: "nginx-root.conf.golden"},
		{name: "with published models", edit: func(c *nginxConf) { c.ModelsDir = "/w/assets/models" }, golden: "nginx-models.conf.golden"},
		{name: "relative models dir", edit: func(c *nginxConf) { c.ModelsDir = "models" }, wantErr: "not an absolute path"},
		{name: "relative assets dir", edit: func(c *nginxConf) { c.AssetsDir = "assets" }, wantErr: "not an absolute path"},
		{name: "space in a path", edit: func(c *nginxConf) { c.Prefix = "/w/my nginx" }, wantErr: "cannot take unquoted"},
		{name: "semicolon in a path", edit: func(c *nginxConf) { c.AccessLog = "/w/a;b" }, wantErr: "cannot take unquoted"},
		{name: "variable in a path", edit: func(c *nginxConf) { c.ErrorLog = "/w/$host" }, wantErr: "cannot take unquoted"},
		{name: "port zero", edit: func(c *nginxConf) { c.Port = 0 }, wantErr: "out of range"},
		{name: "port too large", edit: func(c *nginxConf) { c.Port = 70000 }, wantErr: "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
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

// The golden file only proves the text is stable; nginx itself must accept it.
func TestNginxConfAcceptedByNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nginx -t; skipped in -short mode")
	}
	nginxBin := MustTestTool(t, "STRATA_TEST_NGINX")
	dir := t.TempDir()
	prefix := filepath.Join(dir, "nginx")
	for _, sub := range []string{"logs", "tmp", "assets"} {
		if err := os.MkdirAll(filepath.Join(prefix, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c := nginxConf{
		Prefix: prefix, AssetsDir: filepath.Join(prefix, "assets"), ModelsDir: filepath.Join(prefix, "assets"), Port: 8081,
		ErrorLog: filepath.Join(prefix, "logs", "error.log"), AccessLog: filepath.Join(prefix, "logs", "access.log"),
		PidFile: filepath.Join(prefix, "nginx.pid"),
	}
	if os.Geteuid() == 0 {
		c.User = "root"
	}
	text, err := c.render()
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(nginxBin, "-t", "-c", conf, "-p", prefix).CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t: %v\n%s\n%s", err, out, text)
	}
	// A warning means nginx silently changed something we asked for.
	if strings.Contains(string(out), "[warn]") {
		t.Errorf("nginx -t warns:\n%s", out)
	}
}
