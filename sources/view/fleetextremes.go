package view

// FleetExtreme is the fleet's most extreme value of one figure: where it
// is and how bad, by the rules EvaluateFleet ranks hosts with.
type FleetExtreme struct {
	Host     string `json:"host"`
	What     string `json:"what"` // "GPU 3", or a service's display name
	Value    Num    `json:"value"`
	Severity string `json:"severity"` // critical, warning, ok; n/a where no limit applies (a p99 without an SLO)
}

// FleetExtremes are the fleet's hottest GPU, deepest queue, highest error
// ratio and slowest p99: what a fleet screen shows on its first lines
// whatever the order of its hosts. A figure nothing reports is !Value.OK.
type FleetExtremes struct {
	Temp   FleetExtreme `json:"hottest_gpu"`
	Queue  FleetExtreme `json:"deepest_queue"`
	Errors FleetExtreme `json:"highest_error_ratio"`
	P99    FleetExtreme `json:"slowest_p99"`
}

// EvaluateFleetExtremes finds the extremes among ov's GPUs and services on
// the hosts keep keeps (nil: every host); ties go to the first host by
// name.
func EvaluateFleetExtremes(ov Overview, o Options, keep func(host string) bool) FleetExtremes {
	o = o.withDefaults()
	var e FleetExtremes
	better := func(x FleetExtreme, v float64, host string) bool {
		return !x.Value.OK || v > x.Value.V || v == x.Value.V && host < x.Host
	}
	for _, g := range ov.GPUs {
		if keep != nil && !keep(g.Host) {
			continue
		}
		if g.Temp.OK && better(e.Temp, g.Temp.V, g.Host) {
			e.Temp = FleetExtreme{Host: g.Host, What: "GPU " + g.Index, Value: g.Temp, Severity: GPUTempSeverity(g.Temp.V, o)}
		}
	}
	for _, s := range ov.Services {
		if keep != nil && !keep(s.Host) {
			continue
		}
		if q := s.QueueDepth; q.OK && better(e.Queue, q.V, s.Host) {
			sev := SevOK
			switch {
			case q.V >= o.QueueCrit:
				sev = SevCritical
			case q.V >= o.QueueWarn:
				sev = SevWarning
			}
			e.Queue = FleetExtreme{Host: s.Host, What: s.DisplayName(), Value: q, Severity: sev}
		}
		if r := s.ErrorRate; r.OK && better(e.Errors, r.V, s.Host) {
			sev := SevNA
			if s.ErrorTarget > 0 {
				sev = SevOK
				switch {
				case r.V > s.ErrorTarget:
					sev = SevCritical
				case r.V > s.ErrorTarget/2:
					sev = SevWarning
				}
			}
			e.Errors = FleetExtreme{Host: s.Host, What: s.DisplayName(), Value: r, Severity: sev}
		}
		if p := s.Latency.P99; p.OK && better(e.P99, p.V, s.Host) {
			sev := SevNA
			if slo, ok := o.LatencySLO[s.Name]; ok && slo > 0 {
				sev = SevOK
				switch {
				case p.V > slo.Seconds():
					sev = SevCritical
				case p.V > latencySLOWarnShare*slo.Seconds():
					sev = SevWarning
				}
			}
			e.P99 = FleetExtreme{Host: s.Host, What: s.DisplayName(), Value: p, Severity: sev}
		}
	}
	return e
}

// GPUTempSeverity grades a GPU temperature (°C) against o's thresholds
// (at or above): critical, warning or ok.
func GPUTempSeverity(v float64, o Options) string {
	o = o.withDefaults()
	switch {
	case v >= o.GPUTempCrit:
		return SevCritical
	case v >= o.GPUTempWarn:
		return SevWarning
	}
	return SevOK
}
