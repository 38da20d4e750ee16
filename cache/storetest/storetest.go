// Package storetest is the contract every cache.Store implementation must meet.
// Each store package runs the same suite against a real instance (a temporary
// directory, a versitygw bucket) so that the tier above can rely on one set of
// semantics: content-derived ETags that agree across stores, atomic overwrites,
// clamped ranges, conditional Gets and strict key validation.
//
// The suite only uses keys under a prefix unique to each subtest, so a store
// shared between subtests (one bucket) works as well as a fresh one per subtest.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata3d/strata/cache"
)

// Run runs the contract suite. newStore is called once per subtest; it may
// return the same store every time, and registers its own cleanup with t.
func Run(t *testing.T, newStore func(t *testing.T) cache.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s cache.Store, prefix string)
	}{
		{"PutStatGetRoundTrip", testRoundTrip},
		{"StatMissing", testStatMissing},
		{"GetMissing", testGetMissing},
		{"RangedGet", testRangedGet},
		{"ETagIsContentHash", testETagIsContentHash},
		{"SameBytesSameETag", testSameBytesSameETag},
		{"IfMatch", testIfMatch},
		{"IfNoneMatch", testIfNoneMatch},
		{"OverwriteChangesETag", testOverwrite},
		{"PutAtomicUnderConcurrentReads", testPutAtomic},
		{"FailedPutKeepsOldObject", testFailedPut},
		{"PutUnknownSize", testPutUnknownSize},
		{"Delete", testDelete},
		{"List", testList},
		{"ListStopsOnError", testListStops},
		{"InvalidKeys", testInvalidKeys},
		{"EmptyObject", testEmptyObject},
		{"LargeObject", testLargeObject},
		{"UnusualKeys", testUnusualKeys},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			tc.fn(t, s, uniquePrefix(tc.name))
		})
	}
}

// uniquePrefix keeps subtests (and repeated runs against one bucket) apart.
func uniquePrefix(name string) string {
	return fmt.Sprintf("storetest-%s-%d-%08x/", strings.ToLower(name), time.Now().UnixNano(), rand.Uint32())
}

// ETagOf returns the ETag a store must report for an object holding data.
func ETagOf(data []byte) string {
	sum := sha256.Sum256(data)
	return cache.ContentHash(sum[:])
}

// Pattern returns n deterministic bytes that differ for different seeds, so a
// misplaced range or a mixed version shows up as a byte mismatch.
func Pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// MustPut writes data under key with a known size and fails the test on error.
func MustPut(tb testing.TB, s cache.Store, key string, data []byte) cache.ObjectInfo {
	tb.Helper()
	info, err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), cache.PutOptions{})
	if err != nil {
		tb.Fatalf("Put(%q, %d bytes): %v", key, len(data), err)
	}
	return info
}

// MustGet reads the range r of key and fails the test on error.
func MustGet(tb testing.TB, s cache.Store, key string, r cache.ByteRange, opts cache.GetOptions) (cache.ObjectInfo, []byte) {
	tb.Helper()
	obj, err := s.Get(context.Background(), key, r, opts)
	if err != nil {
		tb.Fatalf("Get(%q, %+v, %+v): %v", key, r, opts, err)
	}
	defer obj.Body.Close()
	data, err := io.ReadAll(obj.Body)
	if err != nil {
		tb.Fatalf("Get(%q, %+v): reading body: %v", key, r, err)
	}
	return obj.Info, data
}

// checkInfo verifies the parts of an ObjectInfo every store must fill in.
func checkInfo(t *testing.T, op string, got cache.ObjectInfo, key string, data []byte) {
	t.Helper()
	if got.Key != key {
		t.Errorf("%s: Key = %q, want %q", op, got.Key, key)
	}
	if got.Size != int64(len(data)) {
		t.Errorf("%s: Size = %d, want %d", op, got.Size, len(data))
	}
	if want := ETagOf(data); got.ETag != want {
		t.Errorf("%s: ETag = %q, want content hash %q", op, got.ETag, want)
	}
	// Generous bounds: the store's clock may differ a little from ours, and
	// second precision is allowed.
	if now := time.Now(); got.ModTime.Before(now.Add(-time.Hour)) || got.ModTime.After(now.Add(time.Hour)) {
		t.Errorf("%s: ModTime = %v, want close to now (%v)", op, got.ModTime, now)
	}
}

