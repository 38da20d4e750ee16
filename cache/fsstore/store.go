// Package fsstore is a cache.Store over a local directory, used for
// development and single-host deployments.
//
// Every access goes through an os.Root, so no key and no symlink can reach a
// file outside the directory. ETags are content hashes, like every Strata
// store; the trade-off is that the first Stat of an unknown file reads it
// whole. The hash is then remembered in memory (keyed by device, inode, size
// and mtime, so an edited file is hashed again) and, where the filesystem
// allows, in a user xattr that survives restarts.
package fsstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/strata3d/strata/cache"
)

// tmpPrefix names the temporary files of in-progress Puts. Keys with a segment
// starting with it are never served or listed, so a half-written file can
// never be read.
const tmpPrefix = ".strata-tmp-"

// copyBufSize is the buffer for writing and hashing files; large enough that
// syscalls do not dominate, small enough to sit on the stack of a request.
const copyBufSize = 256 << 10

// Store is a cache.Store over a local directory. It is safe for concurrent use.
type Store struct {
	root   *os.Root
	dir    string
	hashes *hashCache
	// noXattr is set after the filesystem refused a user xattr, so later
	// hashes do not retry a call that cannot succeed.
	noXattr atomic.Bool
	// hashed counts full-file hash computations (for tests and debugging).
	hashed atomic.Int64
}

var (
	_ cache.Store      = (*Store)(nil)
	_ cache.FileOpener = (*Store)(nil)
)

// New opens (creating it if missing) the directory root as a store.
func New(root string) (*Store, error) {
	if root == "" {
		return nil, errors.New("fsstore: empty root directory")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("fsstore: creating root: %w", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("fsstore: opening root: %w", err)
	}
	return &Store{root: r, dir: root, hashes: newHashCache(defaultHashCacheEntries)}, nil
}

// Dir returns the directory the store was opened on.
func (s *Store) Dir() string { return s.dir }

// Close releases the directory handle.
func (s *Store) Close() error { return s.root.Close() }

// reserved reports whether key names (or lies under) one of the store's own
// temporary files.
func reserved(key string) bool {
	for seg := range strings.SplitSeq(key, "/") {
		if strings.HasPrefix(seg, tmpPrefix) {
			return true
		}
	}
	return false
}

// missing reports whether an open or stat error means "there is no object
// here" rather than a failing disk: the name does not exist, a path component
// is a file, or a symlink leads outside the root or loops.
func missing(err error) bool {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EISDIR) ||
		errors.Is(err, syscall.ENAMETOOLONG) {
		return true
	}
	// os.Root reports an escaping path with an unexported error value.
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes")
}

