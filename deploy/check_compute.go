package deploy

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation/autoscaling"
	"github.com/awslabs/goformation/v7/cloudformation/cloudfront"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	elbv2 "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"gopkg.in/yaml.v3"
)

var computeChecks = []Check{
	{
		ID:      "compute-multi-az",
		Promise: "the ALB sits in public subnets and the Auto Scaling group in private subnets of three distinct AZs, with at least one instance per AZ",
		Run:     checkComputeAZs,
	},
	{
		ID:      "health-checks",
		Promise: "the target group checks /readyz, the group replaces instances the ALB finds unhealthy, and the listener is HTTPS with a TLS 1.2+ policy",
		Run:     checkHealth,
	},
	{
		ID:      "scaling",
		Promise: "target tracking scales the group on CPU and on ALB requests per target",
		Run:     checkScaling,
	},
	{
		ID:      "instance-refresh",
		Promise: "a new launch template version rolls out by instance refresh that keeps capacity, skips matching instances and rolls back on the error alarms",
		Run:     checkInstanceRefresh,
	},
	{
		ID:      "drain",
		Promise: "the deregistration delay equals Strata's drain delay plus shutdown timeout, the drain delay covers the ALB's detection time, and systemd waits for both",
		Run:     checkDrain,
	},
	{
		ID:      "keepalive-order",
		Promise: "idle connections are closed by the caller first: CloudFront's origin keep-alive < the ALB's idle timeout < Strata's --idle-timeout",
		Run:     checkKeepAlive,
	},
	{
		ID:      "user-data",
		Promise: "user data installs a checksummed strata binary and a systemd unit that runs `strata serve` on the target group's port, with only flags Strata has",
		Run:     checkUserData,
	},
	{
		ID:      "cloudwatch-agent",
		Promise: "the CloudWatch agent is installed by user data, reports mem_used_percent per Auto Scaling group, and scrapes Strata's /metrics (with the origin secret) into CloudWatch",
		Run:     checkAgent,
	},
	{
		ID:      "instance-hardening",
		Promise: "instances require IMDSv2 and encrypt their volumes",
		Run:     checkInstanceHardening,
	},
}

// fleet is one Auto Scaling group with its launch template and target group.
type fleet struct {
	T       *Template
	ID      string
	ASG     *autoscaling.AutoScalingGroup
	LTID    string
	LT      *ec2.LaunchTemplate
	TGID    string
	TG      *elbv2.TargetGroup
	LBID    string
	LB      *elbv2.LoadBalancer
	Reportf func(format string, args ...any)
}

func (s *Set) fleets(r *Report) []fleet {
	var out []fleet
	groups := resources[*autoscaling.AutoScalingGroup](s)
	if len(groups) == 0 {
		r.Add(nil, "", "no Auto Scaling group in any template")
	}
	for _, g := range groups {
		t := g.T
		f := fleet{T: t, ID: g.ID, ASG: g.R}
		f.Reportf = func(format string, args ...any) { r.Add(t, g.ID, format, args...) }
		if g.R.LaunchTemplate != nil {
			if id, ok := RefTarget(g.R.LaunchTemplate.LaunchTemplateId); ok {
				f.LTID = id
				f.LT, _ = t.Resources[id].(*ec2.LaunchTemplate)
			}
		}
		for _, arn := range g.R.TargetGroupARNs {
			if id, ok := RefTarget(arn); ok {
				if tg, ok := t.Resources[id].(*elbv2.TargetGroup); ok {
					f.TGID, f.TG = id, tg
				}
			}
		}
		// The load balancer is the one whose listener forwards to the target group.
		for _, l := range resourcesIn[*elbv2.Listener](t) {
			for _, a := range l.R.DefaultActions {
				if id, ok := RefTarget(a.TargetGroupArn); ok && id == f.TGID {
					if lb, ok := RefTarget(l.R.LoadBalancerArn); ok {
						f.LBID = lb
						f.LB, _ = t.Resources[lb].(*elbv2.LoadBalancer)
					}
				}
			}
		}
		if f.LT == nil || f.TG == nil || f.LB == nil {
			f.Reportf("could not find its launch template, target group and load balancer (a Ref to each)")
			continue
		}
		out = append(out, f)
	}
	return out
}

