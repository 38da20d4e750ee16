package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/strata3d/strata/cache/s3store/s3test"
	"github.com/strata3d/strata/lod/gltfcheck"
	"github.com/strata3d/strata/lod/publish"
)

func TestServeFlagsFromEnvironment(t *testing.T) {
	env := map[string]string{
		"STRATA_ADDR":         "127.0.0.1:9999",
		"STRATA_CACHE_BYTES":  "64MiB",
		"STRATA_CORS_ORIGINS": "https://a.example, https://b.example",
		"STRATA_DEMO":         "false",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, c serveConfig)
	}{
		{"environment fills unset flags", nil, func(t *testing.T, c serveConfig) {
			if c.Server.Addr != "127.0.0.1:9999" || c.Cache.MaxBytes != 64<<20 || c.Demo {
				t.Errorf("addr %q cache %d demo %v", c.Server.Addr, c.Cache.MaxBytes, c.Demo)
			}
			if len(c.Server.CORSOrigins) != 2 || c.Server.CORSOrigins[1] != "https://b.example" {
				t.Errorf("cors %q", c.Server.CORSOrigins)
			}
		}},
		{"command line wins", []string{"--addr", "127.0.0.1:1", "--cache-bytes=1GiB"}, func(t *testing.T, c serveConfig) {
			if c.Server.Addr != "127.0.0.1:1" || c.Cache.MaxBytes != 1<<30 {
				t.Errorf("addr %q cache %d", c.Server.Addr, c.Cache.MaxBytes)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultServeConfig()
			fs := newCommandFlags("serve", "", io.Discard)
			cfg.flags(fs)
			if err := fs.parse(tc.args, lookup); err != nil {
				t.Fatal(err)
			}
			tc.check(t, cfg)
		})
	}
	t.Run("a bad environment value names its variable", func(t *testing.T) {
		cfg := defaultServeConfig()
		fs := newCommandFlags("serve", "", io.Discard)
		cfg.flags(fs)
		err := fs.parse(nil, func(k string) (string, bool) {
			if k == "STRATA_CACHE_BYTES" {
				return "lots", true
			}
			return "", false
		})
		if err == nil || !strings.Contains(err.Error(), "STRATA_CACHE_BYTES") {
			t.Errorf("error %v does not name STRATA_CACHE_BYTES", err)
		}
	})
}

func TestServeHelpListsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--help"}, io.Discard, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	cfg := defaultServeConfig()
	fs := newCommandFlags("serve", "", io.Discard)
	cfg.flags(fs)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		if !strings.Contains(out.String(), "--"+f.Name) || !strings.Contains(out.String(), "$"+envName(f.Name)) {
			t.Errorf("help lacks --%s or $%s", f.Name, envName(f.Name))
		}
	})
	for _, required := range []string{"addr", "assets-dir", "store"} {
		if !strings.Contains(out.String(), "--"+required+" ") {
			t.Errorf("help lacks --%s", required)
		}
	}
	if n < 30 {
		t.Errorf("only %d flags", n)
	}
}

func TestServeRejectsBadConfiguration(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown store", []string{"--store", "ftp"}, "--store must be fs or s3"},
		{"s3 without bucket", []string{"--store", "s3"}, "bucket"},
		{"short origin secret", []string{"--origin-secret", "abc"}, "origin secret"},
		{"bad byte size", []string{"--cache-chunk-size", "1 parsec"}, "byte size"},
		{"stray argument", []string{"serve-me"}, "unexpected argument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), append([]string{"serve", "--assets-dir", t.TempDir()}, c.args...), io.Discard, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), c.want)
			}
		})
	}
}

