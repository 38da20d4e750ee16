package deploy

import (
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/lambda"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
)

// Prefixes Strata's publishing path uses in the asset bucket (see issue 5 and docs/deploy.md).
const (
	artifactPrefix = "models/"
	uploadPrefix   = "uploads/"
)

var assetChecks = []Check{
	{ID: "s3-versioning", Promise: "every bucket keeps versions, so an overwritten manifest or deleted artifact can be restored", Run: checkVersioning},
	{ID: "s3-lifecycle", Promise: "old versions and incomplete multipart uploads expire, and artifacts move to Intelligent-Tiering", Run: checkLifecycle},
	{ID: "s3-encryption", Promise: "every bucket encrypts with SSE-KMS under a key of the stack, with an S3 Bucket Key", Run: checkBucketEncryption},
	{ID: "s3-no-public-access", Promise: "every bucket blocks all public access and disables ACLs", Run: checkPublicAccess},
	{ID: "s3-tls-only", Promise: "every bucket's policy denies any request not made over TLS", Run: checkTLSOnly},
	{ID: "bake-trigger", Promise: "objects created under uploads/ invoke the bake Lambda, which S3 is allowed to invoke for this bucket and account only", Run: checkBakeTrigger},
}

func checkVersioning(s *Set, r *Report) {
	buckets := resources[*s3.Bucket](s)
	if len(buckets) == 0 {
		r.Add(nil, "", "no S3 bucket in any template")
	}
	for _, b := range buckets {
		if b.R.VersioningConfiguration == nil || b.R.VersioningConfiguration.Status != "Enabled" {
			r.Add(b.T, b.ID, "versioning is not enabled")
		}
	}
}

func checkLifecycle(s *Set, r *Report) {
	for _, b := range resources[*s3.Bucket](s) {
		var noncurrent, abort, tiering bool
		if b.R.LifecycleConfiguration != nil {
			for _, rule := range b.R.LifecycleConfiguration.Rules {
				if rule.Status != "Enabled" {
					continue
				}
				wholeBucket := deref(rule.Prefix) == "" && len(rule.TagFilters) == 0 && rule.ObjectSizeGreaterThan == nil && rule.ObjectSizeLessThan == nil
				if (rule.NoncurrentVersionExpiration != nil && rule.NoncurrentVersionExpiration.NoncurrentDays > 0) || deref(rule.NoncurrentVersionExpirationInDays) > 0 {
					noncurrent = noncurrent || wholeBucket
				}
				if rule.AbortIncompleteMultipartUpload != nil && rule.AbortIncompleteMultipartUpload.DaysAfterInitiation > 0 {
					abort = abort || wholeBucket
				}
				if strings.HasPrefix(artifactPrefix, deref(rule.Prefix)) {
					transitions := rule.Transitions
					if rule.Transition != nil {
						transitions = append(transitions, *rule.Transition)
					}
					for _, tr := range transitions {
						if tr.StorageClass == "INTELLIGENT_TIERING" {
							tiering = true
						}
					}
				}
			}
		}
		if !noncurrent {
			r.Add(b.T, b.ID, "no bucket-wide rule expires noncurrent versions; every overwrite is kept and paid for forever")
		}
		if !abort {
			r.Add(b.T, b.ID, "no bucket-wide rule aborts incomplete multipart uploads; their parts are stored and billed invisibly")
		}
		if !tiering {
			r.Add(b.T, b.ID, "no rule moves %s to INTELLIGENT_TIERING", artifactPrefix)
		}
	}
}

func checkBucketEncryption(s *Set, r *Report) {
	for _, b := range resources[*s3.Bucket](s) {
		ok := false
		if enc := b.R.BucketEncryption; enc != nil {
			for _, rule := range enc.ServerSideEncryptionConfiguration {
				def := rule.ServerSideEncryptionByDefault
				if def == nil || !strings.HasPrefix(def.SSEAlgorithm, "aws:kms") {
					continue
				}
				src, key, traced := s.Trace(b.T, deref(def.KMSMasterKeyID))
				if !traced || src.typeOf(key) != "AWS::KMS::Key" {
					r.Add(b.T, b.ID, "SSE-KMS key is not a key the stack creates")
					continue
				}
				if !deref(rule.BucketKeyEnabled) {
					r.Add(b.T, b.ID, "BucketKeyEnabled is off: every object read would be a KMS request")
				}
				ok = true
			}
		}
		if !ok {
			r.Add(b.T, b.ID, "default encryption is not SSE-KMS")
		}
	}
}

func checkPublicAccess(s *Set, r *Report) {
	for _, b := range resources[*s3.Bucket](s) {
		p := b.R.PublicAccessBlockConfiguration
		if p == nil || !deref(p.BlockPublicAcls) || !deref(p.BlockPublicPolicy) || !deref(p.IgnorePublicAcls) || !deref(p.RestrictPublicBuckets) {
			r.Add(b.T, b.ID, "PublicAccessBlockConfiguration does not set all four blocks to true")
		}
		owner := ""
		if b.R.OwnershipControls != nil && len(b.R.OwnershipControls.Rules) > 0 {
			owner = deref(b.R.OwnershipControls.Rules[0].ObjectOwnership)
		}
		if owner != "BucketOwnerEnforced" {
			r.Add(b.T, b.ID, "ACLs are not disabled (OwnershipControls BucketOwnerEnforced)")
		}
		if b.R.AccessControl != nil || b.R.WebsiteConfiguration != nil {
			r.Add(b.T, b.ID, "bucket sets a canned ACL or website hosting; CloudFront with OAC is the only reader")
		}
	}
}