// subnetAZs traces subnet references to their network template and returns their AZs and kinds.
func (s *Set) subnetAZs(t *Template, refs []string) (public, private map[string]bool, unknown int) {
	public, private = map[string]bool{}, map[string]bool{}
	for _, ref := range refs {
		src, id, ok := s.Trace(t, ref)
		if !ok || src.typeOf(id) != "AWS::EC2::Subnet" {
			unknown++
			continue
		}
		info := src.subnets()[id]
		switch {
		case info.Public:
			public[info.AZ] = true
		case info.Private:
			private[info.AZ] = true
		default:
			unknown++
		}
	}
	return public, private, unknown
}

func checkComputeAZs(s *Set, r *Report) {
	for _, f := range s.fleets(r) {
		pub, priv, unknown := s.subnetAZs(f.T, f.ASG.VPCZoneIdentifier)
		if len(pub) > 0 || unknown > 0 {
			f.Reportf("instances must launch only in private subnets (%d public, %d untraceable)", len(pub), unknown)
		}
		if len(priv) < 3 {
			f.Reportf("instances span %d distinct AZs, want 3", len(priv))
		}
		if min, err := strconv.Atoi(resolveOr(f.T, f.ASG.MinSize, "0")); err != nil || min < 3 {
			f.Reportf("MinSize %q leaves an AZ without an instance; want at least 3", resolveOr(f.T, f.ASG.MinSize, "?"))
		}
		pub, priv, unknown = s.subnetAZs(f.T, f.LB.Subnets)
		if len(priv) > 0 || unknown > 0 {
			r.Add(f.T, f.LBID, "an internet-facing load balancer belongs in public subnets (%d private, %d untraceable)", len(priv), unknown)
		}
		if len(pub) < 3 {
			r.Add(f.T, f.LBID, "load balancer spans %d distinct AZs, want 3", len(pub))
		}
	}
}

func resolveOr(t *Template, v any, def string) string {
	if s, ok := t.Resolve(v); ok {
		return s
	}
	return def
}

func checkHealth(s *Set, r *Report) {
	for _, f := range s.fleets(r) {
		tg := f.TG
		if p, _ := f.T.Resolve(tg.HealthCheckPath); p != "/readyz" {
			r.Add(f.T, f.TGID, "health check path is %q; /readyz is what turns 503 while Strata drains or loses its store", p)
		}
		if tg.HealthCheckEnabled != nil && !*tg.HealthCheckEnabled {
			r.Add(f.T, f.TGID, "health checks are disabled")
		}
		if tg.Matcher == nil || deref(tg.Matcher.HttpCode) != "200" {
			r.Add(f.T, f.TGID, "health check must expect exactly 200 (Strata's ready answer)")
		}
		if deref(f.ASG.HealthCheckType) != "ELB" {
			f.Reportf("HealthCheckType is %q; ELB replaces instances the load balancer finds unhealthy", deref(f.ASG.HealthCheckType))
		}
		https := false
		for _, l := range resourcesIn[*elbv2.Listener](f.T) {
			if lb, _ := RefTarget(l.R.LoadBalancerArn); lb != f.LBID {
				continue
			}
			switch deref(l.R.Protocol) {
			case "HTTPS":
				https = true
				if p := deref(l.R.SslPolicy); !strings.HasPrefix(p, "ELBSecurityPolicy-TLS13-1-2") && !strings.HasPrefix(p, "ELBSecurityPolicy-TLS-1-2") {
					r.Add(f.T, l.ID, "SSL policy %q allows TLS below 1.2", p)
				}
			default:
				for _, a := range l.R.DefaultActions {
					if a.Type != "redirect" {
						r.Add(f.T, l.ID, "%s listener %s instead of redirecting to HTTPS", deref(l.R.Protocol), a.Type)
					}
				}
			}
		}
		if !https {
			r.Add(f.T, f.LBID, "no HTTPS listener")
		}
	}
}

func checkScaling(s *Set, r *Report) {
	for _, f := range s.fleets(r) {
		found := map[string]bool{}
		for _, p := range resourcesIn[*autoscaling.ScalingPolicy](f.T) {
			if g, _ := RefTarget(p.R.AutoScalingGroupName); g != f.ID || deref(p.R.PolicyType) != "TargetTrackingScaling" || p.R.TargetTrackingConfiguration == nil {
				continue
			}
			tt := p.R.TargetTrackingConfiguration
			if tt.PredefinedMetricSpecification == nil || tt.TargetValue <= 0 {
				continue
			}
			kind := tt.PredefinedMetricSpecification.PredefinedMetricType
			if kind == "ALBRequestCountPerTarget" {
				label := Decode(deref(tt.PredefinedMetricSpecification.ResourceLabel))
				if !refersTo(label, f.LBID) || !refersTo(label, f.TGID) {
					r.Add(f.T, p.ID, "ResourceLabel must name this group's load balancer and target group")
					continue
				}
			}
			found[kind] = true
		}
		for _, want := range []string{"ASGAverageCPUUtilization", "ALBRequestCountPerTarget"} {
			if !found[want] {
				f.Reportf("no target tracking policy on %s", want)
			}
		}
	}
}

