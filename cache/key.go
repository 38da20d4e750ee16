package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
)

// ValidKey reports whether key is a clean object key: non-empty, at most 1024
// bytes, slash-separated segments that are neither empty, "." nor "..", and no
// backslash, NUL or other control byte. The HTTP layer cleans request paths into
// such keys; stores reject anything else with ErrInvalidKey, so a key can never
// name a file outside a store's root.
func ValidKey(key string) bool {
	if key == "" || len(key) > 1024 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// NewContentHash returns the hash whose ContentHash digest names an object's
// bytes. It is SHA-256.
func NewContentHash() hash.Hash { return sha256.New() }

// ContentHash formats a content digest as the ETag stores use: the first 128 bits
// of the SHA-256, in lowercase hex. 128 bits keeps ETags short and collisions
// out of reach.
func ContentHash(sum []byte) string {
	if len(sum) > 16 {
		sum = sum[:16]
	}
	return hex.EncodeToString(sum)
}

// ValidPrefix reports whether prefix can start a valid key, which is what
// Store.List accepts: "" (everything), or a string whose complete segments
// (all but the last) are valid key segments and which holds no control byte or
// backslash. The last segment may be partial ("a/b" lists "a/b.glb" and
// "a/b/c"), empty ("a/") or dots ("." lists ".DS_Store").
func ValidPrefix(prefix string) bool {
	if prefix == "" {
		return true
	}
	if len(prefix) > 1024 {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	segs := strings.Split(prefix, "/")
	for _, seg := range segs[:len(segs)-1] {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}
