package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation"
)

// Strata is what the templates must agree with in Strata's own code. The tests fill it from server.DefaultConfig
// and from cmd/strata's flag definitions, so a change on either side that breaks the other fails a check.
type Strata struct {
	// DrainDelay and ShutdownTimeout are `strata serve`'s defaults; the deployment's drain is what its user data
	// sets, or these when it sets nothing.
	DrainDelay      time.Duration
	ShutdownTimeout time.Duration
	// IdleTimeout is the default keep-alive idle timeout; the ALB must give up on an idle connection first.
	IdleTimeout time.Duration
	// SMaxAge is the CDN TTL Strata sends for mutable keys (manifests); CloudFront's manifest policy must honour it.
	SMaxAge time.Duration
	// OriginSecretHeader is the default of --origin-secret-header.
	OriginSecretHeader string
	// ServeEnv holds the STRATA_* variables `strata serve` reads; nil skips that check.
	ServeEnv map[string]bool
}

// Set is everything the checks look at: the templates of deploy/cloudformation, the instance refresh
// preferences of deploy/instance-refresh.json, and the facts about Strata.
type Set struct {
	Templates []*Template
	// Refresh is the JSON of deploy/instance-refresh.json (StartInstanceRefresh preferences), nil when absent.
	Refresh map[string]any
	Strata  Strata
}

// Load reads root/cloudformation/*.yaml and root/instance-refresh.json.
func Load(root string, facts Strata) (*Set, error) {
	ts, err := LoadDir(filepath.Join(root, "cloudformation"))
	if err != nil {
		return nil, err
	}
	s := &Set{Templates: ts, Strata: facts}
	data, err := os.ReadFile(filepath.Join(root, "instance-refresh.json"))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(data, &s.Refresh); err != nil {
			return nil, fmt.Errorf("instance-refresh.json: %w", err)
		}
	}
	return s, nil
}

// Template returns the template of that name, or nil.
func (s *Set) Template(name string) *Template {
	for _, t := range s.Templates {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Finding is one broken promise.
type Finding struct {
	Check    string // Check.ID
	File     string // template file, or the other file the finding is about
	Resource string // logical ID, empty when the finding is about the whole file or set
	Message  string
}

func (f Finding) String() string {
	where := f.File
	if f.Resource != "" {
		where += " " + f.Resource
	}
	if where == "" {
		where = "templates"
	}
	return fmt.Sprintf("%s: %s [%s]", where, f.Message, f.Check)
}

// Check is one promise of the architecture and the code that verifies it.
type Check struct {
	ID      string
	Promise string
	Run     func(s *Set, r *Report)
}

// Report collects the findings of one check.
type Report struct {
	check    string
	Findings []Finding
}

// Add records a finding about resource id (may be empty) of template t (may be nil).
func (r *Report) Add(t *Template, id, format string, args ...any) {
	f := Finding{Check: r.check, Resource: id, Message: fmt.Sprintf(format, args...)}
	if t != nil {
		f.File = t.File()
	}
	r.Findings = append(r.Findings, f)
}

// AddFile records a finding about a file that is not a template (deploy/instance-refresh.json).
func (r *Report) AddFile(file, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{Check: r.check, File: file, Message: fmt.Sprintf(format, args...)})
}

// Exec runs the check over s and returns what it found.
func (c Check) Exec(s *Set) []Finding {
	r := &Report{check: c.ID}
	c.Run(s, r)
	return r.Findings
}

// Checks returns every check, in a stable order.
func Checks() []Check {
	var all []Check
	for _, group := range [][]Check{
		structureChecks, networkChecks, computeChecks, assetChecks, cdnChecks, dnsChecks, dataChecks,
		lambdaChecks, monitoringChecks, iamChecks,
	} {
		all = append(all, group...)
	}
	return all
}

// Lint runs every check.
func Lint(s *Set) []Finding {
	var out []Finding
	for _, c := range Checks() {
		out = append(out, c.Exec(s)...)
	}
	return out
}

// item is one resource of a concrete goformation type.
type item[T any] struct {
	T  *Template
	ID string
	R  T
}

// resources lists every resource of type T across the set, ordered by template and logical ID.
func resources[T cloudformation.Resource](s *Set) []item[T] {
	var out []item[T]
	for _, t := range s.Templates {
		out = append(out, resourcesIn[T](t)...)
	}
	return out
}

func resourcesIn[T cloudformation.Resource](t *Template) []item[T] {
	var out []item[T]
	for _, id := range sortedKeys(t.Resources) {
		if r, ok := t.Resources[id].(T); ok {
			out = append(out, item[T]{T: t, ID: id, R: r})
		}
	}
	return out
}

// typeOf returns the CloudFormation type of a resource, or "".
func (t *Template) typeOf(id string) string {
	if r, ok := t.Resources[id]; ok {
		return r.AWSCloudFormationType()
	}
	return ""
}

// Trace follows v to the resource it stands for: a Ref or Fn::GetAtt to a resource of t, or a Ref to a
// parameter of t that another template of the set provides as an output of the same name (the stacks are
// wired output-to-parameter by name; see docs/deploy.md).
func (s *Set) Trace(t *Template, v any) (*Template, string, bool) {
	return s.trace(t, v, len(s.Templates))
}

func (s *Set) trace(t *Template, v any, hops int) (*Template, string, bool) {
	if r, _, ok := GetAttTarget(v); ok {
		if _, exists := t.Resources[r]; exists {
			return t, r, true
		}
		return nil, "", false
	}
	name, ok := RefTarget(v)
	if !ok {
		return nil, "", false
	}
	if _, exists := t.Resources[name]; exists {
		return t, name, true
	}
	if _, isParam := t.Parameters[name]; !isParam || hops == 0 {
		return nil, "", false
	}
	for _, other := range s.Templates {
		if other == t {
			continue
		}
		out, ok := other.Outputs[name]
		if !ok {
			continue
		}
		if src, id, ok := s.trace(other, out.Value, hops-1); ok {
			return src, id, true
		}
	}
	return nil, "", false
}

// refersTo reports whether v refers (by Ref, Fn::GetAtt or Fn::Sub) to name.
func refersTo(v any, name string) bool {
	for _, r := range References(v) {
		if r.Name == name {
			return true
		}
	}
	return false
}

// canon renders a value (literal or intrinsic) as canonical text, to compare expressions such as two
// subnets' AvailabilityZone.
func canon(v any) string {
	switch x := v.(type) {
	case *string:
		if x == nil {
			return ""
		}
		v = *x
	}
	b, _ := json.Marshal(Decode(v))
	return string(b)
}

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

// texts returns the literal strings and Fn::Sub texts a value can evaluate to, following both branches of
// Fn::If (and skipping its condition name).
func texts(v any) []string {
	if f, ok := AsFn(v); ok {
		switch f.Name {
		case "Fn::If":
			if a, ok := f.Arg.([]any); ok && len(a) == 3 {
				return append(texts(a[1]), texts(a[2])...)
			}
			return nil
		case "Fn::Sub":
			if text, _, ok := subParts(f.Arg); ok {
				return []string{text}
			}
			return nil
		}
		return nil
	}
	switch x := v.(type) {
	case string:
		return []string{x}
	case *string:
		if x != nil {
			return []string{*x}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
