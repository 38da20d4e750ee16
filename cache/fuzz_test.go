package cache_test

import (
	"bytes"
	"testing"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/storetest"
)

// FuzzValidPrefix checks ValidPrefix against its definition: a prefix is
// valid exactly when some valid key starts with it, and appending a plain
// byte to any valid prefix gives one.
func FuzzValidPrefix(f *testing.F) {
	f.Fuzz(func(t *testing.T, p string) {
		if len(p) >= 1024 {
			return
		}
		got := cache.ValidPrefix(p)
		if want := cache.ValidKey(p + "x"); got != want {
			t.Errorf("ValidPrefix(%q) = %v, but ValidKey(%q) = %v", p, got, p+"x", want)
		}
		if cache.ValidKey(p) && !got {
			t.Errorf("valid key %q is not a valid prefix", p)
		}
	})
}

// FuzzReadRange reads arbitrary ranges of an object spanning several chunks,
// through Read and through NewReader, and compares with the object's bytes.
func FuzzReadRange(f *testing.F) {
	const size = 5*testChunk + 123
	data := storetest.Pattern(size, 99)
	fx := newFixture(f, testConfig())
	fx.put(f, "fuzz.glb", data)
	m, _ := fx.mustStat(f, "fuzz.glb")
	f.Fuzz(func(t *testing.T, off, n int64) {
		parts, _, err := fx.tier.Read(t.Context(), m, off, n)
		valid := off >= 0 && n >= 0 && off <= size && n <= size-off
		if !valid {
			if err == nil {
				t.Fatalf("Read(%d, %d) of %d bytes succeeded", off, n, size)
			}
			return
		}
		if err != nil {
			t.Fatalf("Read(%d, %d): %v", off, n, err)
		}
		want := data[off : off+n]
		if got := join(parts); !bytes.Equal(got, want) {
			t.Fatalf("Read(%d, %d) returned %d wrong bytes", off, n, len(got))
		}
		for _, p := range parts {
			if len(p) > testChunk {
				t.Fatalf("a part of %d bytes is larger than a chunk", len(p))
			}
		}
		if got := readAll(t, fx.tier.NewReader(t.Context(), m, off, n)); !bytes.Equal(got, want) {
			t.Fatalf("NewReader(%d, %d) returned %d wrong bytes", off, n, len(got))
		}
	})
}
