package load

import (
	"net/http"
	"strings"
	"time"
)

// jar is one session's cookies. A session talks to one origin, so the jar
// keeps every cookie the server sets and sends all of them back, without
// checking Domain, Path or Secure: a storefront's __Host-session cookie is
// Secure, and a benchmark over plain HTTP on loopback must still send it,
// as a browser does for http://localhost.
type jar struct {
	names  []string
	values []string
}

// set applies one Set-Cookie header value; expired or Max-Age ≤ 0 cookies
// are removed.
func (j *jar) set(line string, now time.Time) {
	c, err := http.ParseSetCookie(line)
	if err != nil {
		return // a browser ignores a cookie it cannot parse too
	}
	remove := c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(now))
	for i, n := range j.names {
		if n == c.Name {
			if remove {
				j.names = append(j.names[:i], j.names[i+1:]...)
				j.values = append(j.values[:i], j.values[i+1:]...)
			} else {
				j.values[i] = c.Value
			}
			return
		}
	}
	if !remove {
		j.names = append(j.names, c.Name)
		j.values = append(j.values, c.Value)
	}
}

// header is the Cookie request header, or "" when the jar is empty.
func (j *jar) header() string {
	if len(j.names) == 0 {
		return ""
	}
	var b strings.Builder
	for i, n := range j.names {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(j.values[i])
	}
	return b.String()
}
