package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"

	"github.com/strata3d/strata/deploy"
)

// operatorInputs are the parameters without defaults that no stack outputs: what the operator brings (names,
// certificates, release artifacts, an address). docs/deploy.md lists how to get each.
var operatorInputs = map[string]bool{
	"AssetsBucketName": true, "SiteDomainName": true, "SiteCertificateArn": true, "OriginDomainName": true,
	"LambdaCodeBucket": true, "LambdaCodeKey": true, "OriginCertificateArn": true, "ReleaseBucketName": true,
	"StrataVersion": true, "StrataSha256": true, "AlarmEmail": true, "HostedZoneId": true,
}

// TestStacksWireUp deploys the stacks on paper in docs/deploy.md's order: every parameter without a default
// must be an operator input or the output of an earlier stack (same name; the dns stack takes the two regions'
// compute outputs prefixed Primary/Secondary).
func TestStacksWireUp(t *testing.T) {
	s := mustSet(t)
	outputs := map[string]string{}
	for _, name := range deployOrder {
		tpl := s.Template(name)
		if tpl == nil {
			t.Fatalf("no template %s", name)
		}
		for _, p := range sortedParams(tpl) {
			if _, hasDefault := tpl.Default(p); hasDefault || operatorInputs[p] {
				continue
			}
			src, ok := outputs[p]
			if !ok {
				for _, prefix := range []string{"Primary", "Secondary"} {
					if rest, cut := strings.CutPrefix(p, prefix); cut && outputs[rest] == "compute" {
						src, ok = "compute", true
					}
				}
			}
			if !ok {
				t.Errorf("%s parameter %s: no earlier stack outputs it and it is not an operator input", name, p)
				continue
			}
			t.Logf("%s.%s <- %s", name, p, src)
		}
		for o := range tpl.Outputs {
			if _, seen := outputs[o]; !seen {
				outputs[o] = name
			}
		}
	}
	for p := range operatorInputs {
		used := false
		for _, tpl := range s.Templates {
			if _, ok := tpl.Parameters[p]; ok {
				used = true
			}
		}
		if !used {
			t.Errorf("operator input %s is no template's parameter", p)
		}
	}
}

func sortedParams(t *deploy.Template) []string {
	var out []string
	for p := range t.Parameters {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// TestDocsCoverDeployment keeps docs/deploy.md in step with the templates: every stack in deployment order,
// every parameter, every alarm in the runbook, and the README pointing at it.
func TestDocsCoverDeployment(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	last := -1
	for _, name := range deployOrder {
		i := strings.Index(text, "aws cloudformation deploy --template-file deploy/cloudformation/"+name+".yaml")
		if i < 0 {
			t.Errorf("docs/deploy.md has no `aws cloudformation deploy` of %s.yaml", name)
			continue
		}
		if i < last {
			t.Errorf("docs/deploy.md deploys %s.yaml out of order", name)
		}
		last = i
	}
	s := mustSet(t)
	for _, tpl := range s.Templates {
		for p := range tpl.Parameters {
			if !strings.Contains(text, "`"+p+"`") {
				t.Errorf("parameter %s of %s is not documented", p, tpl.File())
			}
		}
	}
	alarmSuffix := regexp.MustCompile(`^strata-(?:\$\{AWS::Region\}-)?(.+)$`)
	for _, tpl := range s.Templates {
		for id, r := range tpl.Resources {
			a, ok := r.(*cloudwatch.Alarm)
			if !ok {
				continue
			}
			name, _ := deploy.AsFn(a.AlarmName)
			text0 := ""
			if name.Name == "Fn::Sub" {
				text0, _ = name.Arg.(string)
			} else if a.AlarmName != nil {
				text0 = *a.AlarmName
			}
			m := alarmSuffix.FindStringSubmatch(text0)
			if m == nil {
				t.Errorf("%s %s: alarm name %q does not follow strata-[REGION-]name", tpl.File(), id, text0)
				continue
			}
			if !strings.Contains(text, "### "+m[1]) {
				t.Errorf("alarm %s (%s %s) has no runbook section `### %s` in docs/deploy.md", m[1], tpl.File(), id, m[1])
			}
		}
	}
	for _, c := range deploy.Checks() {
		if !strings.Contains(text, "`"+c.ID+"`") {
			t.Errorf("check %s is not listed in docs/deploy.md", c.ID)
		}
	}
	for _, must := range []string{"deploy/instance-refresh.json", "start-instance-refresh", "--origin-secret", "1 million"} {
		if !strings.Contains(text, must) {
			t.Errorf("docs/deploy.md does not mention %s", must)
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "docs/deploy.md") {
		t.Error("README.md does not point to docs/deploy.md")
	}
}
