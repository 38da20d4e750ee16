package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/lod"
)

// preflight runs the baker's checks (lod.Check) on an upload, so that a
// model the baker would refuse (truncated, lying counts, limits, images too
// large to decode, unsupported compression) is refused with the baker's
// message before anything is stored.
func (p *Publisher) preflight(ctx context.Context, up Upload) error {
	select {
	case p.preflights <- struct{}{}:
		defer func() { <-p.preflights }()
	case <-ctx.Done():
		return unavailable("the upload was cancelled", ctx.Err())
	}
	if err := lod.Check(lod.Input{Name: up.Name, Data: up.Data, Resolve: up.resolve}, p.cfg.Bake); err != nil {
		return bakeError(err)
	}
	return nil
}

// resolve serves a .gltf's external files from the upload.
func (u Upload) resolve(name string) ([]byte, error) {
	if err := CleanPath(name); err != nil {
		return nil, fmt.Errorf("not a file of the upload: %v", err)
	}
	data, ok := u.Files[name]
	if !ok {
		return nil, errors.New("no such file in the upload")
	}
	return data, nil
}

// execute runs one attempt of a job: bake the stored original, store the
// outputs under their content hash, record the version and move the
// pointer. It updates j (and the stored record) as it goes; a nil error
// means j is done.
func (p *Publisher) execute(ctx context.Context, j *Job) error {
	start := p.now()
	j.State = Running
	j.Attempts++
	j.Started = &start
	j.Error = nil
	j.Timings.QueuedMS = ms(start.Sub(j.Uploaded))
	if err := p.put(ctx, jobKey(j.ID), encodeJob(j), "application/json"); err != nil {
		return err
	}
	p.update(*j)

	up, err := p.loadOriginal(ctx, j)
	if err != nil {
		return err
	}
	bakeStart := time.Now()
	res, err := lod.Bake(ctx, lod.Input{Name: j.Source.Name, Data: up.Data, Resolve: up.resolve}, p.cfg.Bake)
	if err != nil {
		return bakeError(err)
	}
	j.Timings.BakeMS = ms(time.Since(bakeStart))
	j.Warnings = res.Warnings

	storeStart := time.Now()
	version, err := p.storeVersion(ctx, j.Model, res)
	if err != nil {
		return err
	}
	j.Version = version
	if err := p.recordVersion(ctx, j); err != nil {
		return err
	}
	if err := p.commit(ctx, j.Model); err != nil {
		return err
	}
	j.Timings.StoreMS = ms(time.Since(storeStart))
	if err := p.prune(ctx, j.Model); err != nil {
		// Old versions stay a little longer; the next publish prunes them.
		p.log.Warn("publish: pruning old versions failed", "id", j.Model, "err", err)
	}

	done := p.now()
	j.State = Done
	j.Finished = &done
	j.Manifest = "/" + PointerKey(j.Model)
	j.Levels = len(res.Manifest.Levels)
	j.Progressive = res.Manifest.Progressive.Bytes
	j.Timings.TotalMS = ms(done.Sub(j.Uploaded))
	p.saveJob(ctx, j)
	p.log.Info("publish: published", "job", j.ID, "id", j.Model, "version", version,
		"levels", j.Levels, "bake_ms", j.Timings.BakeMS, "store_ms", j.Timings.StoreMS)
	return nil
}

// loadOriginal reads a job's stored files. A missing file fails the job
// (its original was deleted); other store errors are retried.
func (p *Publisher) loadOriginal(ctx context.Context, j *Job) (Upload, error) {
	if len(j.Source.Files) == 0 {
		return Upload{}, badUpload("the job record lists no stored files")
	}
	limit := p.cfg.Bake.MaxInputBytes
	up := Upload{Name: j.Source.Name, Files: map[string][]byte{}}
	for i, f := range j.Source.Files {
		data, err := p.get(ctx, originalKey(j.ID, f.Name), limit)
		if errors.Is(err, cache.ErrNotFound) {
			return Upload{}, badUpload(fmt.Sprintf("the stored original %q is gone", f.Name))
		}
		if err != nil {
			return Upload{}, storeError("read original", err)
		}
		if i == 0 {
			up.Data = data
		} else {
			up.Files[f.Name] = data
		}
	}
	return up, nil
}

// VersionOf is the content hash naming a bake's directory: the first 128
// bits of the SHA-256 of its manifest, which holds the hash of every file.
func VersionOf(manifestJSON []byte) string {
	sum := sha256.Sum256(manifestJSON)
	return hex.EncodeToString(sum[:16])
}

// storeVersion writes a bake's files under models/{id}/{version}/, the
// manifest last, and returns the version.
func (p *Publisher) storeVersion(ctx context.Context, id string, res *lod.Result) (string, error) {
	manifest, ok := res.File(lod.ManifestFile)
	if !ok {
		return "", errors.New("publish: the bake has no manifest")
	}
	version := VersionOf(manifest)
	types := map[string]string{}
	for _, f := range res.Manifest.Files {
		types[f.Name] = f.MediaType
	}
	// Every file is written even when the key exists (a job that runs
	// again, or the same model uploaded twice): a fresh write is what keeps
	// pruning from deleting a directory a new version has just reused.
	for _, f := range res.Files {
		if f.Name == lod.ManifestFile {
			continue
		}
		if err := p.put(ctx, ArtifactKey(id, version, f.Name), f.Data, types[f.Name]); err != nil {
			return "", err
		}
	}
	if err := p.put(ctx, ArtifactKey(id, version, lod.ManifestFile), manifest, "application/json"); err != nil {
		return "", err
	}
	return version, nil
}

// versionRecord says that a version of a model is completely stored and
// which upload it came from. Records are kept under
// .strata/publish/versions/{id}/, keyed so that the newest upload sorts last.
type versionRecord struct {
	Model     string    `json:"id"`
	Version   string    `json:"version"`
	Job       string    `json:"job"`
	Uploaded  time.Time `json:"uploaded"`
	Published time.Time `json:"published"`
	key       string
}

func (p *Publisher) recordVersion(ctx context.Context, j *Job) error {
	rec := versionRecord{Model: j.Model, Version: j.Version, Job: j.ID, Uploaded: j.Uploaded, Published: p.now()}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return p.put(ctx, versionRecordKey(j.Model, j.Uploaded, j.ID), data, "application/json")
}

// versions returns a model's version records, oldest upload first.
func (p *Publisher) versions(ctx context.Context, id string) ([]versionRecord, error) {
	infos, err := p.list(ctx, versionRecordsPrefix(id))
	if err != nil {
		return nil, storeError("list versions", err)
	}
	recs := make([]versionRecord, 0, len(infos))
	for _, info := range infos {
		data, err := p.get(ctx, info.Key, maxRecordBytes)
		if errors.Is(err, cache.ErrNotFound) {
			continue // pruned since the listing
		}
		if err != nil {
			return nil, storeError("read version record", err)
		}
		var rec versionRecord
		if err := json.Unmarshal(data, &rec); err != nil || rec.Job != jobFromRecordKey(info.Key) || len(rec.Version) != 32 {
			p.log.Warn("publish: skipping an unreadable version record", "key", info.Key, "err", err)
			continue
		}
		rec.key = info.Key
		recs = append(recs, rec)
	}
	return recs, nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