func testRoundTrip(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "models/chair.glb"
	data := Pattern(10_000, 1)
	put := MustPut(t, s, key, data)
	checkInfo(t, "Put", put, key, data)

	st, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	checkInfo(t, "Stat", st, key, data)
	if st.ETag != put.ETag {
		t.Errorf("Stat ETag %q differs from Put ETag %q", st.ETag, put.ETag)
	}

	info, got := MustGet(t, s, key, cache.All, cache.GetOptions{})
	checkInfo(t, "Get", info, key, data)
	if !bytes.Equal(got, data) {
		t.Errorf("Get returned %d bytes that differ from the %d written", len(got), len(data))
	}
}

func testStatMissing(t *testing.T, s cache.Store, prefix string) {
	for _, key := range []string{prefix + "missing.glb", prefix + "no/such/dir/x.glb"} {
		if _, err := s.Stat(t.Context(), key); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("Stat(%q) error = %v, want ErrNotFound", key, err)
		}
	}
	// A "directory" made by another key's path is not an object.
	MustPut(t, s, prefix+"dir/file.glb", []byte("x"))
	if _, err := s.Stat(t.Context(), prefix+"dir"); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Stat of a key prefix that is only a directory: error = %v, want ErrNotFound", err)
	}
}

func testGetMissing(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "missing.glb"
	for _, opts := range []cache.GetOptions{{}, {IfMatch: ETagOf(nil)}, {IfNoneMatch: ETagOf(nil)}} {
		obj, err := s.Get(t.Context(), key, cache.All, opts)
		if err == nil {
			obj.Body.Close()
		}
		if !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("Get(%q, %+v) error = %v, want ErrNotFound", key, opts, err)
		}
	}
}

func testRangedGet(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "ranged.bin"
	data := Pattern(1000, 2)
	MustPut(t, s, key, data)
	tests := []struct {
		name string
		r    cache.ByteRange
		want []byte
	}{
		{"start", cache.ByteRange{Offset: 0, Length: 10}, data[:10]},
		{"middle", cache.ByteRange{Offset: 100, Length: 50}, data[100:150]},
		{"single byte", cache.ByteRange{Offset: 500, Length: 1}, data[500:501]},
		{"last byte", cache.ByteRange{Offset: 999, Length: 1}, data[999:]},
		{"to end", cache.ByteRange{Offset: 900, Length: -1}, data[900:]},
		{"whole", cache.All, data},
		{"exact length", cache.ByteRange{Offset: 0, Length: 1000}, data},
		{"clamped at end", cache.ByteRange{Offset: 990, Length: 100}, data[990:]},
		{"clamped whole", cache.ByteRange{Offset: 0, Length: 5000}, data},
		{"zero length", cache.ByteRange{Offset: 10, Length: 0}, nil},
		{"at end", cache.ByteRange{Offset: 1000, Length: 10}, nil},
		{"at end to end", cache.ByteRange{Offset: 1000, Length: -1}, nil},
		{"past end", cache.ByteRange{Offset: 2000, Length: -1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, got := MustGet(t, s, key, tc.r, cache.GetOptions{})
			if !bytes.Equal(got, tc.want) {
				t.Errorf("Get(%+v) returned %d bytes, want %d (first mismatch at %d)", tc.r, len(got), len(tc.want), mismatchAt(got, tc.want))
			}
			// Info describes the whole object, not the range.
			if info.Size != int64(len(data)) {
				t.Errorf("Get(%+v) Info.Size = %d, want the object size %d", tc.r, info.Size, len(data))
			}
			if want := ETagOf(data); info.ETag != want {
				t.Errorf("Get(%+v) Info.ETag = %q, want %q", tc.r, info.ETag, want)
			}
		})
	}
}