// open opens key's file for reading and returns it with its FileInfo; only
// regular files are objects.
func (s *Store) open(op, key string) (*os.File, fs.FileInfo, error) {
	if !cache.ValidKey(key) {
		return nil, nil, fmt.Errorf("fsstore: %s %q: %w", op, key, cache.ErrInvalidKey)
	}
	if reserved(key) {
		return nil, nil, fmt.Errorf("fsstore: %s %q: %w", op, key, cache.ErrNotFound)
	}
	// Non-blocking so that a FIFO planted in the directory cannot hang the
	// open; it is then rejected as not a regular file.
	f, err := s.root.OpenFile(filepath.FromSlash(key), os.O_RDONLY|openNonblock, 0)
	if err != nil {
		if missing(err) {
			return nil, nil, fmt.Errorf("fsstore: %s %q: %w", op, key, cache.ErrNotFound)
		}
		return nil, nil, fmt.Errorf("fsstore: %s %q: %w", op, key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("fsstore: %s %q: %w", op, key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("fsstore: %s %q: not a regular file: %w", op, key, cache.ErrNotFound)
	}
	return f, fi, nil
}

func (s *Store) info(key string, fi fs.FileInfo, etag string) cache.ObjectInfo {
	return cache.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime(), ETag: etag}
}

// Stat implements cache.Store.
func (s *Store) Stat(ctx context.Context, key string) (cache.ObjectInfo, error) {
	f, fi, err := s.open("stat", key)
	if err != nil {
		return cache.ObjectInfo{}, err
	}
	defer f.Close()
	etag, fi, err := s.etag(f, fi)
	if err != nil {
		return cache.ObjectInfo{}, fmt.Errorf("fsstore: stat %q: %w", key, err)
	}
	return s.info(key, fi, etag), nil
}

// Get implements cache.Store. The body reads from the file opened here, so
// the bytes always belong to the version whose ETag is reported, even if a Put
// replaces the file meanwhile.
func (s *Store) Get(ctx context.Context, key string, r cache.ByteRange, opts cache.GetOptions) (*cache.Object, error) {
	if r.Offset < 0 {
		return nil, fmt.Errorf("fsstore: get %q: negative offset %d", key, r.Offset)
	}
	f, fi, etag, err := s.openVersion("get", key, opts)
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	off := min(r.Offset, size)
	n := size - off
	if r.Length >= 0 {
		n = min(n, r.Length)
	}
	return &cache.Object{
		Info: s.info(key, fi, etag),
		Body: &fileSection{SectionReader: io.NewSectionReader(f, off, n), f: f},
	}, nil
}

// OpenFile implements cache.FileOpener: key's file, open, if it holds the
// version etag names. Puts replace files by rename, so the open file keeps
// that version's bytes for as long as it stays open.
func (s *Store) OpenFile(ctx context.Context, key, etag string) (*os.File, error) {
	f, _, _, err := s.openVersion("open", key, cache.GetOptions{IfMatch: etag})
	return f, err
}

// openVersion opens key's file with its FileInfo and ETag, applying the
// conditions of opts: ErrPreconditionFailed when IfMatch names another
// version, ErrNotModified when IfNoneMatch names this one.
func (s *Store) openVersion(op, key string, opts cache.GetOptions) (*os.File, fs.FileInfo, string, error) {
	f, fi, err := s.open(op, key)
	if err != nil {
		return nil, nil, "", err
	}
	etag, fi, err := s.etag(f, fi)
	var cond error
	switch {
	case err != nil:
		cond = err
	case opts.IfMatch != "" && opts.IfMatch != etag:
		cond = cache.ErrPreconditionFailed
	case opts.IfNoneMatch != "" && opts.IfNoneMatch == etag:
		cond = cache.ErrNotModified
	}
	if cond != nil {
		f.Close()
		return nil, nil, "", fmt.Errorf("fsstore: %s %q: %w", op, key, cond)
	}
	return f, fi, etag, nil
}

// fileSection is a Get body: a window of an open file that closes the file.
type fileSection struct {
	*io.SectionReader
	f *os.File
}

func (b *fileSection) Close() error { return b.f.Close() }

// Put implements cache.Store: the bytes go to a temporary file in the target
// directory, which is synced and then renamed over the key, so readers see
// the old or the new file, never a partial one.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, size int64, opts cache.PutOptions) (cache.ObjectInfo, error) {
	if !cache.ValidKey(key) || reserved(key) {
		return cache.ObjectInfo{}, fmt.Errorf("fsstore: put %q: %w", key, cache.ErrInvalidKey)
	}
	dir := path.Dir(key)
	if dir != "." {
		if err := s.root.MkdirAll(filepath.FromSlash(dir), 0o755); err != nil {
			return cache.ObjectInfo{}, fmt.Errorf("fsstore: put %q: %w", key, err)
		}
	}
	tmp, err := s.createTemp(dir)
	if err != nil {
		return cache.ObjectInfo{}, fmt.Errorf("fsstore: put %q: %w", key, err)
	}
	info, err := s.writeAndRename(ctx, tmp, key, body, size)
	if err != nil {
		tmp.f.Close()
		s.root.Remove(tmp.name)
		return cache.ObjectInfo{}, fmt.Errorf("fsstore: put %q: %w", key, err)
	}
	return info, nil
}

type tempFile struct {
	f    *os.File
	name string
}

func (s *Store) createTemp(dir string) (tempFile, error) {
	for range 10 {
		var rnd [8]byte
		rand.Read(rnd[:])
		name := filepath.FromSlash(path.Join(dir, tmpPrefix+hex.EncodeToString(rnd[:])))
		f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return tempFile{}, err
		}
		return tempFile{f: f, name: name}, nil
	}
	return tempFile{}, errors.New("cannot create a unique temporary file")
}

