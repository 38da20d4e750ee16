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
	"github.com/strata3d/strata/lod/publish"
)

// errNotEmpty stops the emptiness probe at the first object.
var errNotEmpty = errors.New("store not empty")

// seedDemo publishes Strata's generated demo models into an empty store
// through the publisher, exactly as uploads to POST /admin/models/{id} are,
// and writes an index.html that lists them. The models are baked in the
// background: the index shows each one once its pointer exists. A store
// holding anything is left alone, so a restart never overwrites what an
// operator put there (and jobs a stop interrupted are resumed by the
// publisher, not submitted again).
func seedDemo(ctx context.Context, store cache.Store, pub *publish.Publisher, log *slog.Logger) error {
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
		// The model ids are the demo names: the storefront links its demo
		// products to them.
		if _, err := pub.Submit(ctx, publish.Request{ID: m.Name, Upload: publish.Upload{Name: m.Name + ".glb", Data: glb}}); err != nil {
			return fmt.Errorf("publish %s: %w", m.Name, err)
		}
		entries = append(entries, demoEntry{ID: m.Name, Title: m.Title, Triangles: m.TriangleCount(), Bytes: len(glb)})
	}
	var page bytes.Buffer
	if err := demoIndex.Execute(&page, entries); err != nil {
		return err
	}
	if _, err := store.Put(ctx, "index.html", bytes.NewReader(page.Bytes()), int64(page.Len()), cache.PutOptions{ContentType: "text/html; charset=utf-8"}); err != nil {
		return fmt.Errorf("store index.html: %w", err)
	}
	log.Info("demo content submitted for publishing", "models", len(entries), "took", time.Since(start).String())
	return nil
}

type demoEntry struct {
	ID        string
	Title     string
	Triangles int
	Bytes     int
}

// The index lives at /assets/index.html and links the models relative to
// it (../models/…), so it works behind any prefix. Each row reads the
// model's pointer manifest to link the content-addressed files of the
// current version and to show how little of progressive.glb the coarsest
// level needs.
var demoIndex = template.Must(template.New("index").Funcs(template.FuncMap{
	"kib": func(n int) string { return fmt.Sprintf("%.1f KiB", float64(n)/1024) },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strata demo models</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d1d1f; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f4f4f4; padding: 0 .25rem; }
.pending { color: #888; }
</style>
</head>
<body>
<h1>Strata demo models</h1>
<p>Procedurally generated furniture, published through Strata's publishing path: each model was baked into levels of
detail, stored under content-addressed keys, and its pointer <code>/models/{id}/manifest.json</code> names the current
version. <code>progressive.glb</code> streams coarsest-first by byte ranges (<code>MSFT_lod</code>).</p>
<table>
<thead><tr><th>Model</th><th>Published files</th><th class="n">Triangles</th><th class="n">Upload</th><th class="n">Coarsest level</th></tr></thead>
<tbody>
{{- range .}}
<tr data-id="{{.ID}}"><td>{{.Title}}<br><code>{{.ID}}</code></td>
<td><a href="../models/{{.ID}}/manifest.json">manifest.json</a> <span class="files pending">baking…</span></td>
<td class="n">{{.Triangles}}</td><td class="n">{{kib .Bytes}}</td><td class="n coarse"></td></tr>
{{- end}}
</tbody>
</table>
<script>
const kib = n => (n / 1024).toFixed(1) + " KiB";
async function show(row) {
  const url = "../models/" + row.dataset.id + "/manifest.json";
  const res = await fetch(url, { cache: "no-cache" });
  if (!res.ok) { setTimeout(() => show(row), 2000); return; }
  const m = await res.json();
  const base = new URL(m.published.base, new URL(url, location.href));
  const files = row.querySelector(".files");
  files.className = "files";
  files.textContent = "";
  for (const f of m.files) {
    const a = document.createElement("a");
    a.href = new URL(f.name, base).pathname;
    a.textContent = f.name;
    files.append(" ", a);
  }
  const last = m.levels[m.levels.length - 1];
  row.querySelector(".coarse").textContent = kib(last.progressivePrefix) + " of " + kib(m.progressive.bytes) +
    " (" + last.triangles + " triangles)";
}
document.querySelectorAll("tr[data-id]").forEach(show);
</script>
</body>
</html>
`))
