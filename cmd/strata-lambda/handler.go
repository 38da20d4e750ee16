package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/lod/publish"
)

// uploadsPrefix is where merchants (or a presigned-URL upload form) put
// models; the bucket's ObjectCreated notification for it invokes the
// function. Keys, relative to the store's prefix:
//
//	uploads/{id}.glb             a GLB
//	uploads/{id}.gltf            a .gltf with data: URIs only
//	uploads/{id}/{name}.gltf     a .gltf and the files it loads, under uploads/{id}/;
//	                             upload the .gltf last: it triggers the publish
const uploadsPrefix = "uploads/"

// Handler publishes the models S3 events announce, with the same publisher
// code as `strata serve`.
type Handler struct {
	pub    *publish.Publisher
	store  cache.Store
	bucket string // events for other buckets are ignored
	prefix string // the store's key prefix inside the bucket
	// flush sends queued CDN invalidations before the invocation ends: a
	// frozen Lambda would hold them until its next event.
	flush func(context.Context) error
	log   *slog.Logger
}

// Handle is the Lambda entry point. It returns an error only when a retry
// may help (the store failed): Lambda then retries the event, and the job,
// whose id derives from the event, resumes. A model the baker refuses is
// logged and recorded as a failed job; retrying it would fail again.
func (h *Handler) Handle(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, rec := range ev.Records {
		if err := h.record(ctx, rec); err != nil {
			errs = append(errs, err)
		}
	}
	if h.flush != nil {
		if err := h.flush(ctx); err != nil {
			h.log.Warn("lambda: CDN invalidation failed; the pointer's TTL will expire it", "err", err)
		}
	}
	return errors.Join(errs...)
}

func (h *Handler) record(ctx context.Context, rec events.S3EventRecord) error {
	obj := rec.S3.Object
	log := h.log.With("bucket", rec.S3.Bucket.Name, "key", obj.URLDecodedKey, "event", rec.EventName)
	if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
		log.Info("lambda: ignored: not an ObjectCreated event")
		return nil
	}
	if rec.S3.Bucket.Name != h.bucket {
		log.Warn("lambda: ignored: event for another bucket")
		return nil
	}
	key, ok := strings.CutPrefix(obj.URLDecodedKey, h.prefix)
	if !ok || !strings.HasPrefix(key, uploadsPrefix) {
		log.Info("lambda: ignored: not under " + h.prefix + uploadsPrefix)
		return nil
	}
	id, dir, ok := parseUploadKey(key)
	if !ok {
		log.Info("lambda: ignored: not a .glb or .gltf upload (resources of a .gltf are read when the .gltf arrives)")
		return nil
	}
	up, err := h.readUpload(ctx, key, dir)
	if err != nil {
		if pe := publish.AsError(err); pe.Status >= 500 {
			return fmt.Errorf("read %s: %w", key, err)
		}
		log.Warn("lambda: upload refused", "err", err)
		return nil
	}
	job, err := h.pub.Publish(ctx, publish.Request{
		ID:       id,
		Upload:   up,
		JobID:    eventJobID(rec),
		Uploaded: rec.EventTime,
	})
	if err != nil {
		if pe := publish.AsError(err); pe.Status < 500 {
			log.Warn("lambda: upload refused", "id", id, "status", pe.Status, "detail", pe.Detail)
			return nil
		}
		return fmt.Errorf("publish %s: %w", key, err)
	}
	switch job.State {
	case publish.Done:
		log.Info("lambda: published", "id", id, "job", job.ID, "version", job.Version, "bake_ms", job.Timings.BakeMS)
	default:
		log.Warn("lambda: job failed", "id", id, "job", job.ID, "error", job.Error)
	}
	// The original now lives under the publisher's private prefix.
	h.deleteUpload(ctx, key, dir)
	return nil
}

