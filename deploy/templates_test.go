package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"gopkg.in/yaml.v3"

	"github.com/strata3d/strata/deploy"
)

// The stacks, in the order docs/deploy.md deploys them.
var deployOrder = []string{"network", "data", "data-replica", "edge", "compute", "monitoring", "dns"}

var templateBytes = sync.OnceValues(func() (map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join("cloudformation", "*.yaml"))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(filepath.Base(p), ".yaml")] = b
	}
	return out, nil
})

func mustTemplateBytes(tb testing.TB) map[string][]byte {
	tb.Helper()
	m, err := templateBytes()
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// sharedTemplates are the templates parsed once; tests that mutate a template first replace it with its own
// parse (see own in checks_test.go), so the shared ones stay as on disk.
var sharedTemplates = sync.OnceValues(func() (map[string]*deploy.Template, error) {
	data, err := templateBytes()
	if err != nil {
		return nil, err
	}
	out := map[string]*deploy.Template{}
	for name, b := range data {
		if out[name], err = deploy.Parse(name, b); err != nil {
			return nil, err
		}
	}
	return out, nil
})

// mustSet returns a Set over the shared templates, with its own instance refresh preferences and Strata's
// facts, for a test to read or (through own and edit) mutate.
func mustSet(tb testing.TB) *deploy.Set {
	tb.Helper()
	shared, err := sharedTemplates()
	if err != nil {
		tb.Fatal(err)
	}
	s := &deploy.Set{Strata: strataFacts(tb)}
	for _, name := range sortedNames(shared) {
		s.Templates = append(s.Templates, shared[name])
	}
	refresh, err := os.ReadFile("instance-refresh.json")
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(refresh, &s.Refresh); err != nil {
		tb.Fatal(err)
	}
	return s
}

func sortedNames(m map[string]*deploy.Template) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestTemplatesLoadTyped(t *testing.T) {
	s, err := deploy.Load(".", strataFacts(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tpl := range s.Templates {
		names = append(names, tpl.Name)
	}
	sort.Strings(names)
	want := append([]string(nil), deployOrder...)
	sort.Strings(want)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("templates %v, want %v", names, want)
	}
	// Typed decoding happened: resources are goformation's concrete types, intrinsics kept.
	b, ok := s.Template("edge").Resources["AssetsBucket"].(*s3.Bucket)
	if !ok {
		t.Fatalf("AssetsBucket is %T, want *s3.Bucket", s.Template("edge").Resources["AssetsBucket"])
	}
	if name, ok := deploy.RefTarget(b.BucketName); !ok || name != "AssetsBucketName" {
		t.Errorf("BucketName = %q, want the Ref to AssetsBucketName kept", *b.BucketName)
	}
	sub, ok := s.Template("network").Resources["PrivateSubnet2"].(*ec2.Subnet)
	if !ok {
		t.Fatalf("PrivateSubnet2 is %T", s.Template("network").Resources["PrivateSubnet2"])
	}
	if f, ok := deploy.AsFn(sub.AvailabilityZone); !ok || f.Name != "Fn::Select" {
		t.Errorf("AvailabilityZone = %v, want a kept Fn::Select", f)
	}
}

func TestParseRejects(t *testing.T) {
	edge := string(mustTemplateBytes(t)["edge"])
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown resource type", "Type: AWS::SQS::Queue", "Type: AWS::SQS::Queeu", `unknown resource type "AWS::SQS::Queeu"`},
		{"misspelt property", "VersioningConfiguration:", "VersioningConfig:", `resource AssetsBucket (AWS::S3::Bucket): json: unknown field "VersioningConfig"`},
		{"misspelt nested property", "BucketKeyEnabled: true", "BucketKeysEnabled: true", `unknown field "BucketKeysEnabled"`},
		{"string where a number goes", "MemorySize: 3008", "MemorySize: lots", "MemorySize of type int"},
		{"intrinsic where a number goes", "Timeout: 900", "Timeout: !Ref LambdaCodeKey", "Timeout of type int"},
		{"misspelt resource attribute", "    DependsOn: BakeInvokePermission", "    DependsOnn: BakeInvokePermission", `unknown field "DependsOnn"`},
		{"misspelt parameter key", "    Default: X-Origin-Secret", "    Defualt: X-Origin-Secret", `parameter OriginSecretHeaderName: unknown key "Defualt"`},
		{"misspelt section", "\nOutputs:\n", "\nOutput:\n", `unknown template section "Output"`},
		{"output without value", "  WebAclArn: { Value: !GetAtt WebAcl.Arn }", "  WebAclArn: { Description: x }", "output WebAclArn has no Value"},
		{"broken YAML", "Resources:\n", "Resources:\n  - [\n", "YAML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(edge, c.old) {
				t.Fatalf("edge.yaml no longer contains %q; update the case", c.old)
			}
			_, err := deploy.Parse("edge", []byte(strings.Replace(edge, c.old, c.new, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// shortForms are CloudFormation's YAML short-form tags that goformation turns into long-form intrinsics.
// !Condition is not among them, so the templates write {Condition: Name} in full.
var shortForms = map[string]string{
	"!Ref": "Ref", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Join": "Fn::Join", "!Select": "Fn::Select",
	"!Split": "Fn::Split", "!GetAZs": "Fn::GetAZs", "!Cidr": "Fn::Cidr", "!Base64": "Fn::Base64",
	"!If": "Fn::If", "!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or",
	"!FindInMap": "Fn::FindInMap", "!ImportValue": "Fn::ImportValue",
}

// TestShortFormIntrinsics reads each template with a plain YAML parser, counts its intrinsics (short-form tags
// and long-form keys), and checks goformation's typed template keeps every one of them: none dropped by a
// resolver, none lost to a field that swallowed it.
func TestShortFormIntrinsics(t *testing.T) {
	s := mustSet(t)
	for name, data := range mustTemplateBytes(t) {
		t.Run(name, func(t *testing.T) {
			var root yaml.Node
			if err := yaml.Unmarshal(data, &root); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{}
			shortTotal := 0
			var walk func(n *yaml.Node)
			walk = func(n *yaml.Node) {
				if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
					fn, ok := shortForms[n.Tag]
					if !ok {
						t.Errorf("line %d: tag %s is not a short form goformation reads", n.Line, n.Tag)
					}
					want[fn]++
					shortTotal++
				}
				if n.Kind == yaml.MappingNode {
					for i := 0; i+1 < len(n.Content); i += 2 {
						k := n.Content[i].Value
						if (k == "Ref" || strings.HasPrefix(k, "Fn::")) && len(n.Content) == 2 {
							want[k]++
						}
					}
				}
				for _, c := range n.Content {
					walk(c)
				}
			}
			walk(&root)
			if shortTotal < 5 {
				t.Fatalf("only %d short-form intrinsics; the test would not exercise goformation's tag handling", shortTotal)
			}
			got := map[string]int{}
			var count func(v any)
			count = func(v any) {
				switch x := v.(type) {
				case map[string]any:
					if f, ok := deploy.AsFn(x); ok {
						got[f.Name]++
					}
					for _, e := range x {
						count(e)
					}
				case []any:
					for _, e := range x {
						count(e)
					}
				}
			}
			count(s.Template(name).Tree())
			for fn, n := range want {
				if got[fn] != n {
					t.Errorf("%s: %d in the YAML, %d in goformation's typed template", fn, n, got[fn])
				}
			}
			for fn, n := range got {
				if want[fn] == 0 {
					t.Errorf("%s: %d in the typed template, none in the YAML", fn, n)
				}
			}
		})
	}
}

func TestParseUserData(t *testing.T) {
	script := "#!/bin/bash\nset -e\ncat > /etc/a.env <<'END'\nA=1\n  B=2\nEND\n# comment\n\nsystemctl enable \\\n  --now a.service\n"
	u, err := deploy.ParseUserData(script)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Files["/etc/a.env"]; got != "A=1\n  B=2\n" {
		t.Errorf("file = %q", got)
	}
	if strings.Join(u.Commands, "|") != "set -e|systemctl enable --now a.service" {
		t.Errorf("commands = %q", u.Commands)
	}
	for name, bad := range map[string]string{
		"unquoted heredoc": "cat > /x <<END\n$HOME\nEND\n",
		"unterminated":     "cat > /x <<'END'\nA=1\n",
		"written twice":    "cat > /x <<'A'\nA\ncat > /x <<'B'\nB\n",
	} {
		if _, err := deploy.ParseUserData(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestServeEnvFromSource(t *testing.T) {
	env := mustServeEnv(t)
	for _, v := range []string{"STRATA_ADDR", "STRATA_DRAIN_DELAY", "STRATA_SHUTDOWN_TIMEOUT", "STRATA_ORIGIN_SECRET", "STRATA_ORIGIN_SECRET_HEADER", "STRATA_S3_BUCKET", "STRATA_CLOUDFRONT_DISTRIBUTION"} {
		if !env[v] {
			t.Errorf("%s not found among `strata serve` flags: %v", v, env)
		}
	}
	// bake's flags are not serve's.
	for _, v := range []string{"STRATA_NOT_A_FLAG", "STRATA_RATIOS"} {
		if env[v] {
			t.Errorf("%s is not a `strata serve` flag", v)
		}
	}
}

// TestParseConcurrently parses from several goroutines: goformation's YAML reader writes a package-level map on
// every call, which Parse serialises (run with -race to see the point).
func TestParseConcurrently(t *testing.T) {
	data := mustTemplateBytes(t)["network"]
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := deploy.Parse("network", data); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