func checkInstanceRefresh(s *Set, r *Report) {
	for _, f := range s.fleets(r) {
		if res, attr, ok := GetAttTarget(f.ASG.LaunchTemplate.Version); !ok || res != f.LTID || attr != "LatestVersionNumber" {
			f.Reportf("launch template version must be !GetAtt %s.LatestVersionNumber so every change is a version to refresh to", f.LTID)
		}
		if p := f.ASG.InstanceMaintenancePolicy; p == nil || deref(p.MinHealthyPercentage) < 100 {
			f.Reportf("InstanceMaintenancePolicy.MinHealthyPercentage below 100: replacements would dip capacity")
		}
	}
	if s.Refresh == nil {
		r.AddFile("instance-refresh.json", "missing: docs/deploy.md starts instance refreshes with these preferences")
		return
	}
	p := s.Refresh
	if p["SkipMatching"] != true {
		r.AddFile("instance-refresh.json", "SkipMatching must be true so a retried refresh leaves up-to-date instances alone")
	}
	if p["AutoRollback"] != true {
		r.AddFile("instance-refresh.json", "AutoRollback must be true")
	}
	if v, _ := p["MinHealthyPercentage"].(float64); v < 100 {
		r.AddFile("instance-refresh.json", "MinHealthyPercentage %v lets a refresh remove capacity before replacing it", v)
	}
	names := map[string]bool{}
	for _, a := range resources[*cloudwatch.Alarm](s) {
		for _, text := range texts(a.R.AlarmName) {
			names[strings.ReplaceAll(text, "${AWS::Region}", "REGION")] = true
		}
	}
	spec, _ := p["AlarmSpecification"].(map[string]any)
	alarms, _ := spec["Alarms"].([]any)
	if len(alarms) == 0 {
		r.AddFile("instance-refresh.json", "no AlarmSpecification alarms: a bad release would not roll back by itself")
	}
	for _, a := range alarms {
		if name, _ := a.(string); !names[name] {
			r.AddFile("instance-refresh.json", "alarm %q is not defined by any template", a)
		}
	}
}

// strataRuntime is how the deployment runs Strata, read from the user data.
type strataRuntime struct {
	ud       *UserData
	unitPath string
	unit     map[string][]string
	env      map[string]string // as written, ${Param} placeholders kept
	drain    time.Duration
	shutdown time.Duration
	idle     time.Duration
	addrHost string
	addrPort int
}

func (s *Set) runtime(f fleet) (*strataRuntime, string) {
	ud, err := launchUserData(f.LT)
	if err != nil {
		return nil, err.Error()
	}
	rt := &strataRuntime{ud: ud}
	var ok bool
	rt.unitPath, rt.unit, rt.env, ok = ud.strataService()
	if !ok {
		return nil, "user data writes no systemd unit whose ExecStart runs `strata serve`"
	}
	dur := func(key string, def time.Duration) (time.Duration, string) {
		v, ok := rt.env[key]
		if !ok {
			return def, ""
		}
		d, err := time.ParseDuration(f.T.SubText(v))
		if err != nil {
			return 0, key + ": " + err.Error()
		}
		return d, ""
	}
	var msg string
	if rt.drain, msg = dur("STRATA_DRAIN_DELAY", s.Strata.DrainDelay); msg != "" {
		return nil, msg
	}
	if rt.shutdown, msg = dur("STRATA_SHUTDOWN_TIMEOUT", s.Strata.ShutdownTimeout); msg != "" {
		return nil, msg
	}
	if rt.idle, msg = dur("STRATA_IDLE_TIMEOUT", s.Strata.IdleTimeout); msg != "" {
		return nil, msg
	}
	addr := f.T.SubText(rt.env["STRATA_ADDR"])
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "STRATA_ADDR " + strconv.Quote(addr) + " is not host:port (Strata's default listens on loopback only)"
	}
	rt.addrHost = host
	rt.addrPort, _ = strconv.Atoi(port)
	return rt, ""
}

