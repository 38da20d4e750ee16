package deploy

import (
	"strings"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation/cloudfront"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/awslabs/goformation/v7/cloudformation/wafv2"
)

// Managed CloudFront policies (fixed IDs across accounts).
const (
	managedCachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
)

const (
	oneYear  = 365 * 24 * time.Hour
	oneHour  = time.Hour
	manifest = "/manifest.json"
)

var cdnChecks = []Check{
	{ID: "cdn-routing", Promise: "static files come from the bucket; /models/* and /api/* go to the Strata origin (models through the failover group)", Run: checkRouting},
	{ID: "cdn-cache-policies", Promise: "immutable artifacts are cached a year, manifests briefly (honouring Strata's s-maxage), the API not at all", Run: checkCachePolicies},
	{ID: "cdn-https", Promise: "viewers and origins speak HTTPS only, TLS 1.2 or later", Run: checkCDNHTTPS},
	{ID: "cdn-oac", Promise: "CloudFront reads the bucket through Origin Access Control, and the bucket policy admits only this distribution", Run: checkOAC},
	{ID: "origin-shield", Promise: "every origin sits behind Origin Shield", Run: checkOriginShield},
	{ID: "origin-secret", Promise: "CloudFront sends the origin secret from Secrets Manager in the header Strata checks", Run: checkOriginSecret},
	{ID: "origin-failover", Promise: "an origin group fails over from Strata to the bucket on 5xx for model requests", Run: checkFailover},
	{ID: "waf", Promise: "a CLOUDFRONT-scope WAF web ACL with AWS's common and known-bad-inputs rules and a blocking rate-based rule is attached to the distribution", Run: checkWAF},
}

type distribution struct {
	T       *Template
	ID      string
	C       *cloudfront.Distribution_DistributionConfig
	origins map[string]cloudfront.Distribution_Origin
	groups  map[string][]string // origin group ID → member origin IDs, primary first
}

type behavior struct {
	Path, Target, Policy, RequestPolicy, Viewer string
	Methods                                     []string
}

func (s *Set) distributions(r *Report) []distribution {
	var out []distribution
	all := resources[*cloudfront.Distribution](s)
	if len(all) == 0 {
		r.Add(nil, "", "no CloudFront distribution in any template")
	}
	for _, d := range all {
		if d.R.DistributionConfig == nil {
			r.Add(d.T, d.ID, "no DistributionConfig")
			continue
		}
		x := distribution{T: d.T, ID: d.ID, C: d.R.DistributionConfig, origins: map[string]cloudfront.Distribution_Origin{}, groups: map[string][]string{}}
		for _, o := range x.C.Origins {
			x.origins[o.Id] = o
		}
		if x.C.OriginGroups != nil {
			for _, g := range x.C.OriginGroups.Items {
				if g.Members != nil {
					for _, m := range g.Members.Items {
						x.groups[g.Id] = append(x.groups[g.Id], m.OriginId)
					}
				}
			}
		}
		out = append(out, x)
	}
	return out
}

func (d distribution) behaviors() []behavior {
	var out []behavior
	for _, b := range d.C.CacheBehaviors {
		out = append(out, behavior{b.PathPattern, b.TargetOriginId, deref(b.CachePolicyId), deref(b.OriginRequestPolicyId), b.ViewerProtocolPolicy, b.AllowedMethods})
	}
	if b := d.C.DefaultCacheBehavior; b != nil {
		out = append(out, behavior{"*", b.TargetOriginId, deref(b.CachePolicyId), deref(b.OriginRequestPolicyId), b.ViewerProtocolPolicy, b.AllowedMethods})
	}
	return out
}

// primary returns the origin a behaviour's target sends to first (the target itself, or a group's first member).
func (d distribution) primary(target string) (cloudfront.Distribution_Origin, bool) {
	if members, ok := d.groups[target]; ok && len(members) > 0 {
		target = members[0]
	}
	o, ok := d.origins[target]
	return o, ok
}

// behavior returns the first behaviour (in CloudFront's evaluation order) whose pattern is exactly path.
func (d distribution) behavior(path string) (behavior, int, bool) {
	for i, b := range d.behaviors() {
		if b.Path == path {
			return b, i, true
		}
	}
	return behavior{}, -1, false
}

func isStrata(o cloudfront.Distribution_Origin) bool { return o.CustomOriginConfig != nil }
func isBucket(o cloudfront.Distribution_Origin) bool { return o.S3OriginConfig != nil }

