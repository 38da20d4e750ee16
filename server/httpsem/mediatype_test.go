package httpsem_test

import (
	"path"
	"strings"
	"testing"

	"github.com/strata3d/strata/server/httpsem"
)

// mediaTable is the specification ContentType and Compressible implement.
var mediaTable = map[string]struct {
	contentType  string
	compressible bool
}{
	".glb":  {"model/gltf-binary", false},
	".gltf": {"model/gltf+json", true},
	".bin":  {"application/octet-stream", true},
	".ktx2": {"image/ktx2", false},
	".png":  {"image/png", false},
	".jpg":  {"image/jpeg", false},
	".jpeg": {"image/jpeg", false},
	".webp": {"image/webp", false},
	".avif": {"image/avif", false},
	".svg":  {"image/svg+xml", true},
	".json": {"application/json", true},
	".map":  {"application/json", true},
	".js":   {"text/javascript; charset=utf-8", true},
	".mjs":  {"text/javascript; charset=utf-8", true},
	".css":  {"text/css; charset=utf-8", true},
	".html": {"text/html; charset=utf-8", true},
	".htm":  {"text/html; charset=utf-8", true},
	".txt":  {"text/plain; charset=utf-8", true},
	".wasm": {"application/wasm", true},
}

func TestContentType(t *testing.T) {
	tests := []struct {
		name         string
		key          string
		want         string
		compressible bool
	}{
		{name: "glb", key: "models/chair.glb", want: "model/gltf-binary"},
		{name: "glb upper case", key: "models/CHAIR.GLB", want: "model/gltf-binary"},
		{name: "gltf", key: "a/b/scene.gltf", want: "model/gltf+json", compressible: true},
		{name: "gltf mixed case", key: "scene.GlTf", want: "model/gltf+json", compressible: true},
		{name: "bin", key: "scene0.bin", want: "application/octet-stream", compressible: true},
		{name: "ktx2", key: "tex/wood.ktx2", want: "image/ktx2"},
		{name: "png", key: "a.png", want: "image/png"},
		{name: "jpg", key: "a.jpg", want: "image/jpeg"},
		{name: "jpeg", key: "a.JPEG", want: "image/jpeg"},
		{name: "webp", key: "a.webp", want: "image/webp"},
		{name: "avif", key: "a.avif", want: "image/avif"},
		{name: "svg", key: "logo.svg", want: "image/svg+xml", compressible: true},
		{name: "json", key: "manifest.json", want: "application/json", compressible: true},
		{name: "source map", key: "app.js.map", want: "application/json", compressible: true},
		{name: "js", key: "app.3f9a1b2c4d5e6f70.js", want: "text/javascript; charset=utf-8", compressible: true},
		{name: "mjs", key: "viewer.mjs", want: "text/javascript; charset=utf-8", compressible: true},
		{name: "css", key: "site.css", want: "text/css; charset=utf-8", compressible: true},
		{name: "html", key: "index.html", want: "text/html; charset=utf-8", compressible: true},
		{name: "htm", key: "index.htm", want: "text/html; charset=utf-8", compressible: true},
		{name: "txt", key: "robots.txt", want: "text/plain; charset=utf-8", compressible: true},
		{name: "wasm", key: "draco_decoder.wasm", want: "application/wasm", compressible: true},
		{name: "unknown", key: "a.exe", want: "application/octet-stream"},
		{name: "unknown long", key: "a.gltfx", want: "application/octet-stream"},
		{name: "no extension", key: "models/README", want: "application/octet-stream"},
		{name: "dot in directory only", key: "v1.2.glb/file", want: "application/octet-stream"},
		{name: "dotfile", key: "a/.glb", want: "model/gltf-binary"},
		{name: "trailing dot", key: "a.", want: "application/octet-stream"},
		{name: "empty", key: "", want: "application/octet-stream"},
		{name: "html content but other name", key: "page.html.bak", want: "application/octet-stream"},
		{name: "non-ASCII lookalike", key: "a.ſvg", want: "application/octet-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsem.ContentType(tt.key); got != tt.want {
				t.Errorf("ContentType(%q) = %q, want %q", tt.key, got, tt.want)
			}
			if got := httpsem.Compressible(tt.key); got != tt.compressible {
				t.Errorf("Compressible(%q) = %v, want %v", tt.key, got, tt.compressible)
			}
		})
	}
}

func FuzzContentType(f *testing.F) {
	for _, seed := range []string{"a.glb", "A.GLTF", "x/.js", "v1.2/readme", "a.ktx2"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		want, ok := mediaTable[asciiLower(path.Ext(key))]
		if !ok {
			want.contentType = "application/octet-stream"
		}
		if got := httpsem.ContentType(key); got != want.contentType {
			t.Fatalf("ContentType(%q) = %q, want %q", key, got, want.contentType)
		}
		if got := httpsem.Compressible(key); got != want.compressible {
			t.Fatalf("Compressible(%q) = %v, want %v", key, got, want.compressible)
		}
	})
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func BenchmarkContentType(b *testing.B) {
	for _, bm := range []struct{ name, key string }{
		{"glb", "models/chair/3f9a1b2c4d5e6f70/progressive.glb"},
		{"upper", "models/chair/PROGRESSIVE.GLB"},
		{"unknown", "models/chair/notes"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = httpsem.ContentType(bm.key)
			}
		})
	}
}
