package s3store

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/strata3d/strata/cache"
)

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		name              string
		in                string
		first, last, size int64
		ok                bool
	}{
		{"middle", "bytes 100-149/1000", 100, 149, 1000, true},
		{"whole", "bytes 0-999/1000", 0, 999, 1000, true},
		{"single byte", "bytes 5-5/6", 5, 5, 6, true},
		{"large", "bytes 4294967296-4294967395/9000000000", 4294967296, 4294967395, 9000000000, true},
		{"unknown size", "bytes 0-9/*", 0, 0, 0, false},
		{"unsatisfied form", "bytes */1000", 0, 0, 0, false},
		{"last beyond size", "bytes 0-1000/1000", 0, 0, 0, false},
		{"first after last", "bytes 10-5/100", 0, 0, 0, false},
		{"negative", "bytes -5-10/100", 0, 0, 0, false},
		{"plus sign", "bytes +5-10/100", 0, 0, 0, false},
		{"other unit", "items 0-9/100", 0, 0, 0, false},
		{"missing space", "bytes0-9/100", 0, 0, 0, false},
		{"missing slash", "bytes 0-9", 0, 0, 0, false},
		{"missing dash", "bytes 09/100", 0, 0, 0, false},
		{"overflow", "bytes 0-9/99999999999999999999", 0, 0, 0, false},
		{"empty", "", 0, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first, last, size, ok := parseContentRange(tc.in)
			if ok != tc.ok || first != tc.first || last != tc.last || size != tc.size {
				t.Errorf("parseContentRange(%q) = %d, %d, %d, %v; want %d, %d, %d, %v",
					tc.in, first, last, size, ok, tc.first, tc.last, tc.size, tc.ok)
			}
		})
	}
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-9/10", "bytes 100-149/1000", "bytes */5", "bytes 5-4/10", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		first, last, size, ok := parseContentRange(s)
		if !ok {
			return
		}
		if first < 0 || first > last || last >= size {
			t.Fatalf("parseContentRange(%q) accepted an impossible range %d-%d/%d", s, first, last, size)
		}
		// Leading zeros aside, the header is canonical: reading its canonical
		// form again gives the same numbers.
		canonical := fmt.Sprintf("bytes %d-%d/%d", first, last, size)
		f2, l2, s2, ok2 := parseContentRange(canonical)
		if !ok2 || f2 != first || l2 != last || s2 != size {
			t.Fatalf("parseContentRange(%q) = %d-%d/%d, but its canonical form %q reads back as %d-%d/%d (%v)",
				s, first, last, size, canonical, f2, l2, s2, ok2)
		}
	})
}

func TestRangeHeader(t *testing.T) {
	tests := []struct {
		name string
		r    cache.ByteRange
		want string // "" for no header
	}{
		{"whole object", cache.All, ""},
		{"to end", cache.ByteRange{Offset: 10, Length: -1}, "bytes=10-"},
		{"from start", cache.ByteRange{Offset: 0, Length: 10}, "bytes=0-9"},
		{"middle", cache.ByteRange{Offset: 100, Length: 50}, "bytes=100-149"},
		{"one byte", cache.ByteRange{Offset: 7, Length: 1}, "bytes=7-7"},
		{"length overflowing int64", cache.ByteRange{Offset: 10, Length: 1<<63 - 1}, "bytes=10-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if h := rangeHeader(tc.r); h != nil {
				got = *h
			}
			if got != tc.want {
				t.Errorf("rangeHeader(%+v) = %q, want %q", tc.r, got, tc.want)
			}
		})
	}
}

func TestTrimETag(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"quoted", `"d41d8cd98f00b204e9800998ecf8427e"`, "d41d8cd98f00b204e9800998ecf8427e"},
		{"multipart", `"9b2cf535f27731c974343645a3985328-3"`, "9b2cf535f27731c974343645a3985328-3"},
		{"bare", "abc", "abc"},
		{"weak", `W/"abc"`, "abc"},
		{"lone quote", `"`, `"`},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := trimETag(tc.in); got != tc.want {
				t.Errorf("trimETag(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestHeadersInfo(t *testing.T) {
	const sum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	modTime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	str := func(s string) *string { return &s }
	tests := []struct {
		name       string
		h          headers
		wantETag   string
		wantS3ETag string
	}{
		{"strata object", headers{eTag: str(`"md5"`), metadata: map[string]string{metaSHA256: sum}}, sum[:32], "md5"},
		{"uppercase hash", headers{eTag: str(`"md5"`), metadata: map[string]string{metaSHA256: strings.ToUpper(sum)}}, sum[:32], "md5"},
		{"foreign object", headers{eTag: str(`"md5-2"`)}, "md5-2", "md5-2"},
		{"truncated hash", headers{eTag: str(`"md5"`), metadata: map[string]string{metaSHA256: sum[:40]}}, "md5", "md5"},
		{"hash not hex", headers{eTag: str(`"md5"`), metadata: map[string]string{metaSHA256: strings.Repeat("z", 64)}}, "md5", "md5"},
		{"no etag at all", headers{}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.h.lastModified = &modTime
			tc.h.versionID = str("v1")
			tc.h.contentType = str("model/gltf-binary")
			info, s3ETag := tc.h.info("k.glb", 42)
			want := cache.ObjectInfo{Key: "k.glb", Size: 42, ModTime: modTime.UTC(), ETag: tc.wantETag, ContentType: "model/gltf-binary", Version: "v1"}
			if info != want || s3ETag != tc.wantS3ETag {
				t.Errorf("info = %+v, %q; want %+v, %q", info, s3ETag, want, tc.wantS3ETag)
			}
		})
	}
}

