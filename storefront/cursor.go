package storefront

import (
	"encoding/base64"
	"encoding/json"
)

// EncodeCursor turns a store's position in a listing (a small JSON-encodable
// struct) into the opaque cursor of the next page.
func EncodeCursor(position any) string {
	b, _ := json.Marshal(position)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into position and reports
// whether it was one; the store still checks that it belongs to the listing.
func DecodeCursor(cursor string, position any) bool {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	return err == nil && json.Unmarshal(b, position) == nil
}

// BadCursor is every store's answer to a cursor that is not one of the
// listing's own.
func BadCursor() error {
	return &Error{Code: CodeInvalid, Message: "The request has invalid fields.",
		Fields: []FieldError{{Field: "cursor", Message: "is not a cursor of this listing"}}}
}
