package deploy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
)

// UserData is an instance's boot script split into the files it writes with heredocs and the commands it runs.
type UserData struct {
	// Files maps each path written with `cat > PATH <<'MARK'` to its content. Values are as written in the
	// template: ${Param} placeholders of its Fn::Sub are kept (Template.SubText fills in what it can).
	Files map[string]string
	// Commands are the script's lines outside heredocs, trimmed, continuations joined, without blank lines and
	// comments.
	Commands []string
}

var heredocStart = regexp.MustCompile(`^cat\s+>\s*(\S+)\s+<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)(['"]?)$`)

// ParseUserData splits a shell script. Only quoted heredocs are accepted: the shell must not expand anything in
// the files, because what the template shows is then exactly what the instance gets.
func ParseUserData(script string) (*UserData, error) {
	u := &UserData{Files: map[string]string{}}
	lines := strings.Split(script, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		m := heredocStart.FindStringSubmatch(line)
		if m == nil {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			// A trailing backslash continues the command on the next line.
			for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
				i++
				line = strings.TrimSpace(strings.TrimSuffix(line, "\\")) + " " + strings.TrimSpace(lines[i])
			}
			u.Commands = append(u.Commands, line)
			continue
		}
		if m[2] == "" || m[2] != m[4] {
			return nil, fmt.Errorf("line %d: heredoc %s must be quoted (<<'%s') so the shell leaves its content alone", i+1, m[3], m[3])
		}
		path, mark := m[1], m[3]
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			if lines[i] == mark {
				closed = true
				break
			}
			body = append(body, lines[i])
		}
		if !closed {
			return nil, fmt.Errorf("heredoc for %s is not closed by %s", path, mark)
		}
		if _, dup := u.Files[path]; dup {
			return nil, fmt.Errorf("%s is written twice", path)
		}
		u.Files[path] = strings.Join(body, "\n") + "\n"
	}
	return u, nil
}

// launchUserData returns the Fn::Sub text of a launch template's user data (Fn::Base64 of a string or of a
// Fn::Sub), parsed.
func launchUserData(lt *ec2.LaunchTemplate) (*UserData, error) {
	if lt.LaunchTemplateData == nil || lt.LaunchTemplateData.UserData == nil {
		return nil, fmt.Errorf("no user data")
	}
	f, ok := AsFn(lt.LaunchTemplateData.UserData)
	if !ok || f.Name != "Fn::Base64" {
		return nil, fmt.Errorf("user data is not Fn::Base64")
	}
	text, ok := f.Arg.(string)
	if !ok {
		inner, ok := AsFn(f.Arg)
		if !ok || inner.Name != "Fn::Sub" {
			return nil, fmt.Errorf("user data is neither a string nor a Fn::Sub")
		}
		text, _, ok = subParts(inner.Arg)
		if !ok {
			return nil, fmt.Errorf("malformed Fn::Sub in user data")
		}
	}
	return ParseUserData(text)
}

// parseEnv reads KEY=VALUE lines (systemd EnvironmentFile syntax without quoting).
func parseEnv(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// parseUnit reads a systemd unit into "Section.Key" → values (keys may repeat).
func parseUnit(text string) map[string][]string {
	out := map[string][]string{}
	section := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
		default:
			if k, v, ok := strings.Cut(line, "="); ok {
				key := section + "." + strings.TrimSpace(k)
				out[key] = append(out[key], strings.TrimSpace(v))
			}
		}
	}
	return out
}

// systemdSeconds parses a systemd time span ("65", "65s", "1min 5s", "2m").
func systemdSeconds(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	var total time.Duration
	for _, part := range strings.Fields(s) {
		i := strings.IndexFunc(part, func(r rune) bool { return r < '0' || r > '9' })
		if i <= 0 {
			return 0, fmt.Errorf("bad time span %q", s)
		}
		n, _ := strconv.Atoi(part[:i])
		unit := map[string]time.Duration{"s": time.Second, "sec": time.Second, "m": time.Minute, "min": time.Minute, "h": time.Hour}[part[i:]]
		if unit == 0 {
			return 0, fmt.Errorf("bad time span %q", s)
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}

// strataService finds the systemd unit that runs `strata serve` and the environment files it reads that the
// script writes.
func (u *UserData) strataService() (path string, unit map[string][]string, env map[string]string, ok bool) {
	for _, p := range sortedKeys(u.Files) {
		if !strings.HasSuffix(p, ".service") {
			continue
		}
		un := parseUnit(u.Files[p])
		for _, exec := range un["Service.ExecStart"] {
			f := strings.Fields(exec)
			if len(f) >= 2 && strings.HasSuffix(f[0], "/strata") && f[1] == "serve" {
				env := map[string]string{}
				for _, ef := range un["Service.EnvironmentFile"] {
					for k, v := range parseEnv(u.Files[strings.TrimPrefix(ef, "-")]) {
						env[k] = v
					}
				}
				return p, un, env, true
			}
		}
	}
	return "", nil, nil, false
}
