package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/server"
)

// zeroCopyFiles straddle the zero-copy bound (2 KiB), the sendfile bound
// (16 KiB) and the chunk size (1 MiB), so bodies come through the write
// buffer, from one chunk, several chunks and a file.
var zeroCopyFiles = map[string][]byte{
	"small.bin":  randomBytes(2<<10-1, 47),
	"armed.bin":  randomBytes(2<<10, 48),
	"4k.bin":     randomBytes(4<<10, 49),
	"below.bin":  randomBytes(16<<10-1, 50),
	"at.bin":     randomBytes(16<<10, 51),
	"above.glb":  randomBytes(16<<10+1, 52),
	"64k.bin":    randomBytes(64<<10, 53),
	"chunks.glb": randomBytes(3<<20+17, 54),
}

// TestZeroCopyAnswersLikeTheBuffer asks an origin with zero copy and one
// without the same questions, three times each (miss, hit, hot with an open
// file): status, headers and bytes must agree, the bytes must be the file's,
// and the access log must count what was sent.
func TestZeroCopyAnswersLikeTheBuffer(t *testing.T) {
	dir := t.TempDir()
	zc := startOrigin(t, dir, zeroCopyFiles, nil)
	plain := startOrigin(t, dir, nil, func(c *server.Config) { c.ZeroCopy = false })
	type ask struct {
		method, rng string
		lo, hi      int // expected body window; hi < 0 means to the end
	}
	asks := []ask{
		{"GET", "", 0, -1},
		{"HEAD", "", 0, 0},
		{"GET", "bytes=100-20100", 100, 20101},
		{"GET", "bytes=5-", 5, -1},
		{"GET", "bytes=-17000", -17000, -1},
		{"GET", "bytes=1048000-1120000", 1048000, 1120001}, // across a chunk boundary
		{"GET", "bytes=1048576-1310719", 1048576, 1310720}, // 256 KiB, page-aligned: sendfile however many pages
	}
	for key, want := range zeroCopyFiles {
		for _, a := range asks {
			lo, hi := a.lo, a.hi
			if lo < 0 {
				lo = max(lo+len(want), 0) // a suffix longer than the file is the file
			}
			if hi < 0 || hi > len(want) {
				hi = len(want)
			}
			if lo >= len(want) {
				continue // not satisfiable for this file; the range tests cover 416
			}
			if a.method == "HEAD" {
				hi = lo
			}
			for round := range 3 {
				h := map[string]string{}
				if a.rng != "" {
					h["Range"] = a.rng
				}
				name := fmt.Sprintf("%s %s %q round %d", a.method, key, a.rng, round)
				got := do(t, a.method, zc.URL+"/assets/"+key, h)
				ref := do(t, a.method, plain.URL+"/assets/"+key, h)
				if got.StatusCode != ref.StatusCode {
					t.Fatalf("%s: status %d, without zero copy %d", name, got.StatusCode, ref.StatusCode)
				}
				for k := range ref.Header {
					if k == "Date" || k == "X-Request-Id" {
						if len(got.Header[k]) != 1 {
							t.Errorf("%s: %s %q, want one", name, k, got.Header[k])
						}
						continue
					}
					// Every value, so a header sent twice shows.
					if !slices.Equal(got.Header[k], ref.Header[k]) {
						t.Errorf("%s: %s = %q, without zero copy %q", name, k, got.Header[k], ref.Header[k])
					}
				}
				if len(got.Header) != len(ref.Header) {
					t.Errorf("%s: %d headers, without zero copy %d", name, len(got.Header), len(ref.Header))
				}
				if !bytes.Equal(got.Body, want[lo:hi]) || !bytes.Equal(ref.Body, want[lo:hi]) {
					t.Fatalf("%s: bodies of %d and %d bytes, want the file's [%d, %d)", name, len(got.Body), len(ref.Body), lo, hi)
				}
			}
		}
	}
	if n := server.OpenFiles(zc.Server); n == 0 {
		t.Errorf("no object file open for sendfile after hot requests")
	}
	if n := server.OpenFiles(plain.Server); n != 0 {
		t.Errorf("%d object files open without zero copy", n)
	}
	_ = zc.Server.Shutdown(context.Background())
	if n := server.OpenFiles(zc.Server); n != 0 {
		t.Errorf("%d object files still open after shutdown", n)
	}
	// Every line of the access log counts the bytes of its answer.
	for _, line := range strings.Split(strings.TrimSpace(zc.logs.String()), "\n") {
		var v struct {
			Method string `json:"method"`
			Path   string `json:"path"`
			Status int    `json:"status"`
			Bytes  int64  `json:"bytes"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("log line %.200q: %v", line, err)
		}
		key := strings.TrimPrefix(v.Path, "/assets/")
		if v.Method == "GET" && v.Status == 200 && v.Bytes != int64(len(zeroCopyFiles[key])) {
			t.Errorf("log line %q: bytes %d, want %d", line, v.Bytes, len(zeroCopyFiles[key]))
		}
	}
}

// TestZeroCopyPipelined sends several requests in one write: the answers
// held back while a body is armed must still leave in order, whole.
func TestZeroCopyPipelined(t *testing.T) {
	o := startOrigin(t, "", zeroCopyFiles, nil)
	type want struct {
		path, rng string
		body      []byte
	}
	seq := []want{
		{"64k.bin", "", zeroCopyFiles["64k.bin"]},
		{"below.bin", "", zeroCopyFiles["below.bin"]},
		{"chunks.glb", "bytes=1000000-1100000", zeroCopyFiles["chunks.glb"][1000000:1100001]},
		{"above.glb", "", zeroCopyFiles["above.glb"]},
		{"64k.bin", "bytes=10-19", zeroCopyFiles["64k.bin"][10:20]},
	}
	conn := dial(t, o.URL)
	br := bufio.NewReader(conn)
	for pass := range 3 { // the first pass fills the hot table, the later ones send from files
		var req bytes.Buffer
		for _, w := range seq {
			fmt.Fprintf(&req, "GET /assets/%s HTTP/1.1\r\nHost: x\r\n", w.path)
			if w.rng != "" {
				fmt.Fprintf(&req, "Range: %s\r\n", w.rng)
			}
			req.WriteString("\r\n")
		}
		if _, err := conn.Write(req.Bytes()); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for i, w := range seq {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("pass %d answer %d: %v", pass, i, err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(body, w.body) {
				t.Fatalf("pass %d answer %d (%s %s): %d bytes (%v), want %d", pass, i, w.path, w.rng, len(body), err, len(w.body))
			}
		}
	}
}

// TestZeroCopyFollowsReplacedFiles replaces a file that is being sent from:
// after MetaTTL the new version is served from a newly opened file, and the
// old one is closed, not leaked.
func TestZeroCopyFollowsReplacedFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.glb")
	// Whole files of at most 64 KiB: the bodies sendfile serves.
	versions := [][]byte{randomBytes(60_000, 60), randomBytes(50_000, 61), randomBytes(65_536, 62)}
	if err := os.WriteFile(path, versions[0], 0o644); err != nil {
		t.Fatal(err)
	}
	const metaTTL = 200 * time.Millisecond
	srv, base, _ := serveDir(t, dir, metaTTL)
	for i, v := range versions {
		if i > 0 {
			replaceFile(t, path, v)
			time.Sleep(metaTTL + 100*time.Millisecond)
		}
		for round := range 4 {
			r := do(t, "GET", base+"/assets/m.glb", nil)
			if r.StatusCode != 200 || !bytes.Equal(r.Body, v) || r.Header.Get("ETag") != etagOf(v) {
				t.Fatalf("version %d round %d: status %d, %d bytes, ETag %s; want v%d's", i, round, r.StatusCode, len(r.Body), r.Header.Get("ETag"), i)
			}
		}
		if n := server.OpenFiles(srv); n != 1 {
			t.Fatalf("version %d: %d object files open, want 1 (the current version's)", i, n)
		}
	}
}

// TestZeroCopyWriteTimeout stalls a reader of bodies sent without a copy, a
// file (sendfile) and cached chunks (writev): the write timeout must still cut
// the connection.
func TestZeroCopyWriteTimeout(t *testing.T) {
	for _, size := range []int{64 << 10, 3 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) { testZeroCopyWriteTimeout(t, size) })
	}
}

func testZeroCopyWriteTimeout(t *testing.T, size int) {
	o := startOrigin(t, "", map[string][]byte{"m.glb": make([]byte, size)}, shortTimeouts(time.Minute, 500*time.Millisecond, time.Minute))
	for range 2 { // make the object hot, so the next answers come from its file
		if r := do(t, "GET", o.URL+"/assets/m.glb", nil); len(r.Body) != size {
			t.Fatalf("warm-up read %d bytes", len(r.Body))
		}
	}
	asks := 1 + (64<<20)/size // far more than the socket buffers hold
	expectCutAfterStall(t, o.URL, strings.Repeat("GET /assets/m.glb HTTP/1.1\r\nHost: x\r\n\r\n", asks), int64(asks*size))
}

// TestZeroCopyClosesDeletedFiles deletes a file being sent from and then asks
// for nothing: once its metadata expires the origin closes the file by
// itself, so the deleted file's disk space is not held.
func TestZeroCopyClosesDeletedFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.glb")
	if err := os.WriteFile(path, randomBytes(40_000, 63), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, base, _ := serveDir(t, dir, 200*time.Millisecond)
	for range 3 {
		if r := do(t, "GET", base+"/assets/m.glb", nil); r.StatusCode != 200 {
			t.Fatalf("status %d", r.StatusCode)
		}
	}
	if n := server.OpenFiles(srv); n != 1 {
		t.Fatalf("%d files open after hot requests, want 1", n)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for server.OpenFiles(srv) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the deleted file is still open 10 s later")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestZeroCopyTricklingPipeline keeps one request ahead of its answers, each
// sent a little after the one before: some arrive while the previous one is
// being answered, when the origin's wait for the next request may have missed
// their readiness notice. Every answer must still come, whole and in order,
// within a few of the sweeper's ticks (its nudge ends such waits).
func TestZeroCopyTricklingPipeline(t *testing.T) {
	o := startOrigin(t, "", zeroCopyFiles, nil)
	paths := []string{"64k.bin", "below.bin", "above.glb"}
	conn := dial(t, o.URL)
	br := bufio.NewReader(conn)
	send := func(i int) {
		if _, err := fmt.Fprintf(conn, "GET /assets/%s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i%len(paths)]); err != nil {
			t.Fatal(err)
		}
	}
	const n = 60
	send(0)
	var slowest time.Duration
	for i := range n {
		if i+1 < n {
			time.Sleep(time.Duration(i%7) * 50 * time.Microsecond)
			send(i + 1)
		}
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := zeroCopyFiles[paths[i%len(paths)]]; err != nil || !bytes.Equal(body, want) {
			t.Fatalf("answer %d: %d bytes (%v), want %d", i, len(body), err, len(want))
		}
		slowest = max(slowest, time.Since(start))
	}
	if slowest > 2*time.Second {
		t.Fatalf("the slowest answer took %v: a missed request waited longer than the sweeper's nudge allows", slowest)
	}
	t.Logf("slowest answer %v", slowest)
}