func mismatchAt(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func testETagIsContentHash(t *testing.T, s cache.Store, prefix string) {
	tests := []struct {
		name string
		data []byte
	}{
		{"text", []byte("hello, strata")},
		{"binary", Pattern(4096, 3)},
		{"one byte", []byte{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := prefix + strings.ReplaceAll(tc.name, " ", "-")
			put := MustPut(t, s, key, tc.data)
			st, err := s.Stat(t.Context(), key)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			want := ETagOf(tc.data)
			if put.ETag != want || st.ETag != want {
				t.Errorf("ETag: Put %q, Stat %q, want %q (first 128 bits of SHA-256, hex)", put.ETag, st.ETag, want)
			}
		})
	}
}

func testSameBytesSameETag(t *testing.T, s cache.Store, prefix string) {
	data := Pattern(3000, 4)
	a := MustPut(t, s, prefix+"a.glb", data)
	b := MustPut(t, s, prefix+"sub/b.glb", data)
	if a.ETag != b.ETag {
		t.Errorf("equal bytes under two keys have ETags %q and %q", a.ETag, b.ETag)
	}
}

func testIfMatch(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "ifmatch.glb"
	data := Pattern(500, 5)
	info := MustPut(t, s, key, data)

	_, got := MustGet(t, s, key, cache.ByteRange{Offset: 10, Length: 20}, cache.GetOptions{IfMatch: info.ETag})
	if !bytes.Equal(got, data[10:30]) {
		t.Errorf("Get with matching IfMatch returned wrong bytes")
	}
	obj, err := s.Get(t.Context(), key, cache.ByteRange{Offset: 10, Length: 20}, cache.GetOptions{IfMatch: ETagOf([]byte("other"))})
	if err == nil {
		obj.Body.Close()
	}
	if !errors.Is(err, cache.ErrPreconditionFailed) {
		t.Errorf("Get with mismatching IfMatch: error = %v, want ErrPreconditionFailed", err)
	}
}

func testIfNoneMatch(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "ifnonematch.glb"
	data := Pattern(500, 6)
	info := MustPut(t, s, key, data)

	obj, err := s.Get(t.Context(), key, cache.All, cache.GetOptions{IfNoneMatch: info.ETag})
	if err == nil {
		obj.Body.Close()
	}
	if !errors.Is(err, cache.ErrNotModified) {
		t.Errorf("Get with equal IfNoneMatch: error = %v, want ErrNotModified", err)
	}
	_, got := MustGet(t, s, key, cache.All, cache.GetOptions{IfNoneMatch: ETagOf([]byte("other"))})
	if !bytes.Equal(got, data) {
		t.Errorf("Get with different IfNoneMatch returned wrong bytes")
	}
}

func testOverwrite(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "overwrite.glb"
	old := Pattern(2000, 7)
	updated := Pattern(1500, 8)
	first := MustPut(t, s, key, old)
	second := MustPut(t, s, key, updated)
	checkInfo(t, "second Put", second, key, updated)
	if first.ETag == second.ETag {
		t.Fatalf("overwrite kept ETag %q", first.ETag)
	}
	st, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	checkInfo(t, "Stat after overwrite", st, key, updated)
	_, got := MustGet(t, s, key, cache.All, cache.GetOptions{})
	if !bytes.Equal(got, updated) {
		t.Errorf("Get after overwrite returned %d bytes, not the new %d", len(got), len(updated))
	}
	obj, err := s.Get(t.Context(), key, cache.All, cache.GetOptions{IfMatch: first.ETag})
	if err == nil {
		obj.Body.Close()
	}
	if !errors.Is(err, cache.ErrPreconditionFailed) {
		t.Errorf("Get with the old ETag as IfMatch: error = %v, want ErrPreconditionFailed", err)
	}
}

// testPutAtomic overwrites one key back and forth while readers fetch it; every
// read must be one complete version, and its Info must describe that version.
func testPutAtomic(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "atomic.glb"
	versions := [][]byte{Pattern(256<<10, 9), Pattern(256<<10, 10)}
	etags := []string{ETagOf(versions[0]), ETagOf(versions[1])}
	MustPut(t, s, key, versions[0])

	const writes = 16
	const readers = 4
	ctx := t.Context()
	var done atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, readers+1)
	for range readers {
		wg.Go(func() {
			for !done.Load() {
				obj, err := s.Get(ctx, key, cache.All, cache.GetOptions{})
				if err != nil {
					errs <- fmt.Errorf("Get during overwrite: %w", err)
					return
				}
				data, err := io.ReadAll(obj.Body)
				obj.Body.Close()
				if err != nil {
					errs <- fmt.Errorf("reading body during overwrite: %w", err)
					return
				}
				i := slices.IndexFunc(versions, func(v []byte) bool { return bytes.Equal(v, data) })
				if i < 0 {
					errs <- fmt.Errorf("read %d bytes that are neither version (a torn write)", len(data))
					return
				}
				if obj.Info.ETag != etags[i] {
					errs <- fmt.Errorf("body is version %d but Info.ETag is %q, want %q", i, obj.Info.ETag, etags[i])
					return
				}
				reads.Add(1)
			}
		})
	}
	wg.Go(func() {
		defer done.Store(true)
		for i := range writes {
			v := versions[(i+1)%2]
			if _, err := s.Put(ctx, key, bytes.NewReader(v), int64(len(v)), cache.PutOptions{}); err != nil {
				errs <- fmt.Errorf("Put #%d: %w", i, err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d reads during %d overwrites", reads.Load(), writes)
}

// failingReader yields some bytes and then an error, like a client that hangs up mid-upload.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func testFailedPut(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "failed-put.glb"
	old := Pattern(1000, 11)
	MustPut(t, s, key, old)
	tests := []struct {
		name string
		body io.Reader
		size int64
	}{
		{"body error, known size", &failingReader{data: Pattern(100, 12), err: errors.New("client went away")}, 2000},
		{"body error, unknown size", &failingReader{data: Pattern(100, 12), err: errors.New("client went away")}, -1},
		{"body shorter than size", bytes.NewReader(Pattern(100, 12)), 2000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Put(t.Context(), key, tc.body, tc.size, cache.PutOptions{}); err == nil {
				t.Fatalf("Put succeeded, want an error")
			}
			info, got := MustGet(t, s, key, cache.All, cache.GetOptions{})
			if !bytes.Equal(got, old) || info.ETag != ETagOf(old) {
				t.Errorf("after a failed Put the key holds %d other bytes (ETag %q), want the old object", len(got), info.ETag)
			}
		})
	}
	newKey := prefix + "failed-new.glb"
	if _, err := s.Put(t.Context(), newKey, &failingReader{err: errors.New("boom")}, -1, cache.PutOptions{}); err == nil {
		t.Fatalf("Put of a failing body succeeded")
	}
	if _, err := s.Stat(t.Context(), newKey); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Stat after a failed first Put: error = %v, want ErrNotFound", err)
	}
}

func testPutUnknownSize(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "unknown-size.glb"
	data := Pattern(70_000, 13)
	// A reader that is not a *bytes.Reader, so the store cannot learn the size.
	body := io.MultiReader(bytes.NewReader(data[:1000]), bytes.NewReader(data[1000:]))
	info, err := s.Put(t.Context(), key, body, -1, cache.PutOptions{ContentType: "model/gltf-binary"})
	if err != nil {
		t.Fatalf("Put with size -1: %v", err)
	}
	checkInfo(t, "Put", info, key, data)
	_, got := MustGet(t, s, key, cache.All, cache.GetOptions{})
	if !bytes.Equal(got, data) {
		t.Errorf("Get returned %d bytes that differ from the %d written", len(got), len(data))
	}
}

func testDelete(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "deleted/x.glb"
	MustPut(t, s, key, []byte("bye"))
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Stat(t.Context(), key); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Stat after Delete: error = %v, want ErrNotFound", err)
	}
	obj, err := s.Get(t.Context(), key, cache.All, cache.GetOptions{})
	if err == nil {
		obj.Body.Close()
	}
	if !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Get after Delete: error = %v, want ErrNotFound", err)
	}
	if err := s.Delete(t.Context(), key); err != nil {
		t.Errorf("second Delete: %v, want nil", err)
	}
	if err := s.Delete(t.Context(), prefix+"never/existed.glb"); err != nil {
		t.Errorf("Delete of a missing key: %v, want nil", err)
	}
	// The key can be written again.
	MustPut(t, s, key, []byte("back"))
	if _, got := MustGet(t, s, key, cache.All, cache.GetOptions{}); string(got) != "back" {
		t.Errorf("Get after re-Put = %q, want %q", got, "back")
	}
}