func checkRouting(s *Set, r *Report) {
	for _, d := range s.distributions(r) {
		if def := d.C.DefaultCacheBehavior; def == nil {
			r.Add(d.T, d.ID, "no default behaviour")
		} else if o, ok := d.primary(def.TargetOriginId); !ok || !isBucket(o) {
			r.Add(d.T, d.ID, "default behaviour (static files) must target the bucket")
		}
		for _, path := range []string{"/models/*", "/api/*"} {
			b, _, ok := d.behavior(path)
			if !ok {
				r.Add(d.T, d.ID, "no %s behaviour", path)
				continue
			}
			if o, ok := d.primary(b.Target); !ok || !isStrata(o) {
				r.Add(d.T, d.ID, "%s must go to the Strata origin first", path)
			}
		}
		if b, _, ok := d.behavior("/api/*"); ok {
			if _, grouped := d.groups[b.Target]; grouped {
				r.Add(d.T, d.ID, "/api/* targets an origin group; groups serve only GET/HEAD/OPTIONS")
			}
			for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
				if !contains(b.Methods, m) {
					r.Add(d.T, d.ID, "/api/* does not allow %s", m)
				}
			}
		}
	}
}

// cachePolicy returns the TTLs of the policy a behaviour uses (a CachePolicy of the template, or the managed
// CachingDisabled policy, whose TTLs are all zero).
func (d distribution) cachePolicy(id string) (min, def, max time.Duration, ok bool) {
	if id == managedCachingDisabled {
		return 0, 0, 0, true
	}
	ref, isRef := RefTarget(id)
	if !isRef {
		return 0, 0, 0, false
	}
	p, isPolicy := d.T.Resources[ref].(*cloudfront.CachePolicy)
	if !isPolicy || p.CachePolicyConfig == nil {
		return 0, 0, 0, false
	}
	c := p.CachePolicyConfig
	sec := func(f float64) time.Duration { return time.Duration(f) * time.Second }
	return sec(c.MinTTL), sec(c.DefaultTTL), sec(c.MaxTTL), true
}

func checkCachePolicies(s *Set, r *Report) {
	for _, d := range s.distributions(r) {
		models, modelsAt, okModels := d.behavior("/models/*")
		manifests, manifestAt := behavior{}, -1
		for i, b := range d.behaviors() {
			if strings.HasPrefix(b.Path, "/models/") && strings.HasSuffix(b.Path, manifest) {
				manifests, manifestAt = b, i
				break
			}
		}
		if manifestAt < 0 {
			r.Add(d.T, d.ID, "no behaviour for /models/*%s: manifests would be cached as long as immutable artifacts", manifest)
		} else if okModels && manifestAt > modelsAt {
			r.Add(d.T, d.ID, "the manifest behaviour comes after /models/*, which shadows it")
		} else if _, def, max, ok := d.cachePolicy(manifests.Policy); !ok {
			r.Add(d.T, d.ID, "manifest behaviour uses no cache policy of the template")
		} else {
			if max > oneHour {
				r.Add(d.T, d.ID, "manifests may be cached %s; a publish should show within the hour", max)
			}
			if max < s.Strata.SMaxAge {
				r.Add(d.T, d.ID, "manifest MaxTTL %s is below Strata's s-maxage %s, so Strata's CDN TTL is not what applies", max, s.Strata.SMaxAge)
			}
			if def > max {
				r.Add(d.T, d.ID, "manifest DefaultTTL %s exceeds MaxTTL %s", def, max)
			}
		}
		if okModels {
			if min, def, _, ok := d.cachePolicy(models.Policy); !ok || def < oneYear || min <= 0 {
				r.Add(d.T, d.ID, "/models/* (content-addressed artifacts) must be cached a year (DefaultTTL %s, MinTTL %s)", def, min)
			}
		}
		if api, _, ok := d.behavior("/api/*"); ok {
			if _, def, max, ok := d.cachePolicy(api.Policy); !ok || def != 0 || max != 0 {
				r.Add(d.T, d.ID, "/api/* must not be cached (use the managed CachingDisabled policy)")
			}
			if api.RequestPolicy == "" {
				r.Add(d.T, d.ID, "/api/* forwards no cookies or query strings (no origin request policy)")
			}
		}
	}
}

