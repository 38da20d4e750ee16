package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// Template is one parsed CloudFormation template.
type Template struct {
	// Name is the file name without its extension: "network", "edge", …
	Name string
	// Template is goformation's typed form; resources are its concrete types (*s3.Bucket, …), and
	// intrinsics in string fields are kept encoded (see AsFn).
	*cloudformation.Template
	// Raw is the template as plain data with intrinsics in long form, before typed parsing.
	Raw map[string]any
}

// parseMu serialises parsing: goformation's YAML reader registers its short-form tag resolvers in a
// package-level map on every call, which is a data race between concurrent parses.
var parseMu sync.Mutex

// knownTypes is goformation's registry of resource types, built once (AllResources allocates every type).
var knownTypes = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for k := range cloudformation.AllResources() {
		m[k] = true
	}
	return m
})

var (
	templateKeys = keySet("AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings",
		"Conditions", "Transform", "Resources", "Outputs", "Rules")
	parameterKeys = keySet("Type", "Default", "Description", "AllowedPattern", "AllowedValues",
		"ConstraintDescription", "MaxLength", "MinLength", "MaxValue", "MinValue", "NoEcho")
	outputKeys = keySet("Value", "Description", "Export", "Condition")
)

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// Parse reads a YAML (or JSON) template. It fails on YAML errors, unknown resource types, unknown or mistyped
// properties (goformation's typed decoding), and unknown keys in the template, parameter and output sections,
// which goformation's own types would silently drop.
func Parse(name string, data []byte) (*Template, error) {
	parseMu.Lock()
	defer parseMu.Unlock()

	rawJSON, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var raw map[string]any
	if err := json.Unmarshal(rawJSON, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("%s: a template must be a mapping", name)
	}
	if err := checkStructure(raw); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}

	typed, err := goformation.ParseYAMLWithOptions(data, keepOptions())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, explainTypedError(err, data))
	}
	if len(typed.Resources) != len(raw["Resources"].(map[string]any)) {
		return nil, fmt.Errorf("%s: goformation kept %d of %d resources", name, len(typed.Resources), len(raw["Resources"].(map[string]any)))
	}
	return &Template{Name: name, Template: typed, Raw: raw}, nil
}

// checkStructure validates what goformation's types do not: section names, parameter and output keys, and
// that every resource has a type goformation knows (its own error for an unknown type is "Unmarshal(nil)").
func checkStructure(raw map[string]any) error {
	var errs []error
	for k := range raw {
		if !templateKeys[k] {
			errs = append(errs, fmt.Errorf("unknown template section %q", k))
		}
	}
	params, _ := raw["Parameters"].(map[string]any)
	for _, name := range sortedKeys(params) {
		p, ok := params[name].(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("parameter %s is not a mapping", name))
			continue
		}
		for k := range p {
			if !parameterKeys[k] {
				errs = append(errs, fmt.Errorf("parameter %s: unknown key %q", name, k))
			}
		}
		if _, ok := p["Type"].(string); !ok {
			errs = append(errs, fmt.Errorf("parameter %s has no Type", name))
		}
	}
	outputs, _ := raw["Outputs"].(map[string]any)
	for _, name := range sortedKeys(outputs) {
		o, ok := outputs[name].(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("output %s is not a mapping", name))
			continue
		}
		for k := range o {
			if !outputKeys[k] {
				errs = append(errs, fmt.Errorf("output %s: unknown key %q", name, k))
			}
		}
		if _, ok := o["Value"]; !ok {
			errs = append(errs, fmt.Errorf("output %s has no Value", name))
		}
	}
	resources, ok := raw["Resources"].(map[string]any)
	if !ok || len(resources) == 0 {
		errs = append(errs, errors.New("no Resources"))
	}
	for _, id := range sortedKeys(resources) {
		r, ok := resources[id].(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("resource %s is not a mapping", id))
			continue
		}
		typ, _ := r["Type"].(string)
		switch {
		case typ == "":
			errs = append(errs, fmt.Errorf("resource %s has no Type", id))
		case !knownTypes()[typ]:
			errs = append(errs, fmt.Errorf("resource %s: unknown resource type %q", id, typ))
		}
	}
	return errors.Join(errs...)
}

