package publish

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"path"
	"strings"
)

// Upload is one model as a publisher receives it.
type Upload struct {
	// Name is the document's file name, e.g. "chair.glb" or "scene.gltf";
	// it labels the model in the manifest (source.name).
	Name string
	// Data is a GLB, or the JSON text of a .gltf.
	Data []byte
	// Files holds the resources a .gltf loads by relative URI, keyed by
	// their clean relative path ("scene.bin", "textures/wood.png").
	Files map[string][]byte
}

// Size is the number of bytes of the upload, document and files.
func (u Upload) Size() int64 {
	n := int64(len(u.Data))
	for _, f := range u.Files {
		n += int64(len(f))
	}
	return n
}

// Media types of uploads.
const (
	typeGLB       = "model/gltf-binary"
	typeGLTF      = "model/gltf+json"
	typeMultipart = "multipart/form-data"
)

// AcceptedTypes lists the upload media types ReadUpload takes, for an
// Accept-Post header.
const AcceptedTypes = typeGLB + ", " + typeGLTF + ", " + typeMultipart

// maxPathLen bounds a file name inside a multipart upload.
const maxPathLen = 512

// ReadUpload reads an upload body whose media type is contentType:
//
//   - model/gltf-binary (or application/octet-stream): one GLB;
//   - model/gltf+json (or application/json): a .gltf whose resources are
//     data: URIs;
//   - multipart/form-data: a .gltf (or .glb) and the files it loads, each a
//     part whose Content-Disposition filename is its path relative to the
//     document ("scene.bin", "textures/wood.png"); parts without a filename
//     are ignored.
//
// name is the document's file name for the first two forms. It reads at
// most maxBytes (more is a 413) and at most maxFiles parts. Every error is
// an *Error with a message for the uploader.
func ReadUpload(contentType, name string, body io.Reader, maxBytes int64, maxFiles int) (Upload, error) {
	if strings.TrimSpace(contentType) == "" {
		return Upload{}, unsupportedType("the upload has no Content-Type; send " + AcceptedTypes)
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Upload{}, unsupportedType(fmt.Sprintf("the Content-Type %q cannot be parsed; send %s", contentType, AcceptedTypes))
	}
	switch mt {
	case typeGLB, "application/octet-stream":
		data, err := readAll(body, maxBytes)
		if err != nil {
			return Upload{}, err
		}
		if !isGLB(data) {
			return Upload{}, badUpload("the body is not a GLB file: it does not start with the glTF magic (send .gltf JSON as " + typeGLTF + ")")
		}
		return Upload{Name: name, Data: data}, nil
	case typeGLTF, "application/json":
		data, err := readAll(body, maxBytes)
		if err != nil {
			return Upload{}, err
		}
		if isGLB(data) {
			return Upload{}, badUpload("the body is a GLB file, but its Content-Type says .gltf JSON; send it as " + typeGLB)
		}
		return Upload{Name: name, Data: data}, nil
	case typeMultipart:
		boundary := params["boundary"]
		if boundary == "" {
			return Upload{}, unsupportedType("multipart/form-data without a boundary parameter")
		}
		return readMultipart(boundary, body, maxBytes, maxFiles)
	}
	return Upload{}, unsupportedType(fmt.Sprintf("uploads of type %q are not accepted; send %s", mt, AcceptedTypes))
}

func isGLB(b []byte) bool { return len(b) >= 4 && string(b[:4]) == "glTF" }

// readAll reads body up to maxBytes; one byte more is a 413.
func readAll(body io.Reader, maxBytes int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(body, maxBytes+1))
	if err != nil {
		return nil, badUpload(fmt.Sprintf("reading the body failed: %v", err))
	}
	if int64(len(data)) > maxBytes {
		return nil, tooLarge(fmt.Sprintf("the upload is larger than the %d bytes allowed", maxBytes))
	}
	if len(data) == 0 {
		return nil, badUpload("the body is empty")
	}
	return data, nil
}

