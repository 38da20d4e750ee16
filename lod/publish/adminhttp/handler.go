// Package adminhttp is the publishing API over net/http: uploads under
// /admin/models/{id} and job status under /admin/jobs/{job}, behind a bearer
// token. The origin mounts it at /admin/ (server.Deps.Admin); it holds no
// publishing logic of its own, only the mapping between HTTP and
// lod/publish, so the Lambda handler and the demo seeding run the same code.
package adminhttp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/strata3d/strata/lod/publish"
	"github.com/strata3d/strata/server/httpsem"
)

// MinTokenLen is the shortest admin token accepted: 128 bits as hex.
const MinTokenLen = 32

// MaxWait bounds the ?wait= of a job request.
const MaxWait = 60 * time.Second

// Config configures the handler.
type Config struct {
	// Token is the bearer token every request must carry
	// (Authorization: Bearer TOKEN). At least MinTokenLen bytes. Required.
	Token string
	// MaxUploadBytes bounds an upload's body; more is answered 413. The
	// origin bounds bodies under /admin/ too (--max-upload-bytes).
	// Default: the baker's MaxInputBytes.
	MaxUploadBytes int64
}

// Handler serves the publishing API.
type Handler struct {
	pub       *publish.Publisher
	tokenHash [sha256.Size]byte
	maxBytes  int64
	log       *slog.Logger
}

// New builds the handler. A nil logger discards logs.
func New(pub *publish.Publisher, cfg Config, log *slog.Logger) (*Handler, error) {
	if pub == nil {
		return nil, errors.New("adminhttp: a publisher is required")
	}
	if len(cfg.Token) < MinTokenLen {
		return nil, fmt.Errorf("adminhttp: the admin token must be at least %d bytes", MinTokenLen)
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = pub.Config().Bake.MaxInputBytes
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{pub: pub, tokenHash: sha256.Sum256([]byte(cfg.Token)), maxBytes: cfg.MaxUploadBytes, log: log}, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="strata-admin"`)
		h.problem(w, http.StatusUnauthorized, "unauthorized", "Unauthorized", "a valid bearer token is required (Authorization: Bearer TOKEN)")
		return
	}
	// The escaped path keeps %2F apart from '/', so an id cannot smuggle
	// a slash in.
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	switch {
	case len(segs) == 3 && segs[0] == "admin" && segs[1] == "models":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			h.problem(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed", "models accept POST (an upload)")
			return
		}
		id, err := url.PathUnescape(segs[2])
		if err != nil {
			h.fail(w, r, publish.ValidID("%"))
			return
		}
		h.upload(w, r, id)
	case len(segs) == 3 && segs[0] == "admin" && segs[1] == "jobs":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			h.problem(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed", "jobs accept GET and HEAD")
			return
		}
		h.job(w, r, segs[2])
	default:
		h.problem(w, http.StatusNotFound, "not_found", "Not found", "no such admin route; see POST /admin/models/{id} and GET /admin/jobs/{job}")
	}
}

// authorized compares the bearer token in constant time. Both sides are
// hashed first, so neither the comparison nor its length check tells
// anything about the token.
func (h *Handler) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], h.tokenHash[:]) == 1
}

func (h *Handler) upload(w http.ResponseWriter, r *http.Request, id string) {
	if err := publish.ValidID(id); err != nil {
		h.fail(w, r, err)
		return
	}
	up, err := publish.ReadUpload(r.Header.Get("Content-Type"), uploadName(r, id), r.Body, h.maxBytes, h.pub.Config().MaxFiles)
	if err != nil {
		if errors.As(err, new(*publish.Error)) && publish.AsError(err).Status == http.StatusUnsupportedMediaType {
			w.Header().Set("Accept-Post", publish.AcceptedTypes)
		}
		h.fail(w, r, err)
		return
	}
	job, err := h.pub.Submit(r.Context(), publish.Request{ID: id, Upload: up})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/admin/jobs/"+job.ID)
	h.json(w, http.StatusAccepted, job)
}

// uploadName is the document's file name: the filename of a
// Content-Disposition header when it is a plain name, else id.glb.
func uploadName(r *http.Request, id string) string {
	if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil {
		name := params["filename"]
		if name != "" && !strings.ContainsAny(name, `/\`) && publish.CleanPath(name) == nil {
			return name
		}
	}
	ext := ".glb"
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "model/gltf+json" || mt == "application/json" {
		ext = ".gltf"
	}
	return id + ext
}

func (h *Handler) job(w http.ResponseWriter, r *http.Request, id string) {
	var (
		job publish.Job
		err error
	)
	if raw := r.URL.Query().Get("wait"); raw != "" {
		d, perr := time.ParseDuration(raw)
		if perr != nil || d < 0 {
			h.problem(w, http.StatusBadRequest, "bad_request", "Bad request", "wait must be a duration such as 30s")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), min(d, MaxWait))
		job, err = h.pub.Wait(ctx, id)
		cancel()
	} else {
		job, err = h.pub.Job(r.Context(), id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.json(w, http.StatusOK, job)
}

func (h *Handler) json(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		h.problem(w, http.StatusInternalServerError, "internal", "Internal error", "the response could not be encoded")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// fail maps an error to its problem, once, here.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	pe := publish.AsError(err)
	if pe.Status >= 500 {
		h.log.Error("admin: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "5")
	} else {
		h.log.Info("admin: request refused", "method", r.Method, "path", r.URL.Path, "status", pe.Status, "err", err)
	}
	h.problem(w, pe.Status, codeOf(pe.Status), pe.Title, pe.Detail)
}

func codeOf(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusUnprocessableEntity:
		return "invalid_model"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "internal"
}

// problem writes an RFC 9457 problem document.
func (h *Handler) problem(w http.ResponseWriter, status int, code, title, detail string) {
	b := httpsem.Problem{Title: title, Status: status, Code: code, Detail: detail}.JSON()
	w.Header().Set("Content-Type", httpsem.ProblemType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