func (s *Store) writeAndRename(ctx context.Context, tmp tempFile, key string, body io.Reader, size int64) (cache.ObjectInfo, error) {
	h := cache.NewContentHash()
	src := body
	if size >= 0 {
		// One byte more than announced, to notice a body that is too long.
		src = io.LimitReader(body, size+1)
	}
	n, err := io.CopyBuffer(io.MultiWriter(tmp.f, h), ctxReader{ctx, src}, make([]byte, copyBufSize))
	if err != nil {
		return cache.ObjectInfo{}, err
	}
	if size >= 0 && n != size {
		return cache.ObjectInfo{}, fmt.Errorf("body has %d bytes, announced %d", n, size)
	}
	if err := tmp.f.Sync(); err != nil {
		return cache.ObjectInfo{}, err
	}
	fi, err := tmp.f.Stat()
	if err != nil {
		return cache.ObjectInfo{}, err
	}
	etag := cache.ContentHash(h.Sum(nil))
	s.recordHash(tmp.f, fi, etag)
	if err := tmp.f.Close(); err != nil {
		return cache.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return cache.ObjectInfo{}, err
	}
	if err := s.root.Rename(tmp.name, filepath.FromSlash(key)); err != nil {
		return cache.ObjectInfo{}, err
	}
	// Make the rename itself durable; a failure here loses durability, not
	// correctness, so it is not reported.
	if d, err := s.root.Open(filepath.FromSlash(path.Dir(key))); err == nil {
		d.Sync()
		d.Close()
	}
	return s.info(key, fi, etag), nil
}

// ctxReader stops a copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// Delete implements cache.Store. A directory is not an object, so deleting a
// key that names one does nothing.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !cache.ValidKey(key) {
		return fmt.Errorf("fsstore: delete %q: %w", key, cache.ErrInvalidKey)
	}
	if reserved(key) {
		return nil
	}
	name := filepath.FromSlash(key)
	fi, err := s.root.Lstat(name)
	if err != nil {
		if missing(err) {
			return nil
		}
		return fmt.Errorf("fsstore: delete %q: %w", key, err)
	}
	if fi.IsDir() {
		return nil
	}
	if err := s.root.Remove(name); err != nil && !missing(err) {
		return fmt.Errorf("fsstore: delete %q: %w", key, err)
	}
	return nil
}

// List implements cache.Store. It collects the matching files before calling
// fn, because a directory walk does not visit keys in byte order ("a/b" sorts
// after "a-c", but the walk meets directory "a" first). ETag is left empty:
// filling it would read every listed file; Stat gives it.
func (s *Store) List(ctx context.Context, prefix string, fn func(cache.ObjectInfo) error) error {
	if !cache.ValidPrefix(prefix) {
		return fmt.Errorf("fsstore: list %q: %w", prefix, cache.ErrInvalidKey)
	}
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = prefix[:i]
	}
	var found []cache.ObjectInfo
	err := fs.WalkDir(s.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if missing(err) {
				// The start directory does not exist, or an entry vanished
				// during the walk.
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(p+"/", prefix) || strings.HasPrefix(prefix, p+"/") {
				return nil
			}
			return fs.SkipDir
		}
		if !strings.HasPrefix(p, prefix) || !cache.ValidKey(p) {
			return nil
		}
		fi, err := d.Info()
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			// A symlink is an object when it leads to a regular file inside the root.
			fi, err = s.root.Stat(filepath.FromSlash(p))
		}
		if err != nil {
			if missing(err) {
				return nil
			}
			return err
		}
		if fi.Mode().IsRegular() {
			found = append(found, cache.ObjectInfo{Key: p, Size: fi.Size(), ModTime: fi.ModTime()})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fsstore: list %q: %w", prefix, err)
	}
	slices.SortFunc(found, func(a, b cache.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	for _, info := range found {
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

// Ping implements cache.Store: the root directory must still be readable.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.root.Stat("."); err != nil {
		return fmt.Errorf("fsstore: ping: %w", err)
	}
	return nil
}
