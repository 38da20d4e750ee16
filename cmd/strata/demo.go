package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"time"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/lod/meshgen"
)

// errNotEmpty stops the emptiness probe at the first object.
var errNotEmpty = errors.New("store not empty")

// seedDemo fills an empty store with Strata's generated demo models and an
// index.html that lists them. A store holding anything is left alone, so a
// restart never overwrites what an operator put there.
func seedDemo(ctx context.Context, store cache.Store, log *slog.Logger) error {
	err := store.List(ctx, "", func(cache.ObjectInfo) error { return errNotEmpty })
	if errors.Is(err, errNotEmpty) {
		return nil
	}
	if err != nil {
		return err
	}
	start := time.Now()
	var entries []demoEntry
	for _, m := range meshgen.Demo() {
		glb, err := meshgen.EncodeGLB(&m)
		if err != nil {
			return fmt.Errorf("encode %s: %w", m.Name, err)
		}
		key := "demo/" + m.Name + ".glb"
		if _, err := store.Put(ctx, key, bytes.NewReader(glb), int64(len(glb)), cache.PutOptions{ContentType: "model/gltf-binary"}); err != nil {
			return fmt.Errorf("store %s: %w", key, err)
		}
		entries = append(entries, demoEntry{Title: m.Title, Key: key, Triangles: m.TriangleCount(), Bytes: len(glb)})
	}
	var page bytes.Buffer
	if err := demoIndex.Execute(&page, entries); err != nil {
		return err
	}
	if _, err := store.Put(ctx, "index.html", bytes.NewReader(page.Bytes()), int64(page.Len()), cache.PutOptions{ContentType: "text/html; charset=utf-8"}); err != nil {
		return fmt.Errorf("store index.html: %w", err)
	}
	log.Info("demo content generated", "models", len(entries), "took", time.Since(start).String())
	return nil
}

type demoEntry struct {
	Title     string
	Key       string
	Triangles int
	Bytes     int
}

// The index links keys relative to /assets/index.html, so it works behind any prefix.
var demoIndex = template.Must(template.New("index").Funcs(template.FuncMap{
	"kib": func(n int) string { return fmt.Sprintf("%.1f KiB", float64(n)/1024) },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strata demo assets</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 48rem; padding: 0 1rem; color: #1d1d1f; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f4f4f4; padding: 0 .25rem; }
</style>
</head>
<body>
<h1>Strata demo assets</h1>
<p>Procedurally generated models, served by Strata's origin with byte ranges, validators and CORS.
Try <code>curl -r 0-19 -i</code> on any of them.</p>
<table>
<thead><tr><th>Model</th><th>File</th><th class="n">Triangles</th><th class="n">Size</th></tr></thead>
<tbody>
{{- range .}}
<tr><td>{{.Title}}</td><td><a href="{{.Key}}">{{.Key}}</a></td><td class="n">{{.Triangles}}</td><td class="n">{{kib .Bytes}}</td></tr>
{{- end}}
</tbody>
</table>
</body>
</html>
`))
