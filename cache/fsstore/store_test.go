package fsstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/fsstore"
	"github.com/strata3d/strata/cache/storetest"
	"github.com/strata3d/strata/lod/publish"
)

func newStore(t *testing.T) *fsstore.Store {
	t.Helper()
	s, err := fsstore.New(filepath.Join(t.TempDir(), "root"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) cache.Store { return newStore(t) })
}

func TestNewCreatesRoot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "c")
	s, err := fsstore.New(dir)
	if err != nil {
		t.Fatalf("New(%q): %v", dir, err)
	}
	defer s.Close()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("root not created: %v", err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestNewRejectsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := fsstore.New(file); err == nil {
		s.Close()
		t.Fatalf("New over a regular file succeeded")
	}
}

// TestNothingOutsideRoot plants symlinks that lead out of the root; none of
// them may be served, listed as an object, or followed by Put.
func TestNothingOutsideRoot(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	s, err := fsstore.New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	secret := filepath.Join(base, "secret.txt")
	mustWrite(t, secret, "top secret")
	if err := os.Mkdir(filepath.Join(base, "outdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(base, "outdir", "x"), "outside")
	mustWrite(t, filepath.Join(root, "inside.txt"), "inside")
	links := map[string]string{
		"relative-escape": "../secret.txt",
		"absolute-escape": secret,
		"dir-escape":      "../outdir",
		"inside-link":     "inside.txt",
		"loop":            "loop",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		key  string
		want string // "" means ErrNotFound
	}{
		{"relative-escape", ""},
		{"absolute-escape", ""},
		{"dir-escape/x", ""},
		{"loop", ""},
		{"inside-link", "inside"},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			_, statErr := s.Stat(t.Context(), tc.key)
			obj, getErr := s.Get(t.Context(), tc.key, cache.All, cache.GetOptions{})
			if tc.want == "" {
				if getErr == nil {
					obj.Body.Close()
				}
				if !errors.Is(statErr, cache.ErrNotFound) || !errors.Is(getErr, cache.ErrNotFound) {
					t.Errorf("Stat error = %v, Get error = %v; want ErrNotFound", statErr, getErr)
				}
				return
			}
			if statErr != nil || getErr != nil {
				t.Fatalf("Stat error = %v, Get error = %v", statErr, getErr)
			}
			_, got := storetest.MustGet(t, s, tc.key, cache.All, cache.GetOptions{})
			if string(got) != tc.want {
				t.Errorf("Get = %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := s.Put(t.Context(), "dir-escape/new", bytes.NewReader([]byte("x")), 1, cache.PutOptions{}); err == nil {
		t.Errorf("Put through a symlink leading outside the root succeeded")
	}
	if _, err := os.Stat(filepath.Join(base, "outdir", "new")); err == nil {
		t.Errorf("Put wrote a file outside the root")
	}
	var keys []string
	if err := s.List(t.Context(), "", func(info cache.ObjectInfo) error {
		keys = append(keys, info.Key)
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	want := []string{"inside-link", "inside.txt"}
	if !slices.Equal(keys, want) {
		t.Errorf("List = %q, want %q", keys, want)
	}
	if got, _ := os.ReadFile(secret); string(got) != "top secret" {
		t.Errorf("file outside root changed to %q", got)
	}
}

// TestTempFilesNeverServed plants what looks like an in-progress Put.
func TestTempFilesNeverServed(t *testing.T) {
	s := newStore(t)
	storetest.MustPut(t, s, "models/a.glb", []byte("a"))
	for _, name := range []string{".strata-tmp-0123", "models/.strata-tmp-4567"} {
		mustWrite(t, filepath.Join(s.Dir(), filepath.FromSlash(name)), "partial")
		if _, err := s.Stat(t.Context(), name); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("Stat(%q) error = %v, want ErrNotFound", name, err)
		}
		obj, err := s.Get(t.Context(), name, cache.All, cache.GetOptions{})
		if err == nil {
			obj.Body.Close()
		}
		if !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("Get(%q) error = %v, want ErrNotFound", name, err)
		}
		if _, err := s.Put(t.Context(), name, bytes.NewReader(nil), 0, cache.PutOptions{}); !errors.Is(err, cache.ErrInvalidKey) {
			t.Errorf("Put(%q) error = %v, want ErrInvalidKey", name, err)
		}
		if err := s.Delete(t.Context(), name); err != nil {
			t.Errorf("Delete(%q) = %v, want nil", name, err)
		}
		if _, err := os.Stat(filepath.Join(s.Dir(), filepath.FromSlash(name))); err != nil {
			t.Errorf("Delete(%q) removed another Put's temporary file", name)
		}
	}
	var keys []string
	if err := s.List(t.Context(), "", func(info cache.ObjectInfo) error {
		keys = append(keys, info.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"models/a.glb"}; !slices.Equal(keys, want) {
		t.Errorf("List = %q, want %q", keys, want)
	}
}

func TestSpecialFilesAreNotObjects(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs")
	}
	s := newStore(t)
	fifo := filepath.Join(s.Dir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// Opening a FIFO for reading blocks until a writer appears; the store
	// must not hang on it.
	if _, err := s.Stat(t.Context(), "fifo"); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Stat(fifo) error = %v, want ErrNotFound", err)
	}
	if err := s.List(t.Context(), "", func(info cache.ObjectInfo) error {
		t.Errorf("List reported %q", info.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestPutOverDirectoryFails(t *testing.T) {
	s := newStore(t)
	storetest.MustPut(t, s, "d/file", []byte("x"))
	if _, err := s.Put(t.Context(), "d", bytes.NewReader([]byte("y")), 1, cache.PutOptions{}); err == nil {
		t.Errorf("Put over a directory succeeded")
	}
	if _, err := s.Put(t.Context(), "d/file/sub", bytes.NewReader([]byte("y")), 1, cache.PutOptions{}); err == nil {
		t.Errorf("Put under a regular file succeeded")
	}
	if err := s.Delete(t.Context(), "d"); err != nil {
		t.Errorf("Delete of a directory: %v, want nil (no object)", err)
	}
	if _, got := storetest.MustGet(t, s, "d/file", cache.All, cache.GetOptions{}); string(got) != "x" {
		t.Errorf("d/file = %q after failed Puts", got)
	}
	entries, err := os.ReadDir(filepath.Join(s.Dir(), "d"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("failed Puts left files behind: %v", entries)
	}
}

func TestPutCanceled(t *testing.T) {
	s := newStore(t)
	storetest.MustPut(t, s, "k", []byte("old"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Put(ctx, "k", bytes.NewReader([]byte("new")), 3, cache.PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a canceled context: error = %v, want context.Canceled", err)
	}
	if _, got := storetest.MustGet(t, s, "k", cache.All, cache.GetOptions{}); string(got) != "old" {
		t.Errorf("k = %q after a canceled Put", got)
	}
}

// TestHashCaching checks that an unchanged file is hashed once, and a file
// edited in place (not through Put) is hashed again.
func TestHashCaching(t *testing.T) {
	s := newStore(t)
	file := filepath.Join(s.Dir(), "model.glb")
	v1 := storetest.Pattern(100_000, 1)
	if err := os.WriteFile(file, v1, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		info, err := s.Stat(t.Context(), "model.glb")
		if err != nil {
			t.Fatal(err)
		}
		if info.ETag != storetest.ETagOf(v1) {
			t.Fatalf("ETag = %q, want %q", info.ETag, storetest.ETagOf(v1))
		}
		storetest.MustGet(t, s, "model.glb", cache.ByteRange{Offset: 10, Length: 10}, cache.GetOptions{})
	}
	if n := fsstore.HashCount(s); n != 1 {
		t.Errorf("hashed %d times for an unchanged file, want 1", n)
	}

	// Same size, new bytes, new mtime: an in-place edit.
	v2 := storetest.Pattern(100_000, 2)
	if err := os.WriteFile(file, v2, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	info, err := s.Stat(t.Context(), "model.glb")
	if err != nil {
		t.Fatal(err)
	}
	if info.ETag != storetest.ETagOf(v2) {
		t.Errorf("after an in-place edit ETag = %q, want %q", info.ETag, storetest.ETagOf(v2))
	}
	if n := fsstore.HashCount(s); n != 2 {
		t.Errorf("hashed %d times after one edit, want 2", n)
	}

	// Put knows the hash it wrote: no re-read.
	storetest.MustPut(t, s, "model.glb", v1)
	if info, _ := s.Stat(t.Context(), "model.glb"); info.ETag != storetest.ETagOf(v1) {
		t.Errorf("after Put ETag = %q", info.ETag)
	}
	if n := fsstore.HashCount(s); n != 2 {
		t.Errorf("hashed %d times after a Put, want still 2", n)
	}
}

// TestHashXattr checks that a restarted store trusts the hash recorded in the
// file's xattr while size and mtime match, and only then.
func TestHashXattr(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	first, err := fsstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	probe := filepath.Join(dir, "probe")
	mustWrite(t, probe, "x")
	if err := unix.Setxattr(probe, "user.strata.probe", []byte("1"), 0); err != nil {
		t.Skipf("the filesystem under %s has no user xattrs (%v); the memory cache alone is tested by TestHashCaching", dir, err)
	}
	v1 := storetest.Pattern(50_000, 3)
	storetest.MustPut(t, first, "a.glb", v1)

	second, err := fsstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	info, err := second.Stat(t.Context(), "a.glb")
	if err != nil {
		t.Fatal(err)
	}
	if info.ETag != storetest.ETagOf(v1) || fsstore.HashCount(second) != 0 {
		t.Errorf("restarted store: ETag %q after %d hashes, want %q from the xattr without hashing", info.ETag, fsstore.HashCount(second), storetest.ETagOf(v1))
	}

	// An in-place edit keeps the xattr but changes mtime: it must not be trusted.
	file := filepath.Join(dir, "a.glb")
	v2 := storetest.Pattern(50_000, 4)
	if err := os.WriteFile(file, v2, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	third, err := fsstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	info, err = third.Stat(t.Context(), "a.glb")
	if err != nil {
		t.Fatal(err)
	}
	if info.ETag != storetest.ETagOf(v2) || fsstore.HashCount(third) != 1 {
		t.Errorf("after an edit: ETag %q after %d hashes, want %q from one hash", info.ETag, fsstore.HashCount(third), storetest.ETagOf(v2))
	}
}

func mustWrite(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOpenFile opens an object's file for sendfile: only for the version
// asked for, and it keeps that version's bytes after a Put replaces it. The
// wrappers the origin uses (metrics, the public view) pass it through, and
// still hide private keys.
func TestOpenFile(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	v1, v2 := []byte("first version"), []byte("second version, longer")
	info, err := s.Put(ctx, "m.glb", bytes.NewReader(v1), int64(len(v1)), cache.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wrapped := cache.Instrument(s, prometheus.NewRegistry())
	for name, st := range map[string]cache.Store{"store": s, "instrumented": wrapped, "public view": publish.PublicView(wrapped)} {
		f, err := cache.OpenFile(ctx, st, "m.glb", info.ETag)
		if err != nil {
			t.Fatalf("%s: OpenFile: %v", name, err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || !bytes.Equal(got, v1) {
			t.Fatalf("%s: read %q (%v), want %q", name, got, err, v1)
		}
		if _, err := cache.OpenFile(ctx, st, "m.glb", `sha256-other`); !errors.Is(err, cache.ErrPreconditionFailed) {
			t.Errorf("%s: another version: %v, want ErrPreconditionFailed", name, err)
		}
		if _, err := cache.OpenFile(ctx, st, "missing.glb", info.ETag); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("%s: missing key: %v, want ErrNotFound", name, err)
		}
		if _, err := cache.OpenFile(ctx, st, "../escape", info.ETag); !errors.Is(err, cache.ErrInvalidKey) {
			t.Errorf("%s: bad key: %v, want ErrInvalidKey", name, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(s.Dir(), publish.PrivatePrefix), 0o755); err != nil {
		t.Fatal(err)
	}
	secret, err := s.Put(ctx, publish.PrivatePrefix+"draft.glb", bytes.NewReader(v1), int64(len(v1)), cache.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cache.OpenFile(ctx, publish.PublicView(s), secret.Key, secret.ETag); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("private key through the public view: %v, want ErrNotFound", err)
	}

	f, err := s.OpenFile(ctx, "m.glb", info.ETag)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := s.Put(ctx, "m.glb", bytes.NewReader(v2), int64(len(v2)), cache.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(f); err != nil || !bytes.Equal(got, v1) {
		t.Errorf("open file after a Put: %q (%v), want the version it was opened for", got, err)
	}
	if _, err := cache.OpenFile(ctx, s, "m.glb", info.ETag); !errors.Is(err, cache.ErrPreconditionFailed) {
		t.Errorf("replaced version: %v, want ErrPreconditionFailed", err)
	}
}

// TestOpenFileWithoutFiles: a store that keeps no local files says so.
func TestOpenFileWithoutFiles(t *testing.T) {
	var st struct{ cache.Store }
	if _, err := cache.OpenFile(t.Context(), st, "m.glb", "x"); !errors.Is(err, cache.ErrNoFile) {
		t.Errorf("OpenFile on a store without files: %v, want ErrNoFile", err)
	}
	if _, err := cache.OpenFile(t.Context(), cache.Instrument(st, prometheus.NewRegistry()), "m.glb", "x"); !errors.Is(err, cache.ErrNoFile) {
		t.Errorf("OpenFile through Instrument: %v, want ErrNoFile", err)
	}
}
