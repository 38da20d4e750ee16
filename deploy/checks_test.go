package deploy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation/autoscaling"
	"github.com/awslabs/goformation/v7/cloudformation/cloudfront"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	elbv2 "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/lambda"
	"github.com/awslabs/goformation/v7/cloudformation/rds"
	"github.com/awslabs/goformation/v7/cloudformation/route53"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/awslabs/goformation/v7/cloudformation/sqs"
	"github.com/awslabs/goformation/v7/cloudformation/wafv2"

	"github.com/strata3d/strata/deploy"
)

// TestTemplatesKeepPromises runs every check on the real templates.
func TestTemplatesKeepPromises(t *testing.T) {
	s := mustSet(t)
	for _, c := range deploy.Checks() {
		t.Run(c.ID, func(t *testing.T) {
			for _, f := range c.Exec(s) {
				t.Errorf("%s\n\tpromise: %s", f, c.Promise)
			}
		})
	}
}

type mutation func(t *testing.T, s *deploy.Set)

// edit replaces old by new in a template's YAML and re-parses it into the set: for promises that live in text
// (user data, policy documents) or read most naturally as the template an operator would write.
func edit(file, old, new string) mutation {
	return func(t *testing.T, s *deploy.Set) {
		t.Helper()
		src := string(mustTemplateBytes(t)[file])
		if !strings.Contains(src, old) {
			t.Fatalf("%s.yaml no longer contains %q; update the case", file, old)
		}
		tpl, err := deploy.Parse(file, []byte(strings.Replace(src, old, new, 1)))
		if err != nil {
			t.Fatalf("the edited template does not parse: %v", err)
		}
		for i := range s.Templates {
			if s.Templates[i].Name == file {
				s.Templates[i] = tpl
			}
		}
	}
}

// own returns the set's template of that name after making it the set's own parse, so mutating it leaves the
// templates other tests share alone.
func own(t *testing.T, s *deploy.Set, file string) *deploy.Template {
	t.Helper()
	shared, err := sharedTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for i, tpl := range s.Templates {
		if tpl.Name != file {
			continue
		}
		if tpl == shared[file] {
			fresh, err := deploy.Parse(file, mustTemplateBytes(t)[file])
			if err != nil {
				t.Fatal(err)
			}
			s.Templates[i] = fresh
		}
		return s.Templates[i]
	}
	t.Fatalf("no template %s", file)
	return nil
}

// res returns a typed resource of the set's own copy of a template, for a case to mutate.
func res[T any](t *testing.T, s *deploy.Set, file, id string) T {
	t.Helper()
	tpl := own(t, s, file)
	r, ok := tpl.Resources[id].(T)
	if !ok {
		t.Fatalf("%s %s is %T", file, id, tpl.Resources[id])
	}
	return r
}

func drop(file, id string) mutation {
	return func(t *testing.T, s *deploy.Set) {
		tpl := own(t, s, file)
		if _, ok := tpl.Resources[id]; !ok {
			t.Fatalf("%s has no %s", file, id)
		}
		delete(tpl.Resources, id)
	}
}

func ref(name string) string { return deploy.Intrinsic("Ref", name) }

func ptr[T any](v T) *T { return &v }

// distConfig returns the edge distribution's configuration.
func distConfig(t *testing.T, s *deploy.Set) *cloudfront.Distribution_DistributionConfig {
	return res[*cloudfront.Distribution](t, s, "edge", "Distribution").DistributionConfig
}

func behaviorFor(t *testing.T, s *deploy.Set, path string) *cloudfront.Distribution_CacheBehavior {
	c := distConfig(t, s)
	for i := range c.CacheBehaviors {
		if c.CacheBehaviors[i].PathPattern == path {
			return &c.CacheBehaviors[i]
		}
	}
	t.Fatalf("no behaviour %s", path)
	return nil
}

func origin(t *testing.T, s *deploy.Set, id string) *cloudfront.Distribution_Origin {
	c := distConfig(t, s)
	for i := range c.Origins {
		if c.Origins[i].Id == id {
			return &c.Origins[i]
		}
	}
	t.Fatalf("no origin %s", id)
	return nil
}

func instancePolicy(t *testing.T, s *deploy.Set) map[string]any {
	role := res[*iam.Role](t, s, "compute", "InstanceRole")
	return role.Policies[0].PolicyDocument.(map[string]any)
}

// instanceStatement returns the statement of the instance role with that Sid, as plain data to edit.
func instanceStatement(t *testing.T, s *deploy.Set, sid string) map[string]any {
	for _, st := range instancePolicy(t, s)["Statement"].([]any) {
		m := st.(map[string]any)
		if m["Sid"] == sid {
			return m
		}
	}
	t.Fatalf("no statement %s", sid)
	return nil
}

