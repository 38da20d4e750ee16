package publish

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/lod"
)

// orphanAge is the least age of a version directory that no record names
// before it is deleted: such a directory belongs to a job that stopped
// between storing its files and recording them, or to one storing them
// right now, so it must outlive any store step.
const orphanAge = time.Hour

// reuseGuard keeps a pruned version's directory when a file in it was
// written this recently: a new upload of the same bytes is reusing it and
// its record may not be listed yet.
const reuseGuard = 10 * time.Minute

// prune deletes the versions of model id beyond the newest Retention whose
// successor was published more than RetentionAge ago, with their originals
// and job records, and version directories no record names. A directory
// shared by a kept version (the same bytes uploaded again) stays.
func (p *Publisher) prune(ctx context.Context, id string) error {
	recs, err := p.versions(ctx, id)
	if err != nil {
		return err
	}
	cur, err := p.readPointer(ctx, id)
	if err != nil && !errors.Is(err, cache.ErrNotFound) {
		return err
	}
	now := p.now()
	keep := make([]bool, len(recs))
	// superseded is when the oldest newer version was published, the
	// moment recs[i] stopped being the one to show.
	superseded := time.Time{}
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		keep[i] = len(recs)-i <= p.cfg.Retention ||
			now.Sub(superseded) < p.cfg.RetentionAge ||
			r.Job == cur.Job
		if superseded.IsZero() || r.Published.Before(superseded) {
			superseded = r.Published
		}
	}
	kept := map[string]bool{}
	for i, r := range recs {
		if keep[i] {
			kept[r.Version] = true
		}
	}
	var errs []error
	for i, r := range recs {
		if keep[i] {
			continue
		}
		if !kept[r.Version] {
			if err := p.deleteVersionDir(ctx, id, r.Version, reuseGuard); err != nil {
				errs = append(errs, err)
				continue
			}
			kept[r.Version] = true // deleted once is enough
		}
		if err := p.store.Delete(ctx, r.key); err != nil {
			errs = append(errs, err)
			continue
		}
		if j, err := p.Job(ctx, r.Job); err == nil {
			errs = append(errs, p.deleteJob(ctx, &j))
		}
		p.log.Info("publish: pruned a version", "id", id, "version", r.Version, "job", r.Job)
	}
	errs = append(errs, p.pruneOrphans(ctx, id, kept))
	return errors.Join(errs...)
}

// pruneOrphans deletes version directories of id that no record names and
// that nobody wrote to for orphanAge.
func (p *Publisher) pruneOrphans(ctx context.Context, id string, named map[string]bool) error {
	infos, err := p.list(ctx, modelsPrefix+id+"/")
	if err != nil {
		return err
	}
	newest := map[string]time.Time{}
	for _, info := range infos {
		rest := strings.TrimPrefix(info.Key, modelsPrefix+id+"/")
		v, _, ok := strings.Cut(rest, "/")
		if !ok || len(v) != 32 || named[v] {
			continue
		}
		if info.ModTime.After(newest[v]) {
			newest[v] = info.ModTime
		}
	}
	var errs []error
	for v, t := range newest {
		if p.now().Sub(t) > max(orphanAge, p.cfg.RetentionAge) {
			errs = append(errs, p.deleteVersionDir(ctx, id, v, orphanAge))
		}
	}
	return errors.Join(errs...)
}

// deleteVersionDir deletes one version directory, its manifest first so a
// half-deleted directory reads as incomplete. With minAge > 0 it leaves
// the directory alone if any file in it is younger (a job reused it).
func (p *Publisher) deleteVersionDir(ctx context.Context, id, version string, minAge time.Duration) error {
	infos, err := p.list(ctx, versionPrefix(id, version))
	if err != nil {
		return err
	}
	for _, info := range infos {
		if minAge > 0 && p.now().Sub(info.ModTime) < minAge {
			return nil
		}
	}
	if err := p.store.Delete(ctx, ArtifactKey(id, version, lod.ManifestFile)); err != nil {
		return err
	}
	for _, info := range infos {
		if err := p.store.Delete(ctx, info.Key); err != nil {
			return err
		}
	}
	return nil
}

// deleteJob deletes a job's original and then its record.
func (p *Publisher) deleteJob(ctx context.Context, j *Job) error {
	for _, f := range j.Source.Files {
		if err := p.store.Delete(ctx, originalKey(j.ID, f.Name)); err != nil {
			return err
		}
	}
	return p.store.Delete(ctx, jobKey(j.ID))
}