// targetGroupAttr returns a target group attribute, or def.
func targetGroupAttr(tg *elbv2.TargetGroup, key, def string) string {
	for _, a := range tg.TargetGroupAttributes {
		if deref(a.Key) == key {
			return deref(a.Value)
		}
	}
	return def
}

func loadBalancerAttr(lb *elbv2.LoadBalancer, key, def string) string {
	for _, a := range lb.LoadBalancerAttributes {
		if deref(a.Key) == key {
			return deref(a.Value)
		}
	}
	return def
}

func checkDrain(s *Set, r *Report) {
	for _, f := range s.fleets(r) {
		rt, msg := s.runtime(f)
		if rt == nil {
			f.Reportf("%s", msg)
			continue
		}
		want := rt.drain + rt.shutdown
		dereg, err := strconv.Atoi(targetGroupAttr(f.TG, "deregistration_delay.timeout_seconds", "300"))
		if err != nil || time.Duration(dereg)*time.Second != want {
			r.Add(f.T, f.TGID, "deregistration delay %ds does not match Strata's drain: drain delay %s + shutdown timeout %s = %s",
				dereg, rt.drain, rt.shutdown, want)
		}
		interval := time.Duration(ptrOr(f.TG.HealthCheckIntervalSeconds, 30)) * time.Second
		detect := interval * time.Duration(ptrOr(f.TG.UnhealthyThresholdCount, 2))
		if rt.drain < detect {
			f.Reportf("drain delay %s is shorter than the ALB needs to see /readyz fail (%s = interval x unhealthy threshold); requests would hit a closed listener", rt.drain, detect)
		}
		stops := rt.unit["Service.TimeoutStopSec"]
		if len(stops) == 0 {
			f.Reportf("systemd unit sets no TimeoutStopSec (default 90s is unrelated to the drain)")
			continue
		}
		stop, err := systemdSeconds(stops[len(stops)-1])
		if err != nil || stop <= want {
			f.Reportf("systemd TimeoutStopSec %s must exceed drain delay + shutdown timeout (%s) or systemd kills Strata mid-drain", stops[len(stops)-1], want)
		}
		if sig := rt.unit["Service.KillSignal"]; len(sig) > 0 && sig[len(sig)-1] != "SIGTERM" && sig[len(sig)-1] != "TERM" {
			f.Reportf("KillSignal %s: Strata drains on SIGTERM", sig[len(sig)-1])
		}
	}
}

func ptrOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func checkKeepAlive(s *Set, r *Report) {
	for _, f := range s.fleets(r) {
		rt, msg := s.runtime(f)
		if rt == nil {
			f.Reportf("%s", msg)
			continue
		}
		idle, err := strconv.Atoi(loadBalancerAttr(f.LB, "idle_timeout.timeout_seconds", "60"))
		if err != nil {
			r.Add(f.T, f.LBID, "idle_timeout.timeout_seconds is not a number")
			continue
		}
		albIdle := time.Duration(idle) * time.Second
		if albIdle >= rt.idle {
			r.Add(f.T, f.LBID, "ALB idle timeout %s must be below Strata's idle timeout %s, or Strata closes connections the ALB is about to reuse (502s)", albIdle, rt.idle)
		}
		for _, d := range resources[*cloudfront.Distribution](s) {
			if d.R.DistributionConfig == nil {
				continue
			}
			for _, o := range d.R.DistributionConfig.Origins {
				if o.CustomOriginConfig == nil {
					continue
				}
				ka := time.Duration(ptrOr(o.CustomOriginConfig.OriginKeepaliveTimeout, 5)) * time.Second
				if ka >= albIdle {
					r.Add(d.T, d.ID, "origin %s keep-alive %s must be below the ALB idle timeout %s", o.Id, ka, albIdle)
				}
			}
		}
	}
}

