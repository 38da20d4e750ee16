// Package web is the storefront shoppers see: one HTML shell for every page,
// the stylesheet, and the client bundle (the pages and Strata's progressive
// 3D viewer, built from web/src by esbuild), all embedded in the binary so
// the storefront needs nothing from another host at run time.
//
// The pages are a small client-side app over the JSON API (/api/v1) and the
// published models (/models/); this package only serves files. The trade-off:
// pages need JavaScript, in exchange for one code path for the viewer, the
// forms and their error messages, and a server side with nothing to render.
//
// The bundle is build output (make web). A binary built without it still
// compiles and serves the pages, which then say the script is missing, and
// answers the script's URL with a 503 problem that names the fix.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/strata3d/strata/server/httpsem"
)

//go:embed all:static
var embedded embed.FS

// BundlePath is where the client bundle lives inside the files, relative to
// static/. make web writes it there.
const BundlePath = "dist/app.js"

// Config configures the handler.
type Config struct {
	// Files holds the static/ tree (app.css, dist/app.js, …). Default: the
	// files embedded at build time.
	Files fs.FS
	// Now stamps Last-Modified of static files. Default: the time New runs,
	// which is when this binary's files became current.
	Now func() time.Time
}

// Handler serves the storefront's pages and static files.
type Handler struct {
	files map[string]*file
	shell []byte // the page for every route
	mod   time.Time
	built bool
}

// file is one static file, read and hashed once.
type file struct {
	name    string
	body    []byte
	gz      []byte // gzip variant, nil when it would not help
	etag    string
	version string // short hash for ?v= cache busting
	ctype   string
}

// Routes of the client app; anything else is answered 404 with the shell,
// which shows its not-found page. Kept in step with web/src/main.js.
var pageRoutes = []*regexp.Regexp{
	regexp.MustCompile(`^/$`),
	regexp.MustCompile(`^/products/[^/]+$`),
	regexp.MustCompile(`^/(cart|checkout|login|signup|orders)$`),
	regexp.MustCompile(`^/orders/[^/]+$`),
	regexp.MustCompile(`^/3d/[^/]+$`),
}

// New reads and indexes the files.
func New(cfg Config) (*Handler, error) {
	files := cfg.Files
	if files == nil {
		sub, err := fs.Sub(embedded, "static")
		if err != nil {
			return nil, err
		}
		files = sub
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	h := &Handler{files: map[string]*file{}, mod: now().UTC().Truncate(time.Second)}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		h.files[p] = newFile(p, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read static files: %w", err)
	}
	if h.files["app.css"] == nil {
		return nil, errors.New("web: static/app.css is missing")
	}
	_, h.built = h.files[BundlePath]
	if h.shell, err = h.render(); err != nil {
		return nil, err
	}
	return h, nil
}

// Built reports whether the client bundle is present.
func (h *Handler) Built() bool { return h.built }

func newFile(name string, body []byte) *file {
	sum := sha256.Sum256(body)
	f := &file{name: name, body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, version: hex.EncodeToString(sum[:6]), ctype: contentType(name)}
	if compressible(name) && len(body) > 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if buf.Len() < len(body)*9/10 {
			f.gz = buf.Bytes()
		}
	}
	return f
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".map", ".json":
		return "application/json"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

func compressible(name string) bool {
	switch path.Ext(name) {
	case ".js", ".css", ".svg", ".map", ".json", ".txt":
		return true
	}
	return false
}

// The content security policy keeps every script, style and font on this
// origin; blob: is how GLTFLoader hands decoded textures to the GPU.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; " +
	"connect-src 'self' blob: data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'"

var shellTemplate = template.Must(template.New("shell").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strata Home</title>
<meta name="description" content="Furniture and lighting you can turn in 3D.">
<link rel="icon" href="{{.Icon}}" type="image/svg+xml">
<link rel="stylesheet" href="{{.CSS}}">
{{if .JS}}<script type="module" src="{{.JS}}"></script>{{end}}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<a class="brand" href="/"><img src="{{.Icon}}" alt="" width="28" height="28">Strata Home</a>
<nav id="site-nav" aria-label="Main"></nav>
</header>
<main id="main" tabindex="-1">
{{- if not .JS}}
<div class="notice" role="alert"><h1>The storefront script is missing</h1>
<p>This binary was built without web/static/dist/app.js. Run <code>make web</code> (or <code>make build</code>) and rebuild.</p></div>
{{- else}}
<p class="muted">Loading…</p>
<noscript><p class="notice">The storefront needs JavaScript to show products, the 3D viewer and your cart.</p></noscript>
{{- end}}
</main>
<footer class="site">Strata Home · 3D product previews streamed by level of detail</footer>
</body>
</html>
`))

func (h *Handler) render() ([]byte, error) {
	data := struct{ CSS, JS, Icon string }{
		CSS:  h.staticURL("app.css"),
		Icon: h.staticURL("favicon.svg"),
	}
	if h.built {
		data.JS = h.staticURL(BundlePath)
	}
	var b bytes.Buffer
	if err := shellTemplate.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("web: render shell: %w", err)
	}
	return b.Bytes(), nil
}

// staticURL names a file with its version, so it can be cached for good.
func (h *Handler) staticURL(name string) string {
	if f := h.files[name]; f != nil {
		return "/static/" + name + "?v=" + f.version
	}
	return "/static/" + name
}

// ServeHTTP answers GET and HEAD for pages and /static/ files.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		problem(w, http.StatusMethodNotAllowed, "Method not allowed", "Pages are read with GET or HEAD.")
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if name, ok := strings.CutPrefix(r.URL.Path, "/static/"); ok {
		h.serveStatic(w, r, name)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		// Only reached when the server runs without the storefront API: a
		// JSON client must get a problem, not a page.
		problem(w, http.StatusNotFound, "Not found", "This server does not run the storefront API.")
		return
	}
	status := http.StatusNotFound
	for _, re := range pageRoutes {
		if re.MatchString(r.URL.Path) {
			status = http.StatusOK
			break
		}
	}
	// Unknown paths get the same document with a 404: the client shows its
	// not-found page, and crawlers and caches see the status.
	body := h.shell
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Security-Policy", csp)
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request, name string) {
	f := h.files[name]
	if f == nil || !fs.ValidPath(name) {
		if name == BundlePath {
			// The pages can't work without it; say why and how to fix it.
			w.Header().Set("Retry-After", "3600")
			problem(w, http.StatusServiceUnavailable, "Storefront script not built",
				"This binary was built without web/static/dist/app.js. Run `make web` (or `make build`) and rebuild.")
			return
		}
		problem(w, http.StatusNotFound, "Not found", "There is no such file.")
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	if v := r.URL.Query().Get("v"); v != "" && v == f.version {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	body, etag := f.body, f.etag
	if f.gz != nil {
		hd.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) && r.Header.Get("Range") == "" {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", h.mod, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip (q > 0).
func acceptsGzip(v string) bool {
	for part := range strings.SplitSeq(v, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// problem writes an RFC 9457 problem document.
func problem(w http.ResponseWriter, status int, title, detail string) {
	body := httpsem.Problem{Title: title, Status: status, Detail: detail}.JSON()
	hd := w.Header()
	hd.Set("Content-Type", httpsem.ProblemType)
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
