package deploy

import (
	"github.com/awslabs/goformation/v7/cloudformation/lambda"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
)

var lambdaChecks = []Check{
	{
		ID:      "bake-lambda",
		Promise: "the bake Lambda is the Go binary on provided.al2023, with capped concurrency, a failure destination and a log group with retention",
		Run:     checkBakeLambda,
	},
}

func checkBakeLambda(s *Set, r *Report) {
	for _, f := range resources[*lambda.Function](s) {
		fn, t, id := f.R, f.T, f.ID
		add := func(format string, args ...any) { r.Add(t, id, format, args...) }
		if deref(fn.Runtime) != "provided.al2023" || deref(fn.Handler) != "bootstrap" {
			add("runtime %q handler %q; a Go binary runs as bootstrap on provided.al2023", deref(fn.Runtime), deref(fn.Handler))
		}
		if len(fn.Architectures) != 1 || (fn.Architectures[0] != "arm64" && fn.Architectures[0] != "x86_64") {
			add("Architectures must be [arm64] or [x86_64], matching the build")
		}
		if deref(fn.ReservedConcurrentExecutions) <= 0 {
			add("no ReservedConcurrentExecutions: a burst of uploads could take the account's concurrency")
		}
		destination := false
		for _, c := range resourcesIn[*lambda.EventInvokeConfig](t) {
			if refersTo(Decode(c.R.FunctionName), id) && c.R.DestinationConfig != nil && c.R.DestinationConfig.OnFailure != nil {
				destination = true
			}
		}
		if !destination {
			add("failed asynchronous invocations go nowhere (no EventInvokeConfig OnFailure destination)")
		}
		logged := false
		if fn.LoggingConfig != nil {
			if g, ok := RefTarget(fn.LoggingConfig.LogGroup); ok {
				if lg, ok := t.Resources[g].(*logs.LogGroup); ok && deref(lg.RetentionInDays) > 0 {
					logged = true
				}
			}
		}
		if !logged {
			add("logs go to a log group the stack does not create with a retention (LoggingConfig.LogGroup)")
		}
	}
}
