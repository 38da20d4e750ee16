package suite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/strata3d/strata/bench/origin"
	"github.com/strata3d/strata/lod"
	"github.com/strata3d/strata/lod/meshgen"
)

// The standard data set, written under one directory that Strata serves
// as its fs store and nginx as /assets/ and /models/. The standard
// scenarios name these paths; a custom scenario file may too.
const (
	// HotCount files hot/0.bin … hot/999.bin of 1–16 KiB each (the size
	// of file n is 1 KiB × (1 + a seeded draw of 0–15)): small assets a
	// storefront page asks for, thumbnails, textures, JSON.
	HotCount = 1000
	// BigCount GLBs big/model-0.glb … big/model-3.glb of BigBytes each,
	// read by ranges.
	BigCount = 4
	BigBytes = 16 << 20
	// ColdPattern names the objects of S3 scenarios: cold/0.bin, …
	ColdPattern = "cold/{n}.bin"
)

// dataSeed fixes every byte of the data set.
const dataSeed = 0x5354524154410201

// hotSize is the size of hot/n.bin.
func hotSize(n int) int64 {
	r := rand.New(rand.NewPCG(dataSeed, uint64(n)))
	return int64(1+r.IntN(16)) << 10
}

// writeDataset writes the hot files, the big GLBs and the baked demo
// models under dir and returns the model ids.
func writeDataset(ctx context.Context, dir string, progress func(string, ...any)) ([]string, error) {
	start := time.Now()
	for n := range HotCount {
		b := randomBytes(hotSize(n), dataSeed+uint64(n))
		if err := writeFile(filepath.Join(dir, "hot", strconv.Itoa(n)+".bin"), b); err != nil {
			return nil, err
		}
	}
	for n := range BigCount {
		var buf bytes.Buffer
		buf.Grow(BigBytes)
		if err := origin.WriteGLB(&buf, BigBytes, dataSeed+1000+uint64(n)); err != nil {
			return nil, err
		}
		if err := writeFile(filepath.Join(dir, "big", fmt.Sprintf("model-%d.glb", n)), buf.Bytes()); err != nil {
			return nil, err
		}
	}
	progress("data set: %d hot files, %d × %d MiB GLBs (%v)", HotCount, BigCount, BigBytes>>20, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	ids, err := publishDemoModels(ctx, filepath.Join(dir, "models"))
	if err != nil {
		return nil, err
	}
	progress("data set: %d demo models baked and laid out under models/ (%v)", len(ids), time.Since(start).Round(time.Millisecond))
	return ids, nil
}

// publishDemoModels bakes Strata's demo catalogue and lays each model out
// as the publisher does (docs/publishing.md): one version's files under
// models/{id}/{version}/, {version} the first 128 bits of the SHA-256 of
// that version's manifest.json, and the pointer models/{id}/manifest.json,
// the bake's manifest plus "published" with the version's base and
// progressive.glb's URL relative to the pointer, which is where a viewer —
// and bench/load's progressive step — looks.
func publishDemoModels(ctx context.Context, dir string) ([]string, error) {
	var ids []string
	for _, m := range meshgen.Demo() {
		glb, err := meshgen.EncodeGLB(&m)
		if err != nil {
			return nil, fmt.Errorf("suite: encode %s: %w", m.Name, err)
		}
		res, err := lod.Bake(ctx, lod.Input{Name: m.Name + ".glb", Data: glb}, lod.DefaultConfig())
		if err != nil {
			return nil, fmt.Errorf("suite: bake %s: %w", m.Name, err)
		}
		manifest, ok := res.File("manifest.json")
		if !ok {
			return nil, fmt.Errorf("suite: bake %s wrote no manifest.json", m.Name)
		}
		sum := sha256.Sum256(manifest)
		version := hex.EncodeToString(sum[:16])
		for _, f := range res.Files {
			if err := writeFile(filepath.Join(dir, m.Name, version, f.Name), f.Data); err != nil {
				return nil, err
			}
		}
		var doc map[string]any
		if err := json.Unmarshal(manifest, &doc); err != nil {
			return nil, fmt.Errorf("suite: %s manifest: %w", m.Name, err)
		}
		doc["published"] = map[string]any{
			"id": m.Name, "version": version, "job": "strata-bench",
			"uploaded": time.Unix(0, 0).UTC(), "base": version + "/", "progressive": version + "/progressive.glb",
		}
		pointer, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := writeFile(filepath.Join(dir, m.Name, "manifest.json"), pointer); err != nil {
			return nil, err
		}
		ids = append(ids, m.Name)
	}
	return ids, nil
}

// coldObject is the body of the S3 object with index n.
func coldObject(n int64, size int64) []byte {
	return randomBytes(size, dataSeed+1<<32+uint64(n))
}

func randomBytes(n int64, seed uint64) []byte {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// writeFile writes b, world-readable: nginx workers may run as another user.
func writeFile(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("suite: %w", err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		return fmt.Errorf("suite: %w", err)
	}
	return nil
}
