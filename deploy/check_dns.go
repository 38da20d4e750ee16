package deploy

import (
	"github.com/awslabs/goformation/v7/cloudformation/route53"
)

var dnsChecks = []Check{
	{
		ID:      "dns-failover",
		Promise: "the origin name is a PRIMARY/SECONDARY failover pair over two load balancers, each record guarded by a Route 53 health check on /healthz",
		Run:     checkDNSFailover,
	},
}

func checkDNSFailover(s *Set, r *Report) {
	pairs := 0
	for _, t := range s.Templates {
		type group struct{ primary, secondary []string }
		groups := map[string]*group{}
		var order []string
		for _, rec := range resourcesIn[*route53.RecordSet](t) {
			if rec.R.Failover == nil {
				continue
			}
			key := canon(rec.R.HostedZoneId) + " " + canon(rec.R.Name) + " " + rec.R.Type
			g, ok := groups[key]
			if !ok {
				g = &group{}
				groups[key] = g
				order = append(order, key)
			}
			switch *rec.R.Failover {
			case "PRIMARY":
				g.primary = append(g.primary, rec.ID)
			case "SECONDARY":
				g.secondary = append(g.secondary, rec.ID)
			default:
				r.Add(t, rec.ID, "Failover %q is neither PRIMARY nor SECONDARY", *rec.R.Failover)
			}
		}
		for _, key := range order {
			g := groups[key]
			if len(g.primary) != 1 || len(g.secondary) != 1 {
				r.Add(t, "", "failover records %s: want one PRIMARY and one SECONDARY, got %v and %v", key, g.primary, g.secondary)
				continue
			}
			ok := true
			var targets, checked []string
			for _, id := range []string{g.primary[0], g.secondary[0]} {
				rec := t.Resources[id].(*route53.RecordSet)
				if rec.AliasTarget == nil {
					r.Add(t, id, "failover record is not an alias to a load balancer")
					ok = false
					continue
				}
				if !deref(rec.AliasTarget.EvaluateTargetHealth) {
					r.Add(t, id, "alias does not evaluate target health")
				}
				targets = append(targets, canon(rec.AliasTarget.DNSName))
				hcID, isRef := RefTarget(rec.HealthCheckId)
				hc, isHC := t.Resources[hcID].(*route53.HealthCheck)
				if !isRef || !isHC || hc.HealthCheckConfig == nil {
					r.Add(t, id, "failover record has no health check of this template")
					ok = false
					continue
				}
				c := hc.HealthCheckConfig
				if path, _ := t.Resolve(c.ResourcePath); path != "/healthz" {
					r.Add(t, hcID, "health check path is %q, want /healthz", path)
					ok = false
				}
				if c.Type != "HTTPS" && c.Type != "HTTP" && c.Type != "HTTPS_STR_MATCH" && c.Type != "HTTP_STR_MATCH" {
					r.Add(t, hcID, "health check type %s does not request /healthz", c.Type)
					ok = false
				}
				checked = append(checked, canon(c.FullyQualifiedDomainName))
			}
			if len(targets) == 2 && targets[0] == targets[1] {
				r.Add(t, g.secondary[0], "SECONDARY points where PRIMARY does")
				ok = false
			}
			if len(checked) == 2 && checked[0] == checked[1] {
				r.Add(t, g.secondary[0], "both health checks probe the same endpoint")
				ok = false
			}
			if ok {
				pairs++
			}
		}
	}
	if pairs == 0 {
		r.Add(nil, "", "no working PRIMARY/SECONDARY failover pair in any template")
	}
}
