package httpsem_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/server/httpsem"
)

func TestCleanKey(t *testing.T) {
	long := strings.Repeat("a/", 511) + "ab" // 1024 bytes
	tests := []struct {
		name    string
		raw     string
		want    string
		wantErr bool
	}{
		{name: "plain", raw: "models/chair.glb", want: "models/chair.glb"},
		{name: "single segment", raw: "chair.glb", want: "chair.glb"},
		{name: "encoded space", raw: "models/a%20b.glb", want: "models/a b.glb"},
		{name: "lower-case escape", raw: "a%2bb", want: "a+b"},
		{name: "plus stays plus", raw: "a+b.glb", want: "a+b.glb"},
		{name: "encoded percent decoded once", raw: "a%252e%252e/b", want: "a%2e%2e/b"},
		{name: "encoded UTF-8", raw: "mod%C3%A8les/chaise.glb", want: "modèles/chaise.glb"},
		{name: "raw UTF-8", raw: "modèles/chaise.glb", want: "modèles/chaise.glb"},
		{name: "dots inside a name", raw: "a..b/.hidden/c.", want: "a..b/.hidden/c."},
		{name: "three dots", raw: "a/.../b", want: "a/.../b"},
		{name: "encoded dot in name", raw: "a%2eglb", want: "a.glb"},
		{name: "query characters encoded", raw: "a%3Fb%23c", want: "a?b#c"},
		{name: "longest", raw: long, want: long},
		{name: "longest with escapes", raw: "%61" + long[1:], want: long},

		{name: "empty", raw: "", wantErr: true},
		{name: "leading slash", raw: "/models/a.glb", wantErr: true},
		{name: "trailing slash", raw: "models/", wantErr: true},
		{name: "slash only", raw: "/", wantErr: true},
		{name: "double slash", raw: "a//b", wantErr: true},
		{name: "dot segment", raw: "a/./b", wantErr: true},
		{name: "dot only", raw: ".", wantErr: true},
		{name: "dot-dot segment", raw: "a/../b", wantErr: true},
		{name: "leading dot-dot", raw: "../etc/passwd", wantErr: true},
		{name: "trailing dot-dot", raw: "a/..", wantErr: true},
		{name: "encoded dot-dot", raw: "a/%2e%2e/b", wantErr: true},
		{name: "mixed encoded dot-dot", raw: ".%2E/b", wantErr: true},
		{name: "encoded dot", raw: "a/%2e/b", wantErr: true},
		{name: "encoded slash", raw: "a%2fb", wantErr: true},
		{name: "encoded slash upper", raw: "a%2Fb", wantErr: true},
		{name: "encoded slash traversal", raw: "..%2f..%2fetc", wantErr: true},
		{name: "backslash", raw: `a\b`, wantErr: true},
		{name: "encoded backslash", raw: "a%5cb", wantErr: true},
		{name: "encoded backslash upper", raw: "..%5C..%5Cwin.ini", wantErr: true},
		{name: "NUL", raw: "a\x00.glb", wantErr: true},
		{name: "encoded NUL", raw: "a%00.glb", wantErr: true},
		{name: "newline", raw: "a\nb", wantErr: true},
		{name: "encoded CR", raw: "a%0db", wantErr: true},
		{name: "tab", raw: "a\tb", wantErr: true},
		{name: "DEL", raw: "a\x7fb", wantErr: true},
		{name: "encoded DEL", raw: "a%7Fb", wantErr: true},
		{name: "percent at end", raw: "a%", wantErr: true},
		{name: "truncated escape", raw: "a%2", wantErr: true},
		{name: "non-hex escape", raw: "a%zz", wantErr: true},
		{name: "half-hex escape", raw: "a%2g", wantErr: true},
		{name: "invalid raw UTF-8", raw: "a\xffb", wantErr: true},
		{name: "invalid encoded UTF-8", raw: "a%ffb", wantErr: true},
		{name: "overlong encoded slash", raw: "a%c0%afb", wantErr: true},
		{name: "too long", raw: long + "c", wantErr: true},
		{name: "too long encoded", raw: strings.Repeat("%61", 1025), wantErr: true},
		{name: "far too long", raw: strings.Repeat("a", 5000), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := httpsem.CleanKey(tt.raw)
			if tt.wantErr {
				if !errors.Is(err, httpsem.ErrBadPath) {
					t.Fatalf("CleanKey(%q) = %q, %v; want ErrBadPath", tt.raw, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CleanKey(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
			if !cache.ValidKey(got) {
				t.Errorf("CleanKey(%q) = %q, which cache.ValidKey rejects", tt.raw, got)
			}
		})
	}
}

func FuzzCleanKey(f *testing.F) {
	for _, seed := range []string{"models/a%20b.glb", "a/%2e%2E/b", "a%2fb", "mod%C3%A8les/x", "a//b", `..\x`, "%"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		key, err := httpsem.CleanKey(raw)
		if err != nil {
			if !errors.Is(err, httpsem.ErrBadPath) || key != "" {
				t.Fatalf("CleanKey(%q) = %q, %v; errors must wrap ErrBadPath and return no key", raw, key, err)
			}
			return
		}
		if !cache.ValidKey(key) || slices.Contains(strings.Split(key, "/"), "..") {
			t.Fatalf("CleanKey(%q) = %q, which is not a valid key", raw, key)
		}
		if want, err := url.PathUnescape(raw); err != nil || key != want {
			t.Fatalf("CleanKey(%q) = %q; url.PathUnescape gives %q, %v", raw, key, want, err)
		}
		if strings.Count(key, "/") != strings.Count(raw, "/") {
			t.Fatalf("CleanKey(%q) = %q changed the segments", raw, key)
		}
	})
}

func BenchmarkCleanKey(b *testing.B) {
	for _, bm := range []struct{ name, raw string }{
		{"clean", "models/chair/3f9a1b2c4d5e6f70/progressive.glb"},
		{"escaped", "models/chair%20oak/progressive.glb"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := httpsem.CleanKey(bm.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