func checkCDNHTTPS(s *Set, r *Report) {
	for _, d := range s.distributions(r) {
		for _, b := range d.behaviors() {
			if b.Viewer != "redirect-to-https" && b.Viewer != "https-only" {
				r.Add(d.T, d.ID, "behaviour %s lets viewers use HTTP (%s)", b.Path, b.Viewer)
			}
		}
		for _, id := range sortedKeys(d.origins) {
			c := d.origins[id].CustomOriginConfig
			if c == nil {
				continue
			}
			if c.OriginProtocolPolicy != "https-only" {
				r.Add(d.T, d.ID, "origin %s protocol policy is %s, want https-only", id, c.OriginProtocolPolicy)
			}
			if len(c.OriginSSLProtocols) == 0 {
				r.Add(d.T, d.ID, "origin %s does not pin OriginSSLProtocols (the default includes TLSv1 and TLSv1.1)", id)
			}
			for _, p := range c.OriginSSLProtocols {
				if p != "TLSv1.2" {
					r.Add(d.T, d.ID, "origin %s allows %s", id, p)
				}
			}
		}
		vc := d.C.ViewerCertificate
		if vc == nil || vc.AcmCertificateArn == nil || deref(vc.SslSupportMethod) != "sni-only" || !strings.HasPrefix(deref(vc.MinimumProtocolVersion), "TLSv1.2") {
			r.Add(d.T, d.ID, "viewer certificate must be an ACM certificate, sni-only, minimum TLSv1.2")
		}
	}
}

func checkOAC(s *Set, r *Report) {
	for _, d := range s.distributions(r) {
		for _, id := range sortedKeys(d.origins) {
			o := d.origins[id]
			if !isBucket(o) {
				continue
			}
			if deref(o.S3OriginConfig.OriginAccessIdentity) != "" {
				r.Add(d.T, d.ID, "origin %s uses a legacy origin access identity", id)
			}
			oacID, _, ok := GetAttTarget(deref(o.OriginAccessControlId))
			oac, isOAC := d.T.Resources[oacID].(*cloudfront.OriginAccessControl)
			if !ok || !isOAC || oac.OriginAccessControlConfig == nil {
				r.Add(d.T, d.ID, "origin %s has no Origin Access Control of this template", id)
				continue
			}
			c := oac.OriginAccessControlConfig
			if c.SigningBehavior != "always" || c.SigningProtocol != "sigv4" || c.OriginAccessControlOriginType != "s3" {
				r.Add(d.T, oacID, "OAC must sign always with sigv4 for s3")
			}
			bucket, ok := bucketOfDomain(d.T, o.DomainName)
			if !ok {
				r.Add(d.T, d.ID, "origin %s does not name a bucket of this template", id)
				continue
			}
			admitted := false
			for _, doc := range bucketPolicies(d.T, bucket) {
				for _, st := range statements(doc) {
					if st.Effect == "Allow" && st.servicePrincipal() == "cloudfront.amazonaws.com" && refersTo(st.Condition, d.ID) {
						admitted = true
					}
				}
			}
			if !admitted {
				r.Add(d.T, bucket, "bucket policy does not admit CloudFront with an AWS:SourceArn condition naming %s", d.ID)
			}
		}
	}
}

// bucketOfDomain finds the bucket an S3 origin's domain names: !GetAtt Bucket.RegionalDomainName, or a Fn::Sub
// built from the parameter the bucket takes its name from.
func bucketOfDomain(t *Template, domain string) (string, bool) {
	if b, _, ok := GetAttTarget(domain); ok && t.typeOf(b) == "AWS::S3::Bucket" {
		return b, true
	}
	v := Decode(domain)
	for _, b := range resourcesIn[*s3.Bucket](t) {
		if refersTo(v, b.ID) || refersToAny(v, bucketNameParams(b)) {
			return b.ID, true
		}
	}
	return "", false
}

func checkOriginShield(s *Set, r *Report) {
	for _, d := range s.distributions(r) {
		for _, id := range sortedKeys(d.origins) {
			if sh := d.origins[id].OriginShield; sh == nil || !deref(sh.Enabled) || sh.OriginShieldRegion == nil {
				r.Add(d.T, d.ID, "origin %s is not behind Origin Shield", id)
			}
		}
	}
}

