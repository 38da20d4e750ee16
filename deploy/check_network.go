package deploy

import (
	"sort"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	elbv2 "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/rds"
)

var networkChecks = []Check{
	{
		ID:      "vpc-three-azs",
		Promise: "each VPC has public and private subnets in three distinct Availability Zones, each private subnet routing through a NAT gateway in its own AZ",
		Run:     checkThreeAZs,
	},
	{
		ID:      "security-groups",
		Promise: "security groups allow only what each tier needs: HTTPS from anywhere to the ALB only, the app port from the ALB only, PostgreSQL from the app only, no default allow-all egress",
		Run:     checkSecurityGroups,
	},
	{
		ID:      "nacls",
		Promise: "every subnet has a network ACL; from the internet, public subnets take only HTTP(S) and return traffic, private subnets only return traffic",
		Run:     checkNACLs,
	},
}

// subnetInfo is what the network template says about one subnet.
type subnetInfo struct {
	AZ      string // canonical text of its AvailabilityZone expression
	Public  bool   // routes to an internet gateway
	Private bool   // routes through a NAT gateway
	NATAZ   string // AZ of the subnet holding that NAT gateway
}

// subnets classifies the subnets of t by their route tables.
func (t *Template) subnets() map[string]subnetInfo {
	rtOf := map[string]string{}
	for _, a := range resourcesIn[*ec2.SubnetRouteTableAssociation](t) {
		subnet, ok1 := RefTarget(a.R.SubnetId)
		rt, ok2 := RefTarget(a.R.RouteTableId)
		if ok1 && ok2 {
			rtOf[subnet] = rt
		}
	}
	public, natOf := map[string]bool{}, map[string]string{}
	for _, rt := range resourcesIn[*ec2.Route](t) {
		table, ok := RefTarget(rt.R.RouteTableId)
		if !ok || deref(rt.R.DestinationCidrBlock) != "0.0.0.0/0" {
			continue
		}
		if gw, ok := RefTarget(rt.R.GatewayId); ok && t.typeOf(gw) == "AWS::EC2::InternetGateway" {
			public[table] = true
		}
		if nat, ok := RefTarget(rt.R.NatGatewayId); ok && t.typeOf(nat) == "AWS::EC2::NatGateway" {
			natOf[table] = nat
		}
	}
	out := map[string]subnetInfo{}
	all := resourcesIn[*ec2.Subnet](t)
	for _, s := range all {
		rt := rtOf[s.ID]
		info := subnetInfo{AZ: canon(s.R.AvailabilityZone), Public: public[rt]}
		if s.R.AvailabilityZone == nil && s.R.AvailabilityZoneId == nil {
			info.AZ = ""
		}
		if nat, ok := natOf[rt]; ok {
			info.Private = true
			if n, ok := t.Resources[nat].(*ec2.NatGateway); ok {
				if home, ok := RefTarget(n.SubnetId); ok {
					if hs, ok := t.Resources[home].(*ec2.Subnet); ok {
						info.NATAZ = canon(hs.AvailabilityZone)
					}
				}
			}
		}
		out[s.ID] = info
	}
	return out
}

func checkThreeAZs(s *Set, r *Report) {
	vpcs := resources[*ec2.VPC](s)
	if len(vpcs) == 0 {
		r.Add(nil, "", "no VPC in any template")
	}
	for _, v := range vpcs {
		t := v.T
		publicAZ, privateAZ := map[string]bool{}, map[string]bool{}
		subnets := t.subnets()
		for _, id := range sortedKeys(subnets) {
			info := subnets[id]
			switch {
			case info.AZ == "":
				r.Add(t, id, "subnet has no AvailabilityZone; CloudFormation would pick one, possibly the same for all")
			case info.Public:
				publicAZ[info.AZ] = true
			case info.Private:
				privateAZ[info.AZ] = true
				if info.NATAZ != info.AZ {
					r.Add(t, id, "private subnet routes through a NAT gateway in another AZ; that AZ's outage would cut this one off")
				}
			default:
				r.Add(t, id, "subnet routes neither to an internet gateway nor through a NAT gateway")
			}
		}
		if len(publicAZ) < 3 {
			r.Add(t, v.ID, "public subnets span %d distinct AZs, want 3", len(publicAZ))
		}
		if len(privateAZ) < 3 {
			r.Add(t, v.ID, "private subnets span %d distinct AZs, want 3", len(privateAZ))
		}
	}
}

