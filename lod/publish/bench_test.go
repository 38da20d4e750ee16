package publish_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata3d/strata/lod/publish"
)

// BenchmarkPublishSharedModels publishes each model of ../shared/models
// (store original, bake, store artifacts, pointer) over a local store and
// reports the bake time and how much of progressive.glb the coarsest level
// needs: coarse-bytes (its prefix) against progressive-bytes (the file).
// Models the baker refuses (BoxMeshopt requires meshopt) are skipped.
func BenchmarkPublishSharedModels(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "models", "*.glb"))
	if len(files) == 0 {
		b.Skip("../shared/models holds no .glb")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".glb")
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			store := MustFSStore(b)
			p, err := publish.New(testConfig(), publish.Deps{Store: store})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			id := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
			var j publish.Job
			for b.Loop() {
				j, err = p.Publish(context.Background(), publish.Request{ID: id, Upload: publish.Upload{Name: filepath.Base(file), Data: data}})
				if pe := publish.AsError(err); err != nil && pe.Status < 500 {
					b.Skipf("%s: refused: %s", name, pe.Detail)
				}
				if err != nil {
					b.Fatal(err)
				}
				if j.State != publish.Done {
					b.Skipf("%s: %s", name, j.Error.Detail)
				}
			}
			ptr, err := p.Current(context.Background(), id)
			if err != nil {
				b.Fatal(err)
			}
			coarse := ptr.Levels[len(ptr.Levels)-1]
			b.ReportMetric(float64(j.Timings.BakeMS), "bake-ms")
			b.ReportMetric(float64(len(data)), "input-bytes")
			b.ReportMetric(float64(coarse.ProgressivePrefix), "coarse-bytes")
			b.ReportMetric(float64(ptr.Progressive.Bytes), "progressive-bytes")
			b.ReportMetric(100*float64(coarse.ProgressivePrefix)/float64(ptr.Progressive.Bytes), "coarse-%")
			b.ReportMetric(float64(len(ptr.Levels)), "levels")
		})
	}
}
