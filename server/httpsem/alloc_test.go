package httpsem_test

import (
	"testing"
	"time"

	"github.com/strata3d/strata/server/httpsem"
)

// TestHotPathsDoNotAllocate pins the allocation-free promise of the functions
// the server calls on every request. It counts allocations, not time.
func TestHotPathsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	dst := make([]httpsem.Range, 0, 4)
	v := httpsem.Validators{ETag: `"3f9a1b2c4d5e6f708192a3b4c5d6e7f8"`, LastModified: lastMod}
	policy := httpsem.DefaultCachePolicy()
	both := httpsem.Encodings(httpsem.Gzip, httpsem.Brotli)
	buf := make([]byte, 0, 64)
	tests := []struct {
		name string
		fn   func()
	}{
		{name: "ParseRange single", fn: func() { dst, _ = httpsem.ParseRange(dst[:0], "bytes=1048576-2097151", 200<<20) }},
		{name: "ParseRange multi", fn: func() { dst, _ = httpsem.ParseRange(dst[:0], "bytes=0-99, 200-299, -100", 200<<20) }},
		{name: "ParseRange invalid", fn: func() { dst, _ = httpsem.ParseRange(dst[:0], "bytes=x", 200<<20) }},
		{name: "ParseRange unsatisfiable", fn: func() { dst, _ = httpsem.ParseRange(dst[:0], "bytes=500-", 100) }},
		{name: "CoalesceNeeded", fn: func() { httpsem.CoalesceNeeded([]httpsem.Range{{500, 10}, {0, 10}}, 4) }},
		{name: "Evaluate none", fn: func() { httpsem.Evaluate("GET", httpsem.Conditions{}, v) }},
		{name: "Evaluate if-none-match", fn: func() {
			httpsem.Evaluate("GET", httpsem.Conditions{IfNoneMatch: `W/"x", "3f9a1b2c4d5e6f708192a3b4c5d6e7f8"`}, v)
		}},
		{name: "Evaluate dates", fn: func() {
			httpsem.Evaluate("GET", httpsem.Conditions{IfModifiedSince: lmDate, IfUnmodifiedSince: "Sunday, 06-Nov-94 08:49:37 GMT"}, v)
		}},
		{name: "Evaluate invalid date", fn: func() { httpsem.Evaluate("GET", httpsem.Conditions{IfModifiedSince: "yesterday"}, v) }},
		{name: "IfRangeAllows etag", fn: func() { httpsem.IfRangeAllows(`"3f9a1b2c4d5e6f708192a3b4c5d6e7f8"`, v) }},
		{name: "IfRangeAllows date", fn: func() { httpsem.IfRangeAllows(lmDate, v) }},
		{name: "Negotiate", fn: func() { httpsem.Negotiate("gzip, deflate, br;q=1.0, zstd, *;q=0.1", both) }},
		{name: "ContentType", fn: func() { httpsem.ContentType("models/chair/Progressive.GLB") }},
		{name: "Compressible", fn: func() { httpsem.Compressible("scene.gltf") }},
		{name: "CleanKey clean", fn: func() { _, _ = httpsem.CleanKey("models/chair/3f9a1b2c4d5e6f70/progressive.glb") }},
		{name: "CleanKey rejected", fn: func() { _, _ = httpsem.CleanKey("models/%2e%2e/secret") }},
		{name: "ContentAddressed", fn: func() { httpsem.ContentAddressed("models/chair/3f9a1b2c4d5e6f70/progressive.glb") }},
		{name: "CachePolicy.Header mutable", fn: func() { _ = policy.Header("models/chair.glb") }},
		{name: "CachePolicy.Header immutable", fn: func() { _ = policy.Header("app.3f9a1b2c4d5e6f70.js") }},
		{name: "ParseHTTPDate", fn: func() { _, _ = httpsem.ParseHTTPDate("Sun Nov  6 08:49:37 1994") }},
		{name: "AppendHTTPDate", fn: func() { buf = httpsem.AppendHTTPDate(buf[:0], time.Now()) }},
		{name: "AppendContentRange", fn: func() { buf = httpsem.Range{Start: 5, Length: 10}.AppendContentRange(buf[:0], 100) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn() // warm up: CachePolicy.Header formats once per policy
			if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
				t.Errorf("%s allocates %.1f times per call, want 0", tt.name, n)
			}
		})
	}
}
