package s3store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/s3store/s3test"
	"github.com/strata3d/strata/cache/storetest"
)

// TestGatewayRestart stops S3 under a store: every operation must fail with an
// error of its own (no hang, no "not found" that would make the origin answer
// 404 for an asset that exists), and the same store must work again once S3 is
// back, without being recreated.
func TestGatewayRestart(t *testing.T) {
	t.Parallel()
	gw := s3test.StartGateway(t)
	bucket := s3test.NewBucket(t, gw.Endpoint())
	s := s3test.NewStore(t, gw.Endpoint(), bucket)
	data := storetest.Pattern(200_000, 1)
	info := mustPut(t, s, "model.glb", data)

	ops := []struct {
		name string
		op   func(ctx context.Context) error
	}{
		{"ping", s.Ping},
		{"stat", func(ctx context.Context) error { _, err := s.Stat(ctx, "model.glb"); return err }},
		{"conditional ranged get", func(ctx context.Context) error {
			obj, err := s.Get(ctx, "model.glb", cache.ByteRange{Offset: 65536, Length: 65536}, cache.GetOptions{IfMatch: info.ETag})
			if err == nil {
				obj.Body.Close()
			}
			return err
		}},
		{"list", func(ctx context.Context) error {
			return s.List(ctx, "", func(cache.ObjectInfo) error { return nil })
		}},
	}

	gw.Stop()
	for _, tc := range ops {
		t.Run("down/"+tc.name, func(t *testing.T) {
			// Retries back off at most 1 s each (Config.RetryMaxBackoff), so
			// the store gives up long before this deadline: an error caused by
			// the deadline would mean it kept trying on its own terms.
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := tc.op(ctx)
			if err == nil {
				t.Fatal("succeeded with the gateway down")
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v; the store should have given up before the deadline", err)
			}
			for _, sentinel := range []error{cache.ErrNotFound, cache.ErrNotModified, cache.ErrPreconditionFailed} {
				if errors.Is(err, sentinel) {
					t.Errorf("error = %v, must not be %v", err, sentinel)
				}
			}
		})
	}
	t.Run("down/deadline", func(t *testing.T) {
		// A store that would retry for long still stops at the caller's deadline.
		cfg := s3test.StoreConfig(gw.Endpoint(), bucket)
		cfg.MaxRetries = 1000
		patient := mustNew(t, cfg)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		err := patient.Ping(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Ping error = %v, want one wrapping context.DeadlineExceeded", err)
		}
	})

	gw.Start()
	for _, tc := range ops {
		t.Run("up again/"+tc.name, func(t *testing.T) {
			if err := tc.op(t.Context()); err != nil {
				t.Errorf("after restart: %v", err)
			}
		})
	}
	_, got, err := get(t, s, "model.glb", cache.All, cache.GetOptions{IfMatch: info.ETag})
	if err != nil || string(got) != string(data) {
		t.Errorf("Get after restart = %d bytes, %v; want the %d written before", len(got), err, len(data))
	}
	mustPut(t, s, "after.glb", []byte("written after the restart"))
}

// TestVersionedBucket: versitygw's posix backend versions buckets when it runs
// with a versioning directory; the store then reports S3's VersionId.
func TestVersionedBucket(t *testing.T) {
	t.Parallel()
	gw := s3test.StartGatewayWith(t, s3test.GatewayConfig{Versioning: true})
	bucket := s3test.NewBucket(t, gw.Endpoint())
	s3test.EnableVersioning(t, gw.Endpoint(), bucket)
	s := s3test.NewStore(t, gw.Endpoint(), bucket)

	first := mustPut(t, s, "v.glb", []byte("first"))
	if first.Version == "" {
		t.Fatal("Put in a versioned bucket returned no Version")
	}
	st, err := s.Stat(t.Context(), "v.glb")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if st.Version != first.Version {
		t.Errorf("Stat Version = %q, want Put's %q", st.Version, first.Version)
	}
	second := mustPut(t, s, "v.glb", []byte("second"))
	if second.Version == "" || second.Version == first.Version {
		t.Errorf("overwrite Version = %q, want a new one (first was %q)", second.Version, first.Version)
	}
	info, got, err := get(t, s, "v.glb", cache.ByteRange{Offset: 1, Length: 3}, cache.GetOptions{IfMatch: second.ETag})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(got) != "eco" || info.Version != second.Version {
		t.Errorf("Get = %q version %q, want %q version %q", got, info.Version, "eco", second.Version)
	}
	if err := s.Delete(t.Context(), "v.glb"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Stat(t.Context(), "v.glb"); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Stat after Delete (a delete marker): error = %v, want ErrNotFound", err)
	}
}