// explainTypedError names the resource a typed-decoding error comes from, which encoding/json does not.
func explainTypedError(err error, data []byte) error {
	processed, perr := intrinsics.ProcessYAML(data, keepOptions())
	if perr != nil {
		return err
	}
	var doc struct {
		Resources map[string]json.RawMessage
	}
	if json.Unmarshal(processed, &doc) != nil {
		return err
	}
	types := knownTypes()
	for _, id := range sortedKeys(doc.Resources) {
		var head struct{ Type string }
		if json.Unmarshal(doc.Resources[id], &head) != nil || !types[head.Type] {
			continue
		}
		r := cloudformation.AllResources()[head.Type]
		if rerr := json.Unmarshal(doc.Resources[id], r); rerr != nil {
			return fmt.Errorf("resource %s (%s): %w", id, head.Type, rerr)
		}
	}
	return err
}

// LoadDir parses every *.yaml template in dir, sorted by name.
func LoadDir(dir string) ([]*Template, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.yaml templates in %s", dir)
	}
	sort.Strings(paths)
	var out []*Template
	var errs []error
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t, err := Parse(strings.TrimSuffix(filepath.Base(p), ".yaml"), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

// File is the template's file name, for messages.
func (t *Template) File() string { return t.Name + ".yaml" }

// Tree returns the typed template as plain data with intrinsics in long form: what the checks that follow
// references walk. It reflects edits made to the typed resources.
func (t *Template) Tree() map[string]any {
	b, err := json.Marshal(t.Template)
	if err != nil {
		return map[string]any{}
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return map[string]any{}
	}
	out, _ := Decode(m).(map[string]any)
	return out
}

// ResourceTree returns one resource (Type, Properties, DependsOn, …) as plain data with long-form intrinsics.
func (t *Template) ResourceTree(id string) map[string]any {
	r, ok := t.Resources[id]
	if !ok {
		return nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	out, _ := Decode(m).(map[string]any)
	return out
}

// Default returns the default of a parameter as text, and whether it has one.
func (t *Template) Default(param string) (string, bool) {
	p, ok := t.Parameters[param]
	if !ok || p.Default == nil {
		return "", false
	}
	switch d := p.Default.(type) {
	case string:
		return d, true
	case float64:
		return strconv.FormatFloat(d, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(d), true
	}
	return fmt.Sprint(p.Default), true
}

// Resolve evaluates v as a string where it can without a deployment: literals, Refs to parameters (their
// defaults) and pseudo parameters, and Fn::Sub over those. Anything naming a resource is unresolvable.
func (t *Template) Resolve(v any) (string, bool) {
	switch x := v.(type) {
	case *string:
		if x == nil {
			return "", false
		}
		return t.Resolve(*x)
	case string:
		if _, ok := decodeFn(x); !ok {
			return x, true
		}
	}
	f, ok := AsFn(v)
	if !ok {
		return "", false
	}
	switch f.Name {
	case "Ref":
		name, _ := f.Arg.(string)
		return t.resolveName(name)
	case "Fn::Sub":
		text, vars, ok := subParts(f.Arg)
		if !ok {
			return "", false
		}
		failed := false
		out := subVar.ReplaceAllStringFunc(text, func(m string) string {
			name := strings.TrimSpace(m[2 : len(m)-1])
			if v, ok := vars[name]; ok {
				if s, ok := t.Resolve(v); ok {
					return s
				}
			} else if s, ok := t.resolveName(name); ok {
				return s
			}
			failed = true
			return m
		})
		if failed {
			return "", false
		}
		return strings.ReplaceAll(out, "${!", "${"), true
	}
	return "", false
}

func (t *Template) resolveName(name string) (string, bool) {
	if v, ok := pseudoParameters[name]; ok {
		return v, true
	}
	return t.Default(name)
}

// SubText returns the text of a Fn::Sub string with every variable that Resolve can evaluate substituted, the
// others left as ${Name}, and ${!Literal} escapes unescaped: the text as it would reach its consumer, with
// placeholders only where a deployment supplies the value.
func (t *Template) SubText(text string) string {
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		if s, ok := t.resolveName(strings.TrimSpace(m[2 : len(m)-1])); ok {
			return s
		}
		return m
	})
	return strings.ReplaceAll(out, "${!", "${")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