func checkUserData(s *Set, r *Report) {
	for _, f := range s.fleets(r) {
		rt, msg := s.runtime(f)
		if rt == nil {
			r.Add(f.T, f.LTID, "%s", msg)
			continue
		}
		bin := strings.Fields(rt.unit["Service.ExecStart"][0])[0]
		installed, verified, enabled := false, false, false
		unitName := rt.unitPath[strings.LastIndex(rt.unitPath, "/")+1:]
		for _, c := range rt.ud.Commands {
			if strings.Contains(c, "sha256sum -c") {
				verified = true
			}
			if (strings.HasPrefix(c, "install ") || strings.HasPrefix(c, "cp ") || strings.HasPrefix(c, "mv ")) && strings.HasSuffix(c, " "+bin) {
				installed = true
			}
			if strings.HasPrefix(c, "systemctl enable --now ") && strings.Contains(c, unitName) {
				enabled = true
			}
		}
		if !installed {
			r.Add(f.T, f.LTID, "user data never installs %s, the binary the unit runs", bin)
		}
		if !verified {
			r.Add(f.T, f.LTID, "user data does not verify the binary's SHA-256 (sha256sum -c)")
		}
		if !enabled {
			r.Add(f.T, f.LTID, "user data does not `systemctl enable --now %s`", unitName)
		}
		if u := rt.unit["Service.User"]; len(u) == 0 || u[len(u)-1] == "root" {
			r.Add(f.T, f.LTID, "%s runs Strata as root", unitName)
		}
		if rs := rt.unit["Service.Restart"]; len(rs) == 0 || (rs[len(rs)-1] != "always" && rs[len(rs)-1] != "on-failure") {
			r.Add(f.T, f.LTID, "%s does not restart Strata when it exits", unitName)
		}
		if rt.addrHost != "0.0.0.0" && rt.addrHost != "" && rt.addrHost != "::" {
			r.Add(f.T, f.LTID, "STRATA_ADDR listens on %s; the ALB cannot reach it", rt.addrHost)
		}
		if rt.addrPort != deref(f.TG.Port) {
			r.Add(f.T, f.LTID, "Strata listens on port %d but the target group sends to %d", rt.addrPort, deref(f.TG.Port))
		}
		for _, k := range sortedKeys(rt.env) {
			if s.Strata.ServeEnv != nil && strings.HasPrefix(k, "STRATA_") && !s.Strata.ServeEnv[k] {
				r.Add(f.T, f.LTID, "%s is not a `strata serve` setting; Strata would ignore it", k)
			}
		}
		if v := f.T.SubText(rt.env["STRATA_DEMO"]); v != "false" {
			r.Add(f.T, f.LTID, "STRATA_DEMO is %q; production must not seed demo content into the bucket", v)
		}
		if v := rt.env["STRATA_STORE"]; v != "s3" {
			r.Add(f.T, f.LTID, "STRATA_STORE is %q; instances serve the asset bucket (s3)", v)
		}
		bucket := strings.TrimSuffix(strings.TrimPrefix(rt.env["STRATA_S3_BUCKET"], "${"), "}")
		if src, id, ok := s.Trace(f.T, refOf(bucket)); !ok || src.typeOf(id) != "AWS::S3::Bucket" {
			r.Add(f.T, f.LTID, "STRATA_S3_BUCKET %q is not the stack's asset bucket", rt.env["STRATA_S3_BUCKET"])
		}
		header := f.T.SubText(rt.env["STRATA_ORIGIN_SECRET_HEADER"])
		if header == "" {
			header = s.Strata.OriginSecretHeader
		}
		if !strings.EqualFold(header, s.Strata.OriginSecretHeader) {
			r.Add(f.T, f.LTID, "origin secret header %q differs from Strata's default %q that the edge stack sends", header, s.Strata.OriginSecretHeader)
		}
	}
}

// refOf encodes a Ref to name, the form typed string fields hold.
func refOf(name string) string { return Intrinsic("Ref", name) }

