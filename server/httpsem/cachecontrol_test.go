package httpsem_test

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata3d/strata/server/httpsem"
)

const mutableDefault = "public, max-age=60, s-maxage=300, stale-while-revalidate=60, stale-if-error=86400"

func TestContentAddressed(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{name: "hash directory", key: "models/chair/3f9a1b2c4d5e6f708192a3b4c5d6e7f8/progressive.glb", want: true},
		{name: "hash in file name", key: "app.3f9a1b2c4d5e6f70.js", want: true},
		{name: "hash after dash", key: "assets/chair-3f9a1b2c4d5e6f70.glb", want: true},
		{name: "hash after underscore", key: "chair_3f9a1b2c4d5e6f70_lod1.glb", want: true},
		{name: "hash as whole key", key: "3f9a1b2c4d5e6f70", want: true},
		{name: "sha256", key: "blobs/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want: true},
		{name: "exactly sixteen", key: "a/0123456789abcdef", want: true},
		{name: "fifteen", key: "a/0123456789abcde.glb", want: false},
		{name: "twelve-letter word", key: "deadbeefcafe/chair.glb", want: false},
		{name: "letters only", key: "deadbeefcafebabefacade/chair.glb", want: false},
		{name: "digits only", key: "exports/20240501120000123/chair.glb", want: false},
		{name: "upper-case hex", key: "app.3F9A1B2C4D5E6F70.js", want: false},
		{name: "hex inside a longer word", key: "v3f9a1b2c4d5e6f70.js", want: false},
		{name: "hex followed by other letters", key: "3f9a1b2c4d5e6f70zz.js", want: false},
		{name: "uuid", key: "models/123e4567-e89b-12d3-a456-426614174000.glb", want: false},
		{name: "base64url", key: "models/Zm9vYmFyYmF6cXV4cXV1eA/chair.glb", want: false},
		{name: "plain", key: "models/chair.glb", want: false},
		{name: "empty", key: "", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsem.ContentAddressed(tt.key); got != tt.want {
				t.Errorf("ContentAddressed(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func TestCachePolicyHeader(t *testing.T) {
	tests := []struct {
		name   string
		policy httpsem.CachePolicy
		key    string
		want   string
	}{
		{name: "default mutable", policy: httpsem.DefaultCachePolicy(), key: "models/chair.glb", want: mutableDefault},
		{name: "default immutable", policy: httpsem.DefaultCachePolicy(), key: "models/chair/3f9a1b2c4d5e6f70/a.glb", want: httpsem.ImmutableCacheControl},
		{name: "immutable ignores policy", policy: httpsem.CachePolicy{}, key: "app.3f9a1b2c4d5e6f70.js", want: "public, max-age=31536000, immutable"},
		{name: "zero policy", policy: httpsem.CachePolicy{}, key: "a.glb", want: "public, max-age=0"},
		{name: "fractions dropped", policy: httpsem.CachePolicy{MaxAge: 1500 * time.Millisecond, SMaxAge: time.Hour}, key: "a", want: "public, max-age=1, s-maxage=3600"},
		{name: "negative counts as zero", policy: httpsem.CachePolicy{MaxAge: -time.Second, StaleIfError: time.Minute}, key: "a", want: "public, max-age=0, stale-if-error=60"},
		{name: "stale-while-revalidate only", policy: httpsem.CachePolicy{MaxAge: 10 * time.Second, StaleWhileRevalidate: 5 * time.Second}, key: "a", want: "public, max-age=10, stale-while-revalidate=5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Header(tt.key); got != tt.want {
				t.Errorf("Header(%q) = %q, want %q", tt.key, got, tt.want)
			}
			// Asking again hits the cached value and must not change it.
			if got := tt.policy.Header(tt.key); got != tt.want {
				t.Errorf("second Header(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestCachePolicyHeaderConcurrent(t *testing.T) {
	// Several policies in use at once must never get each other's value.
	policies := []httpsem.CachePolicy{httpsem.DefaultCachePolicy(), {MaxAge: time.Second}, {MaxAge: 2 * time.Second}}
	want := []string{mutableDefault, "public, max-age=1", "public, max-age=2"}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				k := (i + j) % len(policies)
				if got := policies[k].Header("a.glb"); got != want[k] {
					t.Errorf("policy %d: Header = %q, want %q", k, got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCachePolicyValidate(t *testing.T) {
	tests := []struct {
		name    string
		policy  httpsem.CachePolicy
		wantErr string
	}{
		{name: "default", policy: httpsem.DefaultCachePolicy()},
		{name: "zero", policy: httpsem.CachePolicy{}},
		{name: "negative max-age", policy: httpsem.CachePolicy{MaxAge: -time.Second}, wantErr: "MaxAge"},
		{name: "two negatives", policy: httpsem.CachePolicy{SMaxAge: -1, StaleIfError: -1}, wantErr: "SMaxAge is negative: -1ns\nhttpsem: CachePolicy.StaleIfError"},
		{name: "negative stale-while-revalidate", policy: httpsem.CachePolicy{StaleWhileRevalidate: -time.Minute}, wantErr: "StaleWhileRevalidate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

var hashPartRe = regexp.MustCompile(`^[0-9a-f]{16,}$`)

// refContentAddressed is ContentAddressed written with strings and regexps.
func refContentAddressed(key string) bool {
	for _, part := range strings.FieldsFunc(key, func(r rune) bool { return strings.ContainsRune("/.-_", r) }) {
		if hashPartRe.MatchString(part) && strings.ContainsAny(part, "0123456789") && strings.ContainsAny(part, "abcdef") {
			return true
		}
	}
	return false
}

func FuzzContentAddressed(f *testing.F) {
	for _, seed := range []string{"app.3f9a1b2c4d5e6f70.js", "deadbeefcafe/x", "a/0123456789abcdef", "x0123456789abcdef0", "20240501120000123"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		got := httpsem.ContentAddressed(key)
		if want := refContentAddressed(key); got != want {
			t.Fatalf("ContentAddressed(%q) = %v; reference says %v", key, got, want)
		}
		want := mutableDefault
		if got {
			want = httpsem.ImmutableCacheControl
		}
		if h := httpsem.DefaultCachePolicy().Header(key); h != want {
			t.Fatalf("Header(%q) = %q, want %q", key, h, want)
		}
	})
}

func BenchmarkCachePolicyHeader(b *testing.B) {
	p := httpsem.DefaultCachePolicy()
	for _, bm := range []struct{ name, key string }{
		{"mutable", "models/chair/progressive.glb"},
		{"immutable", "models/chair/3f9a1b2c4d5e6f708192a3b4c5d6e7f8/progressive.glb"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = p.Header(bm.key)
			}
		})
	}
}
