package httpsem

import "encoding/json"

// ProblemType is the media type of a problem document.
const ProblemType = "application/problem+json"

// Problem is an RFC 9457 problem document as Strata's HTTP surfaces send it:
// the standard members plus a machine-readable code.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code,omitempty"`
	Detail string `json:"detail"`
}

// JSON renders p; an empty Type is "about:blank" (the status says it all).
func (p Problem) JSON() []byte {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	b, _ := json.Marshal(p) // strings and an int: cannot fail
	return b
}
