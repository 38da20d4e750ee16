package httpsem_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/strata3d/strata/server/httpsem"
)

// testObject returns size bytes that contain CRLFs and dashes, so a layout
// that confuses content with delimiters shows up.
func testObject(size int) []byte {
	const pattern = "glTF\r\n--\r\n\x00\xff-- boundary\n"
	return []byte(strings.Repeat(pattern, size/len(pattern)+1)[:size])
}

// checkMultipart builds m's body from object and reads it back with
// mime/multipart, checking the length, every part's headers and bytes.
func checkMultipart(t *testing.T, m httpsem.Multipart, contentType string, object []byte) {
	t.Helper()
	body := m.AppendBody(nil, object)
	if int64(len(body)) != m.ContentLength {
		t.Fatalf("body is %d bytes, ContentLength says %d", len(body), m.ContentLength)
	}
	mt, params, err := mime.ParseMediaType(m.ContentType())
	if err != nil || mt != "multipart/byteranges" || params["boundary"] != m.Boundary {
		t.Fatalf("ContentType() = %q: parsed %q %v, %v", m.ContentType(), mt, params, err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for i, want := range m.Parts {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if got := p.Header.Get("Content-Type"); got != contentType {
			t.Errorf("part %d Content-Type = %q, want %q", i, got, contentType)
		}
		if got, want := p.Header.Get("Content-Range"), want.Range.ContentRange(int64(len(object))); got != want {
			t.Errorf("part %d Content-Range = %q, want %q", i, got, want)
		}
		got, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("part %d: reading: %v", i, err)
		}
		r := want.Range
		if !bytes.Equal(got, object[r.Start:r.Start+r.Length]) {
			t.Errorf("part %d bytes = %q, want %q", i, got, object[r.Start:r.Start+r.Length])
		}
	}
	if p, err := mr.NextPart(); !errors.Is(err, io.EOF) {
		t.Fatalf("after %d parts: NextPart = %v, %v; want io.EOF", len(m.Parts), p, err)
	}
}

func TestNewMultipart(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		size        int
		ranges      []R
		wantHeader0 string
	}{
		{
			name: "two parts", contentType: "model/gltf-binary", size: 1000,
			ranges:      []R{{0, 100}, {900, 100}},
			wantHeader0: "\r\n--B\r\nContent-Type: model/gltf-binary\r\nContent-Range: bytes 0-99/1000\r\n\r\n",
		},
		{
			name: "out of order single bytes", contentType: "application/octet-stream", size: 10,
			ranges:      []R{{9, 1}, {0, 1}, {5, 1}},
			wantHeader0: "\r\n--B\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 9-9/10\r\n\r\n",
		},
		{
			name: "no content type", contentType: "", size: 64,
			ranges:      []R{{0, 32}, {32, 32}},
			wantHeader0: "\r\n--B\r\nContent-Range: bytes 0-31/64\r\n\r\n",
		},
		{
			name: "parameterised type", contentType: "text/plain; charset=utf-8", size: 300,
			ranges:      []R{{10, 20}, {100, 200}},
			wantHeader0: "\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 10-29/300\r\n\r\n",
		},
		{
			name: "single part", contentType: "image/png", size: 5,
			ranges:      []R{{0, 5}},
			wantHeader0: "\r\n--B\r\nContent-Type: image/png\r\nContent-Range: bytes 0-4/5\r\n\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := httpsem.NewMultipart("B", tt.contentType, int64(tt.size), tt.ranges)
			if len(m.Parts) != len(tt.ranges) {
				t.Fatalf("%d parts, want %d", len(m.Parts), len(tt.ranges))
			}
			if m.Parts[0].Header != tt.wantHeader0 {
				t.Errorf("first part header = %q, want %q", m.Parts[0].Header, tt.wantHeader0)
			}
			if m.Closing != "\r\n--B--\r\n" {
				t.Errorf("Closing = %q", m.Closing)
			}
			if got := m.ContentType(); got != "multipart/byteranges; boundary=B" {
				t.Errorf("ContentType() = %q", got)
			}
			// The same layout with a real boundary must survive a real parser.
			m = httpsem.NewMultipart(httpsem.NewBoundary(), tt.contentType, int64(tt.size), tt.ranges)
			checkMultipart(t, m, tt.contentType, testObject(tt.size))
		})
	}
}

func TestNewBoundary(t *testing.T) {
	a, b := httpsem.NewBoundary(), httpsem.NewBoundary()
	if len(a) < 32 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Errorf("NewBoundary() = %q, want 32+ lowercase hex digits", a)
	}
	if a == b {
		t.Errorf("NewBoundary() returned %q twice", a)
	}
}

var multipartTypes = []string{"", "model/gltf-binary", "text/plain; charset=utf-8", "application/octet-stream"}

func FuzzMultipart(f *testing.F) {
	f.Add([]byte("0123456789"), "bytes=0-1,5-", uint8(1))
	f.Add([]byte("\r\n--\r\n--"), "bytes=-3,0-0,2-4", uint8(2))
	f.Add([]byte("x"), "bytes=0-0", uint8(0))
	f.Fuzz(func(t *testing.T, object []byte, rangeHeader string, typ uint8) {
		rs, err := httpsem.ParseRange(nil, rangeHeader, int64(len(object)))
		if err != nil {
			return
		}
		ct := multipartTypes[int(typ)%len(multipartTypes)]
		checkMultipart(t, httpsem.NewMultipart(httpsem.NewBoundary(), ct, int64(len(object)), rs), ct, object)
	})
}

func BenchmarkNewMultipart(b *testing.B) {
	rs := []R{{0, 1024}, {4096, 4096}, {65536, 65536}}
	boundary := httpsem.NewBoundary()
	b.ReportAllocs()
	for b.Loop() {
		_ = httpsem.NewMultipart(boundary, "model/gltf-binary", 1<<20, rs)
	}
}
