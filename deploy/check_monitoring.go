package deploy

import (
	"encoding/json"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
)

var monitoringChecks = []Check{
	{ID: "alarms", Promise: "alarms watch the 5xx rate, p99 latency, unhealthy hosts, CPU, memory (agent), RDS CPU/connections/free storage, DynamoDB throttles and Lambda errors", Run: checkAlarms},
	{ID: "alarm-actions", Promise: "every alarm notifies an SNS topic", Run: checkAlarmActions},
	{ID: "dashboards", Promise: "each dashboard body is valid JSON and shows every metric an alarm watches", Run: checkDashboards},
}

// requiredAlarm is a metric some alarm must watch, and how.
type requiredAlarm struct {
	Namespace, Metric string
	Stat              string // required statistic, "" for any
	RateOf            string // another metric the alarm must divide by (a rate), "" for none
}

var requiredAlarms = []requiredAlarm{
	{Namespace: "AWS/ApplicationELB", Metric: "HTTPCode_Target_5XX_Count", RateOf: "RequestCount"},
	{Namespace: "AWS/ApplicationELB", Metric: "TargetResponseTime", Stat: "p99"},
	{Namespace: "AWS/ApplicationELB", Metric: "UnHealthyHostCount"},
	{Namespace: "AWS/EC2", Metric: "CPUUtilization"},
	{Namespace: "CWAgent", Metric: "mem_used_percent"},
	{Namespace: "AWS/RDS", Metric: "CPUUtilization"},
	{Namespace: "AWS/RDS", Metric: "DatabaseConnections"},
	{Namespace: "AWS/RDS", Metric: "FreeStorageSpace"},
	{Namespace: "AWS/DynamoDB", Metric: "ReadThrottleEvents"},
	{Namespace: "AWS/DynamoDB", Metric: "WriteThrottleEvents"},
	{Namespace: "AWS/Lambda", Metric: "Errors"},
}

type metricUse struct{ Namespace, Metric, Stat string }

// alarmMetrics lists the metrics an alarm reads, directly or through metric math, and whether it computes
// an expression over them.
func alarmMetrics(a *cloudwatch.Alarm) (uses []metricUse, expression bool) {
	if a.MetricName != nil {
		stat := deref(a.ExtendedStatistic)
		if stat == "" {
			stat = deref(a.Statistic)
		}
		uses = append(uses, metricUse{deref(a.Namespace), *a.MetricName, stat})
	}
	for _, q := range a.Metrics {
		if q.Expression != nil {
			expression = true
		}
		if q.MetricStat != nil && q.MetricStat.Metric != nil {
			m := q.MetricStat.Metric
			uses = append(uses, metricUse{deref(m.Namespace), deref(m.MetricName), q.MetricStat.Stat})
		}
	}
	return uses, expression
}

func checkAlarms(s *Set, r *Report) {
	alarms := resources[*cloudwatch.Alarm](s)
	for _, want := range requiredAlarms {
		found := false
		for _, a := range alarms {
			uses, expr := alarmMetrics(a.R)
			has := func(ns, metric, stat string) bool {
				for _, u := range uses {
					if u.Namespace == ns && u.Metric == metric && (stat == "" || u.Stat == stat) {
						return true
					}
				}
				return false
			}
			if !has(want.Namespace, want.Metric, want.Stat) {
				continue
			}
			if want.RateOf != "" && (!expr || !has(want.Namespace, want.RateOf, "")) {
				continue
			}
			found = true
		}
		if !found {
			how := ""
			if want.Stat != "" {
				how = " (" + want.Stat + ")"
			}
			if want.RateOf != "" {
				how = " as a rate of " + want.RateOf
			}
			r.Add(nil, "", "no alarm watches %s %s%s", want.Namespace, want.Metric, how)
		}
	}
}

func checkAlarmActions(s *Set, r *Report) {
	for _, a := range resources[*cloudwatch.Alarm](s) {
		if len(a.R.AlarmActions) == 0 {
			r.Add(a.T, a.ID, "no AlarmActions: the alarm tells no one")
		}
		for _, action := range a.R.AlarmActions {
			name, ok := RefTarget(action)
			_, isParam := a.T.Parameters[name]
			if !ok || (a.T.typeOf(name) != "AWS::SNS::Topic" && !(isParam && strings.HasSuffix(name, "TopicArn"))) {
				r.Add(a.T, a.ID, "alarm action %s is not an SNS topic of the stack", canon(action))
			}
		}
	}
}

func checkDashboards(s *Set, r *Report) {
	var all strings.Builder
	dashboards := resources[*cloudwatch.Dashboard](s)
	if len(dashboards) == 0 {
		r.Add(nil, "", "no CloudWatch dashboard in any template")
	}
	for _, d := range dashboards {
		for _, text := range texts(d.R.DashboardBody) {
			body := d.T.SubText(text)
			var parsed struct{ Widgets []map[string]any }
			if err := json.Unmarshal([]byte(body), &parsed); err != nil {
				r.Add(d.T, d.ID, "dashboard body is not JSON: %v", err)
				continue
			}
			if len(parsed.Widgets) == 0 {
				r.Add(d.T, d.ID, "dashboard has no widgets")
			}
			all.WriteString(body)
		}
	}
	shown := all.String()
	for _, a := range resources[*cloudwatch.Alarm](s) {
		uses, _ := alarmMetrics(a.R)
		for _, u := range uses {
			if u.Namespace == "AWS/Route53" {
				continue // health-check status is a Route 53 console graph, not a dashboard's
			}
			if !strings.Contains(shown, `"`+u.Metric+`"`) {
				r.Add(a.T, a.ID, "metric %s %s is alarmed on but on no dashboard", u.Namespace, u.Metric)
			}
		}
	}
}
