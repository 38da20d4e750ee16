package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/strata3d/strata/storefront"
)

// maxBody bounds a JSON body read by the API itself; the origin bounds it
// too (--max-body-bytes), this protects other mounts and tests.
const maxBody = 1 << 20

func malformed(format string, args ...any) error {
	return &storefront.Error{Code: storefront.CodeMalformed, Message: fmt.Sprintf(format, args...)}
}

// decode reads a JSON object body into v, refusing unknown fields, trailing
// data and other content types. Its messages are written here, not taken
// from encoding/json, so no internal text reaches the client.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return malformed("The body must be application/json.")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return malformed("The body is larger than %d bytes.", maxBody)
		}
		return malformed("The body could not be read.")
	}
	return decodeBytes(body, v)
}

func decodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return malformed("A JSON body is required.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return malformed("The body is not valid JSON (at byte %d).", syn.Offset)
		case errors.As(err, &typ):
			if typ.Field != "" {
				return &storefront.Error{Code: storefront.CodeInvalid, Message: "The request has invalid fields.",
					Fields: []storefront.FieldError{{Field: typ.Field, Message: "must be a " + jsonType(typ.Type.Kind().String())}}}
			}
			return malformed("The body must be a JSON object.")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &storefront.Error{Code: storefront.CodeInvalid, Message: "The request has invalid fields.",
				Fields: []storefront.FieldError{{Field: clip(name, 64), Message: "is not a known field"}}}
		}
		return malformed("The body is not valid JSON.")
	}
	if dec.More() {
		return malformed("The body holds more than one JSON value.")
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "map", "struct":
		return "object"
	}
	return "number"
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
