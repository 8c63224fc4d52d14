package view

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Fleet severities, worst first (FleetHost.Severity and friends).
const (
	SevDown     = "down"     // a scrape target of the host is down (up == 0)
	SevCritical = "critical" // a signal past its critical threshold
	SevGone     = "gone"     // the host stopped answering: its newest data is well behind the fleet's
	SevWarning  = "warning"  // a signal past its warning threshold
	SevOK       = "ok"
	SevNA       = "n/a" // nothing known about it at the instant
)

var sevRank = map[string]int{SevDown: 5, SevCritical: 4, SevGone: 3, SevWarning: 2, SevOK: 1, SevNA: 0}

// Worse reports whether severity a ranks above b.
func Worse(a, b string) bool { return sevRank[a] > sevRank[b] }

// Fleet thresholds' defaults (Options).
const (
	DefaultGPUTempWarn  = 75.0 // °C
	DefaultGPUTempCrit  = 85.0 // °C
	DefaultQueueWarn    = 10.0 // requests waiting
	DefaultQueueCrit    = 30.0
	DefaultGoneAfter    = time.Minute
	DefaultFleetWorstN  = 20
	latencySLOWarnShare = 0.8 // p99 above this share of its SLO is a warning
)

// FleetHost is one host's standing in the fleet: its worst signal and how
// bad it is.
type FleetHost struct {
	Host     string `json:"host"`
	Severity string `json:"severity"` // down, critical, gone, warning, ok, n/a
	// Worst is the worst signal in words ("GPU 3 at 89 °C"), "" when ok.
	Worst  string `json:"worst,omitempty"`
	Signal string `json:"signal,omitempty"` // its canonical signal name
	Value  Num    `json:"value"`            // its value, in the signal's unit
	// Groups are the labels the host can be grouped by: the engine's target
	// labels (job, cluster, namespace, ...), GPU model, services, Hostname.
	Groups      map[string]string `json:"groups"`
	GPUs        int               `json:"gpus"`
	Services    int               `json:"services"`
	Targets     int               `json:"targets"`
	TargetsDown int               `json:"targets_down"`
	Age         Num               `json:"age_seconds"` // of the newest data about the host
}

// FleetGPU is one GPU ranked in the fleet.
type FleetGPU struct {
	Host     string `json:"host"`
	GPU      string `json:"gpu"`
	UUID     string `json:"uuid,omitempty"`
	Model    string `json:"model,omitempty"`
	Severity string `json:"severity"`
	Reason   string `json:"reason,omitempty"`
	Temp     Num    `json:"temperature_celsius"`
	Util     Num    `json:"utilization_ratio"`
	XIDLast  Num    `json:"xid_last"`
}

// FleetService is one service ranked in the fleet.
type FleetService struct {
	Host        string  `json:"host"`
	Service     string  `json:"service"`
	Stack       string  `json:"stack"`
	Severity    string  `json:"severity"`
	Reason      string  `json:"reason,omitempty"`
	ErrorRate   Num     `json:"error_rate"`
	ErrorTarget float64 `json:"error_target"`
	P99         Num     `json:"p99_seconds"`
	LatencySLO  Num     `json:"latency_slo_seconds"`
	QueueDepth  Num     `json:"queue_depth"`
}

// Fleet is the fleet at one instant: every host, worst first, and the worst
// GPUs and services, each naming its host.
type Fleet struct {
	At            time.Time      `json:"at"`
	Hosts         []FleetHost    `json:"hosts"`
	WorstGPUs     []FleetGPU     `json:"worst_gpus"`
	WorstServices []FleetService `json:"worst_services"`
	BySeverity    map[string]int `json:"hosts_by_severity"`
}

// presence are the signals whose newest sample dates a host.
var presence = []string{sources.TargetUp, sources.GPUTemperature, sources.GPUUtilization, sources.SvcRequestRate, sources.SvcRequests,
	sources.SvcLatency, sources.SvcLatencyQuant, sources.SvcQueueDepth, sources.HostLoad1, sources.HostMemTotal, sources.HostCPUBusy}

