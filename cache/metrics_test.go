package cache_test

import (
	dto "github.com/prometheus/client_model/go"
)

// findMetric returns the value of the sample of family name whose labels
// include labels: a counter's or gauge's value, a histogram's sample count.
func findMetric(families []*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	for _, fam := range families {
		if fam.GetName() != name {
			continue
		}
	metrics:
		for _, m := range fam.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
	}
	return 0, false
}
