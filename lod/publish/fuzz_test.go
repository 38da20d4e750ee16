package publish_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/strata3d/strata/lod/publish"
)

// FuzzReadUpload: whatever the body and Content-Type, ReadUpload returns an
// *Error or an upload whose files all have clean relative paths, within the
// byte and file limits; it never panics.
func FuzzReadUpload(f *testing.F) {
	f.Add("model/gltf-binary", []byte("glTF\x02\x00\x00\x00"))
	f.Add("multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a/s.gltf\"\r\n\r\n{}\r\n--b--\r\n"))
	const maxBytes, maxFiles = 4096, 4
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		up, err := publish.ReadUpload(contentType, "model.glb", bytes.NewReader(body), maxBytes, maxFiles)
		if err != nil {
			var pe *publish.Error
			if !errors.As(err, &pe) || pe.Status < 400 || pe.Status > 499 || pe.Detail == "" {
				t.Fatalf("error %v is not a 4xx *publish.Error", err)
			}
			return
		}
		if len(up.Data) == 0 || up.Name == "" {
			t.Fatalf("upload without a document: %+v", up)
		}
		if up.Size() > maxBytes || len(up.Files) >= maxFiles {
			t.Fatalf("upload of %d bytes and %d files passed limits of %d and %d", up.Size(), len(up.Files), maxBytes, maxFiles)
		}
		for name := range up.Files {
			if err := publish.CleanPath(name); err != nil {
				t.Fatalf("file %q: %v", name, err)
			}
		}
	})
}
