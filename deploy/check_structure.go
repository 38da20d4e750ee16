package deploy

import "strings"

var structureChecks = []Check{
	{
		ID:      "references",
		Promise: "every Ref, Fn::GetAtt, Fn::Sub variable, DependsOn and Condition names something that exists, and every attribute exists on its resource type",
		Run:     checkReferences,
	},
	{
		ID:      "no-cycles",
		Promise: "no two resources depend on each other, directly or through others, so CloudFormation can order them",
		Run:     checkCycles,
	},
}

// getAttAttributes lists the Fn::GetAtt attributes of the resource types these templates read attributes of.
// A type missing here is a finding, so the list grows with the templates rather than silently passing.
var getAttAttributes = map[string][]string{
	"AWS::EC2::EIP":                             {"AllocationId", "PublicIp"},
	"AWS::EC2::VPC":                             {"CidrBlock", "VpcId", "DefaultSecurityGroup", "DefaultNetworkAcl"},
	"AWS::EC2::Subnet":                          {"AvailabilityZone", "SubnetId", "VpcId", "CidrBlock"},
	"AWS::EC2::SecurityGroup":                   {"GroupId", "VpcId"},
	"AWS::EC2::LaunchTemplate":                  {"LatestVersionNumber", "DefaultVersionNumber", "LaunchTemplateId"},
	"AWS::KMS::Key":                             {"Arn", "KeyId"},
	"AWS::RDS::DBInstance":                      {"Endpoint.Address", "Endpoint.Port", "Endpoint.HostedZoneId", "DBInstanceArn", "DbiResourceId", "MasterUserSecret.SecretArn"},
	"AWS::DynamoDB::GlobalTable":                {"Arn", "StreamArn", "TableId"},
	"AWS::DynamoDB::Table":                      {"Arn", "StreamArn"},
	"AWS::S3::Bucket":                           {"Arn", "DomainName", "RegionalDomainName", "DualStackDomainName", "WebsiteURL"},
	"AWS::CloudFront::OriginAccessControl":      {"Id"},
	"AWS::CloudFront::Distribution":             {"DomainName", "Id"},
	"AWS::CloudFront::CachePolicy":              {"Id", "LastModifiedTime"},
	"AWS::WAFv2::WebACL":                        {"Arn", "Id", "Capacity", "LabelNamespace"},
	"AWS::Logs::LogGroup":                       {"Arn"},
	"AWS::SQS::Queue":                           {"Arn", "QueueName", "QueueUrl"},
	"AWS::SNS::Topic":                           {"TopicArn", "TopicName"},
	"AWS::IAM::Role":                            {"Arn", "RoleId"},
	"AWS::IAM::InstanceProfile":                 {"Arn"},
	"AWS::Lambda::Function":                     {"Arn"},
	"AWS::ElasticLoadBalancingV2::LoadBalancer": {"DNSName", "CanonicalHostedZoneID", "LoadBalancerFullName", "LoadBalancerName", "LoadBalancerArn", "SecurityGroups"},
	"AWS::ElasticLoadBalancingV2::TargetGroup":  {"TargetGroupFullName", "TargetGroupArn", "TargetGroupName", "LoadBalancerArns"},
	"AWS::SecretsManager::Secret":               {"Id"},
	"AWS::Route53::HealthCheck":                 {"HealthCheckId"},
}