// sgRef identifies a security group across templates.
type sgRef struct{ file, id string }

// sgRule is one ingress rule, normalised.
type sgRule struct {
	proto    string
	from, to int
	cidr     string // IPv4 or IPv6 range, "" when the source is a group
	source   string // logical ID of the source group in the same template, or its canonical text
}

func (r sgRule) covers(port int) bool {
	return r.proto == "-1" || (r.from <= port && port <= r.to)
}

func (r sgRule) fromAnywhere() bool { return r.cidr == "0.0.0.0/0" || r.cidr == "::/0" }

// ingress lists the ingress rules of group id in t: inline ones and AWS::EC2::SecurityGroupIngress resources.
func (t *Template) ingress(id string) []sgRule {
	var out []sgRule
	src := func(v *string) string {
		if name, ok := RefTarget(v); ok {
			return name
		}
		if name, _, ok := GetAttTarget(v); ok {
			return name
		}
		return canon(v)
	}
	mk := func(proto string, from, to *int, cidr4, cidr6, source *string) sgRule {
		r := sgRule{proto: proto, from: deref(from), to: deref(to), cidr: deref(cidr4)}
		if r.cidr == "" {
			r.cidr = deref(cidr6)
		}
		if source != nil {
			r.source = src(source)
		}
		if proto == "-1" || proto == "all" {
			r.proto, r.from, r.to = "-1", 0, 65535
		}
		return r
	}
	if g, ok := t.Resources[id].(*ec2.SecurityGroup); ok {
		for _, in := range g.SecurityGroupIngress {
			out = append(out, mk(in.IpProtocol, in.FromPort, in.ToPort, in.CidrIp, in.CidrIpv6, in.SourceSecurityGroupId))
		}
	}
	for _, in := range resourcesIn[*ec2.SecurityGroupIngress](t) {
		if target, ok := RefTarget(in.R.GroupId); ok && target == id {
			out = append(out, mk(in.R.IpProtocol, in.R.FromPort, in.R.ToPort, in.R.CidrIp, in.R.CidrIpv6, in.R.SourceSecurityGroupId))
		}
	}
	return out
}

// tierGroups finds the security groups of each tier by what uses them: load balancers, launch templates and
// database instances, following parameters to the template that creates the group.
func (s *Set) tierGroups() (alb, app, db map[sgRef]bool) {
	alb, app, db = map[sgRef]bool{}, map[sgRef]bool{}, map[sgRef]bool{}
	add := func(set map[sgRef]bool, t *Template, v string) {
		if src, id, ok := s.Trace(t, v); ok && src.typeOf(id) == "AWS::EC2::SecurityGroup" {
			set[sgRef{src.File(), id}] = true
		}
	}
	for _, lb := range resources[*elbv2.LoadBalancer](s) {
		for _, g := range lb.R.SecurityGroups {
			add(alb, lb.T, g)
		}
	}
	for _, lt := range resources[*ec2.LaunchTemplate](s) {
		if lt.R.LaunchTemplateData != nil {
			for _, g := range lt.R.LaunchTemplateData.SecurityGroupIds {
				add(app, lt.T, g)
			}
		}
	}
	for _, d := range resources[*rds.DBInstance](s) {
		for _, g := range d.R.VPCSecurityGroups {
			add(db, d.T, g)
		}
	}
	return alb, app, db
}

