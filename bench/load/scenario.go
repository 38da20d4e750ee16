package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// FileVersion is the scenario file format this package reads.
const FileVersion = 1

// Limits that keep a hostile or mistyped scenario file from asking for
// something absurd; each is far above what a benchmark on one machine needs.
const (
	maxFileBytes   = 1 << 20
	maxScenarios   = 256
	maxSteps       = 64
	maxConnections = 10_000
	maxRate        = 1_000_000 // sessions per second
	maxKeyCount    = 1 << 40
	maxKeyList     = 100_000
	maxRepeat      = 1_000_000
	maxPhase       = 24 * time.Hour
	maxThink       = time.Hour
	maxTimeout     = 10 * time.Minute
)

// File is a scenario file: a format version and the scenarios, run in the
// order listed.
type File struct {
	Version   int         `json:"version"`
	Scenarios []*Scenario `json:"scenarios"`
}

// Scenario is one kind of load: who visits (keys, mode, rate) and what each
// visit (a session) asks for (steps).
type Scenario struct {
	// Name identifies the scenario in reports and in --only: lower-case
	// letters, digits and dashes.
	Name string `json:"name"`
	// Description is a sentence for the report.
	Description string `json:"description,omitempty"`
	// Peer says which server pair the suite runs the scenario on: "static"
	// (files on disk; nginx serves the same directory), "s3" (Strata over
	// S3; nginx proxy_cache + slice over the same bucket) or "none" (no
	// peer can answer it, e.g. the storefront API). Default "static". The
	// generator itself ignores it.
	Peer string `json:"peer,omitempty"`
	// Requires is a path the suite GETs before the scenario; when it does
	// not answer 2xx the scenario is skipped with a note (e.g. the
	// storefront API on a build without it). Empty: always run.
	Requires string `json:"requires,omitempty"`

	// Mode is "open" (constant arrival rate) or "closed" (Connections
	// workers back to back).
	Mode string `json:"mode"`
	// Rate is sessions started per second in open mode.
	Rate float64 `json:"rate,omitempty"`
	// Connections is the number of workers, each with at most one request
	// in flight: the connections held open. In open mode it bounds the
	// sessions in progress (a session waiting for a worker is late, and its
	// lateness counts). Default 16.
	Connections int `json:"connections,omitempty"`
	// Duration is the measured time; Warmup runs before it, unrecorded.
	Duration Duration `json:"duration"`
	Warmup   Duration `json:"warmup,omitempty"`
	// Timeout bounds one request. Default 10s.
	Timeout Duration `json:"timeout,omitempty"`
	// ExpectedInterval is the closed-loop correction's expected time
	// between a worker's requests. Default: the warm-up's median service
	// time; with no warm-up and no value, closed mode is not corrected.
	ExpectedInterval Duration `json:"expected_interval,omitempty"`

	// Keys is what {key} stands for in the steps; each session draws one.
	Keys *Keys `json:"keys,omitempty"`
	// Steps run in order, once per session.
	Steps []*Step `json:"steps"`

	labels []string // one per recorded kind of request, see prepare
}

// Keys is the population a session's key is drawn from.
type Keys struct {
	// List names the keys; or Pattern with Count generates them,
	// replacing {n} with Start, Start+1, … Start+Count-1.
	List    []string `json:"list,omitempty"`
	Pattern string   `json:"pattern,omitempty"`
	Count   int64    `json:"count,omitempty"`
	Start   int64    `json:"start,omitempty"`
	// Order is "zipf" (default: key i is drawn with probability ∝
	// 1/(V+i)^S, the first keys the most popular), "uniform", or
	// "sequential" (session i gets key i mod the count, from the run's
	// KeyOffset: each key once per pass, what a cold-miss test needs).
	Order string `json:"order,omitempty"`
	// ZipfS (> 1, default 1.1) and ZipfV (≥ 1, default 1) shape the Zipf
	// distribution.
	ZipfS float64 `json:"zipf_s,omitempty"`
	ZipfV float64 `json:"zipf_v,omitempty"`
	// Seed fixes the draws: session i of every run gets the same key, for
	// Strata and for its peers. Default 1.
	Seed uint64 `json:"seed,omitempty"`
}

