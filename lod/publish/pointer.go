package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/lod"
)

// Publication is what the pointer manifest adds to a bake's manifest
// (docs/manifest.md), under "published".
type Publication struct {
	// ID is the model id.
	ID string `json:"id"`
	// Version is the content hash naming the version's directory.
	Version string `json:"version"`
	// Job is the job that published it.
	Job string `json:"job"`
	// Uploaded is when the upload was accepted; the newest upload of a
	// model is the one its pointer names.
	Uploaded time.Time `json:"uploaded"`
	// Base is the version's directory as a URL relative to the pointer's
	// own URL ("{version}/"): file names of the manifest resolve against it.
	Base string `json:"base"`
	// Progressive is progressive.glb's URL relative to the pointer's URL.
	Progressive string `json:"progressive"`
}

// Pointer is the pointer manifest as readers decode it: the bake manifest
// with the publication.
type Pointer struct {
	lod.Manifest
	Published Publication `json:"published"`
}

// maxCommitRounds bounds how often one commit rewrites the pointer because
// another writer overwrote it; each round needs a newer upload to finish
// in between, so a few are plenty.
const maxCommitRounds = 8

// commit makes models/{id}/manifest.json name the newest recorded version
// of id. Writers on other instances may overwrite it at any time, so after
// each write it reads the pointer back and compares it with the newest
// record; it returns once they agree. Since every writer does this after
// its last write, the last write of all names the newest version.
func (p *Publisher) commit(ctx context.Context, id string) error {
	mu := p.lock(id)
	mu.Lock()
	defer mu.Unlock()
	for range maxCommitRounds {
		recs, err := p.versions(ctx, id)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return unavailable("the version just recorded is not listed", fmt.Errorf("model %s has no version records", id))
		}
		newest := recs[len(recs)-1]
		cur, err := p.readPointer(ctx, id)
		if err != nil && !errors.Is(err, cache.ErrNotFound) {
			return storeError("read pointer", err)
		}
		if err == nil && cur.Job == newest.Job && cur.Version == newest.Version {
			return nil
		}
		if err := p.writePointer(ctx, newest); err != nil {
			return err
		}
		p.invalidate(ctx, []string{PointerKey(id)})
	}
	return unavailable("the pointer kept changing", fmt.Errorf("model %s: pointer did not settle after %d rounds", id, maxCommitRounds))
}

// readPointer returns the publication the current pointer names.
func (p *Publisher) readPointer(ctx context.Context, id string) (Publication, error) {
	data, err := p.get(ctx, PointerKey(id), maxRecordBytes)
	if err != nil {
		return Publication{}, err
	}
	var ptr struct {
		Published Publication `json:"published"`
	}
	if err := json.Unmarshal(data, &ptr); err != nil {
		// Not ours (or damaged): it is replaced like an outdated one.
		return Publication{}, nil
	}
	return ptr.Published, nil
}

// writePointer writes the pointer for rec: the version's manifest bytes as
// stored, with "published" added, so fields this code does not know survive.
func (p *Publisher) writePointer(ctx context.Context, rec versionRecord) error {
	manifest, err := p.get(ctx, ArtifactKey(rec.Model, rec.Version, lod.ManifestFile), maxRecordBytes)
	if err != nil {
		return storeError("read version manifest", err)
	}
	pub := Publication{
		ID: rec.Model, Version: rec.Version, Job: rec.Job, Uploaded: rec.Uploaded,
		Base: rec.Version + "/", Progressive: rec.Version + "/" + lod.ProgressiveFile,
	}
	ptr, err := withPublication(manifest, pub)
	if err != nil {
		return fmt.Errorf("publish: pointer of %s: %w", rec.Model, err)
	}
	return p.put(ctx, PointerKey(rec.Model), ptr, "application/json")
}

// withPublication adds "published" as the last member of a manifest object.
func withPublication(manifest []byte, pub Publication) ([]byte, error) {
	body := bytes.TrimRight(manifest, " \t\r\n")
	if !json.Valid(body) || len(body) < 2 || body[len(body)-1] != '}' {
		return nil, errors.New("the version manifest is not a JSON object")
	}
	pj, err := json.MarshalIndent(pub, "  ", "  ")
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	inner := bytes.TrimRight(body[:len(body)-1], " \t\r\n")
	out.Write(inner)
	if !bytes.HasSuffix(inner, []byte("{")) {
		out.WriteByte(',')
	}
	out.WriteString("\n  \"published\": ")
	out.Write(pj)
	out.WriteString("\n}\n")
	if !json.Valid(out.Bytes()) {
		return nil, errors.New("the pointer is not valid JSON")
	}
	return out.Bytes(), nil
}

// invalidate tells every invalidator about keys; failures are logged, since
// the pointer's short TTL expires it anyway.
func (p *Publisher) invalidate(ctx context.Context, keys []string) {
	for _, inv := range p.inv {
		if err := inv.Invalidate(ctx, keys); err != nil {
			p.log.Warn("publish: invalidation failed", "keys", keys, "err", err)
		}
	}
}

// Current returns the pointer of model id as stored.
func (p *Publisher) Current(ctx context.Context, id string) (Pointer, error) {
	if err := ValidID(id); err != nil {
		return Pointer{}, err
	}
	data, err := p.get(ctx, PointerKey(id), maxRecordBytes)
	if err != nil {
		return Pointer{}, err
	}
	var ptr Pointer
	if err := json.Unmarshal(data, &ptr); err != nil {
		return Pointer{}, fmt.Errorf("publish: pointer of %s: %w", id, err)
	}
	return ptr, nil
}