func listKeys(t *testing.T, s cache.Store, prefix string) ([]string, map[string]cache.ObjectInfo) {
	t.Helper()
	var keys []string
	infos := map[string]cache.ObjectInfo{}
	err := s.List(t.Context(), prefix, func(info cache.ObjectInfo) error {
		keys = append(keys, info.Key)
		infos[info.Key] = info
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys, infos
}

func testList(t *testing.T, s cache.Store, prefix string) {
	// Names chosen so that walking directories in name order would give the
	// wrong key order: "a-c" < "a.c" < "a/b" < "a0" bytewise, but the
	// directory "a" sorts before "a-c".
	objects := map[string][]byte{
		"a/b":         Pattern(10, 20),
		"a/b2/c":      Pattern(11, 21),
		"a-c":         Pattern(12, 22),
		"a.c":         Pattern(13, 23),
		"a0":          Pattern(14, 24),
		"b/deep/x/y":  Pattern(15, 25),
		"bz":          Pattern(16, 26),
		"c d.glb":     Pattern(17, 27),
		"é/ü.glb":     Pattern(18, 28),
		".hidden.glb": Pattern(19, 29),
		"empty":       nil,
	}
	for k, v := range objects {
		MustPut(t, s, prefix+k, v)
	}
	// Outside the prefix: must never be listed.
	other := strings.TrimSuffix(prefix, "/") + "-other/"
	MustPut(t, s, other+"a/b", []byte("no"))
	MustPut(t, s, strings.TrimSuffix(prefix, "/")+"x", []byte("no"))

	all := make([]string, 0, len(objects))
	for k := range objects {
		all = append(all, prefix+k)
	}
	slices.Sort(all)
	withPrefix := func(p string) []string {
		var out []string
		for _, k := range all {
			if strings.HasPrefix(k, p) {
				out = append(out, k)
			}
		}
		return out
	}
	tests := []struct {
		name   string
		prefix string
	}{
		{"everything", prefix},
		{"directory", prefix + "a/"},
		{"partial name", prefix + "a"},
		{"partial name in subdirectory", prefix + "a/b"},
		{"deep", prefix + "b/deep/"},
		{"b", prefix + "b"},
		{"unicode", prefix + "é"},
		{"exact key", prefix + "c d.glb"},
		{"nothing", prefix + "zzz"},
		{"missing directory", prefix + "nope/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, infos := listKeys(t, s, tc.prefix)
			want := withPrefix(tc.prefix)
			if !slices.Equal(got, want) {
				t.Errorf("List(%q) =\n  %q\nwant\n  %q", tc.prefix, got, want)
			}
			for _, k := range got {
				if size := int64(len(objects[strings.TrimPrefix(k, prefix)])); infos[k].Size != size {
					t.Errorf("List(%q): %q has Size %d, want %d", tc.prefix, k, infos[k].Size, size)
				}
			}
		})
	}
}

func testListStops(t *testing.T, s cache.Store, prefix string) {
	for i := range 5 {
		MustPut(t, s, fmt.Sprintf("%sk%d", prefix, i), []byte{byte(i)})
	}
	stop := errors.New("stop here")
	var seen []string
	err := s.List(t.Context(), prefix, func(info cache.ObjectInfo) error {
		seen = append(seen, info.Key)
		if len(seen) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("List error = %v, want the callback's error", err)
	}
	if want := []string{prefix + "k0", prefix + "k1"}; !slices.Equal(seen, want) {
		t.Errorf("List called fn with %q, want %q", seen, want)
	}
}

func testInvalidKeys(t *testing.T, s cache.Store, prefix string) {
	keys := []string{
		"",
		"../x",
		"a/../../x",
		"..",
		".",
		"a//b",
		`a\b`,
		"/abs",
		"trailing/",
		"a/./b",
		"nul\x00byte",
		"new\nline",
		strings.Repeat("k", 1025),
	}
	ctx := t.Context()
	for _, key := range keys {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			if _, err := s.Stat(ctx, key); !errors.Is(err, cache.ErrInvalidKey) {
				t.Errorf("Stat: error = %v, want ErrInvalidKey", err)
			}
			obj, err := s.Get(ctx, key, cache.All, cache.GetOptions{})
			if err == nil {
				obj.Body.Close()
			}
			if !errors.Is(err, cache.ErrInvalidKey) {
				t.Errorf("Get: error = %v, want ErrInvalidKey", err)
			}
			if _, err := s.Put(ctx, key, strings.NewReader("x"), 1, cache.PutOptions{}); !errors.Is(err, cache.ErrInvalidKey) {
				t.Errorf("Put: error = %v, want ErrInvalidKey", err)
			}
			if err := s.Delete(ctx, key); !errors.Is(err, cache.ErrInvalidKey) {
				t.Errorf("Delete: error = %v, want ErrInvalidKey", err)
			}
			// "" lists everything and "trailing/" is a directory prefix;
			// every other string here is not a prefix of any valid key.
			if cache.ValidPrefix(key) {
				return
			}
			err = s.List(ctx, key, func(cache.ObjectInfo) error { return nil })
			if !errors.Is(err, cache.ErrInvalidKey) {
				t.Errorf("List: error = %v, want ErrInvalidKey", err)
			}
		})
	}
}

