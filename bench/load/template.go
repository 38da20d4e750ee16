package load

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A template is a path, header value or body with placeholders, split once
// at parse time so that expanding it per request is appends only.
//
//	{key}       the session's key            {n}     the key's index
//	{session}   the session's number         {run}   a random id of the run
//	{uuid}      a random UUID per session    {var:NAME} a value captured earlier
//
// A brace that does not open one of these (a JSON body's "{") is literal;
// a placeholder-looking word that is not known ("{kye}") is an error.
type template struct {
	parts []part
}

type part struct {
	lit  string
	kind placeholder
	name string // of a var
}

type placeholder uint8

const (
	literal placeholder = iota
	phKey
	phN
	phSession
	phRun
	phUUID
	phVar
)

type headerTemplate struct {
	name  string
	value *template
}

// compileTemplate splits text. vars holds the names captured by earlier
// steps; haveKeys whether the scenario has keys for {key} and {n}.
func compileTemplate(text string, vars map[string]bool, haveKeys bool) (*template, error) {
	t := &template{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); {
		if text[i] != '{' {
			lit.WriteByte(text[i])
			i++
			continue
		}
		end := strings.IndexByte(text[i:], '}')
		word := ""
		if end > 0 {
			word = text[i+1 : i+end]
		}
		if !isPlaceholderWord(word) {
			lit.WriteByte('{')
			i++
			continue
		}
		p := part{}
		switch {
		case word == "key":
			p.kind = phKey
		case word == "n":
			p.kind = phN
		case word == "session":
			p.kind = phSession
		case word == "run":
			p.kind = phRun
		case word == "uuid":
			p.kind = phUUID
		case strings.HasPrefix(word, "var:"):
			p.kind, p.name = phVar, word[len("var:"):]
			if !vars[p.name] {
				return nil, fmt.Errorf("{%s}: no earlier step captures %q", word, p.name)
			}
		default:
			return nil, fmt.Errorf("unknown placeholder {%s} (known: {key} {n} {session} {run} {uuid} {var:NAME})", word)
		}
		if (p.kind == phKey || p.kind == phN) && !haveKeys {
			return nil, fmt.Errorf("{%s} needs the scenario's keys", word)
		}
		flush()
		t.parts = append(t.parts, p)
		i += end + 1
	}
	flush()
	return t, nil
}

// isPlaceholderWord reports whether w looks like a placeholder: a lower-case
// word, optionally "var:" and a name. Anything else between braces is text.
func isPlaceholderWord(w string) bool {
	if w == "" || len(w) > 40 {
		return false
	}
	name, rest, isVar := strings.Cut(w, ":")
	for _, c := range name {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	if !isVar {
		return true
	}
	return name == "var" && varNameRe.MatchString(rest)
}

// hasControl reports whether the literal text holds a space or a control
// character, which a request line cannot carry.
func (t *template) hasControl() bool {
	for _, p := range t.parts {
		if strings.IndexFunc(p.lit, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
			return true
		}
	}
	return false
}

// errNoVar is returned when a captured value is missing at run time (the
// capture's step failed to find it).
var errNoVar = errors.New("captured value missing")

// appendTo expands t for session s onto dst.
func (t *template) appendTo(dst []byte, s *session) ([]byte, error) {
	for _, p := range t.parts {
		switch p.kind {
		case literal:
			dst = append(dst, p.lit...)
		case phKey:
			dst = append(dst, s.key...)
		case phN:
			dst = strconv.AppendInt(dst, s.keyIndex, 10)
		case phSession:
			dst = strconv.AppendInt(dst, s.index, 10)
		case phRun:
			dst = append(dst, s.run...)
		case phUUID:
			dst = append(dst, s.uuid()...)
		case phVar:
			v, ok := s.vars[p.name]
			if !ok {
				return dst, fmt.Errorf("%w: %s", errNoVar, p.name)
			}
			dst = append(dst, v...)
		}
	}
	return dst, nil
}

// empty reports whether t expands to nothing.
func (t *template) empty() bool { return t == nil || len(t.parts) == 0 }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
