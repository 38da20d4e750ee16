package fsstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/strata3d/strata/cache"
)

// defaultHashCacheEntries bounds the in-memory hash cache: about 100 bytes an
// entry, so 64Ki entries cost some 6 MiB and cover any realistic asset tree.
const defaultHashCacheEntries = 1 << 16

// fileID identifies one version of one file: the same inode with the same
// size and mtime is assumed to hold the same bytes, as make and rsync assume.
type fileID struct {
	dev, ino uint64
	size     int64
	mtimeNS  int64
}

// hashCache remembers ETags by fileID. When full it drops an arbitrary entry
// (map iteration order is randomised), which is good enough for a cache whose
// misses cost one file read.
type hashCache struct {
	mu      sync.Mutex
	entries map[fileID]string
	max     int
	flight  singleflight.Group
}

func newHashCache(max int) *hashCache {
	return &hashCache{entries: make(map[fileID]string), max: max}
}

func (c *hashCache) get(id fileID) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	etag, ok := c.entries[id]
	return etag, ok
}

func (c *hashCache) put(id fileID, etag string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[id]; !ok && len(c.entries) >= c.max {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[id] = etag
}

// etag returns the content hash of the open file f, whose FileInfo is fi. It
// returns the FileInfo the hash belongs to, which differs from fi when the
// file was modified in place while being hashed.
func (s *Store) etag(f *os.File, fi fs.FileInfo) (string, fs.FileInfo, error) {
	id, ok := idOf(fi)
	if !ok {
		// No inode to key by on this platform: always hash.
		etag, fi, err := s.hashFile(f, fi)
		return etag, fi, err
	}
	if etag, ok := s.hashes.get(id); ok {
		return etag, fi, nil
	}
	if etag, ok := readXattr(f, fi); ok {
		s.hashes.put(id, etag)
		return etag, fi, nil
	}
	type result struct {
		etag string
		fi   fs.FileInfo
	}
	// Concurrent first requests for one big file hash it once. Every caller
	// has the same inode open, so whichever file handle does the work reads
	// the same bytes.
	v, err, _ := s.hashes.flight.Do(flightKey(id), func() (any, error) {
		etag, fi, err := s.hashFile(f, fi)
		if err != nil {
			return nil, err
		}
		s.recordHash(f, fi, etag)
		return result{etag, fi}, nil
	})
	if err != nil {
		return "", nil, err
	}
	r := v.(result)
	return r.etag, r.fi, nil
}

func flightKey(id fileID) string {
	return fmt.Sprintf("%d:%d:%d:%d", id.dev, id.ino, id.size, id.mtimeNS)
}

// errUnstable means a file kept changing while it was hashed.
var errUnstable = errors.New("file changes while being hashed")

// hashFile reads f whole and hashes it. A file rewritten in place during the
// read (not by Put, which renames) is detected by its size or mtime changing,
// and hashed again.
func (s *Store) hashFile(f *os.File, fi fs.FileInfo) (string, fs.FileInfo, error) {
	// Small files are common (thumbnails, small GLBs): size the buffer to the file.
	buf := make([]byte, min(copyBufSize, max(fi.Size(), 512)))
	for range 3 {
		h := cache.NewContentHash()
		s.hashed.Add(1)
		if _, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, fi.Size()), buf); err != nil {
			return "", nil, err
		}
		after, err := f.Stat()
		if err != nil {
			return "", nil, err
		}
		if after.Size() == fi.Size() && after.ModTime().Equal(fi.ModTime()) {
			return cache.ContentHash(h.Sum(nil)), fi, nil
		}
		fi = after
	}
	return "", nil, errUnstable
}

// recordHash persists etag in the file's xattr, best effort: the memory cache
// still works where the filesystem has no user xattrs.
func (s *Store) recordHash(f *os.File, fi fs.FileInfo, etag string) {
	if id, ok := idOf(fi); ok {
		s.hashes.put(id, etag)
	}
	if s.noXattr.Load() {
		return
	}
	if err := writeXattr(f, fi, etag); err != nil && errors.Is(err, errXattrUnsupported) {
		s.noXattr.Store(true)
	}
}

// xattrName holds "v1 <size> <mtime-ns> <etag>". The hash is trusted only
// while size and mtime still match, so an edit that keeps the xattr (most
// editors do) invalidates it.
const xattrName = "user.strata.etag"

func formatXattr(fi fs.FileInfo, etag string) string {
	return "v1 " + strconv.FormatInt(fi.Size(), 10) + " " + strconv.FormatInt(fi.ModTime().UnixNano(), 10) + " " + etag
}

func parseXattr(v string, fi fs.FileInfo) (string, bool) {
	fields := strings.Fields(v)
	if len(fields) != 4 || fields[0] != "v1" {
		return "", false
	}
	if fields[1] != strconv.FormatInt(fi.Size(), 10) || fields[2] != strconv.FormatInt(fi.ModTime().UnixNano(), 10) {
		return "", false
	}
	etag := fields[3]
	if len(etag) != 32 || strings.Trim(etag, "0123456789abcdef") != "" {
		return "", false
	}
	return etag, true
}