// TestChecksCatchBrokenPromises breaks each promise in a copy of the templates and expects the check that
// guards it to say so: a check that cannot fail proves nothing.
func TestChecksCatchBrokenPromises(t *testing.T) {
	cases := []struct {
		name   string
		check  string
		mutate mutation
		want   string
	}{
		// structure
		{"misspelt attribute", "references", func(t *testing.T, s *deploy.Set) {
			distConfig(t, s).WebACLId = ptr(deploy.Intrinsic("Fn::GetAtt", []any{"WebAcl", "ARN"}))
		}, "has no attribute ARN"},
		{"dangling Ref", "references", func(t *testing.T, s *deploy.Set) {
			res[*iam.InstanceProfile](t, s, "compute", "InstanceProfile").Roles = []string{ref("InstanceRoel")}
		}, `names "InstanceRoel"`},
		{"undefined condition", "references", edit("monitoring", "Condition: HasBakeFunction\n    Properties:\n      AlarmName: !Sub \"strata-${AWS::Region}-bake-errors\"", "Condition: HasBake\n    Properties:\n      AlarmName: !Sub \"strata-${AWS::Region}-bake-errors\""), `condition "HasBake" is not defined`},
		{"bucket notification cycle", "no-cycles", edit("edge", `Resource: !Sub "arn:${AWS::Partition}:s3:::${AssetsBucketName}/uploads/*"`, `Resource: !Sub "${AssetsBucket.Arn}/uploads/*"`), "dependency cycle"},

		// network
		{"two private subnets in one AZ", "vpc-three-azs", edit("network", `AvailabilityZone: !Select [2, !GetAZs ""]
      CidrBlock: !Select [5`, `AvailabilityZone: !Select [1, !GetAZs ""]
      CidrBlock: !Select [5`), "private subnets span 2 distinct AZs"},
		{"two public subnets in one AZ", "vpc-three-azs", func(t *testing.T, s *deploy.Set) {
			res[*ec2.Subnet](t, s, "network", "PublicSubnet3").AvailabilityZone = res[*ec2.Subnet](t, s, "network", "PublicSubnet1").AvailabilityZone
		}, "public subnets span 2"},
		{"NAT in another AZ", "vpc-three-azs", func(t *testing.T, s *deploy.Set) {
			res[*ec2.Route](t, s, "network", "PrivateDefaultRoute3").NatGatewayId = ptr(ref("NatGateway1"))
		}, "NAT gateway in another AZ"},
		{"SSH to instances", "security-groups", func(t *testing.T, s *deploy.Set) {
			g := res[*ec2.SecurityGroup](t, s, "network", "AppSecurityGroup")
			g.SecurityGroupIngress = append(g.SecurityGroupIngress, ec2.SecurityGroup_Ingress{IpProtocol: "tcp", FromPort: ptr(22), ToPort: ptr(22), CidrIp: ptr("10.0.0.0/8")})
		}, "SSH/RDP"},
		{"instances from the database group", "security-groups", func(t *testing.T, s *deploy.Set) {
			res[*ec2.SecurityGroupIngress](t, s, "network", "AppFromAlb").SourceSecurityGroupId = ptr(ref("DbSecurityGroup"))
		}, "instance group allows tcp 8080-8080"},
		{"database from anywhere", "security-groups", func(t *testing.T, s *deploy.Set) {
			in := res[*ec2.SecurityGroupIngress](t, s, "network", "DbFromApp")
			in.SourceSecurityGroupId, in.CidrIp = nil, ptr("0.0.0.0/0")
		}, "only the ALB's group may take traffic from anywhere"},
		{"database on another port", "security-groups", func(t *testing.T, s *deploy.Set) {
			in := res[*ec2.SecurityGroupIngress](t, s, "network", "DbFromApp")
			in.FromPort, in.ToPort = ptr(3306), ptr(3306)
		}, "database group allows tcp 3306-3306"},
		{"ALB open on another port", "security-groups", func(t *testing.T, s *deploy.Set) {
			g := res[*ec2.SecurityGroup](t, s, "network", "AlbSecurityGroup")
			g.SecurityGroupIngress[0].FromPort, g.SecurityGroupIngress[0].ToPort = ptr(8443), ptr(8443)
		}, "only on 443/80"},
		{"default egress kept", "security-groups", func(t *testing.T, s *deploy.Set) {
			res[*ec2.SecurityGroup](t, s, "network", "AlbSecurityGroup").SecurityGroupEgress = nil
		}, "default allow-all egress stays"},
		{"private NACL opens SSH", "nacls", func(t *testing.T, s *deploy.Set) {
			res[*ec2.NetworkAclEntry](t, s, "network", "PrivateInEphemeral").PortRange.From = ptr(22)
		}, "private network ACL PrivateNetworkAcl allows protocol 6 ports 22-65535"},
		{"public NACL opens SSH", "nacls", func(t *testing.T, s *deploy.Set) {
			e := res[*ec2.NetworkAclEntry](t, s, "network", "PublicInHttps")
			e.PortRange.From, e.PortRange.To = ptr(22), ptr(22)
		}, "public network ACL PublicNetworkAcl allows protocol 6 ports 22-22"},
		{"NACL allows everything in", "nacls", func(t *testing.T, s *deploy.Set) {
			e := res[*ec2.NetworkAclEntry](t, s, "network", "PrivateInFromVpc")
			e.CidrBlock = ptr("0.0.0.0/0")
		}, "allows all traffic in from the internet"},
		{"subnet without NACL", "nacls", drop("network", "PrivateSubnet2Acl"), "PrivateSubnet2: subnet has no network ACL association"},

		// compute
		{"instances in two AZs", "compute-multi-az", func(t *testing.T, s *deploy.Set) {
			g := res[*autoscaling.AutoScalingGroup](t, s, "compute", "AutoScalingGroup")
			g.VPCZoneIdentifier = g.VPCZoneIdentifier[:2]
		}, "instances span 2 distinct AZs"},
		{"instances in a public subnet", "compute-multi-az", func(t *testing.T, s *deploy.Set) {
			g := res[*autoscaling.AutoScalingGroup](t, s, "compute", "AutoScalingGroup")
			g.VPCZoneIdentifier[0] = ref("PublicSubnet1")
		}, "only in private subnets"},
		{"one instance", "compute-multi-az", edit("compute", "    Default: \"3\"\n    Description: Fewest instances", "    Default: \"1\"\n    Description: Fewest instances"), `MinSize "1"`},
		{"ALB in private subnets", "compute-multi-az", func(t *testing.T, s *deploy.Set) {
			res[*elbv2.LoadBalancer](t, s, "compute", "Alb").Subnets = []string{ref("PrivateSubnet1"), ref("PrivateSubnet2"), ref("PrivateSubnet3")}
		}, "belongs in public subnets"},
		{"health check on /healthz", "health-checks", func(t *testing.T, s *deploy.Set) {
			res[*elbv2.TargetGroup](t, s, "compute", "TargetGroup").HealthCheckPath = ptr("/healthz")
		}, `health check path is "/healthz"`},
		{"EC2 health only", "health-checks", func(t *testing.T, s *deploy.Set) {
			res[*autoscaling.AutoScalingGroup](t, s, "compute", "AutoScalingGroup").HealthCheckType = ptr("EC2")
		}, `HealthCheckType is "EC2"`},
		{"old TLS policy", "health-checks", func(t *testing.T, s *deploy.Set) {
			res[*elbv2.Listener](t, s, "compute", "HttpsListener").SslPolicy = ptr("ELBSecurityPolicy-2016-08")
		}, "allows TLS below 1.2"},
		{"no request scaling", "scaling", drop("compute", "RequestScaling"), "no target tracking policy on ALBRequestCountPerTarget"},
		{"no CPU scaling", "scaling", drop("compute", "CpuScaling"), "no target tracking policy on ASGAverageCPUUtilization"},
		{"request scaling on another target group", "scaling", edit("compute", "!GetAtt TargetGroup.TargetGroupFullName]]", "!Ref VpcId]]"), "ResourceLabel must name"},
		{"pinned launch template version", "instance-refresh", func(t *testing.T, s *deploy.Set) {
			res[*autoscaling.AutoScalingGroup](t, s, "compute", "AutoScalingGroup").LaunchTemplate.Version = deploy.Intrinsic("Fn::GetAtt", []any{"LaunchTemplate", "DefaultVersionNumber"})
		}, "LatestVersionNumber"},
		{"terminate before launch", "instance-refresh", func(t *testing.T, s *deploy.Set) {
			res[*autoscaling.AutoScalingGroup](t, s, "compute", "AutoScalingGroup").InstanceMaintenancePolicy = nil
		}, "MinHealthyPercentage below 100"},
		{"refresh without rollback", "instance-refresh", func(t *testing.T, s *deploy.Set) { s.Refresh["AutoRollback"] = false }, "AutoRollback must be true"},
		{"refresh on an unknown alarm", "instance-refresh", func(t *testing.T, s *deploy.Set) {
			spec := s.Refresh["AlarmSpecification"].(map[string]any)
			spec["Alarms"] = append(spec["Alarms"].([]any), "strata-REGION-alb-4xx-rate")
		}, `alarm "strata-REGION-alb-4xx-rate" is not defined`},
		{"refresh removes capacity", "instance-refresh", func(t *testing.T, s *deploy.Set) { s.Refresh["MinHealthyPercentage"] = float64(50) }, "MinHealthyPercentage 50"},
		{"deregistration delay default", "drain", func(t *testing.T, s *deploy.Set) {
			res[*elbv2.TargetGroup](t, s, "compute", "TargetGroup").TargetGroupAttributes[0].Value = ptr("300")
		}, "deregistration delay 300s does not match Strata's drain: drain delay 20s + shutdown timeout 30s = 50s"},
		{"Strata's shutdown timeout changes", "drain", func(t *testing.T, s *deploy.Set) { s.Strata.ShutdownTimeout = 45 * time.Second }, "shutdown timeout 45s = 1m5s"},
		{"drain shorter than detection", "drain", edit("compute", "STRATA_DRAIN_DELAY=20s", "STRATA_DRAIN_DELAY=5s"), "drain delay 5s is shorter than the ALB needs"},
		{"no drain delay set", "drain", edit("compute", "STRATA_DRAIN_DELAY=20s\n", ""), "drain delay 0s is shorter"},
		{"systemd kills mid-drain", "drain", edit("compute", "TimeoutStopSec=65", "TimeoutStopSec=30"), "TimeoutStopSec 30 must exceed"},
		{"ALB idle beyond Strata's", "keepalive-order", func(t *testing.T, s *deploy.Set) {
			res[*elbv2.LoadBalancer](t, s, "compute", "Alb").LoadBalancerAttributes[2].Value = ptr("150")
		}, "ALB idle timeout 2m30s must be below Strata's idle timeout 2m0s"},
		{"CloudFront keep-alive beyond the ALB's", "keepalive-order", func(t *testing.T, s *deploy.Set) {
			origin(t, s, "strata").CustomOriginConfig.OriginKeepaliveTimeout = ptr(90)
		}, "keep-alive 1m30s must be below the ALB idle timeout"},
		{"listening on loopback", "user-data", edit("compute", "STRATA_ADDR=0.0.0.0:8080", "STRATA_ADDR=127.0.0.1:8080"), "the ALB cannot reach it"},
		{"listening on another port", "user-data", edit("compute", "STRATA_ADDR=0.0.0.0:8080", "STRATA_ADDR=0.0.0.0:9090"), "Strata listens on port 9090 but the target group sends to 8080"},
		{"misspelt setting", "user-data", edit("compute", "STRATA_LOG_LEVEL=info", "STRATA_LOGLEVEL=info"), "STRATA_LOGLEVEL is not a `strata serve` setting"},
		{"unverified binary", "user-data", edit("compute", `echo "${StrataSha256}  /tmp/strata" | sha256sum -c -`, `echo skipping checksum`), "SHA-256"},
		{"demo content in production", "user-data", edit("compute", "STRATA_DEMO=false", "STRATA_DEMO=true"), `STRATA_DEMO is "true"`},
		{"runs as root", "user-data", edit("compute", "User=strata\n", "User=root\n"), "runs Strata as root"},
		{"not enabled", "user-data", edit("compute", "systemctl enable --now strata.service", "systemctl start strata.service"), "does not `systemctl enable --now strata.service`"},
		{"serves another bucket", "user-data", edit("compute", "STRATA_S3_BUCKET=${AssetsBucketName}", "STRATA_S3_BUCKET=${ReleaseBucketName}"), "is not the stack's asset bucket"},
		{"Strata's header default changes", "user-data", func(t *testing.T, s *deploy.Set) { s.Strata.OriginSecretHeader = "X-Strata-Secret" }, `origin secret header "X-Origin-Secret" differs`},
		{"no memory metric", "cloudwatch-agent", edit("compute", `"mem": { "measurement": ["mem_used_percent"] },`, `"mem": { "measurement": ["mem_available"] },`), "does not collect mem_used_percent"},
		{"memory not per group", "cloudwatch-agent", edit("compute", `"aggregation_dimensions": [["AutoScalingGroupName"]],`, `"aggregation_dimensions": [["InstanceId"]],`), "does not aggregate by AutoScalingGroupName"},
		{"scrape without the secret", "cloudwatch-agent", edit("compute", "                http_headers:\n                  ${OriginSecretHeaderName}:\n                    files: [/run/strata/scrape-secret]\n", ""), "sends no X-Origin-Secret header"},
		{"scrape on the wrong port", "cloudwatch-agent", edit("compute", `- targets: ["127.0.0.1:8080"]`, `- targets: ["127.0.0.1:9100"]`), "no scrape target is Strata's /metrics on port 8080"},
		{"agent not started", "cloudwatch-agent", edit("compute", "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \\", "echo \\"), "does not start the agent"},
		{"IMDSv1", "instance-hardening", func(t *testing.T, s *deploy.Set) {
			res[*ec2.LaunchTemplate](t, s, "compute", "LaunchTemplate").LaunchTemplateData.MetadataOptions.HttpTokens = ptr("optional")
		}, "IMDSv2 is not required"},
		{"plaintext volume", "instance-hardening", func(t *testing.T, s *deploy.Set) {
			res[*ec2.LaunchTemplate](t, s, "compute", "LaunchTemplate").LaunchTemplateData.BlockDeviceMappings[0].Ebs.Encrypted = ptr(false)
		}, "volume /dev/xvda is not encrypted"},

		// assets
		{"versioning suspended", "s3-versioning", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").VersioningConfiguration.Status = "Suspended"
		}, "versioning is not enabled"},
		{"old versions kept forever", "s3-lifecycle", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration = nil
		}, "expires noncurrent versions"},
		{"incomplete uploads kept", "s3-lifecycle", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").LifecycleConfiguration.Rules[0].AbortIncompleteMultipartUpload = nil
		}, "aborts incomplete multipart uploads"},
		{"abort only under a prefix", "s3-lifecycle", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").LifecycleConfiguration.Rules[0].Prefix = ptr("uploads/")
		}, "no bucket-wide rule aborts"},
		{"artifacts stay in Standard", "s3-lifecycle", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").LifecycleConfiguration.Rules[1].Transitions[0].StorageClass = "STANDARD_IA"
		}, "no rule moves models/ to INTELLIGENT_TIERING"},
		{"SSE-S3", "s3-encryption", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm = "AES256"
		}, "default encryption is not SSE-KMS"},
		{"no bucket key", "s3-encryption", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").BucketEncryption.ServerSideEncryptionConfiguration[0].BucketKeyEnabled = ptr(false)
		}, "BucketKeyEnabled is off"},
		{"AWS-managed key", "s3-encryption", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID = ptr("alias/aws/s3")
		}, "not a key the stack creates"},
		{"public buckets not restricted", "s3-no-public-access", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").PublicAccessBlockConfiguration.RestrictPublicBuckets = ptr(false)
		}, "all four blocks"},
		{"ACLs enabled", "s3-no-public-access", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").OwnershipControls = nil
		}, "ACLs are not disabled"},
		{"TLS deny inverted", "s3-tls-only", edit("edge", `Bool: { "aws:SecureTransport": "false" }`, `Bool: { "aws:SecureTransport": "true" }`), "denies s3:* on the bucket and its objects"},
		{"TLS deny misses objects", "s3-tls-only", edit("edge", "              - !Sub \"arn:${AWS::Partition}:s3:::${AssetsBucket}/*\"\n            Condition:\n              Bool", "            Condition:\n              Bool"), "denies s3:* on the bucket and its objects"},
		{"bake on every prefix", "bake-trigger", edit("edge", "{ Name: prefix, Value: uploads/ }", "{ Name: prefix, Value: models/ }"), `prefix "models/"`},
		{"notification before permission", "bake-trigger", func(t *testing.T, s *deploy.Set) {
			res[*s3.Bucket](t, s, "edge", "AssetsBucket").AWSCloudFormationDependsOn = nil
		}, "bucket must DependsOn BakeInvokePermission"},
		{"any account's bucket may invoke", "bake-trigger", func(t *testing.T, s *deploy.Set) {
			res[*lambda.Permission](t, s, "edge", "BakeInvokePermission").SourceAccount = nil
		}, "no SourceAccount"},
		{"any bucket may invoke", "bake-trigger", func(t *testing.T, s *deploy.Set) {
			res[*lambda.Permission](t, s, "edge", "BakeInvokePermission").SourceArn = ptr(deploy.Intrinsic("Fn::Sub", "arn:${AWS::Partition}:s3:::${LambdaCodeBucket}"))
		}, "SourceArn does not name the bucket"},

		// CDN
		{"API to the bucket", "cdn-routing", func(t *testing.T, s *deploy.Set) { behaviorFor(t, s, "/api/*").TargetOriginId = "site" }, "/api/* must go to the Strata origin first"},
		{"API read-only", "cdn-routing", func(t *testing.T, s *deploy.Set) {
			behaviorFor(t, s, "/api/*").AllowedMethods = []string{"GET", "HEAD"}
		}, "/api/* does not allow POST"},
		{"no models behaviour", "cdn-routing", func(t *testing.T, s *deploy.Set) { behaviorFor(t, s, "/models/*").PathPattern = "/model/*" }, "no /models/* behaviour"},
		{"manifests cached a day", "cdn-cache-policies", func(t *testing.T, s *deploy.Set) {
			res[*cloudfront.CachePolicy](t, s, "edge", "ManifestCachePolicy").CachePolicyConfig.MaxTTL = 86400
		}, "manifests may be cached 24h0m0s"},
		{"manifest TTL below s-maxage", "cdn-cache-policies", func(t *testing.T, s *deploy.Set) {
			res[*cloudfront.CachePolicy](t, s, "edge", "ManifestCachePolicy").CachePolicyConfig.MaxTTL = 120
		}, "manifest MaxTTL 2m0s is below Strata's s-maxage 5m0s"},
		{"Strata's s-maxage grows", "cdn-cache-policies", func(t *testing.T, s *deploy.Set) { s.Strata.SMaxAge = 10 * time.Minute }, "below Strata's s-maxage 10m0s"},
		{"manifest behaviour shadowed", "cdn-cache-policies", func(t *testing.T, s *deploy.Set) {
			c := distConfig(t, s)
			c.CacheBehaviors[0], c.CacheBehaviors[1] = c.CacheBehaviors[1], c.CacheBehaviors[0]
		}, "shadows it"},
		{"no manifest behaviour", "cdn-cache-policies", func(t *testing.T, s *deploy.Set) {
			c := distConfig(t, s)
			c.CacheBehaviors = c.CacheBehaviors[1:]
		}, "no behaviour for /models/*/manifest.json"},
		{"artifacts cached an hour", "cdn-cache-policies", func(t *testing.T, s *deploy.Set) {
			res[*cloudfront.CachePolicy](t, s, "edge", "ImmutableCachePolicy").CachePolicyConfig.DefaultTTL = 3600
		}, "must be cached a year"},
		{"API cached", "cdn-cache-policies", func(t *testing.T, s *deploy.Set) {
			behaviorFor(t, s, "/api/*").CachePolicyId = ptr(ref("SiteCachePolicy"))
		}, "/api/* must not be cached"},
		{"HTTP viewers", "cdn-https", func(t *testing.T, s *deploy.Set) {
			distConfig(t, s).DefaultCacheBehavior.ViewerProtocolPolicy = "allow-all"
		}, "lets viewers use HTTP (allow-all)"},
		{"HTTP to the origin", "cdn-https", func(t *testing.T, s *deploy.Set) {
			origin(t, s, "strata").CustomOriginConfig.OriginProtocolPolicy = "match-viewer"
		}, "protocol policy is match-viewer"},
		{"TLS 1.0 to the origin", "cdn-https", func(t *testing.T, s *deploy.Set) {
			o := origin(t, s, "strata")
			o.CustomOriginConfig.OriginSSLProtocols = append(o.CustomOriginConfig.OriginSSLProtocols, "TLSv1")
		}, "origin strata allows TLSv1"},
		{"old viewer TLS", "cdn-https", func(t *testing.T, s *deploy.Set) {
			distConfig(t, s).ViewerCertificate.MinimumProtocolVersion = ptr("TLSv1")
		}, "minimum TLSv1.2"},
		{"bucket policy admits any distribution", "cdn-oac", edit("edge", `"AWS:SourceArn": !Sub "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"`, `"AWS:SourceAccount": !Ref AWS::AccountId`), "does not admit CloudFront with an AWS:SourceArn condition naming Distribution"},
		{"unsigned OAC", "cdn-oac", func(t *testing.T, s *deploy.Set) {
			res[*cloudfront.OriginAccessControl](t, s, "edge", "OriginAccessControl").OriginAccessControlConfig.SigningBehavior = "never"
		}, "OAC must sign always"},
		{"legacy OAI", "cdn-oac", func(t *testing.T, s *deploy.Set) {
			origin(t, s, "site").S3OriginConfig.OriginAccessIdentity = ptr("origin-access-identity/cloudfront/E123")
		}, "legacy origin access identity"},
		{"no Origin Shield", "origin-shield", func(t *testing.T, s *deploy.Set) { origin(t, s, "site").OriginShield = nil }, "origin site is not behind Origin Shield"},
		{"secret in the template", "origin-secret", func(t *testing.T, s *deploy.Set) {
			origin(t, s, "strata").OriginCustomHeaders[0].HeaderValue = "correct-horse-battery-staple"
		}, "written in the template"},
		{"header Strata does not check", "origin-secret", func(t *testing.T, s *deploy.Set) {
			origin(t, s, "strata").OriginCustomHeaders[0].HeaderName = "X-Secret"
		}, "sends no X-Origin-Secret header"},
		{"header default drifts from Strata's", "origin-secret", func(t *testing.T, s *deploy.Set) { s.Strata.OriginSecretHeader = "X-Strata-Secret" }, `defaults to "X-Origin-Secret" but Strata's --origin-secret-header defaults to "X-Strata-Secret"`},
		{"no failover on 503", "origin-failover", func(t *testing.T, s *deploy.Set) {
			codes := distConfig(t, s).OriginGroups.Items[0].FailoverCriteria.StatusCodes
			codes.Items = []int{500, 502, 504}
		}, "does not fail over on 503"},
		{"failover backwards", "origin-failover", func(t *testing.T, s *deploy.Set) {
			m := distConfig(t, s).OriginGroups.Items[0].Members.Items
			m[0], m[1] = m[1], m[0]
		}, "must fail over from the Strata origin to the bucket"},
		{"models bypass the group", "origin-failover", func(t *testing.T, s *deploy.Set) { behaviorFor(t, s, "/models/*").TargetOriginId = "strata" }, "behaviour /models/* does not use the failover group"},
		{"WAF detached", "waf", func(t *testing.T, s *deploy.Set) { distConfig(t, s).WebACLId = nil }, "WebACLId is not"},
		{"regional WAF", "waf", func(t *testing.T, s *deploy.Set) { res[*wafv2.WebACL](t, s, "edge", "WebAcl").Scope = "REGIONAL" }, `scope is "REGIONAL"`},
		{"common rules only count", "waf", func(t *testing.T, s *deploy.Set) {
			res[*wafv2.WebACL](t, s, "edge", "WebAcl").Rules[0].OverrideAction = &wafv2.WebACL_OverrideAction{Count: map[string]any{}}
		}, "rule aws-common only counts"},
		{"no known-bad-inputs", "waf", func(t *testing.T, s *deploy.Set) {
			w := res[*wafv2.WebACL](t, s, "edge", "WebAcl")
			w.Rules = append(w.Rules[:1], w.Rules[2:]...)
		}, "no blocking AWSManagedRulesKnownBadInputsRuleSet rule"},
		{"rate rule only counts", "waf", func(t *testing.T, s *deploy.Set) {
			res[*wafv2.WebACL](t, s, "edge", "WebAcl").Rules[2].Action = &wafv2.WebACL_RuleAction{Count: &wafv2.WebACL_CountAction{}}
		}, "no rate-based rule that blocks"},

		// DNS
		{"two primaries", "dns-failover", func(t *testing.T, s *deploy.Set) {
			res[*route53.RecordSet](t, s, "dns", "OriginSecondary").Failover = ptr("PRIMARY")
		}, "want one PRIMARY and one SECONDARY"},
		{"health check on /readyz", "dns-failover", func(t *testing.T, s *deploy.Set) {
			res[*route53.HealthCheck](t, s, "dns", "SecondaryHealthCheck").HealthCheckConfig.ResourcePath = ptr("/readyz")
		}, `health check path is "/readyz", want /healthz`},
		{"unguarded secondary", "dns-failover", func(t *testing.T, s *deploy.Set) {
			res[*route53.RecordSet](t, s, "dns", "OriginSecondary").HealthCheckId = nil
		}, "failover record has no health check"},
		{"secondary is the primary", "dns-failover", func(t *testing.T, s *deploy.Set) {
			res[*route53.RecordSet](t, s, "dns", "OriginSecondary").AliasTarget.DNSName = ref("PrimaryAlbDnsName")
		}, "SECONDARY points where PRIMARY does"},
		{"one health check for both", "dns-failover", func(t *testing.T, s *deploy.Set) {
			res[*route53.HealthCheck](t, s, "dns", "SecondaryHealthCheck").HealthCheckConfig.FullyQualifiedDomainName = ptr(ref("PrimaryAlbDnsName"))
		}, "both health checks probe the same endpoint"},

		// data
		{"single-AZ database", "rds", func(t *testing.T, s *deploy.Set) { res[*rds.DBInstance](t, s, "data", "Database").MultiAZ = ptr(false) }, "MultiAZ is off"},
		{"unencrypted database", "rds", func(t *testing.T, s *deploy.Set) {
			res[*rds.DBInstance](t, s, "data", "Database").StorageEncrypted = ptr(false)
		}, "StorageEncrypted is off"},
		{"no backups", "rds", func(t *testing.T, s *deploy.Set) {
			res[*rds.DBInstance](t, s, "data", "Database").BackupRetentionPeriod = ptr(0)
		}, "automated backups are off"},
		{"deletable database", "rds", func(t *testing.T, s *deploy.Set) {
			res[*rds.DBInstance](t, s, "data", "Database").DeletionProtection = ptr(false)
		}, "DeletionProtection is off"},
		{"public database", "rds", func(t *testing.T, s *deploy.Set) {
			res[*rds.DBInstance](t, s, "data", "ReadReplica").PubliclyAccessible = nil
		}, "PubliclyAccessible must be false"},
		{"dropped with the stack", "rds", func(t *testing.T, s *deploy.Set) {
			res[*rds.DBInstance](t, s, "data", "Database").AWSCloudFormationDeletionPolicy = "Delete"
		}, `DeletionPolicy "Delete"`},
		{"cross-region replica unencrypted", "rds", func(t *testing.T, s *deploy.Set) {
			res[*rds.DBInstance](t, s, "data-replica", "Database").KmsKeyId = nil
		}, "cross-region replica without a KmsKeyId"},
		{"no read replica", "rds-read-replica", drop("data", "ReadReplica"), "no DB instance is a read replica"},
		{"plaintext connections", "rds-tls", edit("data", `rds.force_ssl: "1"`, `rds.force_ssl: "0"`), "rds.force_ssl is not 1"},
		{"provisioned table", "dynamodb", func(t *testing.T, s *deploy.Set) {
			res[*dynamodb.GlobalTable](t, s, "data", "CartsTable").BillingMode = ptr("PROVISIONED")
		}, `BillingMode "PROVISIONED"`},
		{"table without SSE", "dynamodb", func(t *testing.T, s *deploy.Set) {
			res[*dynamodb.GlobalTable](t, s, "data", "SessionsTable").SSESpecification.SSEEnabled = false
		}, "SSEEnabled is off"},
		{"table without TTL", "dynamodb", func(t *testing.T, s *deploy.Set) {
			res[*dynamodb.GlobalTable](t, s, "data", "SessionsTable").TimeToLiveSpecification.Enabled = false
		}, "TimeToLiveSpecification is not enabled"},
		{"replica without PITR", "dynamodb", func(t *testing.T, s *deploy.Set) {
			res[*dynamodb.GlobalTable](t, s, "data", "ProductsTable").Replicas[1].PointInTimeRecoverySpecification = nil
		}, "point-in-time recovery is off (replica 2)"},
		{"table dropped with the stack", "dynamodb", func(t *testing.T, s *deploy.Set) {
			res[*dynamodb.GlobalTable](t, s, "data", "ProductsTable").AWSCloudFormationDeletionPolicy = "Delete"
		}, `DeletionPolicy "Delete"`},
		{"carts renamed", "dynamodb-tables", edit("data", "CartsTableName: { Type: String, Default: strata_carts,", "CartsTableName: { Type: String, Default: strata_basket,"), "no table named {prefix}carts"},
		{"table name hard-coded", "dynamodb-tables", func(t *testing.T, s *deploy.Set) {
			res[*dynamodb.GlobalTable](t, s, "data", "CartsTable").TableName = ptr("carts")
		}, "TableName must be a parameter"},
		{"table name not exported", "dynamodb-tables", func(t *testing.T, s *deploy.Set) { delete(own(t, s, "data").Outputs, "SessionsTableName") }, "table name is not an output"},
		{"plaintext queue", "encryption", func(t *testing.T, s *deploy.Set) {
			res[*sqs.Queue](t, s, "edge", "BakeDeadLetterQueue").SqsManagedSseEnabled = nil
		}, "queue is not encrypted"},
		{"key never rotates", "encryption", func(t *testing.T, s *deploy.Set) {
			res[*kms.Key](t, s, "data", "DataKey").EnableKeyRotation = ptr(false)
		}, "key rotation is off"},

		// Lambda
		{"not the Go runtime", "bake-lambda", func(t *testing.T, s *deploy.Set) {
			res[*lambda.Function](t, s, "edge", "BakeFunction").Runtime = ptr("go1.x")
		}, `runtime "go1.x"`},
		{"unbounded concurrency", "bake-lambda", func(t *testing.T, s *deploy.Set) {
			res[*lambda.Function](t, s, "edge", "BakeFunction").ReservedConcurrentExecutions = nil
		}, "no ReservedConcurrentExecutions"},
		{"failures dropped", "bake-lambda", drop("edge", "BakeInvokeConfig"), "no EventInvokeConfig OnFailure destination"},
		{"logs kept forever", "bake-lambda", func(t *testing.T, s *deploy.Set) {
			res[*lambda.Function](t, s, "edge", "BakeFunction").LoggingConfig = nil
		}, "logs go to a log group"},

		// monitoring
		{"no memory alarm", "alarms", drop("monitoring", "MemoryHigh"), "no alarm watches CWAgent mem_used_percent"},
		{"p90 instead of p99", "alarms", func(t *testing.T, s *deploy.Set) {
			res[*cloudwatch.Alarm](t, s, "monitoring", "AlbP99Latency").ExtendedStatistic = ptr("p90")
		}, "TargetResponseTime (p99)"},
		{"5xx count instead of rate", "alarms", func(t *testing.T, s *deploy.Set) {
			a := res[*cloudwatch.Alarm](t, s, "monitoring", "Alb5xxRate")
			a.Metrics = nil
			a.Namespace, a.MetricName, a.Statistic, a.Period = ptr("AWS/ApplicationELB"), ptr("HTTPCode_Target_5XX_Count"), ptr("Sum"), ptr(60)
		}, "HTTPCode_Target_5XX_Count as a rate of RequestCount"},
		{"no throttle alarm", "alarms", drop("monitoring", "DynamoDbThrottles"), "no alarm watches AWS/DynamoDB ReadThrottleEvents"},
		{"no Lambda alarm", "alarms", drop("monitoring", "BakeErrors"), "no alarm watches AWS/Lambda Errors"},
		{"no RDS storage alarm", "alarms", drop("monitoring", "RdsFreeStorage"), "no alarm watches AWS/RDS FreeStorageSpace"},
		{"silent alarm", "alarm-actions", func(t *testing.T, s *deploy.Set) {
			res[*cloudwatch.Alarm](t, s, "monitoring", "RdsCpu").AlarmActions = nil
		}, "the alarm tells no one"},
		{"alarm to a hard-coded topic", "alarm-actions", func(t *testing.T, s *deploy.Set) {
			res[*cloudwatch.Alarm](t, s, "monitoring", "RdsCpu").AlarmActions = []string{"arn:aws:sns:us-east-1:123456789012:someone-else"}
		}, "is not an SNS topic of the stack"},
		{"broken dashboard", "dashboards", edit("monitoring", `"widgets": [`, `"widgets": [[`), "dashboard body is not JSON"},
		{"alarmed metric not shown", "dashboards", edit("monitoring", `["CWAgent", "mem_used_percent", "AutoScalingGroupName", "${AutoScalingGroupName}"]`, `["CWAgent", "disk_used_percent", "AutoScalingGroupName", "${AutoScalingGroupName}"]`), "metric CWAgent mem_used_percent is alarmed on but on no dashboard"},

		// IAM
		{"service wildcard", "iam-least-privilege", func(t *testing.T, s *deploy.Set) {
			instanceStatement(t, s, "ServeAndPublish")["Action"] = []any{"s3:*"}
		}, `action "s3:*" is a wildcard`},
		{"star action", "iam-least-privilege", func(t *testing.T, s *deploy.Set) {
			instanceStatement(t, s, "StorefrontTables")["Action"] = "*"
		}, `action "*" is a wildcard`},
		{"partial wildcard", "iam-least-privilege", func(t *testing.T, s *deploy.Set) {
			instanceStatement(t, s, "StorefrontTables")["Action"] = []any{"dynamodb:Get*"}
		}, `action "dynamodb:Get*" is a wildcard`},
		{"reads every bucket", "iam-least-privilege", func(t *testing.T, s *deploy.Set) {
			instanceStatement(t, s, "ServeAndPublish")["Resource"] = "*"
		}, `grants s3:GetObject on Resource "*"`},
		{"metrics to any namespace", "iam-least-privilege", func(t *testing.T, s *deploy.Set) {
			delete(instanceStatement(t, s, "AgentMetrics"), "Condition")
		}, "without a cloudwatch:namespace condition"},
		{"literal ARN", "iam-least-privilege", func(t *testing.T, s *deploy.Set) {
			instanceStatement(t, s, "ListAssets")["Resource"] = "arn:aws:s3:::someone-elses-bucket"
		}, "is a literal"},
		{"account-wide ARN", "iam-least-privilege", func(t *testing.T, s *deploy.Set) {
			instanceStatement(t, s, "ListAssets")["Resource"] = deploy.Intrinsic("Fn::Sub", "arn:${AWS::Partition}:s3:::*")
		}, "names only pseudo parameters"},
		{"wildcard before the name", "iam-least-privilege", func(t *testing.T, s *deploy.Set) {
			instanceStatement(t, s, "ListAssets")["Resource"] = deploy.Intrinsic("Fn::Sub", "arn:${AWS::Partition}:s3:::*${AssetsBucketName}")
		}, "has a wildcard before the name"},
		{"table grant on the bucket", "iam-least-privilege", func(t *testing.T, s *deploy.Set) {
			instanceStatement(t, s, "StorefrontTables")["Resource"] = deploy.Intrinsic("Fn::Sub", "arn:${AWS::Partition}:s3:::${AssetsBucketName}")
		}, "does not name a table of the stack"},
		{"NotAction", "iam-least-privilege", func(t *testing.T, s *deploy.Set) {
			st := instanceStatement(t, s, "ListAssets")
			st["NotAction"] = st["Action"]
			delete(st, "Action")
		}, "NotAction/NotResource"},
		{"Lambda reads every key", "iam-least-privilege", edit("edge", "                Action: [kms:Decrypt, kms:GenerateDataKey]\n                Resource: !GetAtt AssetsKey.Arn", "                Action: [kms:Decrypt, kms:GenerateDataKey]\n                Resource: \"*\""), `grants kms:Decrypt on Resource "*"`},
		{"public bucket policy", "resource-policies", edit("edge", "            Principal: { Service: cloudfront.amazonaws.com }\n            Action: [s3:GetObject]", "            Principal: \"*\"\n            Action: [s3:GetObject]"), "allows every principal"},
		{"service principal unpinned", "resource-policies", edit("edge", `            Condition:
              StringEquals: { "aws:SourceAccount": !Ref AWS::AccountId }
              ArnLike: { "aws:SourceArn": !Sub "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*" }
`, ""), "service principal cloudfront.amazonaws.com without a condition"},
		{"key policy wildcard action", "resource-policies", edit("data", "              - kms:DescribeKey\n", "              - kms:*\n"), `action "kms:*" is a wildcard`},
		{"key shared with everyone", "resource-policies", edit("data", `Principal: { AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" }`, `Principal: { AWS: "*" }`), "allows every principal"},
		{"managed policy", "resource-policies", func(t *testing.T, s *deploy.Set) {
			res[*iam.Role](t, s, "compute", "InstanceRole").ManagedPolicyArns = []string{"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}
		}, "attaches managed policies"},
		{"role trusts an account", "resource-policies", edit("compute", "Principal: { Service: ec2.amazonaws.com }", `Principal: { AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" }`), "assumed only by an AWS service"},
	}

	checks := map[string]deploy.Check{}
	for _, c := range deploy.Checks() {
		checks[c.ID] = c
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.check] = true
		t.Run(c.check+"/"+c.name, func(t *testing.T) {
			check, ok := checks[c.check]
			if !ok {
				t.Fatalf("no check %q", c.check)
			}
			s := mustSet(t)
			c.mutate(t, s)
			findings := check.Exec(s)
			for _, f := range findings {
				if strings.Contains(f.String(), c.want) {
					return
				}
			}
			t.Errorf("%s reported no finding containing %q; got %v", c.check, c.want, findings)
		})
	}
	for id := range checks {
		if !covered[id] {
			t.Errorf("check %s has no case that breaks it", id)
		}
	}
	// A case that mutated a shared template by mistake would have made later cases meaningless.
	for _, f := range deploy.Lint(mustSet(t)) {
		t.Errorf("shared templates were mutated by a case: %s", f)
	}
}