// parseUploadKey reads uploads/{id}.glb, uploads/{id}.gltf and
// uploads/{id}/…/{name}.gltf; dir is the folder of the .gltf's resources
// ("" for a single file).
func parseUploadKey(key string) (id, dir string, ok bool) {
	rest := strings.TrimPrefix(key, uploadsPrefix)
	ext := strings.ToLower(path.Ext(rest))
	if ext != ".glb" && ext != ".gltf" {
		return "", "", false
	}
	first, _, nested := strings.Cut(rest, "/")
	if !nested {
		return strings.TrimSuffix(rest, path.Ext(rest)), "", true
	}
	if ext != ".gltf" {
		return "", "", false
	}
	return first, uploadsPrefix + first + "/", true
}

// readUpload reads the document and, for a .gltf in a folder, every other
// file of the folder, within the publisher's limits.
func (h *Handler) readUpload(ctx context.Context, key, dir string) (publish.Upload, error) {
	cfg := h.pub.Config()
	limit := cfg.Bake.MaxInputBytes
	data, err := h.read(ctx, key, limit)
	if err != nil {
		return publish.Upload{}, err
	}
	up := publish.Upload{Name: path.Base(key), Data: data}
	if dir == "" {
		return up, nil
	}
	docDir := path.Dir(key) + "/"
	up.Files = map[string][]byte{}
	total := int64(len(data))
	err = h.store.List(ctx, docDir, func(info cache.ObjectInfo) error {
		if info.Key == key {
			return nil
		}
		if len(up.Files)+1 >= cfg.MaxFiles {
			return &publish.Error{Status: 413, Title: "Upload too large", Detail: fmt.Sprintf("the folder holds more than %d files", cfg.MaxFiles)}
		}
		if total += info.Size; total > limit {
			return &publish.Error{Status: 413, Title: "Upload too large", Detail: fmt.Sprintf("the folder holds more than %d bytes", limit)}
		}
		b, err := h.read(ctx, info.Key, limit)
		if err != nil {
			return err
		}
		up.Files[strings.TrimPrefix(info.Key, docDir)] = b
		return nil
	})
	if err != nil {
		return publish.Upload{}, err
	}
	return up, nil
}

func (h *Handler) read(ctx context.Context, key string, limit int64) ([]byte, error) {
	obj, err := h.store.Get(ctx, key, cache.All, cache.GetOptions{})
	if errors.Is(err, cache.ErrNotFound) {
		// Deleted since the event (a retried event after a publish).
		return nil, &publish.Error{Status: 404, Title: "Upload gone", Detail: key + " no longer exists", Err: err}
	}
	if err != nil {
		return nil, &publish.Error{Status: 503, Title: "Store unavailable", Detail: "reading the upload failed", Err: err}
	}
	defer obj.Body.Close()
	if obj.Info.Size > limit {
		return nil, &publish.Error{Status: 413, Title: "Upload too large", Detail: fmt.Sprintf("%s is %d bytes, more than the %d allowed", key, obj.Info.Size, limit)}
	}
	b, err := io.ReadAll(io.LimitReader(obj.Body, limit+1))
	if err != nil {
		return nil, &publish.Error{Status: 503, Title: "Store unavailable", Detail: "reading the upload failed", Err: err}
	}
	return b, nil
}

// deleteUpload removes a handled upload; a failure only leaves it behind.
func (h *Handler) deleteUpload(ctx context.Context, key, dir string) {
	keys := []string{key}
	if dir != "" {
		h.store.List(ctx, path.Dir(key)+"/", func(info cache.ObjectInfo) error {
			if info.Key != key {
				keys = append(keys, info.Key)
			}
			return nil
		})
	}
	for _, k := range keys {
		if err := h.store.Delete(ctx, k); err != nil {
			h.log.Warn("lambda: deleting a handled upload failed", "key", k, "err", err)
		}
	}
}

// eventJobID derives the job id from the object version the event
// announces, so that Lambda's retries of one event resume one job while a
// new upload of the same key is a new job.
func eventJobID(rec events.S3EventRecord) string {
	o := rec.S3.Object
	sum := sha256.Sum256([]byte(rec.S3.Bucket.Name + "\x00" + o.URLDecodedKey + "\x00" + o.VersionID + "\x00" + o.Sequencer + "\x00" + o.ETag))
	return hex.EncodeToString(sum[:12])
}
