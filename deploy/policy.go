package deploy

import (
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/lambda"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/awslabs/goformation/v7/cloudformation/sns"
	"github.com/awslabs/goformation/v7/cloudformation/sqs"
)

// resourceStarActions are the only actions an identity policy may grant on Resource "*", because AWS offers
// no resource-level permission for them. Keep this list tiny and every entry justified.
var resourceStarActions = map[string]string{
	// Metrics have no ARN; the grant must carry a cloudwatch:namespace condition instead.
	"cloudwatch:PutMetricData": "cloudwatch:namespace",
	// The CloudWatch agent reads the instance's own tags for ${aws:AutoScalingGroupName}; DescribeTags has no
	// resource-level permission and reveals only tags.
	"ec2:DescribeTags": "",
}

// serviceScope says what an Allow statement's resources must name for actions of a service: a resource of one
// of these types, or a parameter whose name contains the hint (how stacks pass each other's resources).
var serviceScope = map[string]struct {
	types []string
	hint  string
}{
	"s3":             {[]string{"AWS::S3::Bucket"}, "Bucket"},
	"dynamodb":       {[]string{"AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"}, "Table"},
	"kms":            {[]string{"AWS::KMS::Key"}, "Key"},
	"secretsmanager": {[]string{"AWS::SecretsManager::Secret"}, "Secret"},
	"logs":           {[]string{"AWS::Logs::LogGroup"}, "LogGroup"},
	"sqs":            {[]string{"AWS::SQS::Queue"}, "Queue"},
	"cloudfront":     {[]string{"AWS::CloudFront::Distribution"}, "Distribution"},
}

// Statement is one policy statement, normalised.
type Statement struct {
	Sid                    string
	Effect                 string
	Actions                []string
	NotAction, NotResource bool
	Resources              []any // strings or long-form intrinsics
	Principal              any
	Condition              map[string]any
}

// statements reads the statements of a decoded policy document (Statement may be one object or a list).
func statements(doc any) []Statement {
	m, _ := doc.(map[string]any)
	var raw []any
	switch st := m["Statement"].(type) {
	case []any:
		raw = st
	case map[string]any:
		raw = []any{st}
	}
	var out []Statement
	for _, e := range raw {
		sm, ok := e.(map[string]any)
		if !ok {
			continue
		}
		st := Statement{Principal: sm["Principal"]}
		st.Sid, _ = sm["Sid"].(string)
		st.Effect, _ = sm["Effect"].(string)
		st.Actions = stringList(sm["Action"])
		_, st.NotAction = sm["NotAction"]
		_, st.NotResource = sm["NotResource"]
		switch res := sm["Resource"].(type) {
		case []any:
			st.Resources = res
		case nil:
		default:
			st.Resources = []any{res}
		}
		st.Condition, _ = sm["Condition"].(map[string]any)
		if _, isP := sm["NotPrincipal"]; isP {
			st.Principal = "NotPrincipal"
		}
		out = append(out, st)
	}
	return out
}

