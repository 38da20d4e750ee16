package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/s3store"
	"github.com/strata3d/strata/cache/s3store/s3test"
	"github.com/strata3d/strata/cache/storetest"
)

// newStore opens a store on a fresh bucket of the shared gateway.
func newStore(t *testing.T) (*s3store.Store, string, string) {
	t.Helper()
	endpoint := s3test.Endpoint(t)
	bucket := s3test.NewBucket(t, endpoint)
	return s3test.NewStore(t, endpoint, bucket), endpoint, bucket
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) cache.Store {
		s, _, _ := newStore(t)
		return s
	})
}

// TestContractWithPrefix runs the suite again through a key prefix, with a
// tiny spool so that every non-trivial Put spills to a file.
func TestContractWithPrefix(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) cache.Store {
		endpoint := s3test.Endpoint(t)
		cfg := s3test.StoreConfig(endpoint, s3test.NewBucket(t, endpoint))
		cfg.Prefix = "assets/v1"
		cfg.SpoolMemory = 1024
		cfg.SpoolDir = t.TempDir()
		return mustNew(t, cfg)
	})
}

func mustNew(t *testing.T, cfg s3store.Config) *s3store.Store {
	t.Helper()
	s, err := s3store.New(t.Context(), cfg, s3store.WithCredentials(s3test.Credentials()))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func etagOf(data []byte) string {
	sum := sha256.Sum256(data)
	return cache.ContentHash(sum[:])
}

func mustPut(t *testing.T, s cache.Store, key string, data []byte) cache.ObjectInfo {
	t.Helper()
	info, err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data)), cache.PutOptions{ContentType: "model/gltf-binary"})
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return info
}

// get reads a range and returns the body, or the error.
func get(t *testing.T, s cache.Store, key string, r cache.ByteRange, opts cache.GetOptions) (cache.ObjectInfo, []byte, error) {
	t.Helper()
	obj, err := s.Get(t.Context(), key, r, opts)
	if err != nil {
		return cache.ObjectInfo{}, nil, err
	}
	defer obj.Body.Close()
	data, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatalf("Get(%q) body: %v", key, err)
	}
	return obj.Info, data, nil
}