func TestETagMemo(t *testing.T) {
	m := newETagMemo(2)
	m.learn("a", "h1", "e1")
	m.learn("b", "h1", "e2") // same content hash, other key: another S3 ETag
	if e, ok := m.lookup("a", "h1"); !ok || e != "e1" {
		t.Errorf("lookup(a, h1) = %q, %v; want e1", e, ok)
	}
	if e, ok := m.lookup("b", "h1"); !ok || e != "e2" {
		t.Errorf("lookup(b, h1) = %q, %v; want e2", e, ok)
	}
	m.learn("c", "h3", "e3") // generation full: a and b become old
	m.learn("d", "h4", "e4")
	if _, ok := m.lookup("a", "h1"); !ok {
		t.Error("an entry of the previous generation was lost")
	}
	// Promoting a filled the current generation and rotated it: the old one,
	// still holding b, was dropped.
	m.learn("e", "h5", "e5")
	m.learn("f", "h6", "e6")
	if _, ok := m.lookup("b", "h1"); ok {
		t.Error("an entry two generations old survived")
	}
	if len(m.cur)+len(m.old) > 2*m.perGen {
		t.Errorf("memo holds %d entries, bound is %d", len(m.cur)+len(m.old), 2*m.perGen)
	}
	m.learn("g", "", "e7")
	if _, ok := m.lookup("g", ""); ok {
		t.Error("an empty ETag was learned")
	}
}

func TestWindow(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		skip, left int64
		want       string
		wantErr    error
	}{
		{"skip and limit", "0123456789", 2, 3, "234", nil},
		{"limit only", "0123456789", 0, 4, "0123", nil},
		{"to end", "0123456789", 5, 5, "56789", nil},
		{"body shorter than skip", "012", 5, 1, "", io.ErrUnexpectedEOF},
		{"body shorter than window", "0123", 1, 10, "123", io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &window{rc: io.NopCloser(strings.NewReader(tc.body)), skip: tc.skip, left: tc.left}
			got, err := io.ReadAll(w)
			if string(got) != tc.want || !errors.Is(err, tc.wantErr) {
				t.Errorf("read %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	status := func(code int) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}},
			Err:      errors.New("bare status"),
		}}
	}
	withStatus := func(code int, err error) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}},
			Err:      err,
		}}
	}
	api := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"typed NoSuchKey", &types.NoSuchKey{}, cache.ErrNotFound},
		{"typed NotFound", &types.NotFound{}, cache.ErrNotFound},
		{"NoSuchKey code", withStatus(404, api("NoSuchKey")), cache.ErrNotFound},
		{"HEAD 404", withStatus(404, api("NotFound")), cache.ErrNotFound},
		{"HEAD 412", withStatus(412, api("PreconditionFailed")), cache.ErrPreconditionFailed},
		{"304", withStatus(304, api("NotModified")), cache.ErrNotModified},
		{"416", withStatus(416, api("InvalidRange")), errInvalidRange},
		{"HEAD 416", withStatus(416, api("RequestedRangeNotSatisfiable")), errInvalidRange},
		{"missing bucket", withStatus(404, api("NoSuchBucket")), nil},
		{"unknown access key on versitygw", withStatus(404, api("XAdminUserNotFound")), nil},
		{"access denied", withStatus(403, api("AccessDenied")), nil},
		{"throttled", withStatus(503, api("SlowDown")), nil},
		{"bare 404 without error document", status(404), cache.ErrNotFound},
		{"bare 500", status(500), nil},
		{"network", errors.New("connection refused"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.err); got != tc.want {
				t.Errorf("classify = %v, want %v", got, tc.want)
			}
			wrapped := wrapErr("get", "k", tc.err)
			if !errors.Is(wrapped, tc.err) {
				t.Errorf("wrapErr lost the cause: %v", wrapped)
			}
			if tc.want != nil && tc.want != errInvalidRange && !errors.Is(wrapped, tc.want) {
				t.Errorf("wrapErr = %v, want it to wrap %v", wrapped, tc.want)
			}
		})
	}
}
