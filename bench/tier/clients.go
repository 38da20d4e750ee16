package tier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// clientResult is one client's read of a whole object.
type clientResult struct {
	ttfb time.Duration // from the common start to the response headers
	ttlb time.Duration // from the common start to the last byte
	err  error
}

// readConcurrently has n clients GET url at the same moment, each on its
// own connection, and checks every body against want byte for byte. Times
// count from the moment all clients are released, so waiting for a
// connection or for the server's first byte is part of each client's time.
func readConcurrently(ctx context.Context, url string, want []byte, n int) []clientResult {
	results := make([]clientResult, n)
	start := make(chan struct{})
	var begin time.Time
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One transport per client: n connections, as n viewers would open.
			tr := &http.Transport{Proxy: nil, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 5 * time.Minute}
			<-start
			results[i] = readOnce(ctx, client, url, want, begin)
		}()
	}
	begin = time.Now()
	close(start)
	wg.Wait()
	return results
}

// readOnce GETs url and compares the body with want as it streams in.
func readOnce(ctx context.Context, client *http.Client, url string, want []byte, begin time.Time) clientResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return clientResult{err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		return clientResult{err: err}
	}
	defer resp.Body.Close()
	r := clientResult{ttfb: time.Since(begin)}
	if resp.StatusCode != http.StatusOK {
		r.err = fmt.Errorf("status %s, want 200", resp.Status)
		return r
	}
	if err := compareBody(resp.Body, want); err != nil {
		r.err = err
		return r
	}
	r.ttlb = time.Since(begin)
	return r
}

var errBodyDiffers = errors.New("body differs from the object")

// compareBody reads r to the end and checks it equals want.
func compareBody(r io.Reader, want []byte) error {
	buf := make([]byte, 256<<10)
	var off int
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if off+n > len(want) {
				return fmt.Errorf("%w: longer than %d bytes", errBodyDiffers, len(want))
			}
			if !bytes.Equal(buf[:n], want[off:off+n]) {
				return fmt.Errorf("%w: in the %d bytes from offset %d", errBodyDiffers, n, off)
			}
			off += n
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", off, err)
		}
	}
	if off != len(want) {
		return fmt.Errorf("%w: %d bytes, want %d", errBodyDiffers, off, len(want))
	}
	return nil
}

// checkRange GETs one Range of url and checks status, Content-Range and body.
func checkRange(ctx context.Context, url string, want []byte, first, last int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", first, last))
	resp, err := plainClient.Do(req)
	if err != nil {
		return fmt.Errorf("tier: GET %s (bytes %d-%d): %w", url, first, last, err)
	}
	defer resp.Body.Close()
	wantCR := fmt.Sprintf("bytes %d-%d/%d", first, last, len(want))
	switch {
	case resp.StatusCode != http.StatusPartialContent:
		return fmt.Errorf("tier: GET %s (bytes %d-%d): status %s, want 206", url, first, last, resp.Status)
	case resp.Header.Get("Content-Range") != wantCR:
		return fmt.Errorf("tier: GET %s (bytes %d-%d): Content-Range %q, want %q", url, first, last, resp.Header.Get("Content-Range"), wantCR)
	}
	if err := compareBody(resp.Body, want[first:last+1]); err != nil {
		return fmt.Errorf("tier: GET %s (bytes %d-%d): %w", url, first, last, err)
	}
	return nil
}

// checkWhole GETs url once and checks the body, returning how long it took.
func checkWhole(ctx context.Context, url string, want []byte) (time.Duration, error) {
	begin := time.Now()
	r := readOnce(ctx, plainClient, url, want, begin)
	if r.err != nil {
		return 0, fmt.Errorf("tier: GET %s: %w", url, r.err)
	}
	return r.ttlb, nil
}

// checkWindows checks the first and last RangeWindow of the object and one
// in the middle that straddles any power-of-two chunk boundary.
func checkWindows(ctx context.Context, url string, want []byte) error {
	size := int64(len(want))
	for _, first := range []int64{0, size/2 - RangeWindow/2 - 1, size - RangeWindow} {
		if err := checkRange(ctx, url, want, first, first+RangeWindow-1); err != nil {
			return err
		}
	}
	return nil
}