func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// anyPrincipal reports a statement about everyone ("*" or {"AWS": "*"}).
func (st Statement) anyPrincipal() bool {
	switch p := st.Principal.(type) {
	case string:
		return p == "*" || p == "NotPrincipal"
	case map[string]any:
		for _, v := range stringList(p["AWS"]) {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// servicePrincipal returns the single service principal of a statement, or "".
func (st Statement) servicePrincipal() string {
	if p, ok := st.Principal.(map[string]any); ok && len(p) == 1 {
		if s := stringList(p["Service"]); len(s) == 1 {
			return s[0]
		}
	}
	return ""
}

// policyDoc is one policy document found in a template.
type policyDoc struct {
	T    *Template
	ID   string // logical ID of the resource holding it
	Kind string // "identity", "trust", "resource", "key"
	Name string // which document of the resource, for messages
	Doc  any    // decoded, intrinsics in long form
}

// policyDocs lists every policy document of every template.
func (s *Set) policyDocs() []policyDoc {
	var out []policyDoc
	for _, t := range s.Templates {
		for _, x := range resourcesIn[*iam.Role](t) {
			out = append(out, policyDoc{t, x.ID, "trust", "AssumeRolePolicyDocument", Decode(x.R.AssumeRolePolicyDocument)})
			for _, p := range x.R.Policies {
				out = append(out, policyDoc{t, x.ID, "identity", "policy " + p.PolicyName, Decode(p.PolicyDocument)})
			}
		}
		for _, x := range resourcesIn[*iam.Policy](t) {
			out = append(out, policyDoc{t, x.ID, "identity", "PolicyDocument", Decode(x.R.PolicyDocument)})
		}
		for _, x := range resourcesIn[*iam.ManagedPolicy](t) {
			out = append(out, policyDoc{t, x.ID, "identity", "PolicyDocument", Decode(x.R.PolicyDocument)})
		}
		for _, x := range resourcesIn[*s3.BucketPolicy](t) {
			out = append(out, policyDoc{t, x.ID, "resource", "PolicyDocument", Decode(x.R.PolicyDocument)})
		}
		for _, x := range resourcesIn[*sqs.QueuePolicy](t) {
			out = append(out, policyDoc{t, x.ID, "resource", "PolicyDocument", Decode(x.R.PolicyDocument)})
		}
		for _, x := range resourcesIn[*sns.TopicPolicy](t) {
			out = append(out, policyDoc{t, x.ID, "resource", "PolicyDocument", Decode(x.R.PolicyDocument)})
		}
		for _, x := range resourcesIn[*kms.Key](t) {
			out = append(out, policyDoc{t, x.ID, "key", "KeyPolicy", Decode(x.R.KeyPolicy)})
		}
	}
	return out
}

var iamChecks = []Check{
	{
		ID:      "iam-least-privilege",
		Promise: "identity policies name every action (no wildcards), grant Resource \"*\" only for the few actions that have no resource ARN, and scope every other grant to the stack's own bucket, tables, keys, secrets, logs, queues and distribution",
		Run:     checkIdentityPolicies,
	},
	{
		ID:      "resource-policies",
		Promise: "no bucket, queue, topic or key policy allows everyone; service principals are pinned by a condition; key policies name their actions; roles trust only AWS services and attach no managed policies",
		Run:     checkResourcePolicies,
	},
}

func actionWildcard(a string) bool { return strings.Contains(a, "*") || strings.Contains(a, "?") }

func checkIdentityPolicies(s *Set, r *Report) {
	found := 0
	for _, pd := range s.policyDocs() {
		if pd.Kind != "identity" {
			continue
		}
		found++
		for i, st := range statements(pd.Doc) {
			label := st.Sid
			if label == "" {
				label = "#" + strconv.Itoa(i+1)
			}
			add := func(format string, args ...any) {
				r.Add(pd.T, pd.ID, "%s statement %s: "+format, append([]any{pd.Name, label}, args...)...)
			}
			if st.Effect != "Allow" {
				continue
			}
			if st.NotAction || st.NotResource {
				add("NotAction/NotResource in an Allow grants everything not listed")
				continue
			}
			if len(st.Actions) == 0 {
				add("no Action")
			}
			for _, a := range st.Actions {
				if actionWildcard(a) {
					add("action %q is a wildcard; name each action", a)
				}
			}
			star := false
			for _, res := range st.Resources {
				if res == "*" {
					star = true
				}
			}
			if star {
				if len(st.Resources) > 1 {
					add("mixes Resource \"*\" with ARNs")
				}
				for _, a := range st.Actions {
					cond, allowed := resourceStarActions[a]
					switch {
					case !allowed:
						add("grants %s on Resource \"*\"; only %v may, having no resource ARN", a, sortedKeys(resourceStarActions))
					case cond != "" && !conditionHasKey(st.Condition, cond):
						add("grants %s on Resource \"*\" without a %s condition", a, cond)
					}
				}
				continue
			}
			if len(st.Resources) == 0 {
				add("no Resource")
			}
			for _, res := range st.Resources {
				if msg := stackScoped(pd.T, res); msg != "" {
					add("%s", msg)
					continue
				}
				for _, a := range st.Actions {
					service, _, _ := strings.Cut(a, ":")
					scope, known := serviceScope[service]
					if !known {
						continue
					}
					if !namesKind(pd.T, res, scope.types, scope.hint) {
						add("%s on %s does not name a %s of the stack", a, canon(res), strings.ToLower(scope.hint))
						break
					}
				}
			}
		}
	}
	if found == 0 {
		r.Add(nil, "", "no identity policy in any template")
	}
}

func conditionHasKey(cond map[string]any, key string) bool {
	for _, op := range cond {
		if m, ok := op.(map[string]any); ok {
			if _, ok := m[key]; ok {
				return true
			}
		}
	}
	return false
}

// stackScoped explains why a resource of an Allow statement is not pinned to the stack, or returns "".
// A resource must be a Ref or Fn::GetAtt of a resource or parameter, or a Fn::Sub naming one, with wildcards
// only after the last name (so they narrow within it: bucket/models/*, table/x/index/*).
func stackScoped(t *Template, res any) string {
	if s, ok := res.(string); ok {
		return "resource " + s + " is a literal; name the stack's resource or a parameter"
	}
	f, ok := AsFn(res)
	if !ok {
		return "resource " + canon(res) + " is not an ARN expression"
	}
	switch f.Name {
	case "Ref", "Fn::GetAtt":
		for _, ref := range References(res) {
			if !strings.HasPrefix(ref.Name, "AWS::") {
				return ""
			}
		}
		return "resource " + canon(res) + " names only pseudo parameters"
	case "Fn::Sub":
		text, _, _ := subParts(f.Arg)
		last := -1
		for _, m := range subVar.FindAllStringSubmatchIndex(text, -1) {
			if name := text[m[2]:m[3]]; !strings.HasPrefix(name, "AWS::") {
				last = m[1]
			}
		}
		if last < 0 {
			return "resource " + text + " names only pseudo parameters; name the stack's resource or a parameter"
		}
		if i := strings.IndexAny(text, "*?"); i >= 0 && i < last {
			return "resource " + text + " has a wildcard before the name it is scoped to"
		}
		return ""
	}
	return "resource " + canon(res) + " uses " + f.Name + "; use Ref, Fn::GetAtt or Fn::Sub"
}

// namesKind reports whether res names a resource of one of types, or a parameter whose name contains hint.
func namesKind(t *Template, res any, types []string, hint string) bool {
	for _, ref := range References(res) {
		if contains(types, t.typeOf(ref.Name)) {
			return true
		}
		if _, isParam := t.Parameters[ref.Name]; isParam && strings.Contains(ref.Name, hint) {
			return true
		}
	}
	return false
}

func checkResourcePolicies(s *Set, r *Report) {
	for _, pd := range s.policyDocs() {
		for i, st := range statements(pd.Doc) {
			label := st.Sid
			if label == "" {
				label = "#" + strconv.Itoa(i+1)
			}
			add := func(format string, args ...any) {
				r.Add(pd.T, pd.ID, "%s statement %s: "+format, append([]any{pd.Name, label}, args...)...)
			}
			switch pd.Kind {
			case "trust":
				if st.Effect == "Allow" && st.servicePrincipal() == "" {
					add("a role may be assumed only by an AWS service here")
				}
				continue
			case "identity":
				continue
			}
			if st.Effect != "Allow" {
				// Deny statements may be as broad as they like: they only take access away.
				continue
			}
			if st.anyPrincipal() {
				add("allows every principal")
			}
			if st.NotAction || st.NotResource {
				add("NotAction/NotResource in an Allow grants everything not listed")
			}
			for _, a := range st.Actions {
				if actionWildcard(a) {
					add("action %q is a wildcard; name each action", a)
				}
			}
			if svc := st.servicePrincipal(); svc != "" && len(st.Condition) == 0 {
				add("service principal %s without a condition pinning the source (aws:SourceArn/SourceAccount)", svc)
			}
			if pd.Kind == "key" {
				for _, res := range st.Resources {
					if res != "*" {
						add("a key policy's Resource must be \"*\" (this key)")
					}
				}
				if p, ok := st.Principal.(map[string]any); ok {
					aws := p["AWS"]
					list, isList := aws.([]any)
					if !isList && aws != nil {
						list = []any{aws}
					}
					for _, v := range list {
						if !refersTo(v, "AWS::AccountId") {
							add("key principal %s is not this account", canon(v))
						}
					}
				}
			}
		}
	}
	for _, t := range s.Templates {
		for _, x := range resourcesIn[*iam.Role](t) {
			if len(x.R.ManagedPolicyArns) > 0 {
				r.Add(t, x.ID, "attaches managed policies %v, whose grants this check cannot see; write the statements inline", x.R.ManagedPolicyArns)
			}
		}
		for _, p := range resourcesIn[*lambda.Permission](t) {
			if strings.HasSuffix(p.R.Principal, ".amazonaws.com") && (p.R.SourceArn == nil || p.R.SourceAccount == nil) {
				r.Add(t, p.ID, "lets %s invoke without both SourceArn and SourceAccount", p.R.Principal)
			}
		}
	}
}