// EvaluateFleet ranks the hosts of ov (evaluated at at) and the store's
// targets: per host its worst signal — a target down, GPU temperature,
// throttling, XID or uncorrected ECC errors, error ratio against its
// target, p99 against its SLO, queue depth — or gone when its newest data
// is more than GoneAfter behind the fleet's newest.
func EvaluateFleet(st *sources.Store, ov Overview, hosts []Host, at time.Time, o Options) Fleet {
	o = o.withDefaults()
	fl := Fleet{At: at.UTC(), Hosts: []FleetHost{}, WorstGPUs: []FleetGPU{}, WorstServices: []FleetService{}, BySeverity: map[string]int{}}
	byHost := map[string]*FleetHost{}
	groups := map[string]map[string]map[string]bool{}
	get := func(h string) *FleetHost {
		x := byHost[h]
		if x == nil {
			x = &FleetHost{Host: h, Severity: SevNA, Groups: map[string]string{}}
			byHost[h] = x
			groups[h] = map[string]map[string]bool{}
		}
		return x
	}
	group := func(h, k, v string) {
		if v == "" {
			return
		}
		if groups[h][k] == nil {
			groups[h][k] = map[string]bool{}
		}
		groups[h][k][v] = true
	}
	raise := func(x *FleetHost, sev, worst, signal string, v Num) {
		if Worse(sev, x.Severity) || x.Severity == SevNA && sev == SevOK {
			x.Severity, x.Worst, x.Signal, x.Value = sev, worst, signal, v
		}
	}
	// When each host was last heard of, and the fleet's newest.
	newest := st.NewestByHost(at, presence...)
	var fleetNewest int64
	for h, t := range newest {
		get(h)
		fleetNewest = max(fleetNewest, t)
	}
	gone := map[string]bool{}
	for h, t := range newest {
		if t > 0 && fleetNewest-t >= int64(o.GoneAfter) {
			gone[h] = true
		}
	}
	// Targets: up, down, and the labels they carry.
	for _, s := range st.Select(sources.TargetUp) {
		h := s.Label(sources.LabelHost)
		x := get(h)
		for _, l := range s.Labels {
			switch l.Name {
			case sources.LabelHost, sources.LabelInstance:
			default:
				group(h, l.Name, l.Value)
			}
		}
		smp, ok := st.Last(s.Key(), at)
		if !ok {
			continue
		}
		x.Targets++
		if smp.V < 1 {
			x.TargetsDown++
			raise(x, SevDown, "target "+s.Label(sources.LabelInstance)+" ("+s.Label(sources.LabelJob)+") down", sources.TargetUp, Some(smp.V))
		} else {
			raise(x, SevOK, "", "", Num{})
		}
	}
	// GPUs.
	gpus := make([]FleetGPU, 0, len(ov.GPUs))
	for _, g := range ov.GPUs {
		x := get(g.Host)
		group(g.Host, "model", g.Model)
		if gone[g.Host] {
			continue // its last figures are old: the host says gone
		}
		x.GPUs++
		sev, reason, signal, v := gpuSeverity(g, o)
		raise(x, sev, reason, signal, v)
		gpus = append(gpus, FleetGPU{Host: g.Host, GPU: g.Index, UUID: g.UUID, Model: g.Model, Temp: g.Temp, Util: g.Util, XIDLast: g.XIDLast,
			Severity: sev, Reason: reason})
	}
	// Services.
	svcs := make([]FleetService, 0, len(ov.Services))
	for _, s := range ov.Services {
		x := get(s.Host)
		group(s.Host, "service", s.Name)
		if gone[s.Host] {
			continue
		}
		x.Services++
		fs := FleetService{Host: s.Host, Service: s.Name, Stack: s.Stack, ErrorRate: s.ErrorRate, ErrorTarget: s.ErrorTarget,
			P99: s.Latency.P99, QueueDepth: s.QueueDepth}
		if slo, ok := o.LatencySLO[s.Name]; ok && slo > 0 {
			fs.LatencySLO = Some(slo.Seconds())
		}
		sev, reason, signal, v := serviceSeverity(fs, o)
		fs.Severity, fs.Reason = sev, reason
		raise(x, sev, reason, signal, v)
		svcs = append(svcs, fs)
	}
	for _, h := range hosts {
		get(h.Host)
		raise(byHost[h.Host], SevOK, "", "", Num{})
	}
	// Gone: well behind the fleet's newest data.
	for h, x := range byHost {
		t := newest[h]
		x.Age = ageOf(t, at)
		if gone[h] {
			age := time.Duration(fleetNewest - t).Round(time.Second)
			x.Severity, x.Worst, x.Signal, x.Value = SevGone, "no data for "+age.String(), "", Some(age.Seconds())
		}
		for k, vs := range groups[h] {
			var l []string
			for v := range vs {
				l = append(l, v)
			}
			sort.Strings(l)
			x.Groups[k] = strings.Join(l, ",")
		}
		fl.Hosts = append(fl.Hosts, *x)
	}
	sort.Slice(fl.Hosts, func(i, j int) bool {
		a, b := fl.Hosts[i], fl.Hosts[j]
		if a.Severity != b.Severity {
			return Worse(a.Severity, b.Severity)
		}
		if a.Value.OK != b.Value.OK {
			return a.Value.OK
		}
		// Values compare only within one signal; across signals the
		// order must still be total (else it follows the input's, which
		// is a map's): by signal name.
		if a.Signal != b.Signal {
			return a.Signal < b.Signal
		}
		if a.Value.OK && a.Value.V != b.Value.V {
			return a.Value.V > b.Value.V
		}
		return a.Host < b.Host
	})
	for _, x := range fl.Hosts {
		fl.BySeverity[x.Severity]++
	}
	// Ranked by pointer: a fleet has thousands of GPUs, the list keeps 20.
	ranked := make([]*FleetGPU, len(gpus))
	for i := range gpus {
		ranked[i] = &gpus[i]
	}
	sort.SliceStable(ranked, func(i, j int) bool {
		a, b := ranked[i], ranked[j]
		if a.Severity != b.Severity {
			return Worse(a.Severity, b.Severity)
		}
		if a.Temp.OK != b.Temp.OK {
			return a.Temp.OK
		}
		if a.Temp.V != b.Temp.V {
			return a.Temp.V > b.Temp.V
		}
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		return a.GPU < b.GPU
	})
	for _, g := range ranked[:min(len(ranked), o.FleetWorstN)] {
		fl.WorstGPUs = append(fl.WorstGPUs, *g)
	}
	sort.SliceStable(svcs, func(i, j int) bool {
		a, b := svcs[i], svcs[j]
		if a.Severity != b.Severity {
			return Worse(a.Severity, b.Severity)
		}
		ra, rb := svcScore(a), svcScore(b)
		if ra != rb {
			return ra > rb
		}
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		return a.Service < b.Service
	})
	fl.WorstServices = append(fl.WorstServices, svcs[:min(len(svcs), o.FleetWorstN)]...)
	return fl
}