func checkReferences(s *Set, r *Report) {
	for _, t := range s.Templates {
		tree := t.Tree()
		conditions, _ := tree["Conditions"].(map[string]any)
		known := func(name string) bool {
			if _, ok := pseudoParameters[name]; ok {
				return true
			}
			_, isParam := t.Parameters[name]
			_, isRes := t.Resources[name]
			return isParam || isRes
		}
		check := func(where string, v any) {
			for _, ref := range References(v) {
				if !known(ref.Name) {
					r.Add(t, where, "%s names %q, which is no parameter, resource or pseudo parameter", ref.Via, ref.Name)
					continue
				}
				if ref.Attr == "" {
					continue
				}
				typ := t.typeOf(ref.Name)
				if typ == "" {
					r.Add(t, where, "%s reads attribute %s of %s, which is not a resource", ref.Via, ref.Attr, ref.Name)
					continue
				}
				attrs, listed := getAttAttributes[typ]
				if !listed {
					r.Add(t, where, "no attribute list for %s (reading %s.%s); add it to getAttAttributes", typ, ref.Name, ref.Attr)
				} else if !contains(attrs, ref.Attr) {
					r.Add(t, where, "%s has no attribute %s (reading %s.%s)", typ, ref.Attr, ref.Name, ref.Attr)
				}
			}
			for _, c := range conditionNames(v) {
				if _, ok := conditions[c]; !ok {
					r.Add(t, where, "condition %q is not defined", c)
				}
			}
		}
		resources, _ := tree["Resources"].(map[string]any)
		for _, id := range sortedKeys(resources) {
			res, _ := resources[id].(map[string]any)
			check(id, res["Properties"])
			check(id, res["Metadata"])
			for _, dep := range stringList(res["DependsOn"]) {
				if _, ok := t.Resources[dep]; !ok {
					r.Add(t, id, "DependsOn names %q, which is no resource", dep)
				}
			}
			if c, ok := res["Condition"].(string); ok && c != "" {
				if _, ok := conditions[c]; !ok {
					r.Add(t, id, "condition %q is not defined", c)
				}
			}
		}
		for _, name := range sortedKeys(conditions) {
			check("Conditions."+name, conditions[name])
		}
		outputs, _ := tree["Outputs"].(map[string]any)
		for _, name := range sortedKeys(outputs) {
			check("Outputs."+name, outputs[name])
		}
	}
}

// conditionNames lists condition names used by Fn::If (first argument) and {"Condition": name} inside
// condition functions.
func conditionNames(v any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if f, ok := AsFn(x); ok && f.Name == "Fn::If" {
				if a, ok := f.Arg.([]any); ok && len(a) == 3 {
					if c, ok := a[0].(string); ok {
						out = append(out, c)
					}
					walk(a[1])
					walk(a[2])
				}
				return
			}
			if c, ok := x["Condition"].(string); ok && len(x) == 1 {
				out = append(out, c)
				return
			}
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

// dependencies returns, for each resource, the resources it needs created first.
func (t *Template) dependencies() map[string][]string {
	tree := t.Tree()
	resources, _ := tree["Resources"].(map[string]any)
	deps := map[string][]string{}
	for _, id := range sortedKeys(resources) {
		res, _ := resources[id].(map[string]any)
		seen := map[string]bool{}
		add := func(name string) {
			if _, ok := t.Resources[name]; ok && !seen[name] {
				seen[name] = true
				deps[id] = append(deps[id], name)
			}
		}
		for _, ref := range References(res["Properties"]) {
			add(ref.Name)
		}
		for _, d := range stringList(res["DependsOn"]) {
			add(d)
		}
	}
	return deps
}

func checkCycles(s *Set, r *Report) {
	for _, t := range s.Templates {
		deps := t.dependencies()
		const (
			unvisited = iota
			active
			done
		)
		state := map[string]int{}
		var stack []string
		var reported bool
		var visit func(id string)
		visit = func(id string) {
			if reported {
				return
			}
			state[id] = active
			stack = append(stack, id)
			for _, d := range deps[id] {
				switch state[d] {
				case active:
					i := len(stack) - 1
					for stack[i] != d {
						i--
					}
					cycle := append(append([]string{}, stack[i:]...), d)
					r.Add(t, d, "dependency cycle: %s", strings.Join(cycle, " -> "))
					reported = true
					return
				case unvisited:
					visit(d)
				}
			}
			stack = stack[:len(stack)-1]
			state[id] = done
		}
		for _, id := range sortedKeys(t.Resources) {
			if state[id] == unvisited {
				visit(id)
			}
		}
	}
}

// dependsOnTransitively reports whether resource b needs a created first, directly or through others.
func (t *Template) dependsOnTransitively(b, a string) bool {
	deps := t.dependencies()
	seen := map[string]bool{}
	var walk func(id string) bool
	walk = func(id string) bool {
		for _, d := range deps[id] {
			if d == a {
				return true
			}
			if !seen[d] {
				seen[d] = true
				if walk(d) {
					return true
				}
			}
		}
		return false
	}
	return walk(b)
}
