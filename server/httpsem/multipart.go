package httpsem

import (
	"crypto/rand"
	"encoding/hex"
)

// Multipart describes a multipart/byteranges body (RFC 9110 §14.6) without
// holding any of the representation's bytes: the server writes, for each part,
// Header and then the part's Range of the object, and finally Closing. Knowing
// the exact layout up front lets the response carry a Content-Length and be
// streamed from the cache chunk by chunk.
type Multipart struct {
	// Boundary separates the parts. It must not occur in the representation's
	// bytes, which a random one (NewBoundary) makes practically certain.
	Boundary string
	// Parts are in the order the ranges were given.
	Parts []MultipartPart
	// Closing ends the body: "\r\n--B--\r\n".
	Closing string
	// ContentLength is the exact length of the whole body in bytes.
	ContentLength int64
}

// MultipartPart is one part of a Multipart body.
type MultipartPart struct {
	// Header is written before the part's bytes:
	// "\r\n--B\r\nContent-Type: T\r\nContent-Range: bytes a-b/N\r\n\r\n".
	// Every part, the first included, starts with CRLF; before the first
	// boundary it is preamble, which readers skip (RFC 2046 §5.1.1).
	Header string
	// Range selects the part's bytes from the representation.
	Range Range
}

// NewMultipart lays out a multipart/byteranges body for ranges rs of a
// representation of size bytes with media type contentType. An empty
// contentType leaves the Content-Type line out of the parts. boundary and
// contentType must be valid header text (no CR, LF or other controls); use
// NewBoundary and ContentType.
func NewMultipart(boundary, contentType string, size int64, rs []Range) Multipart {
	m := Multipart{
		Boundary: boundary,
		Parts:    make([]MultipartPart, len(rs)),
		Closing:  "\r\n--" + boundary + "--\r\n",
	}
	// All part headers go into one buffer that becomes one string, sliced per part.
	perPart := len("\r\n--\r\nContent-Type: \r\nContent-Range: bytes -/\r\n\r\n") +
		len(boundary) + len(contentType) + 3*20
	buf := make([]byte, 0, perPart*len(rs))
	ends := make([]int, len(rs))
	for i, r := range rs {
		buf = append(buf, "\r\n--"...)
		buf = append(buf, boundary...)
		buf = append(buf, "\r\n"...)
		if contentType != "" {
			buf = append(buf, "Content-Type: "...)
			buf = append(buf, contentType...)
			buf = append(buf, "\r\n"...)
		}
		buf = append(buf, "Content-Range: "...)
		buf = r.AppendContentRange(buf, size)
		buf = append(buf, "\r\n\r\n"...)
		ends[i] = len(buf)
	}
	headers := string(buf)
	start := 0
	for i, r := range rs {
		m.Parts[i] = MultipartPart{Header: headers[start:ends[i]], Range: r}
		m.ContentLength += int64(ends[i]-start) + r.Length
		start = ends[i]
	}
	m.ContentLength += int64(len(m.Closing))
	return m
}

// ContentType returns the response's Content-Type: "multipart/byteranges; boundary=B".
func (m Multipart) ContentType() string {
	return "multipart/byteranges; boundary=" + m.Boundary
}

// AppendBody appends the whole body to dst, taking each part's bytes from
// object, the complete representation (len(object) must cover every range).
// It suits representations already in memory; larger ones are streamed part
// by part from the Parts instead.
func (m Multipart) AppendBody(dst, object []byte) []byte {
	for _, p := range m.Parts {
		dst = append(dst, p.Header...)
		dst = append(dst, object[p.Range.Start:p.Range.Start+p.Range.Length]...)
	}
	return append(dst, m.Closing...)
}

// NewBoundary returns a random boundary: 16 bytes from crypto/rand in hex.
// 128 random bits make a collision with the representation's bytes, which
// would cut a part short, practically impossible even for adversarial content
// (the boundary is chosen after the content exists and is not predictable).
func NewBoundary() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24; it crashes the program instead.
	return hex.EncodeToString(b[:])
}