// gpuSeverity is a GPU's worst signal: an XID, uncorrected ECC errors,
// hardware throttling, its temperature.
func gpuSeverity(g GPU, o Options) (sev, reason, signal string, v Num) {
	name := "GPU " + g.Index
	switch {
	case g.XIDLast.OK && g.XIDLast.V != 0:
		return SevCritical, fmt.Sprintf("%s XID %.0f", name, g.XIDLast.V), sources.GPUXIDLast, g.XIDLast
	case g.ECCUncorr.OK && g.ECCUncorr.V > 0:
		return SevCritical, fmt.Sprintf("%s %.0f uncorrected ECC errors", name, g.ECCUncorr.V), sources.GPUECCErrors, g.ECCUncorr
	case g.Throttle.OK && uint64(g.Throttle.V)&(ThrottleHWThermal|ThrottleHWSlowdown|ThrottleHWPowerBrake) != 0:
		return SevCritical, name + " throttled " + strings.Join(ThrottleBadges(uint64(g.Throttle.V)&(ThrottleHWThermal|ThrottleHWSlowdown|ThrottleHWPowerBrake)), " "),
			sources.GPUThrottle, g.Throttle
	case g.Temp.OK && g.Temp.V >= o.GPUTempCrit:
		return SevCritical, fmt.Sprintf("%s at %.0f °C", name, g.Temp.V), sources.GPUTemperature, g.Temp
	case g.Throttle.OK && uint64(g.Throttle.V)&ThrottleSWThermal != 0:
		return SevWarning, name + " throttled SW-THERM", sources.GPUThrottle, g.Throttle
	case g.Temp.OK && g.Temp.V >= o.GPUTempWarn:
		return SevWarning, fmt.Sprintf("%s at %.0f °C", name, g.Temp.V), sources.GPUTemperature, g.Temp
	case !g.Temp.OK && !g.Util.OK:
		return SevNA, "", "", Num{}
	}
	return SevOK, "", "", Num{}
}

