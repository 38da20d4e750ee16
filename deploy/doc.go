// Package deploy holds Strata's AWS architecture as CloudFormation templates (cloudformation/*.yaml) and the
// checks that keep the templates honest. Nothing here can be deployed from a test run, so every promise of the
// architecture (multi-AZ, encryption, no public data, least privilege, failover wired, drain in step with the
// server…) is a Check over the parsed templates, and the tests run each check against the real templates and
// against mutated copies that break it.
//
// Templates are parsed with goformation into its typed resources, so an unknown resource type or a misspelt or
// mistyped property is a load error, not a silent pass. goformation would resolve intrinsic functions against
// parameter defaults and drop what it cannot resolve (every Ref to a resource); the loader instead keeps each
// intrinsic, encoded the way goformation encodes them in string fields, so checks can follow references. The
// price is that intrinsics may only appear where the property is a string (or a list of strings, or free-form
// JSON such as a policy document); numbers and booleans in these templates are literals.
package deploy
