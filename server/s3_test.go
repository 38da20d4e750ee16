package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/s3store/s3test"
)

// TestServeStaleOverS3 runs the origin over a real S3 gateway, stops the
// gateway mid-test and starts it again: cached objects keep being served,
// uncached ones get 503 with Retry-After, and the origin recovers by itself.
func TestServeStaleOverS3(t *testing.T) {
	if testing.Short() {
		t.Skip("needs versitygw")
	}
	gw := s3test.StartGateway(t)
	bucket := s3test.NewBucket(t, gw.Endpoint())
	store := s3test.NewStore(t, gw.Endpoint(), bucket)
	ctx := context.Background()
	cached := randomBytes(3<<20+17, 21) // several chunks
	uncached := randomBytes(1000, 22)
	for key, b := range map[string][]byte{"models/cached.glb": cached, "models/uncached.glb": uncached} {
		if _, err := store.Put(ctx, key, bytes.NewReader(b), int64(len(b)), cache.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	ccfg := cache.DefaultConfig()
	ccfg.MaxBytes = 64 << 20
	ccfg.MetaTTL = time.Millisecond // every request past the first revalidates
	ccfg.StoreTimeout = 2 * time.Second
	ccfg.StaleIfError = time.Hour
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	tier, err := cache.New(store, ccfg, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tier.Close()
	logs := &syncBuffer{}
	srv, base := serveTier(t, tier, logger, logs)

	warm := do(t, "GET", base+"/assets/models/cached.glb", nil)
	if warm.StatusCode != 200 || !bytes.Equal(warm.Body, cached) {
		t.Fatalf("warm-up: status %d", warm.StatusCode)
	}
	if r := do(t, "GET", base+"/readyz", nil); r.StatusCode != 200 {
		t.Fatalf("readyz before the outage: %d", r.StatusCode)
	}

	gw.Stop()
	time.Sleep(2 * ccfg.MetaTTL) // let the cached metadata expire

	t.Run("cached object is served stale", func(t *testing.T) {
		r := do(t, "GET", base+"/assets/models/cached.glb", nil)
		if r.StatusCode != 200 || !bytes.Equal(r.Body, cached) {
			t.Fatalf("status %d, %d bytes", r.StatusCode, len(r.Body))
		}
		rr := do(t, "GET", base+"/assets/models/cached.glb", map[string]string{"Range": "bytes=1048570-1048589"})
		if rr.StatusCode != 206 || !bytes.Equal(rr.Body, cached[1048570:1048590]) {
			t.Fatalf("range across a chunk boundary: status %d", rr.StatusCode)
		}
	})
	t.Run("uncached object is 503 with Retry-After", func(t *testing.T) {
		r := do(t, "GET", base+"/assets/models/uncached.glb", nil)
		if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("status %d Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
		}
		checkProblem(t, r, 503)
	})
	t.Run("readiness reports the outage", func(t *testing.T) {
		waitStatus(t, base+"/readyz", 503)
	})

	gw.Start()
	t.Run("recovers without a restart", func(t *testing.T) {
		waitStatus(t, base+"/assets/models/uncached.glb", 200)
		r := do(t, "GET", base+"/assets/models/uncached.glb", nil)
		if !bytes.Equal(r.Body, uncached) {
			t.Fatalf("bytes differ after recovery")
		}
		waitStatus(t, base+"/readyz", 200)
	})
	_ = srv.Shutdown(context.Background())
	if !strings.Contains(logs.String(), `"cache":"stale"`) {
		t.Errorf("access log never recorded a stale answer:\n%s", logs.String())
	}
}

// waitStatus polls url until it answers status; recovery is driven by the
// tier's and the readiness probe's retry spacing (about a second).
func waitStatus(tb testing.TB, url string, status int) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := do(tb, "GET", url, nil)
		if r.StatusCode == status {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: still %d, want %d", url, r.StatusCode, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