// Step is one request, a range walk or a viewer's manifest and level spans.
type Step struct {
	// Name labels the step's requests in per-step results.
	Name string `json:"name"`
	// Think is the pause before the step (a visitor reading the page).
	Think *Think `json:"think,omitempty"`
	// Method defaults to GET.
	Method string `json:"method,omitempty"`
	// Path is appended to the target's base URL; it may hold placeholders
	// ({key}, {n}, {session}, {run}, {uuid}, {var:NAME}).
	Path string `json:"path"`
	// Headers are sent with the request (values may hold placeholders).
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the request body (may hold placeholders).
	Body string `json:"body,omitempty"`
	// Expect lists acceptable statuses. Default: any 2xx, or 206 for a
	// range step.
	Expect []int `json:"expect,omitempty"`
	// Range makes the step ask for byte windows of the object.
	Range *Range `json:"range,omitempty"`
	// Capture saves values from the response for later steps.
	Capture []*Capture `json:"capture,omitempty"`
	// Progressive makes the step a viewer streaming a baked model: Path is
	// the manifest (docs/manifest.md); then the coarsest prefix of
	// progressive.glb and each finer level's range, one request each.
	Progressive *Progressive `json:"progressive,omitempty"`

	path, body *template
	headers    []headerTemplate
}

// Range describes the byte windows of a range step.
type Range struct {
	// Bytes is the window size.
	Bytes int64 `json:"bytes"`
	// ObjectBytes is the size of every object the step reads.
	ObjectBytes int64 `json:"object_bytes"`
	// Offset is "random" (a window anywhere, default) or "sequential"
	// (consecutive windows from the start).
	Offset string `json:"offset,omitempty"`
	// Requests is how many windows one session asks for. Default 1 for
	// random; for sequential 0 means up to the end of the object.
	Requests int `json:"requests,omitempty"`
}

// Think is a pause drawn uniformly from [Min, Max]. In JSON either a
// duration string ("2s") or {"min": "1s", "max": "3s"}.
type Think struct {
	Min, Max time.Duration
}

// Capture saves one value of a response as {var:Var}.
type Capture struct {
	Var string `json:"var"`
	// JSON is a dotted path into the JSON body: object keys, array
	// indexes, or * for an element drawn at random ("items.*.slug").
	JSON string `json:"json,omitempty"`
	// Header names a response header instead.
	Header string `json:"header,omitempty"`
}

// Progressive is a viewer's streaming of a baked model.
type Progressive struct {
	// Finest is the finest level the viewer refines to (0: all levels).
	Finest int `json:"finest,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("1.5s").
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (t *Think) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var d Duration
		if err := json.Unmarshal(b, &d); err != nil {
			return err
		}
		t.Min, t.Max = time.Duration(d), time.Duration(d)
		return nil
	}
	var r struct {
		Min Duration `json:"min"`
		Max Duration `json:"max"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("think: want \"2s\" or {\"min\": \"1s\", \"max\": \"3s\"}: %w", err)
	}
	t.Min, t.Max = time.Duration(r.Min), time.Duration(r.Max)
	return nil
}

func (t Think) MarshalJSON() ([]byte, error) {
	if t.Min == t.Max {
		return Duration(t.Min).MarshalJSON()
	}
	return json.Marshal(map[string]Duration{"min": Duration(t.Min), "max": Duration(t.Max)})
}