func checkAgent(s *Set, r *Report) {
	for _, f := range s.fleets(r) {
		rt, msg := s.runtime(f)
		if rt == nil {
			r.Add(f.T, f.LTID, "%s", msg)
			continue
		}
		report := func(format string, args ...any) { r.Add(f.T, f.LTID, format, args...) }
		installed := false
		var configPath string
		for _, c := range rt.ud.Commands {
			if strings.Contains(c, "install") && strings.Contains(c, "amazon-cloudwatch-agent") {
				installed = true
			}
			if i := strings.Index(c, "-c file:"); i >= 0 && strings.Contains(c, "amazon-cloudwatch-agent-ctl") && strings.Contains(c, "fetch-config") && strings.Contains(c, " -s") {
				if rest := strings.Fields(c[i+len("-c file:"):]); len(rest) > 0 {
					configPath = rest[0]
				}
			}
		}
		if !installed {
			report("user data does not install the CloudWatch agent")
		}
		raw, ok := rt.ud.Files[configPath]
		if configPath == "" || !ok {
			report("user data does not start the agent (amazon-cloudwatch-agent-ctl -a fetch-config -s -c file:PATH) with a config it writes")
			continue
		}
		var cfg struct {
			Metrics struct {
				Namespace             string
				AppendDimensions      map[string]string `json:"append_dimensions"`
				AggregationDimensions [][]string        `json:"aggregation_dimensions"`
				MetricsCollected      struct {
					Mem struct{ Measurement []string }
				} `json:"metrics_collected"`
			}
			Logs struct {
				MetricsCollected struct {
					Prometheus *struct {
						LogGroupName string `json:"log_group_name"`
						ConfigPath   string `json:"prometheus_config_path"`
						EMF          struct {
							Namespace    string `json:"metric_namespace"`
							Declarations []any  `json:"metric_declaration"`
						} `json:"emf_processor"`
					}
				} `json:"metrics_collected"`
			}
		}
		if err := json.Unmarshal([]byte(f.T.SubText(raw)), &cfg); err != nil {
			report("agent config %s is not valid JSON: %v", configPath, err)
			continue
		}
		if !contains(cfg.Metrics.MetricsCollected.Mem.Measurement, "mem_used_percent") {
			report("agent does not collect mem_used_percent")
		}
		if _, ok := cfg.Metrics.AppendDimensions["AutoScalingGroupName"]; !ok {
			report("agent metrics lack the AutoScalingGroupName dimension the memory alarm uses")
		}
		aggregated := false
		for _, d := range cfg.Metrics.AggregationDimensions {
			if len(d) == 1 && d[0] == "AutoScalingGroupName" {
				aggregated = true
			}
		}
		if !aggregated {
			report("agent does not aggregate by AutoScalingGroupName, so no fleet-wide memory metric exists to alarm on")
		}
		p := cfg.Logs.MetricsCollected.Prometheus
		if p == nil {
			report("agent does not scrape Strata's /metrics (logs.metrics_collected.prometheus)")
			continue
		}
		if p.EMF.Namespace == "" || len(p.EMF.Declarations) == 0 {
			report("prometheus metrics are not turned into CloudWatch metrics (emf_processor namespace and declarations)")
		}
		scrape, ok := rt.ud.Files[p.ConfigPath]
		if !ok {
			report("prometheus config %s is not written by user data", p.ConfigPath)
			continue
		}
		var prom struct {
			ScrapeConfigs []struct {
				MetricsPath   string                       `yaml:"metrics_path"`
				StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
				HTTPHeaders   map[string]any               `yaml:"http_headers"`
			} `yaml:"scrape_configs"`
		}
		if err := yaml.Unmarshal([]byte(f.T.SubText(scrape)), &prom); err != nil {
			report("prometheus config %s: %v", p.ConfigPath, err)
			continue
		}
		header := f.T.SubText(rt.env["STRATA_ORIGIN_SECRET_HEADER"])
		scraped := false
		for _, sc := range prom.ScrapeConfigs {
			path := sc.MetricsPath
			if path == "" {
				path = "/metrics"
			}
			for _, st := range sc.StaticConfigs {
				for _, target := range st.Targets {
					_, port, _ := net.SplitHostPort(target)
					if path != "/metrics" || port != strconv.Itoa(rt.addrPort) {
						continue
					}
					if _, ok := sc.HTTPHeaders[header]; !ok && header != "" {
						report("the scrape of %s sends no %s header; /metrics answers 403 without the origin secret", target, header)
						continue
					}
					scraped = true
				}
			}
		}
		if !scraped {
			report("no scrape target is Strata's /metrics on port %d", rt.addrPort)
		}
	}
}

func checkInstanceHardening(s *Set, r *Report) {
	for _, lt := range resources[*ec2.LaunchTemplate](s) {
		d := lt.R.LaunchTemplateData
		if d == nil {
			continue
		}
		if d.MetadataOptions == nil || deref(d.MetadataOptions.HttpTokens) != "required" {
			r.Add(lt.T, lt.ID, "IMDSv2 is not required (MetadataOptions.HttpTokens)")
		}
		for _, b := range d.BlockDeviceMappings {
			if b.Ebs != nil && !deref(b.Ebs.Encrypted) {
				r.Add(lt.T, lt.ID, "volume %s is not encrypted", deref(b.DeviceName))
			}
		}
	}
}