// serviceSeverity is a service's worst signal: its error ratio against its
// target (as the errors pane colours it), its p99 against its SLO, its
// queue.
func serviceSeverity(s FleetService, o Options) (sev, reason, signal string, v Num) {
	sev = SevNA
	if s.ErrorRate.OK || s.P99.OK || s.QueueDepth.OK {
		sev = SevOK
	}
	set := func(nsev, nreason, nsignal string, nv Num) {
		if Worse(nsev, sev) {
			sev, reason, signal, v = nsev, nreason, nsignal, nv
		}
	}
	name := s.Service
	if e := s.ErrorRate; e.OK && s.ErrorTarget > 0 {
		switch {
		case e.V > s.ErrorTarget:
			set(SevCritical, fmt.Sprintf("%s errors %.2f%% > %.2f%%", name, 100*e.V, 100*s.ErrorTarget), "svc_error_ratio", e)
		case e.V > s.ErrorTarget/2:
			set(SevWarning, fmt.Sprintf("%s errors %.2f%% (target %.2f%%)", name, 100*e.V, 100*s.ErrorTarget), "svc_error_ratio", e)
		}
	}
	if p, slo := s.P99, s.LatencySLO; p.OK && slo.OK {
		switch {
		case p.V > slo.V:
			set(SevCritical, fmt.Sprintf("%s p99 %s > SLO %s", name, secondsText(p.V), secondsText(slo.V)), sources.SvcLatencyQuant, p)
		case p.V > latencySLOWarnShare*slo.V:
			set(SevWarning, fmt.Sprintf("%s p99 %s near SLO %s", name, secondsText(p.V), secondsText(slo.V)), sources.SvcLatencyQuant, p)
		}
	}
	if q := s.QueueDepth; q.OK {
		switch {
		case q.V >= o.QueueCrit:
			set(SevCritical, fmt.Sprintf("%s queue %.0f deep", name, q.V), sources.SvcQueueDepth, q)
		case q.V >= o.QueueWarn:
			set(SevWarning, fmt.Sprintf("%s queue %.0f deep", name, q.V), sources.SvcQueueDepth, q)
		}
	}
	return sev, reason, signal, v
}

// svcScore orders services of one severity: how far past its limits.
func svcScore(s FleetService) float64 {
	score := 0.0
	if s.ErrorRate.OK && s.ErrorTarget > 0 {
		score = math.Max(score, s.ErrorRate.V/s.ErrorTarget)
	}
	if s.P99.OK && s.LatencySLO.OK && s.LatencySLO.V > 0 {
		score = math.Max(score, s.P99.V/s.LatencySLO.V)
	}
	if s.QueueDepth.OK {
		score = math.Max(score, s.QueueDepth.V/DefaultQueueCrit)
	}
	return score
}

func secondsText(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%.0fms", v*1000)
	}
	return fmt.Sprintf("%.2fs", v)
}