// ParseFile reads a scenario file, fills defaults and checks every scenario;
// the error lists every problem found, each naming its scenario and step.
func ParseFile(data []byte) (*File, error) {
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("load: scenario file of %d bytes is larger than %d", len(data), maxFileBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("load: scenario file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("load: scenario file: data after the top-level object")
	}
	if f.Version != FileVersion {
		return nil, fmt.Errorf("load: scenario file version %d, want %d", f.Version, FileVersion)
	}
	if len(f.Scenarios) == 0 || len(f.Scenarios) > maxScenarios {
		return nil, fmt.Errorf("load: scenario file has %d scenarios, want 1 to %d", len(f.Scenarios), maxScenarios)
	}
	var errs []error
	seen := map[string]bool{}
	for i, s := range f.Scenarios {
		if s == nil {
			errs = append(errs, fmt.Errorf("load: scenario %d is null", i))
			continue
		}
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("load: scenario %q listed twice", s.Name))
		}
		seen[s.Name] = true
		if err := s.Prepare(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &f, nil
}

// Lookup returns the scenario named name, or nil.
func (f *File) Lookup(name string) *Scenario {
	for _, s := range f.Scenarios {
		if s.Name == name {
			return s
		}
	}
	return nil
}

var (
	nameRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	varNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,31}$`)
	tokenRe   = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$") // RFC 9110 token
)

// Prepare fills s's defaults, checks it and compiles its templates. Run
// calls it; ParseFile already has.
func (s *Scenario) Prepare() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("load: scenario %q: "+format, append([]any{s.Name}, args...)...))
	}
	if !nameRe.MatchString(s.Name) {
		bad("name must be 1-64 lower-case letters, digits or dashes")
	}
	switch s.Peer {
	case "":
		s.Peer = PeerStatic
	case PeerStatic, PeerS3, PeerNone:
	default:
		bad("peer %q: want %q, %q or %q", s.Peer, PeerStatic, PeerS3, PeerNone)
	}
	if s.Requires != "" && !strings.HasPrefix(s.Requires, "/") {
		bad("requires %q must be a path starting with /", s.Requires)
	}
	if s.Connections == 0 {
		s.Connections = 16
	}
	if s.Connections < 1 || s.Connections > maxConnections {
		bad("connections %d must be 1 to %d", s.Connections, maxConnections)
	}
	switch s.Mode {
	case ModeOpen:
		if !(s.Rate > 0 && s.Rate <= maxRate) {
			bad("open mode needs a rate between 0 and %d sessions/s, got %v", maxRate, s.Rate)
		}
	case ModeClosed:
		if s.Rate != 0 {
			bad("closed mode takes no rate (its rate is what the server sustains)")
		}
	default:
		bad("mode %q: want %q or %q", s.Mode, ModeOpen, ModeClosed)
	}
	phase := func(name string, d Duration, least time.Duration) {
		if time.Duration(d) < least || time.Duration(d) > maxPhase {
			bad("%s %v must be between %v and %v", name, time.Duration(d), least, maxPhase)
		}
	}
	phase("duration", s.Duration, time.Millisecond)
	phase("warmup", s.Warmup, 0)
	if s.Timeout == 0 {
		s.Timeout = Duration(10 * time.Second)
	}
	if s.Timeout < Duration(time.Millisecond) || s.Timeout > Duration(maxTimeout) {
		bad("timeout %v must be between 1ms and %v", time.Duration(s.Timeout), maxTimeout)
	}
	if s.ExpectedInterval < 0 || s.ExpectedInterval > Duration(maxTimeout) {
		bad("expected_interval %v out of range", time.Duration(s.ExpectedInterval))
	}
	if s.Keys != nil {
		if err := s.Keys.prepare(); err != nil {
			bad("keys: %v", err)
		}
	}
	if len(s.Steps) == 0 || len(s.Steps) > maxSteps {
		bad("has %d steps, want 1 to %d", len(s.Steps), maxSteps)
	}
	vars := map[string]bool{}
	names := map[string]bool{}
	s.labels = nil
	for i, st := range s.Steps {
		if st == nil {
			bad("step %d is null", i)
			continue
		}
		if names[st.Name] {
			bad("step name %q used twice", st.Name)
		}
		names[st.Name] = true
		for _, err := range st.prepare(vars, s.Keys != nil) {
			bad("step %q: %v", st.Name, err)
		}
		s.labels = append(s.labels, st.labels()...)
	}
	return errors.Join(errs...)
}

// Scenario modes and peers.
const (
	ModeOpen   = "open"
	ModeClosed = "closed"

	PeerStatic = "static"
	PeerS3     = "s3"
	PeerNone   = "none"
)

// Key orders.
const (
	OrderZipf       = "zipf"
	OrderUniform    = "uniform"
	OrderSequential = "sequential"
)

func (k *Keys) prepare() error {
	var errs []error
	switch {
	case len(k.List) > 0 && k.Pattern != "":
		errs = append(errs, errors.New("give list or pattern, not both"))
	case len(k.List) > maxKeyList:
		errs = append(errs, fmt.Errorf("list has %d keys, more than %d", len(k.List), maxKeyList))
	case len(k.List) > 0:
		if k.Count != 0 && k.Count != int64(len(k.List)) {
			errs = append(errs, errors.New("count must be omitted with a list"))
		}
		k.Count = int64(len(k.List))
		for _, key := range k.List {
			if key == "" || strings.ContainsAny(key, "\x00\r\n") {
				errs = append(errs, fmt.Errorf("list key %q is empty or holds a control character", key))
				break
			}
		}
	case k.Pattern != "":
		if !strings.Contains(k.Pattern, "{n}") {
			errs = append(errs, fmt.Errorf("pattern %q has no {n}", k.Pattern))
		}
		if strings.ContainsAny(k.Pattern, "\x00\r\n") {
			errs = append(errs, errors.New("pattern holds a control character"))
		}
		if k.Count < 1 || k.Count > maxKeyCount {
			errs = append(errs, fmt.Errorf("count %d must be 1 to %d", k.Count, int64(maxKeyCount)))
		}
		if k.Start < 0 || k.Start > math.MaxInt64-maxKeyCount {
			errs = append(errs, fmt.Errorf("start %d out of range", k.Start))
		}
	default:
		errs = append(errs, errors.New("needs a list or a pattern"))
	}
	switch k.Order {
	case "":
		k.Order = OrderZipf
	case OrderZipf, OrderUniform, OrderSequential:
	default:
		errs = append(errs, fmt.Errorf("order %q: want zipf, uniform or sequential", k.Order))
	}
	if k.ZipfS == 0 {
		k.ZipfS = 1.1
	}
	if k.ZipfV == 0 {
		k.ZipfV = 1
	}
	// math/rand's Zipf needs s > 1 and v ≥ 1; the upper bounds keep the
	// distribution from collapsing onto one key by accident.
	if !(k.ZipfS > 1 && k.ZipfS <= 10) || !(k.ZipfV >= 1 && k.ZipfV <= 1e6) {
		errs = append(errs, fmt.Errorf("zipf_s %v must be in (1, 10] and zipf_v %v in [1, 1e6]", k.ZipfS, k.ZipfV))
	}
	if k.Seed == 0 {
		k.Seed = 1
	}
	return errors.Join(errs...)
}

func (st *Step) prepare(vars map[string]bool, haveKeys bool) []error {
	var errs []error
	if !nameRe.MatchString(st.Name) {
		errs = append(errs, errors.New("name must be 1-64 lower-case letters, digits or dashes"))
	}
	if st.Method == "" {
		st.Method = http.MethodGet
	}
	if !tokenRe.MatchString(st.Method) {
		errs = append(errs, fmt.Errorf("method %q is not an HTTP token", st.Method))
	}
	if !strings.HasPrefix(st.Path, "/") {
		errs = append(errs, fmt.Errorf("path %q must start with /", st.Path))
	}
	if st.Think != nil && (st.Think.Min < 0 || st.Think.Max < st.Think.Min || st.Think.Max > maxThink) {
		errs = append(errs, fmt.Errorf("think [%v, %v] must have 0 ≤ min ≤ max ≤ %v", st.Think.Min, st.Think.Max, maxThink))
	}
	var err error
	compile := func(what, text string) *template {
		t, e := compileTemplate(text, vars, haveKeys)
		if e != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, e))
		}
		return t
	}
	st.path = compile("path", st.Path)
	if st.path != nil && st.path.hasControl() {
		errs = append(errs, errors.New("path holds a space or control character"))
	}
	st.body = compile("body", st.Body)
	st.headers = st.headers[:0]
	for _, name := range sortedKeys(st.Headers) {
		if !tokenRe.MatchString(name) {
			errs = append(errs, fmt.Errorf("header name %q is not an HTTP token", name))
			continue
		}
		v := compile("header "+name, st.Headers[name])
		if v != nil && v.hasControl() && strings.ContainsAny(st.Headers[name], "\r\n\x00") {
			errs = append(errs, fmt.Errorf("header %s holds a line break", name))
		}
		st.headers = append(st.headers, headerTemplate{name: name, value: v})
	}
	for _, code := range st.Expect {
		if code < 100 || code > 599 {
			errs = append(errs, fmt.Errorf("expect %d is not an HTTP status", code))
		}
	}
	if st.Range != nil && st.Progressive != nil {
		errs = append(errs, errors.New("a step is a range step or a progressive step, not both"))
	}
	if r := st.Range; r != nil {
		if r.Offset == "" {
			r.Offset = "random"
		}
		switch {
		case r.Bytes < 1 || r.ObjectBytes < r.Bytes:
			errs = append(errs, fmt.Errorf("range: want 1 ≤ bytes ≤ object_bytes, got %d and %d", r.Bytes, r.ObjectBytes))
		case r.Offset != "random" && r.Offset != "sequential":
			errs = append(errs, fmt.Errorf("range offset %q: want random or sequential", r.Offset))
		case r.Requests < 0 || r.Requests > maxRepeat:
			errs = append(errs, fmt.Errorf("range requests %d must be 0 to %d", r.Requests, maxRepeat))
		}
		if r.Requests == 0 && r.Offset == "random" {
			r.Requests = 1
		}
		if _, ok := st.Headers["Range"]; ok {
			errs = append(errs, errors.New("a range step sets the Range header itself"))
		}
	}
	if p := st.Progressive; p != nil && (p.Finest < 0 || p.Finest > 64) {
		errs = append(errs, fmt.Errorf("progressive finest %d must be 0 to 64", p.Finest))
	}
	if len(st.Capture) > 0 && st.Progressive != nil {
		errs = append(errs, errors.New("a progressive step captures nothing"))
	}
	for _, c := range st.Capture {
		switch {
		case c == nil:
			errs = append(errs, errors.New("capture is null"))
			continue
		case !varNameRe.MatchString(c.Var):
			errs = append(errs, fmt.Errorf("capture var %q: want a letter then letters, digits or _", c.Var))
		case (c.JSON == "") == (c.Header == ""):
			errs = append(errs, fmt.Errorf("capture %q needs json or header, one of them", c.Var))
		case c.Header != "" && !tokenRe.MatchString(c.Header):
			errs = append(errs, fmt.Errorf("capture %q: header %q is not an HTTP token", c.Var, c.Header))
		case c.JSON != "":
			if _, err = splitJSONPath(c.JSON); err != nil {
				errs = append(errs, fmt.Errorf("capture %q: %w", c.Var, err))
			}
		}
		vars[c.Var] = true
	}
	return errs
}

// labels are the names a step's requests are recorded under.
func (st *Step) labels() []string {
	if st.Progressive != nil {
		return []string{st.Name + ":manifest", st.Name + ":coarsest", st.Name + ":level"}
	}
	return []string{st.Name}
}

// expects reports whether status is acceptable for the step.
func (st *Step) expects(status int) bool {
	if len(st.Expect) == 0 {
		if st.Range != nil {
			return status == http.StatusPartialContent
		}
		return status >= 200 && status < 300
	}
	for _, c := range st.Expect {
		if c == status {
			return true
		}
	}
	return false
}

// splitJSONPath checks and splits a dotted capture path.
func splitJSONPath(p string) ([]string, error) {
	if len(p) > 256 {
		return nil, errors.New("json path longer than 256 characters")
	}
	parts := strings.Split(p, ".")
	for _, s := range parts {
		if s == "" {
			return nil, fmt.Errorf("json path %q has an empty segment", p)
		}
	}
	return parts, nil
}
