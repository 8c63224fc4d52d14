package view

import (
	"math"
	"sort"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Filesystem is one mounted filesystem's fill level.
type Filesystem struct {
	Mountpoint string `json:"mountpoint"`
	UsedRatio  Num    `json:"used_ratio"` // 1 − avail/size, ratio 0..1
	SizeBytes  Num    `json:"size_bytes"`
}

// Host is one machine's CPU, memory, disk and uptime.
type Host struct {
	Host         string       `json:"host"`
	CPUCount     Num          `json:"cpu_count"`         // distinct cpu labels
	CPUBusy      Num          `json:"cpu_busy_ratio"`    // 1 − Δ(idle+iowait)/Δall over the window; needs two scrapes
	Load1        Num          `json:"load1"`             // 1-minute load average
	MemUsedRatio Num          `json:"memory_used_ratio"` // 1 − available/total, ratio 0..1
	MemTotal     Num          `json:"memory_total_bytes"`
	Filesystems  []Filesystem `json:"filesystems"`                       // sorted by mountpoint
	NetRx        Num          `json:"network_receive_bytes_per_second"`  // over the window, every device but loopback
	NetTx        Num          `json:"network_transmit_bytes_per_second"` // over the window, every device but loopback
	Uptime       Num          `json:"uptime_seconds"`
	Age          Num          `json:"age_seconds"` // of the newest sample the figures rest on
}

// hostSignals name a host: any of them for a host label lists the host.
var hostSignals = []string{sources.HostCPUSeconds, sources.HostLoad1, sources.HostMemTotal, sources.HostFSSize, sources.HostBootTime,
	sources.HostMemUsedRatio, sources.HostCPUBusy, sources.HostCPUCount, sources.HostNetRxBps}

// Hosts evaluates every host the store has host signals for, sorted by
// name. Rates use o.RateWindow; a figure no source gives is n/a.
func Hosts(st *sources.Store, at time.Time, o Options) []Host {
	o = o.withDefaults()
	x := hostIndexOf(st)
	out := make([]Host, 0, len(x.names))
	for _, n := range x.names {
		out = append(out, host(st, x.series[n], n, at, o.RateWindow))
	}
	return out
}

// hostNames are every series name a host's figures read.
var hostNames = []string{sources.HostCPUSeconds, sources.HostCPUCount, sources.HostCPUBusy, sources.HostNetRx, sources.HostNetRxBps,
	sources.HostNetTx, sources.HostNetTxBps, sources.HostLoad1, sources.HostMemTotal, sources.HostMemAvailable, sources.HostMemUsedRatio,
	sources.HostFSSize, sources.HostFSAvail, sources.HostBootTime, sources.HostTime}

// hostSeries are one host's series by name, each name's sorted by key (as
// Select answers), each with its Ref: a host's figures read them without
// looking their keys up (a fleet's hosts at each evaluation).
type hostSeries map[string][]refSeries

// refSeries is a series and the store's Ref to it.
type refSeries struct {
	sources.Series
	ref sources.Ref
}

// sel is Select(name, host, extra...) on the host's series.
func (hs hostSeries) sel(name string, extra ...sources.Label) []refSeries {
	all := hs[name]
	if len(extra) == 0 {
		return all
	}
	var out []refSeries
	for _, s := range all {
		if hasLabels(s.Series, extra) {
			out = append(out, s)
		}
	}
	return out
}

// hasLabels reports whether s carries every label of extra.
func hasLabels(s sources.Series, extra []sources.Label) bool {
	for _, l := range extra {
		if s.Label(l.Name) != l.Value {
			return false
		}
	}
	return true
}

// withLabels is the series of all that carry every label of extra (all
// itself when there are none).
func withLabels(all []sources.Series, extra []sources.Label) []sources.Series {
	if len(extra) == 0 {
		return all
	}
	var out []sources.Series
	for _, s := range all {
		keep := true
		for _, l := range extra {
			if s.Label(l.Name) != l.Value {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

// hostIndex is which hosts there are (sorted) and each one's series: one
// pass over the store's host signals instead of a Select per host and
// signal, kept while the store's series stay the same.
type hostIndex struct {
	names  []string
	series map[string]hostSeries
}

var hostMemo seriesMemo[*hostIndex]

func hostIndexOf(st *sources.Store) *hostIndex {
	return hostMemo.get(st, func() *hostIndex { return buildHostIndex(st) })
}

func buildHostIndex(st *sources.Store) *hostIndex {
	listed := map[string]bool{}
	for _, n := range hostSignals {
		for _, s := range st.Select(n) {
			listed[s.Label(sources.LabelHost)] = true
		}
	}
	x := &hostIndex{series: make(map[string]hostSeries, len(listed))}
	for n := range listed {
		x.names = append(x.names, n)
		x.series[n] = hostSeries{}
	}
	sort.Strings(x.names)
	for _, name := range hostNames {
		for _, s := range st.Select(name) { // sorted by key: so is each host's part
			if hs := x.series[s.Label(sources.LabelHost)]; hs != nil {
				if ref, ok := st.Ref(s.Key()); ok {
					hs[name] = append(hs[name], refSeries{s, ref})
				}
			}
		}
	}
	return x
}

func host(st *sources.Store, hs hostSeries, name string, at time.Time, window time.Duration) Host {
	h := Host{Host: name, Filesystems: []Filesystem{}}

	cpus := map[string]bool{}
	var all, idle float64
	windowed := true
	nseries := 0
	for _, s := range hs.sel(sources.HostCPUSeconds) {
		if _, ok := st.LastRef(s.ref, at); !ok {
			continue
		}
		cpus[s.Label("cpu")] = true
		nseries++
		inc, _, ok := st.IncreaseRef(s.ref, window, at)
		if !ok {
			windowed = false
			continue
		}
		all += inc
		if md := s.Label("mode"); md == "idle" || md == "iowait" {
			idle += inc
		}
	}
	if len(cpus) > 0 {
		h.CPUCount = Some(float64(len(cpus)))
	} else {
		h.CPUCount = lastOfRefs(st, hs.sel(sources.HostCPUCount), at)
	}
	if nseries > 0 && windowed && all > 0 {
		h.CPUBusy = Some(1 - idle/all)
	} else if nseries == 0 {
		h.CPUBusy = lastOfRefs(st, hs.sel(sources.HostCPUBusy), at)
	}
	h.NetRx, h.NetTx = netRate(st, hs, sources.HostNetRx, sources.HostNetRxBps, window, at), netRate(st, hs, sources.HostNetTx, sources.HostNetTxBps, window, at)

	h.Load1 = lastOfRefs(st, hs.sel(sources.HostLoad1), at)
	total := lastOfRefs(st, hs.sel(sources.HostMemTotal), at)
	avail := lastOfRefs(st, hs.sel(sources.HostMemAvailable), at)
	h.MemTotal = total
	if total.OK && avail.OK && total.V > 0 {
		h.MemUsedRatio = Some(1 - avail.V/total.V)
	} else {
		h.MemUsedRatio = lastOfRefs(st, hs.sel(sources.HostMemUsedRatio), at)
	}

	for _, s := range hs.sel(sources.HostFSSize) {
		mp := s.Label("mountpoint")
		size, ok := st.LastRef(s.ref, at)
		if !ok {
			continue
		}
		fs := Filesystem{Mountpoint: mp, SizeBytes: Some(size.V)}
		av := lastOfRefs(st, hs.sel(sources.HostFSAvail, sources.Label{Name: "mountpoint", Value: mp}), at)
		if av.OK && size.V > 0 {
			fs.UsedRatio = Some(1 - av.V/size.V)
		}
		h.Filesystems = append(h.Filesystems, fs)
	}
	sort.Slice(h.Filesystems, func(i, j int) bool { return h.Filesystems[i].Mountpoint < h.Filesystems[j].Mountpoint })

	boot := lastOfRefs(st, hs.sel(sources.HostBootTime), at)
	now := lastOfRefs(st, hs.sel(sources.HostTime), at)
	if boot.OK && now.OK {
		h.Uptime = Some(math.Max(0, now.V-boot.V))
	}
	var newest int64
	for _, n := range hostAgeSignals {
		for _, s := range hs.sel(n) {
			if smp, ok := st.LastSeenRef(s.ref, at); ok && smp.T > newest {
				newest = smp.T
			}
		}
	}
	h.Age = ageOf(newest, at)
	return h
}

// hostAgeSignals are the host's series whose newest sample dates its figures.
var hostAgeSignals = []string{sources.HostLoad1, sources.HostMemTotal, sources.HostMemAvailable, sources.HostCPUBusy, sources.HostTime}

// netRate is the rate of the host's counters called counter (every device
// but lo, which the preset leaves out) over the window, else the engine's
// figure called figure.
func netRate(st *sources.Store, hs hostSeries, counter, figure string, window time.Duration, at time.Time) Num {
	if cs := hs.sel(counter); len(cs) > 0 {
		var out Num
		for _, s := range cs {
			if r, ok := st.RateRef(s.ref, window, at); ok {
				out = Num{V: out.V + r, OK: true}
			}
		}
		return out
	}
	return lastOfRefs(st, hs.sel(figure), at)
}

// lastOfRefs is lastOf of series with their Refs.
func lastOfRefs(st *sources.Store, ss []refSeries, at time.Time) Num {
	for _, s := range ss {
		if smp, ok := st.LastRef(s.ref, at); ok {
			return Some(smp.V)
		}
	}
	return Num{}
}

// lastOf is the newest value of the first of ss that has one.
func lastOf(st *sources.Store, ss []sources.Series, at time.Time) Num {
	for _, s := range ss {
		if smp, ok := st.Last(s.Key(), at); ok {
			return Some(smp.V)
		}
	}
	return Num{}
}