func checkSecurityGroups(s *Set, r *Report) {
	alb, app, db := s.tierGroups()
	if len(alb) == 0 || len(app) == 0 || len(db) == 0 {
		r.Add(nil, "", "could not find the ALB, instance and database security groups (found %d, %d, %d)", len(alb), len(app), len(db))
	}
	appPorts := map[int]bool{}
	for _, tg := range resources[*elbv2.TargetGroup](s) {
		appPorts[deref(tg.R.Port)] = true
	}
	dbPorts := map[int]bool{5432: true}

	for _, g := range resources[*ec2.SecurityGroup](s) {
		t, id := g.T, g.ID
		ref := sgRef{t.File(), id}
		rules := t.ingress(id)
		for _, rule := range rules {
			if rule.covers(22) || rule.covers(3389) {
				r.Add(t, id, "ingress opens SSH/RDP (%s %d-%d); instances are reached through logs and metrics, not shells", rule.proto, rule.from, rule.to)
			}
			if rule.fromAnywhere() {
				web := rule.proto == "tcp" && rule.from == rule.to && (rule.from == 443 || rule.from == 80)
				if !alb[ref] || !web {
					r.Add(t, id, "ingress from %s on %s %d-%d; only the ALB's group may take traffic from anywhere, and only on 443/80", rule.cidr, rule.proto, rule.from, rule.to)
				}
			}
		}
		requireOnly := func(tier string, sources map[sgRef]bool, ports map[int]bool) {
			allowed := 0
			for _, rule := range rules {
				okSource := sources[sgRef{t.File(), rule.source}]
				okPort := rule.proto == "tcp" && rule.from == rule.to && ports[rule.from]
				if okSource && okPort {
					allowed++
					continue
				}
				r.Add(t, id, "%s group allows %s %d-%d from %q; it may only take %v from its callers' group", tier, rule.proto, rule.from, rule.to, rule.source+rule.cidr, sortedInts(ports))
			}
			if allowed == 0 {
				r.Add(t, id, "%s group has no ingress from its callers' group; the tier is unreachable", tier)
			}
		}
		if app[ref] {
			requireOnly("instance", alb, appPorts)
		}
		if db[ref] {
			requireOnly("database", app, dbPorts)
		}
		if len(g.R.SecurityGroupEgress) == 0 {
			r.Add(t, id, "no inline SecurityGroupEgress, so the default allow-all egress stays")
		}
		for _, e := range g.R.SecurityGroupEgress {
			if (e.IpProtocol == "-1" || e.IpProtocol == "all") && (deref(e.CidrIp) == "0.0.0.0/0" || deref(e.CidrIpv6) == "::/0") {
				r.Add(t, id, "egress allows all traffic to anywhere")
			}
		}
	}
}

func checkNACLs(s *Set, r *Report) {
	for _, v := range resources[*ec2.VPC](s) {
		t := v.T
		subnets := t.subnets()
		aclOf := map[string]string{}
		for _, a := range resourcesIn[*ec2.SubnetNetworkAclAssociation](t) {
			subnet, ok1 := RefTarget(a.R.SubnetId)
			acl, ok2 := RefTarget(a.R.NetworkAclId)
			if ok1 && ok2 {
				aclOf[subnet] = acl
			}
		}
		public := map[string]bool{}
		for _, id := range sortedKeys(subnets) {
			acl, ok := aclOf[id]
			if !ok {
				r.Add(t, id, "subnet has no network ACL association (it would get the VPC's allow-all default)")
				continue
			}
			if subnets[id].Public {
				public[acl] = true
			}
		}
		for _, e := range resourcesIn[*ec2.NetworkAclEntry](t) {
			acl, _ := RefTarget(e.R.NetworkAclId)
			if deref(e.R.Egress) || e.R.RuleAction != "allow" {
				continue
			}
			cidr := deref(e.R.CidrBlock)
			if cidr == "" {
				cidr = deref(e.R.Ipv6CidrBlock)
			}
			if cidr != "0.0.0.0/0" && cidr != "::/0" {
				continue
			}
			var from, to int
			if e.R.PortRange != nil {
				from, to = deref(e.R.PortRange.From), deref(e.R.PortRange.To)
			}
			ephemeral := e.R.Protocol == 6 && from >= 1024 && to <= 65535 && from <= to
			web := e.R.Protocol == 6 && from == to && (from == 443 || from == 80)
			switch {
			case e.R.Protocol == -1:
				r.Add(t, e.ID, "network ACL %s allows all traffic in from the internet", acl)
			case public[acl] && !(ephemeral || web):
				r.Add(t, e.ID, "public network ACL %s allows protocol %d ports %d-%d in from the internet; only HTTP(S) and return traffic may enter", acl, e.R.Protocol, from, to)
			case !public[acl] && !ephemeral:
				r.Add(t, e.ID, "private network ACL %s allows protocol %d ports %d-%d in from the internet; only return traffic may enter", acl, e.R.Protocol, from, to)
			}
		}
	}
}

func sortedInts(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
