package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/strata3d/strata/server"
)

// BenchmarkServeLoopback measures whole exchanges over loopback sockets, with
// and without zero copy, for bodies that take each path: a 4 KiB file (the
// write buffer either way), a 64 KiB file (sendfile), 64 KiB at an unaligned
// offset and 256 KiB (writev from cached chunks). The client is a minimal
// keep-alive reader on 8 connections per core, so the server's share of the
// CPU dominates; compare the two modes within one run (benchstat), not across
// machines.
func BenchmarkServeLoopback(b *testing.B) {
	files := map[string][]byte{"4k.bin": randomBytes(4<<10, 70), "64k.bin": randomBytes(64<<10, 71), "big.glb": randomBytes(4<<20, 72)}
	asks := []struct{ name, path, rng string }{
		{"get-4k", "4k.bin", ""},
		{"get-64k", "64k.bin", ""},
		{"range-64k-unaligned", "big.glb", "bytes=1000-66535"},
		{"range-256k", "big.glb", "bytes=262144-524287"},
	}
	for _, zc := range []bool{true, false} {
		o := startOrigin(b, "", files, func(c *server.Config) { c.ZeroCopy = zc; c.AccessLog = false })
		for _, a := range asks {
			b.Run(fmt.Sprintf("%s/zero-copy=%v", a.name, zc), func(b *testing.B) {
				req := "GET /assets/" + a.path + " HTTP/1.1\r\nHost: bench\r\n"
				if a.rng != "" {
					req += "Range: " + a.rng + "\r\n"
				}
				req += "\r\n"
				// Warm up: fill the hot table (and open the file).
				warm, err := net.Dial("tcp", strings.TrimPrefix(o.URL, "http://"))
				if err != nil {
					b.Fatal(err)
				}
				wbr := bufio.NewReader(warm)
				var n int64
				for range 2 {
					if _, err := io.WriteString(warm, req); err != nil {
						b.Fatal(err)
					}
					if n, err = readAnswer(wbr); err != nil {
						b.Fatal(err)
					}
				}
				warm.Close()
				b.SetBytes(n)
				b.SetParallelism(8) // 8 connections per core, as a loaded origin sees
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					conn, err := net.Dial("tcp", strings.TrimPrefix(o.URL, "http://"))
					if err != nil {
						b.Error(err)
						return
					}
					defer conn.Close()
					br := bufio.NewReaderSize(conn, 64<<10)
					for pb.Next() {
						if _, err := io.WriteString(conn, req); err != nil {
							b.Error(err)
							return
						}
						if _, err := readAnswer(br); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// readAnswer reads one response with a Content-Length body and returns the
// body's length.
func readAnswer(br *bufio.Reader) (int64, error) {
	status, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 20")) {
		return 0, fmt.Errorf("status line %q", status)
	}
	length := int64(-1)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if length, err = strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64); err != nil {
				return 0, err
			}
		}
	}
	if length < 0 {
		return 0, fmt.Errorf("no Content-Length")
	}
	_, err = br.Discard(int(length))
	return length, err
}