// TestEmbeddedDefault runs what `make run` runs, on port 0: the demo content
// is generated into an empty directory, listed by index.html, valid glTF, and
// the process stops cleanly when its context ends (SIGTERM).
func TestEmbeddedDefault(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "assets")
	cfg := defaultServeConfig()
	cfg.AssetsDir = dir
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Cache.MaxBytes = 256 << 20
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	app, err := newServeApp(ctx, cfg, logger, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	base := "http://" + app.Addr()

	resp, err := http.Get(base + "/assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("index.html: %d", resp.StatusCode)
	}
	links := regexp.MustCompile(`href="\.\./models/([a-z0-9-]+)/manifest\.json"`).FindAllStringSubmatch(string(page), -1)
	if len(links) != 6 {
		t.Fatalf("index.html links %d models, want the 6 demo models:\n%s", len(links), page)
	}
	// The demo models are published in the background, through the
	// publisher's queue.
	waitCtx, stopWait := context.WithTimeout(ctx, 5*time.Minute)
	defer stopWait()
	if err := app.publisher.Idle(waitCtx); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, l := range links {
		id := l[1]
		var ptr publish.Pointer
		if err := json.Unmarshal(mustGet(t, base+"/models/"+id+"/manifest.json", "application/json"), &ptr); err != nil {
			t.Fatalf("pointer of %s: %v", id, err)
		}
		glb := mustGet(t, base+"/models/"+id+"/"+ptr.Published.Progressive, "model/gltf-binary")
		if len(glb) != ptr.Progressive.Bytes || len(ptr.Levels) < 2 {
			t.Fatalf("%s: progressive.glb has %d bytes, the manifest says %d; %d levels", id, len(glb), ptr.Progressive.Bytes, len(ptr.Levels))
		}
		p := filepath.Join(t.TempDir(), id+".glb")
		if err := os.WriteFile(p, glb, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	// The storefront links its demo products to these ids.
	for _, id := range []string{"tufted-armchair", "oak-bookshelf", "drum-floor-lamp", "chesterfield-sofa", "turned-dining-table", "stoneware-vase"} {
		if !strings.Contains(string(page), `href="../models/`+id+`/manifest.json"`) {
			t.Errorf("index.html does not link model %s", id)
		}
	}
	gltfcheck.MustBeValidFiles(t, files...)

	// The root is the web storefront's catalog page.
	if r, err := http.Get(base + "/"); err != nil || r.StatusCode != 200 || r.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("GET /: %v %v", r, err)
	} else {
		r.Body.Close()
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}

	// A second start over the same directory keeps what is there.
	before, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	app2, err := newServeApp(context.Background(), cfg, logger, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	app2.Close()
	after, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if string(after) != "mine" || len(before) == 0 {
		t.Errorf("a restart rewrote the store's content")
	}
}

// TestServeOverS3 runs `strata serve --store s3` against the test gateway with
// credentials from the SDK's default chain (the environment), seeding the
// demo content into the bucket.
func TestServeOverS3(t *testing.T) {
	endpoint := s3test.Endpoint(t)
	bucket := s3test.NewBucket(t, endpoint)
	creds, err := s3test.Credentials().Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	cfg := defaultServeConfig()
	fs := newCommandFlags("serve", "", io.Discard)
	cfg.flags(fs)
	args := []string{"--store", "s3", "--s3-bucket", bucket, "--s3-endpoint", endpoint, "--s3-path-style", "--s3-prefix", "site/", "--addr", "127.0.0.1:0", "--cache-bytes", "128MiB",
		"--sqlite-path", filepath.Join(t.TempDir(), "strata.db")}
	if err := fs.parse(args, func(string) (string, bool) { return "", false }); err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, err := newServeApp(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()

	resp, err := http.Get("http://" + app.Addr() + "/assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "models/tufted-armchair/manifest.json") {
		t.Fatalf("index.html over S3: %d\n%s", resp.StatusCode, page)
	}
	if _, err := s3test.Client(endpoint).HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("site/index.html")}); err != nil {
		t.Errorf("index.html is not under the prefix in the bucket: %v", err)
	}
	// Let the demo bakes finish before stopping: a bake stopped mid-write
	// may leave an object behind after the bucket's cleanup has listed it.
	waitCtx, stopWait := context.WithTimeout(ctx, 2*time.Minute)
	defer stopWait()
	if err := app.publisher.Idle(waitCtx); err != nil {
		t.Fatalf("demo publishing did not finish: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestMemoryLimit(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want func(c serveConfig) int64
	}{
		{"auto follows the cache budget", []string{"--cache-bytes", "128MiB"}, func(c serveConfig) int64 { return c.Cache.MemoryBytes() + memorySlack }},
		{"explicit", []string{"--memory-limit", "1GiB"}, func(serveConfig) int64 { return 1 << 30 }},
		{"zero disables", []string{"--memory-limit", "0"}, func(serveConfig) int64 { return 0 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := defaultServeConfig()
			fs := newCommandFlags("serve", "", io.Discard)
			cfg.flags(fs)
			if err := fs.parse(c.args, func(string) (string, bool) { return "", false }); err != nil {
				t.Fatal(err)
			}
			if got, want := cfg.memoryLimit(), c.want(cfg); got != want {
				t.Errorf("memory limit %d, want %d", got, want)
			}
			if c.name == "auto follows the cache budget" && (cfg.memoryLimit() < 128<<20+memorySlack || cfg.memoryLimit() > 160<<20+memorySlack) {
				t.Errorf("auto limit %d is not the 128 MiB budget plus slack", cfg.memoryLimit())
			}
		})
	}
}

func TestProcs(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int    // for 3 CPUs
		err  string // a flag error
	}{
		{"auto is four per CPU", nil, 12, ""},
		{"auto by name", []string{"--procs", "auto"}, 12, ""},
		{"explicit", []string{"--procs", "5"}, 5, ""},
		{"zero is refused", []string{"--procs", "0"}, 0, "at least 1"},
		{"words are refused", []string{"--procs", "many"}, 0, "at least 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := defaultServeConfig()
			fs := newCommandFlags("serve", "", io.Discard)
			cfg.flags(fs)
			err := fs.parse(c.args, func(string) (string, bool) { return "", false })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.procs(3); got != c.want {
				t.Errorf("procs %d, want %d", got, c.want)
			}
		})
	}
}

// mustGet fetches url and checks its status is 200 and its Content-Type ctype.
func mustGet(t *testing.T, url, ctype string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype {
		t.Fatalf("GET %s: %d %q, want 200 %q", url, resp.StatusCode, resp.Header.Get("Content-Type"), ctype)
	}
	return body
}
