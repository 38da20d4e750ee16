package tier

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/s3store"
)

func TestIsObjectPath(t *testing.T) {
	tests := []struct {
		name string
		path string
		want bool
	}{
		{"object", "/strata-bench/cold/model.glb", true},
		{"object at the bucket root", "/strata-bench/a", true},
		{"bucket (HeadBucket, listings)", "/strata-bench", false},
		{"bucket with a trailing slash", "/strata-bench/", false},
		{"service", "/", false},
		{"empty", "", false},
		{"no bucket", "//key", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isObjectPath(tt.path); got != tt.want {
				t.Errorf("isObjectPath(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

// startTestGateway starts versitygw with the public-read bucket in a temp dir.
func startTestGateway(t *testing.T) *gateway {
	t.Helper()
	bin := mustTool(t, "STRATA_TEST_VERSITYGW")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	gw, err := startGateway(ctx, bin, t.TempDir())
	if err != nil {
		t.Fatalf("startGateway: %v", err)
	}
	t.Cleanup(func() {
		if err := gw.stop(); err != nil {
			t.Errorf("stop gateway: %v", err)
		}
	})
	return gw
}

// The proxy must pass signed requests through untouched (SigV4 signs the
// Host header) and count them by kind, with the body bytes of object GETs.
func TestStoreCounterCountsSignedAndAnonymousRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw; skipped in -short mode")
	}
	gw := startTestGateway(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	object, err := glb(300<<10, 7)
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.put(ctx, "a/b.glb", object); err != nil {
		t.Fatal(err)
	}
	counter, err := startStoreCounter(gw.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer counter.Close()

	cfg := s3store.DefaultConfig()
	cfg.Bucket, cfg.Endpoint, cfg.PathStyle, cfg.MaxRetries = bucket, counter.URL(), true, 1
	store, err := s3store.New(ctx, cfg, s3store.WithCredentials(credentials.NewStaticCredentialsProvider(gw.access, gw.secret, "")))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Ping(ctx); err != nil {
		t.Fatalf("Ping through the proxy: %v", err)
	}
	info, err := store.Stat(ctx, "a/b.glb")
	if err != nil || info.Size != int64(len(object)) {
		t.Fatalf("Stat through the proxy = %+v, %v", info, err)
	}
	obj, err := store.Get(ctx, "a/b.glb", cache.ByteRange{Offset: 1000, Length: 5000}, cache.GetOptions{IfMatch: info.ETag})
	if err != nil {
		t.Fatalf("signed Get through the proxy: %v", err)
	}
	got, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil || !bytes.Equal(got, object[1000:6000]) {
		t.Fatalf("signed Get: %d bytes, %v; want the object's bytes 1000-5999", len(got), err)
	}

	resp, err := plainClient.Get(counter.URL() + "/" + bucket + "/a/b.glb")
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, object) {
		t.Fatalf("anonymous GET: %s, %d bytes, %v", resp.Status, len(got), err)
	}

	if err := counter.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	want := StoreTraffic{ObjectGETs: 2, ObjectHEADs: 1, Other: 1, GETBytes: 5000 + int64(len(object))}
	if got := counter.Snapshot(); got != want {
		t.Errorf("Snapshot() = %+v, want %+v", got, want)
	}
	if d := counter.Snapshot().Sub(StoreTraffic{ObjectGETs: 1, GETBytes: 5000}); d.ObjectGETs != 1 || d.GETBytes != int64(len(object)) {
		t.Errorf("Sub = %+v", d)
	}
}