func TestPrefixIsolation(t *testing.T) {
	t.Parallel()
	endpoint := s3test.Endpoint(t)
	bucket := s3test.NewBucket(t, endpoint)
	open := func(prefix string) *s3store.Store {
		cfg := s3test.StoreConfig(endpoint, bucket)
		cfg.Prefix = prefix
		return mustNew(t, cfg)
	}
	root, a, b := open(""), open("a/"), open("b") // "b" is normalised to "b/"
	mustPut(t, root, "x.glb", []byte("root"))
	mustPut(t, a, "x.glb", []byte("in a"))
	mustPut(t, b, "x.glb", []byte("in b"))
	mustPut(t, b, "deep/y.glb", []byte("deep in b"))

	tests := []struct {
		name  string
		store *s3store.Store
		key   string
		want  string
	}{
		{"root", root, "x.glb", "root"},
		{"prefix a", a, "x.glb", "in a"},
		{"prefix b", b, "x.glb", "in b"},
		{"root sees a", root, "a/x.glb", "in a"},
		{"root sees b", root, "b/deep/y.glb", "deep in b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got, err := get(t, tc.store, tc.key, cache.All, cache.GetOptions{})
			if err != nil {
				t.Fatalf("Get(%q): %v", tc.key, err)
			}
			if string(got) != tc.want {
				t.Errorf("Get(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
	if _, err := a.Stat(t.Context(), "deep/y.glb"); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("store with prefix a/ sees b's key: Stat error = %v, want ErrNotFound", err)
	}

	lists := []struct {
		name  string
		store *s3store.Store
		want  []string
	}{
		{"root", root, []string{"a/x.glb", "b/deep/y.glb", "b/x.glb", "x.glb"}},
		{"prefix a", a, []string{"x.glb"}},
		{"prefix b", b, []string{"deep/y.glb", "x.glb"}},
	}
	for _, tc := range lists {
		t.Run("list "+tc.name, func(t *testing.T) {
			var got []string
			if err := tc.store.List(t.Context(), "", func(info cache.ObjectInfo) error {
				got = append(got, info.Key)
				return nil
			}); err != nil {
				t.Fatalf("List: %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("List = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestForeignObjects covers objects written by other S3 clients, without
// Strata's hash metadata: their ETag is S3's, and conditions work with it.
func TestForeignObjects(t *testing.T) {
	t.Parallel()
	s, endpoint, bucket := newStore(t)
	client := s3test.Client(endpoint)
	data := []byte("uploaded with the aws cli")
	out, err := client.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("foreign.glb"), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	s3ETag := strings.Trim(aws.ToString(out.ETag), `"`)
	if s3ETag == "" {
		t.Fatal("PutObject returned no ETag")
	}

	st, err := s.Stat(t.Context(), "foreign.glb")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if st.ETag != s3ETag {
		t.Errorf("Stat ETag = %q, want S3's %q", st.ETag, s3ETag)
	}
	var listed string
	if err := s.List(t.Context(), "foreign", func(info cache.ObjectInfo) error {
		listed = info.ETag
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	if listed != s3ETag {
		t.Errorf("List ETag = %q, want S3's %q", listed, s3ETag)
	}

	// Every case runs on a store that has seen the object (memo warm) and on
	// a new one (memo cold): both paths must agree.
	cold := func() *s3store.Store { return s3test.NewStore(t, endpoint, bucket) }
	tests := []struct {
		name    string
		opts    cache.GetOptions
		wantErr error
	}{
		{"if-match S3 etag", cache.GetOptions{IfMatch: s3ETag}, nil},
		{"if-match content hash", cache.GetOptions{IfMatch: etagOf(data)}, cache.ErrPreconditionFailed},
		{"if-none-match S3 etag", cache.GetOptions{IfNoneMatch: s3ETag}, cache.ErrNotModified},
		{"if-none-match other", cache.GetOptions{IfNoneMatch: "0123"}, nil},
	}
	for _, tc := range tests {
		for _, store := range []struct {
			name string
			s    *s3store.Store
		}{{"warm", s}, {"cold", cold()}} {
			t.Run(tc.name+"/"+store.name, func(t *testing.T) {
				info, got, err := get(t, store.s, "foreign.glb", cache.ByteRange{Offset: 4, Length: 8}, tc.opts)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Get error = %v, want %v", err, tc.wantErr)
				}
				if err == nil && (string(got) != string(data[4:12]) || info.ETag != s3ETag) {
					t.Errorf("Get = %q (ETag %q), want %q (ETag %q)", got, info.ETag, data[4:12], s3ETag)
				}
			})
		}
	}
}

// TestForeignRewriteOfSameBytes: an object Strata wrote is overwritten with the
// same bytes by another client. S3's ETag (an MD5) does not change, but the
// hash metadata is gone, so the object's ETag now is S3's, and a Get that
// still expects the content hash must fail even though S3 itself, asked with
// the remembered S3 ETag, would let it pass.
func TestForeignRewriteOfSameBytes(t *testing.T) {
	t.Parallel()
	s, endpoint, bucket := newStore(t)
	data := []byte("same bytes, other writer")
	put := mustPut(t, s, "k.glb", data)
	out, err := s3test.Client(endpoint).PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("k.glb"), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	_, _, err = get(t, s, "k.glb", cache.All, cache.GetOptions{IfMatch: put.ETag})
	if !errors.Is(err, cache.ErrPreconditionFailed) {
		t.Errorf("Get with the old content hash as IfMatch: error = %v, want ErrPreconditionFailed", err)
	}
	st, err := s.Stat(t.Context(), "k.glb")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if want := strings.Trim(aws.ToString(out.ETag), `"`); st.ETag != want {
		t.Errorf("Stat ETag = %q, want S3's %q", st.ETag, want)
	}
}

// TestETagAgreesAcrossInstances: two stores (two origin instances) report the
// same ETag for an object only one of them wrote.
func TestETagAgreesAcrossInstances(t *testing.T) {
	t.Parallel()
	s, endpoint, bucket := newStore(t)
	other := s3test.NewStore(t, endpoint, bucket)
	data := storetest.Pattern(5000, 1)
	put := mustPut(t, s, "shared.glb", data)
	st, err := other.Stat(t.Context(), "shared.glb")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if st != put {
		t.Errorf("other instance's Stat = %+v, want the writer's Put info %+v", st, put)
	}
	if st.ContentType != "model/gltf-binary" {
		t.Errorf("ContentType = %q, want the one given to Put", st.ContentType)
	}
}

// countingProxy is a reverse proxy in front of endpoint that counts requests,
// to check how many round trips an operation costs. It forwards the Host
// header unchanged, so SigV4 signatures stay valid.
func countingProxy(t *testing.T, endpoint string) (string, *atomic.Int64) {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

func TestConditionalGetRequests(t *testing.T) {
	t.Parallel()
	endpoint := s3test.Endpoint(t)
	bucket := s3test.NewBucket(t, endpoint)
	proxied, requests := countingProxy(t, endpoint)
	writer := s3test.NewStore(t, proxied, bucket)
	data := storetest.Pattern(100_000, 2)
	info := mustPut(t, writer, "chunked.glb", data)
	changed := etagOf([]byte("an older version"))

	tests := []struct {
		name         string
		warm         bool // the store has seen the object before
		r            cache.ByteRange
		opts         cache.GetOptions
		wantErr      error
		wantRequests int64
	}{
		{"if-match hit", true, cache.ByteRange{Offset: 65536, Length: 1000}, cache.GetOptions{IfMatch: info.ETag}, nil, 1},
		{"if-match hit, cold memo", false, cache.ByteRange{Offset: 65536, Length: 1000}, cache.GetOptions{IfMatch: info.ETag}, nil, 1},
		{"if-match changed, cold memo", false, cache.ByteRange{Offset: 0, Length: 1000}, cache.GetOptions{IfMatch: changed}, cache.ErrPreconditionFailed, 1},
		{"if-none-match revalidate", true, cache.All, cache.GetOptions{IfNoneMatch: info.ETag}, cache.ErrNotModified, 1},
		{"if-none-match revalidate, cold memo", false, cache.All, cache.GetOptions{IfNoneMatch: info.ETag}, cache.ErrNotModified, 1},
		{"if-none-match changed", true, cache.All, cache.GetOptions{IfNoneMatch: changed}, nil, 1},
		{"both, warm", true, cache.ByteRange{Offset: 10, Length: 10}, cache.GetOptions{IfMatch: info.ETag, IfNoneMatch: changed}, nil, 1},
		// S3 answers 416; a HEAD then fetches the info an empty body needs.
		{"past the end", true, cache.ByteRange{Offset: 200_000, Length: 10}, cache.GetOptions{IfMatch: info.ETag}, nil, 2},
		// HTTP cannot ask for zero bytes, so this is a HEAD.
		{"zero length", true, cache.ByteRange{Offset: 5, Length: 0}, cache.GetOptions{IfMatch: info.ETag}, nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := writer
			if !tc.warm {
				s = s3test.NewStore(t, proxied, bucket)
			}
			before := requests.Load()
			_, got, err := get(t, s, "chunked.glb", tc.r, tc.opts)
			if n := requests.Load() - before; n != tc.wantRequests {
				t.Errorf("Get cost %d requests, want %d", n, tc.wantRequests)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Get error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			end := min(int64(len(data)), tc.r.Offset+tc.r.Length)
			if tc.r.Length < 0 {
				end = int64(len(data))
			}
			want := data[min(tc.r.Offset, end):end]
			if !bytes.Equal(got, want) {
				t.Errorf("Get returned %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

// TestGetAfterOverwriteByOtherInstance: the memo of one instance holds the S3
// ETag of a version another instance has since replaced; IfMatch on the new
// content hash must still succeed, and on the old one fail.
func TestGetAfterOverwriteByOtherInstance(t *testing.T) {
	t.Parallel()
	a, endpoint, bucket := newStore(t)
	b := s3test.NewStore(t, endpoint, bucket)
	v1, v2 := []byte("version one"), []byte("version two!")
	first := mustPut(t, a, "k.glb", v1)
	second := mustPut(t, b, "k.glb", v2)
	if _, _, err := get(t, a, "k.glb", cache.All, cache.GetOptions{IfMatch: first.ETag}); !errors.Is(err, cache.ErrPreconditionFailed) {
		t.Errorf("IfMatch old version: error = %v, want ErrPreconditionFailed", err)
	}
	_, got, err := get(t, a, "k.glb", cache.All, cache.GetOptions{IfMatch: second.ETag})
	if err != nil || !bytes.Equal(got, v2) {
		t.Errorf("IfMatch new version = %q, %v; want %q", got, err, v2)
	}
	if _, _, err := get(t, a, "k.glb", cache.All, cache.GetOptions{IfNoneMatch: first.ETag}); err != nil {
		t.Errorf("IfNoneMatch old version: error = %v, want the new body", err)
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	s, endpoint, bucket := newStore(t)
	mustPut(t, s, "present.glb", []byte("here"))
	missingBucket := s3test.NewStore(t, endpoint, "strata-no-such-bucket-x7")
	badCfg := s3test.StoreConfig(endpoint, bucket)
	badKeys, err := s3store.New(t.Context(), badCfg, s3store.WithCredentials(credentials.NewStaticCredentialsProvider("nobody", "wrong-secret", "")))
	if err != nil {
		t.Fatal(err)
	}

	type op func(ctx context.Context, s *s3store.Store) error
	stat := func(key string) op {
		return func(ctx context.Context, s *s3store.Store) error { _, err := s.Stat(ctx, key); return err }
	}
	getRange := func(key string, r cache.ByteRange) op {
		return func(ctx context.Context, s *s3store.Store) error {
			obj, err := s.Get(ctx, key, r, cache.GetOptions{})
			if err == nil {
				obj.Body.Close()
			}
			return err
		}
	}
	tests := []struct {
		name  string
		store *s3store.Store
		op    op
		want  error // a cache sentinel, or nil for "an error that is none of them"
		code  string
	}{
		{"stat missing key", s, stat("missing.glb"), cache.ErrNotFound, ""},
		{"get missing key", s, getRange("missing.glb", cache.All), cache.ErrNotFound, "NoSuchKey"},
		{"ranged get missing key", s, getRange("missing.glb", cache.ByteRange{Offset: 10, Length: 5}), cache.ErrNotFound, "NoSuchKey"},
		{"get missing bucket", missingBucket, getRange("present.glb", cache.All), nil, "NoSuchBucket"},
		{"ping missing bucket", missingBucket, func(ctx context.Context, s *s3store.Store) error { return s.Ping(ctx) }, nil, ""},
		{"get with wrong credentials", badKeys, getRange("present.glb", cache.All), nil, ""},
		{"ping with wrong credentials", badKeys, func(ctx context.Context, s *s3store.Store) error { return s.Ping(ctx) }, nil, ""},
		{"negative offset", s, getRange("present.glb", cache.ByteRange{Offset: -1, Length: 5}), nil, ""},
	}
	sentinels := []error{cache.ErrNotFound, cache.ErrNotModified, cache.ErrPreconditionFailed, cache.ErrInvalidKey}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.op(t.Context(), tc.store)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want %v", err, tc.want)
			}
			if tc.want == nil {
				for _, s := range sentinels {
					if errors.Is(err, s) {
						t.Errorf("error = %v, must not be %v", err, s)
					}
				}
			}
			if !strings.HasPrefix(err.Error(), "s3store: ") {
				t.Errorf("error %q lacks the package context", err)
			}
			if tc.code != "" {
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
					t.Errorf("error %v does not carry S3's %s", err, tc.code)
				}
			}
		})
	}
}

func TestDeleteMissingBucketFails(t *testing.T) {
	t.Parallel()
	endpoint := s3test.Endpoint(t)
	s := s3test.NewStore(t, endpoint, "strata-no-such-bucket-x7")
	if err := s.Delete(t.Context(), "a.glb"); err == nil || errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Delete in a missing bucket: error = %v, want a store failure", err)
	}
}

func TestPutSpoolsLargeBodiesToFiles(t *testing.T) {
	t.Parallel()
	endpoint := s3test.Endpoint(t)
	cfg := s3test.StoreConfig(endpoint, s3test.NewBucket(t, endpoint))
	cfg.SpoolMemory = 64 << 10
	cfg.SpoolDir = t.TempDir()
	s := mustNew(t, cfg)
	data := storetest.Pattern(1<<20+3, 3)
	tests := []struct {
		name string
		size int64
	}{
		{"known size", int64(len(data))},
		{"unknown size", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// io.MultiReader hides bytes.Reader, so the store cannot shortcut.
			body := io.MultiReader(bytes.NewReader(data))
			info, err := s.Put(t.Context(), "big.glb", body, tc.size, cache.PutOptions{})
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if info.ETag != etagOf(data) || info.Size != int64(len(data)) {
				t.Errorf("Put info = %+v, want ETag %s and size %d", info, etagOf(data), len(data))
			}
			_, got, err := get(t, s, "big.glb", cache.All, cache.GetOptions{IfMatch: info.ETag})
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Get = %d bytes, %v; want the %d written", len(got), err, len(data))
			}
			left, err := os.ReadDir(cfg.SpoolDir)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 0 {
				t.Errorf("spool directory still holds %d files", len(left))
			}
		})
	}
}

func TestPutRejectsWrongSize(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t)
	tests := []struct {
		name string
		body string
		size int64
	}{
		{"shorter than announced", "abc", 10},
		{"longer than announced", "abcdefgh", 3},
		{"negative size", "abc", -2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Put(t.Context(), "sized.glb", strings.NewReader(tc.body), tc.size, cache.PutOptions{}); err == nil {
				t.Fatal("Put succeeded")
			}
			if _, err := s.Stat(t.Context(), "sized.glb"); !errors.Is(err, cache.ErrNotFound) {
				t.Errorf("Stat after a refused Put: error = %v, want ErrNotFound", err)
			}
		})
	}
}

// TestPutChecksumIsVerified: the SHA-256 Put computed travels as the signed
// payload hash and as x-amz-checksum-sha256, which the server checks, so a body
// that differs from what was hashed (here the proxy flips a byte on the way) is
// refused instead of stored under a wrong ETag.
func TestPutChecksumIsVerified(t *testing.T) {
	t.Parallel()
	endpoint := s3test.Endpoint(t)
	bucket := s3test.NewBucket(t, endpoint)
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			body, _ := io.ReadAll(r.Body)
			if len(body) > 0 {
				body[0] ^= 0xff
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s := s3test.NewStore(t, srv.URL, bucket)
	_, err = s.Put(t.Context(), "corrupt.glb", strings.NewReader("precious bytes"), 14, cache.PutOptions{})
	if err == nil {
		t.Fatal("Put of a body corrupted in transit succeeded")
	}
	if _, err := s.Stat(t.Context(), "corrupt.glb"); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Stat after the refused Put: error = %v, want ErrNotFound", err)
	}
}

// TestConcurrentConditionalGets exercises the memo from many goroutines while
// the object is overwritten (run with -race).
func TestConcurrentConditionalGets(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t)
	versions := [][]byte{storetest.Pattern(64<<10, 4), storetest.Pattern(64<<10, 5)}
	etags := []string{etagOf(versions[0]), etagOf(versions[1])}
	mustPut(t, s, "hot.glb", versions[0])

	var wg sync.WaitGroup
	errs := make(chan error, 9)
	ctx := t.Context()
	for g := range 8 {
		wg.Go(func() {
			for i := range 24 {
				v := (g + i) % 2
				r := cache.ByteRange{Offset: int64(i * 1000), Length: 4096}
				obj, err := s.Get(ctx, "hot.glb", r, cache.GetOptions{IfMatch: etags[v]})
				if errors.Is(err, cache.ErrPreconditionFailed) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(obj.Body)
				obj.Body.Close()
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, versions[v][r.Offset:r.Offset+r.Length]) {
					errs <- errors.New("IfMatch let bytes of the other version through")
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 10 {
			v := versions[(i+1)%2]
			if _, err := s.Put(ctx, "hot.glb", bytes.NewReader(v), int64(len(v)), cache.PutOptions{}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkConditionalRangedGet(b *testing.B) {
	endpoint := s3test.Endpoint(b)
	bucket := s3test.NewBucket(b, endpoint)
	s := s3test.NewStore(b, endpoint, bucket)
	data := storetest.Pattern(4<<20, 6)
	info, err := s.Put(b.Context(), "bench.glb", bytes.NewReader(data), int64(len(data)), cache.PutOptions{})
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 256 << 10
	b.SetBytes(chunk)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r := cache.ByteRange{Offset: int64(i%16) * chunk, Length: chunk}
			obj, err := s.Get(context.Background(), "bench.glb", r, cache.GetOptions{IfMatch: info.ETag})
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, obj.Body)
			obj.Body.Close()
			i++
		}
	})
}
