package view

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

var h0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func hostPoint(name string, kind sources.Kind, at time.Time, v float64, kv ...string) sources.Point {
	return sources.Point{Series: sources.NewSeries(name, kind, append([]string{sources.LabelHost, "n1"}, kv...)...), At: at, Value: v}
}

// scrapeHost is one node_exporter-like scrape of host n1: two CPUs, with
// the given per-mode counters for both.
func scrapeHost(at time.Time, idle, iowait, user float64) sources.Frame {
	f := sources.Frame{Source: "node", At: at}
	for _, cpu := range []string{"0", "1"} {
		f.Points = append(f.Points,
			hostPoint(sources.HostCPUSeconds, sources.Counter, at, idle, "cpu", cpu, "mode", "idle"),
			hostPoint(sources.HostCPUSeconds, sources.Counter, at, iowait, "cpu", cpu, "mode", "iowait"),
			hostPoint(sources.HostCPUSeconds, sources.Counter, at, user, "cpu", cpu, "mode", "user"))
	}
	f.Points = append(f.Points,
		hostPoint(sources.HostLoad1, sources.Gauge, at, 1.5),
		hostPoint(sources.HostMemTotal, sources.Gauge, at, 1000),
		hostPoint(sources.HostMemAvailable, sources.Gauge, at, 250),
		hostPoint(sources.HostFSSize, sources.Gauge, at, 200, "mountpoint", "/var"),
		hostPoint(sources.HostFSAvail, sources.Gauge, at, 150, "mountpoint", "/var"),
		hostPoint(sources.HostFSSize, sources.Gauge, at, 100, "mountpoint", "/"),
		hostPoint(sources.HostFSAvail, sources.Gauge, at, 10, "mountpoint", "/"),
		hostPoint(sources.HostBootTime, sources.Gauge, at, 1000),
		hostPoint(sources.HostTime, sources.Gauge, at, 1000+86400*2),
		hostPoint(sources.HostNetRx, sources.Counter, at, 1000*idle, "device", "eth0"),
		hostPoint(sources.HostNetTx, sources.Counter, at, 100*idle, "device", "eth0"))
	return f
}

func TestHosts(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(scrapeHost(h0, 100, 10, 50))
	hs := Hosts(st, h0, Options{})
	if len(hs) != 1 {
		t.Fatalf("hosts %+v", hs)
	}
	h := hs[0]
	if h.Host != "n1" || !h.CPUCount.OK || h.CPUCount.V != 2 {
		t.Errorf("host %+v", h)
	}
	if h.CPUBusy.OK {
		t.Errorf("cpu busy from one scrape: %v", h.CPUBusy)
	}
	if !h.MemUsedRatio.OK || h.MemUsedRatio.V != 0.75 || h.MemTotal.V != 1000 || h.Load1.V != 1.5 {
		t.Errorf("memory/load %+v", h)
	}
	if len(h.Filesystems) != 2 || h.Filesystems[0].Mountpoint != "/" || h.Filesystems[0].UsedRatio.V != 0.9 ||
		h.Filesystems[1].Mountpoint != "/var" || h.Filesystems[1].UsedRatio.V != 0.25 {
		t.Errorf("filesystems %+v", h.Filesystems)
	}
	if !h.Uptime.OK || h.Uptime.V != 2*86400 {
		t.Errorf("uptime %v", h.Uptime)
	}

	// Ten seconds later each CPU spent 6 s idle, 1 s in iowait, 3 s in user:
	// busy = 1 − (2×7)/(2×10) = 0.3.
	at := h0.Add(10 * time.Second)
	st.Ingest(scrapeHost(at, 106, 11, 53))
	h = Hosts(st, at, Options{RateWindow: time.Minute})[0]
	if !h.CPUBusy.OK || h.CPUBusy.V < 0.2999 || h.CPUBusy.V > 0.3001 {
		t.Errorf("cpu busy %v, want 0.3", h.CPUBusy)
	}
	// eth0 received 6000 bytes and sent 600 in the 10 s.
	if !h.NetRx.OK || math.Abs(h.NetRx.V-600) > 1e-9 || !h.NetTx.OK || math.Abs(h.NetTx.V-60) > 1e-9 {
		t.Errorf("network %v in, %v out; want 600 and 60 bytes/s", h.NetRx, h.NetTx)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"host":"n1"`, `"cpu_count":2`, `"cpu_busy_ratio":0.3`, `"load1":1.5`, `"memory_used_ratio":0.75`,
		`"memory_total_bytes":1000`, `"filesystems":[{"mountpoint":"/","used_ratio":0.9`, `"uptime_seconds":172800`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON %s lacks %s", b, k)
		}
	}

	// Past the lookback the host's gauges are n/a, not stale numbers.
	late := at.Add(time.Hour)
	if hs := Hosts(st, late, Options{}); len(hs) == 1 && (hs[0].Load1.OK || hs[0].CPUCount.OK) {
		t.Errorf("stale host figures: %+v", hs[0])
	}
}

func TestHostsEmptyAndNA(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	if hs := Hosts(st, h0, Options{}); len(hs) != 0 {
		t.Errorf("hosts from nothing: %+v", hs)
	}
	st.Ingest(sources.Frame{At: h0, Points: []sources.Point{hostPoint(sources.HostLoad1, sources.Gauge, h0, 3)}})
	hs := Hosts(st, h0, Options{})
	if len(hs) != 1 {
		t.Fatalf("hosts %+v", hs)
	}
	b, _ := json.Marshal(hs[0])
	want := `{"host":"n1","cpu_count":null,"cpu_busy_ratio":null,"load1":3,"memory_used_ratio":null,"memory_total_bytes":null,"filesystems":[],"network_receive_bytes_per_second":null,"network_transmit_bytes_per_second":null,"uptime_seconds":null,"age_seconds":0}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
