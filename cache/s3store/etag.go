package s3store

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/strata3d/strata/cache"
)

// metaSHA256 is the user-metadata key (x-amz-meta-strata-sha256) under which Put
// records the full SHA-256 of the body in lowercase hex. The SDK reports
// metadata keys lowercased.
const metaSHA256 = "strata-sha256"

// headers are the response fields an ObjectInfo is built from; HeadObject and
// GetObject return the same ones under different types.
type headers struct {
	eTag         *string
	lastModified *time.Time
	contentType  *string
	versionID    *string
	metadata     map[string]string
}

// info builds the ObjectInfo of key from a response, and returns S3's own
// ETag beside it for the memo.
func (h headers) info(key string, size int64) (info cache.ObjectInfo, s3ETag string) {
	s3ETag = trimETag(deref(h.eTag))
	info = cache.ObjectInfo{
		Key:         key,
		Size:        size,
		ETag:        s3ETag,
		ContentType: deref(h.contentType),
		Version:     deref(h.versionID),
	}
	if h.lastModified != nil {
		info.ModTime = h.lastModified.UTC()
	}
	if sum, ok := h.metadata[metaSHA256]; ok && validSHA256Hex(sum) {
		// Same bytes, same ETag as the fs store: ContentHash keeps the first
		// 128 bits, which are the first 32 hex digits.
		info.ETag = strings.ToLower(sum[:32])
	}
	return info, s3ETag
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// trimETag strips the quotes around an S3 ETag; a multipart "-N" suffix stays,
// since it is part of the value every instance sees.
func trimETag(s string) string {
	s = strings.TrimPrefix(s, "W/")
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return s
}

func validSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// parseContentRange parses a 206 response's "bytes first-last/size" header. A
// size of "*" (unknown) is refused: every S3 GET knows its object's size.
func parseContentRange(v string) (first, last, size int64, ok bool) {
	rest, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	span, total, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err error
	if first, err = parseDigits(a); err != nil {
		return 0, 0, 0, false
	}
	if last, err = parseDigits(b); err != nil {
		return 0, 0, 0, false
	}
	if size, err = parseDigits(total); err != nil {
		return 0, 0, 0, false
	}
	if first > last || last >= size {
		return 0, 0, 0, false
	}
	return first, last, size, true
}

// parseDigits is strconv.ParseInt restricted to plain decimal digits (no sign).
func parseDigits(s string) (int64, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(s, 10, 64)
}

// etagMemo remembers which S3 ETag belongs to a content-hash ETag of a key, so
// that a Get conditional on our ETag can hand S3 its own ETag and stay one
// request: S3 evaluates If-Match/If-None-Match only against its ETag, which is
// not ours for objects Strata wrote (ours is a SHA-256, S3's an MD5 or
// something opaque under SSE-KMS and multipart uploads).
//
// It is learned from every Put, Stat and Get response and bounded by keeping
// two generations: when the current one fills up, it becomes the old one and the
// previous old one is dropped; a hit in the old generation is promoted. That
// approximates LRU without per-entry bookkeeping.
type etagMemo struct {
	mu       sync.Mutex
	perGen   int
	cur, old map[memoKey]string
}

type memoKey struct{ key, etag string }

func newETagMemo(perGen int) *etagMemo {
	return &etagMemo{perGen: perGen, cur: make(map[memoKey]string)}
}

// learn records that key's content with ETag etag has S3 ETag s3ETag.
func (m *etagMemo) learn(key, etag, s3ETag string) {
	if etag == "" || s3ETag == "" {
		return
	}
	k := memoKey{key, etag}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.cur[k]; ok && v == s3ETag {
		return
	}
	m.put(k, s3ETag)
}

func (m *etagMemo) put(k memoKey, s3ETag string) {
	if len(m.cur) >= m.perGen {
		m.old, m.cur = m.cur, make(map[memoKey]string, m.perGen)
	}
	m.cur[k] = s3ETag
}

// lookup returns the S3 ETag learned for key's ETag etag.
func (m *etagMemo) lookup(key, etag string) (string, bool) {
	if etag == "" {
		return "", false
	}
	k := memoKey{key, etag}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.cur[k]; ok {
		return v, true
	}
	if v, ok := m.old[k]; ok {
		delete(m.old, k)
		m.put(k, v)
		return v, true
	}
	return "", false
}