func readMultipart(boundary string, body io.Reader, maxBytes int64, maxFiles int) (Upload, error) {
	// Count everything read, part headers included, against maxBytes.
	lr := &io.LimitedReader{R: body, N: maxBytes + 1}
	mr := multipart.NewReader(lr, boundary)
	files := map[string][]byte{}
	var docs []string
	parts := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if lr.N <= 0 {
				return Upload{}, tooLarge(fmt.Sprintf("the upload is larger than the %d bytes allowed", maxBytes))
			}
			return Upload{}, badUpload(fmt.Sprintf("the multipart body is malformed: %v", err))
		}
		parts++
		if parts > maxFiles {
			return Upload{}, tooLarge(fmt.Sprintf("the upload has more than %d parts", maxFiles))
		}
		name, err := partPath(part)
		if err != nil {
			return Upload{}, err
		}
		var buf bytes.Buffer
		_, err = io.Copy(&buf, part)
		if lr.N <= 0 {
			return Upload{}, tooLarge(fmt.Sprintf("the upload is larger than the %d bytes allowed", maxBytes))
		}
		if err != nil {
			return Upload{}, badUpload(fmt.Sprintf("the multipart body is malformed in part %q: %v", name, err))
		}
		if name == "" {
			continue // a plain form field
		}
		if _, dup := files[name]; dup {
			return Upload{}, badUpload(fmt.Sprintf("the file %q is in the upload twice", name))
		}
		files[name] = buf.Bytes()
		if ext := strings.ToLower(path.Ext(name)); ext == ".gltf" || ext == ".glb" {
			docs = append(docs, name)
		}
	}
	switch len(docs) {
	case 0:
		return Upload{}, badUpload("the multipart upload holds no .gltf or .glb file")
	case 1:
	default:
		return Upload{}, badUpload(fmt.Sprintf("the multipart upload holds %d documents (%s); send one model at a time", len(docs), strings.Join(docs, ", ")))
	}
	doc := docs[0]
	up := Upload{Name: path.Base(doc), Data: files[doc]}
	delete(files, doc)
	if len(up.Data) == 0 {
		return Upload{}, badUpload(fmt.Sprintf("the document %q is empty", doc))
	}
	// Resources are found relative to the document, as a browser would.
	dir := path.Dir(doc)
	up.Files = make(map[string][]byte, len(files))
	for name, data := range files {
		rel := name
		if dir != "." {
			var ok bool
			if rel, ok = strings.CutPrefix(name, dir+"/"); !ok {
				return Upload{}, badUpload(fmt.Sprintf("the file %q is outside the document's directory %q", name, dir))
			}
		}
		up.Files[rel] = data
	}
	return up, nil
}

// partPath returns the relative path a part names in the filename parameter
// of its Content-Disposition, exactly as sent (multipart.Part.FileName keeps
// only the last element, which would flatten textures/wood.png), or "" for
// a part without one.
func partPath(part *multipart.Part) (string, error) {
	cd := part.Header.Get("Content-Disposition")
	if cd == "" {
		return "", badUpload("a multipart part has no Content-Disposition")
	}
	_, params, err := mime.ParseMediaType(cd)
	if err != nil {
		return "", badUpload(fmt.Sprintf("a multipart part has a malformed Content-Disposition: %v", err))
	}
	name, ok := params["filename"]
	if !ok {
		return "", nil
	}
	if err := CleanPath(name); err != nil {
		return "", badUpload(fmt.Sprintf("the file name %q: %v", name, err))
	}
	return name, nil
}

// CleanPath checks a relative file path of an upload: slash-separated,
// at most 512 bytes, no empty, "." or ".." segment, no leading slash,
// backslash, colon or control byte. Such paths are safe to use under a key
// prefix and are what a .gltf's relative URIs resolve to.
func CleanPath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	if len(p) > maxPathLen {
		return fmt.Errorf("longer than %d bytes", maxPathLen)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' || c == ':' {
			return errors.New("holds a backslash, colon or control byte")
		}
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return errors.New("has an empty segment (leading, trailing or doubled slash)")
		case ".", "..":
			return errors.New(`has a "." or ".." segment`)
		}
	}
	return nil
}
