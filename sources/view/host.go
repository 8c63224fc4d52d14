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
	names := map[string]bool{}
	for _, n := range hostSignals {
		for _, s := range st.Select(n) {
			names[s.Label(sources.LabelHost)] = true
		}
	}
	out := make([]Host, 0, len(names))
	for n := range names {
		out = append(out, host(st, n, at, o.RateWindow))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

func host(st *sources.Store, name string, at time.Time, window time.Duration) Host {
	m := []sources.Label{{Name: sources.LabelHost, Value: name}}
	h := Host{Host: name, Filesystems: []Filesystem{}}

	cpus := map[string]bool{}
	var all, idle float64
	windowed := true
	nseries := 0
	for _, s := range st.Select(sources.HostCPUSeconds, m...) {
		if _, ok := st.Last(s.Key(), at); !ok {
			continue
		}
		cpus[s.Label("cpu")] = true
		nseries++
		inc, _, ok := st.Increase(s.Key(), window, at)
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
		h.CPUCount = lastOf(st, sources.HostCPUCount, m, at)
	}
	if nseries > 0 && windowed && all > 0 {
		h.CPUBusy = Some(1 - idle/all)
	} else if nseries == 0 {
		h.CPUBusy = lastOf(st, sources.HostCPUBusy, m, at)
	}
	h.NetRx, h.NetTx = netRate(st, sources.HostNetRx, sources.HostNetRxBps, m, window, at), netRate(st, sources.HostNetTx, sources.HostNetTxBps, m, window, at)

	h.Load1 = lastOf(st, sources.HostLoad1, m, at)
	total := lastOf(st, sources.HostMemTotal, m, at)
	avail := lastOf(st, sources.HostMemAvailable, m, at)
	h.MemTotal = total
	if total.OK && avail.OK && total.V > 0 {
		h.MemUsedRatio = Some(1 - avail.V/total.V)
	} else {
		h.MemUsedRatio = lastOf(st, sources.HostMemUsedRatio, m, at)
	}

	for _, s := range st.Select(sources.HostFSSize, m...) {
		mp := s.Label("mountpoint")
		size, ok := st.Last(s.Key(), at)
		if !ok {
			continue
		}
		fs := Filesystem{Mountpoint: mp, SizeBytes: Some(size.V)}
		av := lastOf(st, sources.HostFSAvail, append(m[:1:1], sources.Label{Name: "mountpoint", Value: mp}), at)
		if av.OK && size.V > 0 {
			fs.UsedRatio = Some(1 - av.V/size.V)
		}
		h.Filesystems = append(h.Filesystems, fs)
	}
	sort.Slice(h.Filesystems, func(i, j int) bool { return h.Filesystems[i].Mountpoint < h.Filesystems[j].Mountpoint })

	boot := lastOf(st, sources.HostBootTime, m, at)
	now := lastOf(st, sources.HostTime, m, at)
	if boot.OK && now.OK {
		h.Uptime = Some(math.Max(0, now.V-boot.V))
	}
	var newest int64
	for _, n := range hostAgeSignals {
		for _, s := range st.Select(n, m...) {
			if smp, ok := st.LastSeen(s.Key(), at); ok && smp.T > newest {
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
func netRate(st *sources.Store, counter, figure string, m []sources.Label, window time.Duration, at time.Time) Num {
	if cs := st.Select(counter, m...); len(cs) > 0 {
		return sumRate(st, cs, window, at)
	}
	return lastOf(st, figure, m, at)
}

// lastOf is the newest value of the first series called name matching m.
func lastOf(st *sources.Store, name string, m []sources.Label, at time.Time) Num {
	for _, s := range st.Select(name, m...) {
		if smp, ok := st.Last(s.Key(), at); ok {
			return Some(smp.V)
		}
	}
	return Num{}
}
