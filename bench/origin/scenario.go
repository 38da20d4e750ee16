package origin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// scenario is one kind of load: which file is asked for, and how.
type scenario struct {
	name   string
	asset  string // path under the assets dir, and under /assets/ in URLs
	script string // Lua script text for wrk
	ranged bool   // random 64 KiB Range requests instead of whole-file GETs
	// about is the one-line description printed under the report.
	about string
}

var scenarios = map[string]scenario{
	ScenarioGet4K: {
		name: ScenarioGet4K, asset: hot4KPath, script: wrkGet,
		about: "GET of a 4 KiB file, hot in both servers' caches",
	},
	ScenarioGet64K: {
		name: ScenarioGet64K, asset: hot64KPath, script: wrkGet,
		about: "GET of a 64 KiB file, hot in both servers' caches",
	},
	ScenarioRange64KIn20M: {
		name: ScenarioRange64KIn20M, asset: bigGLBPath, script: wrkRange, ranged: true,
		about: "Range: bytes=a-(a+65535) at a random offset of a 20 MiB GLB, same seeded sequence for both servers; any status but 206 or a body not 64 KiB counts as an error",
	},
}

// urlPath is where both servers serve the scenario's file.
func (sc scenario) urlPath() string { return "/assets/" + sc.asset }

// verifyClient sends no Accept-Encoding, like wrk, so a server that would
// compress for a browser is checked on the bytes wrk gets.
var verifyClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{DisableCompression: true, Proxy: nil},
}

// verify checks once, before any load, that s answers the scenario with the
// file's exact bytes, so a server that answers quickly but wrongly cannot win.
func (sc scenario) verify(ctx context.Context, s *server, assetsDir string) error {
	f, err := os.Open(filepath.Join(assetsDir, filepath.FromSlash(sc.asset)))
	if err != nil {
		return fmt.Errorf("origin: verify %s: %w", sc.name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("origin: verify %s: %w", sc.name, err)
	}
	size := st.Size()
	url := s.baseURL + sc.urlPath()
	if !sc.ranged {
		want, err := io.ReadAll(f)
		if err != nil {
			return fmt.Errorf("origin: verify %s: %w", sc.name, err)
		}
		return checkResponse(ctx, url, "", http.StatusOK, "", want)
	}
	// The first and last windows catch off-by-one errors at both ends; the
	// one in the middle straddles any chunk boundary a power-of-two cache uses.
	for _, first := range []int64{0, size/2 - rangeWindow/2 - 1, size - rangeWindow} {
		last := first + rangeWindow - 1
		want := make([]byte, rangeWindow)
		if _, err := f.ReadAt(want, first); err != nil {
			return fmt.Errorf("origin: verify %s: %w", sc.name, err)
		}
		rng := fmt.Sprintf("bytes=%d-%d", first, last)
		cr := fmt.Sprintf("bytes %d-%d/%d", first, last, size)
		if err := checkResponse(ctx, url, rng, http.StatusPartialContent, cr, want); err != nil {
			return err
		}
	}
	return nil
}

func checkResponse(ctx context.Context, url, rangeHeader string, wantStatus int, wantContentRange string, want []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if rangeHeader != "" {
		req.Header.Set("Range", rangeHeader)
	}
	resp, err := verifyClient.Do(req)
	if err != nil {
		return fmt.Errorf("origin: verify GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("origin: verify GET %s (Range %q): reading body: %w", url, rangeHeader, err)
	}
	switch {
	case resp.StatusCode != wantStatus:
		return fmt.Errorf("origin: verify GET %s (Range %q): status %s, want %d", url, rangeHeader, resp.Status, wantStatus)
	case resp.ContentLength != int64(len(want)):
		return fmt.Errorf("origin: verify GET %s (Range %q): Content-Length %d, want %d", url, rangeHeader, resp.ContentLength, len(want))
	case wantContentRange != "" && resp.Header.Get("Content-Range") != wantContentRange:
		return fmt.Errorf("origin: verify GET %s (Range %q): Content-Range %q, want %q", url, rangeHeader, resp.Header.Get("Content-Range"), wantContentRange)
	case resp.Header.Get("Content-Encoding") != "":
		return fmt.Errorf("origin: verify GET %s (Range %q): Content-Encoding %q without Accept-Encoding", url, rangeHeader, resp.Header.Get("Content-Encoding"))
	case !bytes.Equal(got, want):
		return fmt.Errorf("origin: verify GET %s (Range %q): body differs from the file (%d bytes)", url, rangeHeader, len(got))
	}
	return nil
}