func testEmptyObject(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "empty.glb"
	info, err := s.Put(t.Context(), key, bytes.NewReader(nil), 0, cache.PutOptions{})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	checkInfo(t, "Put", info, key, nil)
	st, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	checkInfo(t, "Stat", st, key, nil)
	for _, r := range []cache.ByteRange{cache.All, {Offset: 0, Length: 10}, {Offset: 5, Length: -1}} {
		got, data := MustGet(t, s, key, r, cache.GetOptions{})
		if len(data) != 0 {
			t.Errorf("Get(%+v) of an empty object returned %d bytes", r, len(data))
		}
		checkInfo(t, "Get", got, key, nil)
	}
}

func testLargeObject(t *testing.T, s cache.Store, prefix string) {
	key := prefix + "large.glb"
	data := Pattern(3<<20, 14)
	info := MustPut(t, s, key, data)
	checkInfo(t, "Put", info, key, data)
	_, got := MustGet(t, s, key, cache.All, cache.GetOptions{})
	if !bytes.Equal(got, data) {
		t.Fatalf("Get of 3 MiB returned %d bytes, first mismatch at %d", len(got), mismatchAt(got, data))
	}
	tests := []struct {
		name string
		r    cache.ByteRange
	}{
		{"first MiB", cache.ByteRange{Offset: 0, Length: 1 << 20}},
		{"across MiB boundaries", cache.ByteRange{Offset: 1<<20 - 7, Length: 1<<20 + 14}},
		{"tail", cache.ByteRange{Offset: 3<<20 - 100, Length: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got := MustGet(t, s, key, tc.r, cache.GetOptions{IfMatch: info.ETag})
			end := int64(len(data))
			if tc.r.Length >= 0 {
				end = tc.r.Offset + tc.r.Length
			}
			if want := data[tc.r.Offset:end]; !bytes.Equal(got, want) {
				t.Errorf("Get(%+v) returned %d bytes, want %d (first mismatch at %d)", tc.r, len(got), len(want), mismatchAt(got, want))
			}
		})
	}
}

func testUnusualKeys(t *testing.T, s cache.Store, prefix string) {
	keys := []string{
		"with space.glb",
		"dir with space/file name.glb",
		"модель/стул.glb",
		"日本語/椅子 ✓.gltf",
		"emoji-🪑.glb",
		".DS_Store",
		"dir/.hidden",
		"percent%20encoded+plus&amp=eq;.glb",
		"quote'and\"double.glb",
		"...dots",
		"-dash/_under/~tilde",
	}
	for i, k := range keys {
		t.Run(k, func(t *testing.T) {
			key := prefix + k
			data := Pattern(100+i, uint64(100+i))
			MustPut(t, s, key, data)
			st, err := s.Stat(t.Context(), key)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			checkInfo(t, "Stat", st, key, data)
			_, got := MustGet(t, s, key, cache.All, cache.GetOptions{})
			if !bytes.Equal(got, data) {
				t.Errorf("Get returned other bytes")
			}
		})
	}
	got, _ := listKeys(t, s, prefix)
	want := make([]string, len(keys))
	for i, k := range keys {
		want[i] = prefix + k
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
}

func testPing(t *testing.T, s cache.Store, _ string) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
