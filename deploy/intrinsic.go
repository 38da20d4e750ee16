package deploy

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// intrinsicNames are the functions the loader keeps rather than resolves: every one goformation knows.
var intrinsicNames = []string{
	"Ref", "Fn::Base64", "Fn::And", "Fn::Equals", "Fn::If", "Fn::Not", "Fn::Or", "Fn::FindInMap", "Fn::GetAtt",
	"Fn::GetAZs", "Fn::ImportValue", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Sub", "Fn::Cidr", "Fn::Transform",
}

func isIntrinsicName(name string) bool {
	for _, n := range intrinsicNames {
		if n == name {
			return true
		}
	}
	return false
}

// keepOptions makes goformation replace each intrinsic with a string encoding it (base64 of its JSON form), the
// representation goformation itself uses for intrinsics in typed string fields (cloudformation.Ref and friends).
// Arguments are processed first, so nested intrinsics arrive already encoded and the encoding is lossless.
func keepOptions() *intrinsics.ProcessorOptions {
	overrides := make(map[string]intrinsics.IntrinsicHandler, len(intrinsicNames))
	for _, n := range intrinsicNames {
		overrides[n] = keepIntrinsic
	}
	return &intrinsics.ProcessorOptions{IntrinsicHandlerOverrides: overrides}
}