// bucketPolicies returns the policy documents attached to bucket id of t.
func bucketPolicies(t *Template, id string) []any {
	var out []any
	for _, p := range resourcesIn[*s3.BucketPolicy](t) {
		if target, ok := RefTarget(p.R.Bucket); ok && target == id {
			out = append(out, Decode(p.R.PolicyDocument))
		}
	}
	return out
}

func checkTLSOnly(s *Set, r *Report) {
	for _, b := range resources[*s3.Bucket](s) {
		denies := false
		for _, doc := range bucketPolicies(b.T, b.ID) {
			for _, st := range statements(doc) {
				if st.Effect != "Deny" || !st.anyPrincipal() || !(contains(st.Actions, "s3:*") || contains(st.Actions, "*")) {
					continue
				}
				cond, _ := st.Condition["Bool"].(map[string]any)
				v := cond["aws:SecureTransport"]
				if v != "false" && v != false {
					continue
				}
				var bucketARN, objectARN bool
				for _, res := range st.Resources {
					if !refersTo(res, b.ID) && !refersToAny(res, bucketNameParams(b)) {
						continue
					}
					for _, text := range texts(res) {
						if strings.HasSuffix(text, "/*") {
							objectARN = true
						} else {
							bucketARN = true
						}
					}
				}
				denies = denies || (bucketARN && objectARN)
			}
		}
		if !denies {
			r.Add(b.T, b.ID, "no bucket policy statement denies s3:* on the bucket and its objects when aws:SecureTransport is false")
		}
	}
}

// bucketNameParams returns the parameter a bucket takes its name from, if any: policies written before the
// bucket exists (to avoid cycles) refer to the bucket through it.
func bucketNameParams(b item[*s3.Bucket]) []string {
	if p, ok := RefTarget(b.R.BucketName); ok {
		return []string{p}
	}
	return nil
}

func refersToAny(v any, names []string) bool {
	for _, n := range names {
		if refersTo(v, n) {
			return true
		}
	}
	return false
}

func checkBakeTrigger(s *Set, r *Report) {
	functions := resources[*lambda.Function](s)
	if len(functions) == 0 {
		r.Add(nil, "", "no Lambda function in any template")
		return
	}
	triggered := false
	for _, b := range resources[*s3.Bucket](s) {
		if b.R.NotificationConfiguration == nil {
			continue
		}
		for _, lc := range b.R.NotificationConfiguration.LambdaConfigurations {
			fn, _, ok := GetAttTarget(lc.Function)
			if !ok || b.T.typeOf(fn) != "AWS::Lambda::Function" {
				r.Add(b.T, b.ID, "notification target is not !GetAtt of a function in this template")
				continue
			}
			prefix := ""
			if lc.Filter != nil && lc.Filter.S3Key != nil {
				for _, rule := range lc.Filter.S3Key.Rules {
					if strings.EqualFold(rule.Name, "prefix") {
						prefix = rule.Value
					}
				}
			}
			if !strings.HasPrefix(lc.Event, "s3:ObjectCreated:") || prefix != uploadPrefix {
				r.Add(b.T, b.ID, "notification to %s is %s on prefix %q; want s3:ObjectCreated:* on %s", fn, lc.Event, prefix, uploadPrefix)
				continue
			}
			var perm string
			for _, p := range resourcesIn[*lambda.Permission](b.T) {
				if !refersTo(Decode(p.R.FunctionName), fn) || p.R.Principal != "s3.amazonaws.com" || p.R.Action != "lambda:InvokeFunction" {
					continue
				}
				source := Decode(deref(p.R.SourceArn))
				if !refersTo(source, b.ID) && !refersToAny(source, bucketNameParams(b)) {
					r.Add(b.T, p.ID, "SourceArn does not name the bucket; any bucket could invoke %s", fn)
					continue
				}
				if p.R.SourceAccount == nil {
					r.Add(b.T, p.ID, "no SourceAccount: bucket names are global, so another account's bucket of that name could invoke %s", fn)
					continue
				}
				perm = p.ID
			}
			if perm == "" {
				r.Add(b.T, b.ID, "no lambda:InvokeFunction permission lets s3.amazonaws.com invoke %s for this bucket", fn)
				continue
			}
			if !b.T.dependsOnTransitively(b.ID, perm) {
				r.Add(b.T, b.ID, "bucket must DependsOn %s: S3 tests the permission when it saves the notification", perm)
				continue
			}
			triggered = true
		}
	}
	if !triggered {
		r.Add(nil, "", "no bucket triggers the bake Lambda on %s", uploadPrefix)
	}
}