func checkOriginSecret(s *Set, r *Report) {
	want := s.Strata.OriginSecretHeader
	for _, t := range s.Templates {
		if def, ok := t.Default("OriginSecretHeaderName"); ok && !strings.EqualFold(def, want) {
			r.Add(t, "", "OriginSecretHeaderName defaults to %q but Strata's --origin-secret-header defaults to %q", def, want)
		}
	}
	for _, d := range s.distributions(r) {
		for _, id := range sortedKeys(d.origins) {
			o := d.origins[id]
			if !isStrata(o) {
				continue
			}
			found := false
			for _, h := range o.OriginCustomHeaders {
				name, _ := d.T.Resolve(h.HeaderName)
				if !strings.EqualFold(name, want) {
					continue
				}
				found = true
				values := texts(h.HeaderValue)
				if len(values) == 0 {
					r.Add(d.T, d.ID, "origin %s: the secret value is not a literal, Fn::Sub or Fn::If of those", id)
				}
				for _, v := range values {
					if !strings.Contains(v, "{{resolve:secretsmanager:") {
						r.Add(d.T, d.ID, "origin %s: the secret is written in the template instead of resolved from Secrets Manager", id)
					}
				}
			}
			if !found {
				r.Add(d.T, d.ID, "origin %s sends no %s header; Strata answers 403 without it", id, want)
			}
		}
	}
}

func checkFailover(s *Set, r *Report) {
	for _, d := range s.distributions(r) {
		if d.C.OriginGroups == nil || len(d.C.OriginGroups.Items) == 0 {
			r.Add(d.T, d.ID, "no origin group")
			continue
		}
		for _, g := range d.C.OriginGroups.Items {
			members := d.groups[g.Id]
			if len(members) != 2 {
				r.Add(d.T, d.ID, "origin group %s needs a primary and a secondary", g.Id)
				continue
			}
			p, ok1 := d.origins[members[0]]
			sec, ok2 := d.origins[members[1]]
			if !ok1 || !ok2 || !isStrata(p) || !isBucket(sec) {
				r.Add(d.T, d.ID, "origin group %s must fail over from the Strata origin to the bucket", g.Id)
			}
			codes := map[int]bool{}
			if g.FailoverCriteria != nil && g.FailoverCriteria.StatusCodes != nil {
				for _, c := range g.FailoverCriteria.StatusCodes.Items {
					codes[c] = true
				}
			}
			for _, c := range []int{500, 502, 503, 504} {
				if !codes[c] {
					r.Add(d.T, d.ID, "origin group %s does not fail over on %d", g.Id, c)
				}
			}
		}
		for _, b := range d.behaviors() {
			if strings.HasPrefix(b.Path, "/models/") {
				if _, grouped := d.groups[b.Target]; !grouped {
					r.Add(d.T, d.ID, "behaviour %s does not use the failover group", b.Path)
				}
			}
		}
	}
}

func checkWAF(s *Set, r *Report) {
	for _, d := range s.distributions(r) {
		acl, attr, ok := GetAttTarget(deref(d.C.WebACLId))
		w, isACL := d.T.Resources[acl].(*wafv2.WebACL)
		if !ok || !isACL || attr != "Arn" {
			r.Add(d.T, d.ID, "WebACLId is not !GetAtt <WAFv2 web ACL>.Arn of this template")
			continue
		}
		if w.Scope != "CLOUDFRONT" {
			r.Add(d.T, acl, "scope is %q; a distribution needs a CLOUDFRONT web ACL", w.Scope)
		}
		managed := map[string]bool{}
		rateBlock := false
		for _, rule := range w.Rules {
			if rule.Statement == nil {
				continue
			}
			if m := rule.Statement.ManagedRuleGroupStatement; m != nil && m.VendorName == "AWS" {
				if rule.OverrideAction == nil || rule.OverrideAction.Count != nil {
					r.Add(d.T, acl, "rule %s only counts; managed rules must block", rule.Name)
					continue
				}
				managed[m.Name] = true
			}
			if rb := rule.Statement.RateBasedStatement; rb != nil && rb.Limit > 0 && rule.Action != nil && rule.Action.Block != nil {
				rateBlock = true
			}
		}
		for _, want := range []string{"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} {
			if !managed[want] {
				r.Add(d.T, acl, "no blocking %s rule", want)
			}
		}
		if !rateBlock {
			r.Add(d.T, acl, "no rate-based rule that blocks")
		}
	}
}