func keepIntrinsic(name string, input any, _ any) any {
	b, err := json.Marshal(map[string]any{name: input})
	if err != nil {
		// The input came from JSON, so it marshals; keep the failure visible rather than silently nil.
		return "unencodable intrinsic " + name
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Intrinsic returns an intrinsic function call in the encoded form the loader stores in typed string fields:
// Intrinsic("Ref", "Bucket") is what `!Ref Bucket` becomes. Nested calls are passed encoded the same way.
func Intrinsic(name string, arg any) string {
	return keepIntrinsic(name, arg, nil).(string)
}

// Fn is an intrinsic function call found in a template value.
type Fn struct {
	Name string // "Ref", "Fn::GetAtt", "Fn::Sub", …
	Arg  any    // its argument, with nested intrinsics decoded into map[string]any{name: arg}
}

// AsFn reports whether v is an intrinsic, either encoded in a string (typed fields) or in long form
// (a one-key map, as in free-form JSON such as policy documents after Decode).
func AsFn(v any) (Fn, bool) {
	switch x := v.(type) {
	case string:
		return decodeFn(x)
	case *string:
		if x == nil {
			return Fn{}, false
		}
		return decodeFn(*x)
	case map[string]any:
		if len(x) != 1 {
			return Fn{}, false
		}
		for k, a := range x {
			if isIntrinsicName(k) {
				return Fn{Name: k, Arg: Decode(a)}, true
			}
		}
	}
	return Fn{}, false
}

func decodeFn(s string) (Fn, bool) {
	// Cheap rejections first: most strings are plain text.
	if len(s) < 8 || len(s)%4 != 0 || strings.ContainsAny(s, " :-_.") {
		return Fn{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) == 0 || raw[0] != '{' {
		return Fn{}, false
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) != 1 {
		return Fn{}, false
	}
	for k, a := range m {
		if isIntrinsicName(k) {
			return Fn{Name: k, Arg: Decode(a)}, true
		}
	}
	return Fn{}, false
}

// Decode returns v with every encoded intrinsic replaced by its long form {name: arg}, recursively.
func Decode(v any) any {
	switch x := v.(type) {
	case string:
		if f, ok := decodeFn(x); ok {
			return map[string]any{f.Name: f.Arg}
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Decode(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Decode(e)
		}
		return out
	}
	return v
}

// RefTarget returns the logical name a Ref names.
func RefTarget(v any) (string, bool) {
	f, ok := AsFn(v)
	if !ok || f.Name != "Ref" {
		return "", false
	}
	s, ok := f.Arg.(string)
	return s, ok
}

// GetAttTarget returns the resource and attribute of a Fn::GetAtt (either "A.B" or ["A", "B"] form).
func GetAttTarget(v any) (resource, attr string, ok bool) {
	f, ok := AsFn(v)
	if !ok || f.Name != "Fn::GetAtt" {
		return "", "", false
	}
	return splitGetAtt(f.Arg)
}

func splitGetAtt(arg any) (resource, attr string, ok bool) {
	switch a := arg.(type) {
	case string:
		resource, attr, ok = strings.Cut(a, ".")
		return resource, attr, ok && resource != "" && attr != ""
	case []any:
		if len(a) != 2 {
			return "", "", false
		}
		r, ok1 := a[0].(string)
		at, ok2 := a[1].(string)
		return r, at, ok1 && ok2 && r != "" && at != ""
	}
	return "", "", false
}

// subVar matches ${Name} and ${Resource.Attribute} in a Fn::Sub string; ${!Literal} is an escape and not a
// variable, which the leading [^!] rules out.
var subVar = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// subVars lists the variable names a Fn::Sub template string uses.
func subVars(s string) []string {
	var out []string
	for _, m := range subVar.FindAllStringSubmatch(s, -1) {
		out = append(out, strings.TrimSpace(m[1]))
	}
	return out
}

// subParts splits a Fn::Sub argument into its template string and its explicit variable map.
func subParts(arg any) (text string, vars map[string]any, ok bool) {
	switch a := arg.(type) {
	case string:
		return a, nil, true
	case []any:
		if len(a) != 2 {
			return "", nil, false
		}
		s, ok1 := a[0].(string)
		m, ok2 := a[1].(map[string]any)
		return s, m, ok1 && ok2
	}
	return "", nil, false
}

// Reference is one use of a logical name inside a value.
type Reference struct {
	Name string // parameter, resource or pseudo parameter (AWS::…)
	Attr string // attribute for Fn::GetAtt and ${Res.Attr}; empty for Ref
	Via  string // "Ref", "Fn::GetAtt" or "Fn::Sub"
}

// References lists every name v refers to, through Ref, Fn::GetAtt and Fn::Sub variables (explicit Fn::Sub
// variables are not references; their values are walked instead). Condition names are not included.
func References(v any) []Reference {
	var out []Reference
	var walk func(v any)
	walk = func(v any) {
		if f, ok := AsFn(v); ok {
			switch f.Name {
			case "Ref":
				if s, ok := f.Arg.(string); ok {
					out = append(out, Reference{Name: s, Via: "Ref"})
				}
				return
			case "Fn::GetAtt":
				if r, a, ok := splitGetAtt(f.Arg); ok {
					out = append(out, Reference{Name: r, Attr: a, Via: "Fn::GetAtt"})
				}
				return
			case "Fn::Sub":
				text, vars, ok := subParts(f.Arg)
				if !ok {
					return
				}
				names := map[string]bool{}
				for k, e := range vars {
					names[k] = true
					walk(e)
				}
				for _, name := range subVars(text) {
					if names[name] {
						continue
					}
					r, a, _ := strings.Cut(name, ".")
					if strings.HasPrefix(name, "AWS::") {
						r, a = name, ""
					}
					out = append(out, Reference{Name: r, Attr: a, Via: "Fn::Sub"})
				}
				return
			}
			walk(f.Arg)
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// pseudoParameters are the names AWS defines for every template.
var pseudoParameters = map[string]string{
	"AWS::AccountId":        "123456789012",
	"AWS::Region":           "us-east-1",
	"AWS::Partition":        "aws",
	"AWS::StackName":        "strata",
	"AWS::StackId":          "arn:aws:cloudformation:us-east-1:123456789012:stack/strata/00000000-0000-0000-0000-000000000000",
	"AWS::URLSuffix":        "amazonaws.com",
	"AWS::NoValue":          "",
	"AWS::NotificationARNs": "",
}
