// Package fleet simulates a fleet of GPU inference hosts as their exporters
// would show it to Prometheus or VictoriaMetrics: on every host eight H100s
// through dcgm-exporter, one vLLM server, and node-exporter's host metrics.
//
// Every value is a pure function of (seed, host, series, instant): nothing is
// simulated step by step, so one instant renders without state, live scrapes
// and written history agree to the digit, and counters only grow. A fleet of
// 1,000 hosts is a few kilobytes of profiles; expositions are written
// straight to an io.Writer.
//
// # What a host exposes
//
// vLLM (job "vllm", port 8000): the V1 engine's families as vLLM ≥ 0.12
// serves them through prometheus_client — vllm:* histograms with vLLM's
// bucket layouts, counters with their _created twins, gauges, the HTTP
// instrumentator's http_requests_total{handler,method,status}, labels
// model_name and engine. Request counts are whole numbers: the finish
// reasons (stop, length, abort, error) add up to the e2e histogram's count,
// 2xx = stop+length+abort and 5xx = error, as in the real server.
//
// dcgm-exporter (job "dcgm", port 9400): the default counters (clocks in
// MHz, temperatures in °C, power in W, energy in mJ since boot, utilisation
// in %, framebuffer in MiB, XID as a gauge holding the last code with
// err_code/err_msg, remapped rows, profiling ratios 0..1), plus the volatile
// ECC counters and the clock-event reasons bitmask, each with the labels gpu,
// UUID, pci_bus_id, device, modelName, Hostname, DCGM_FI_DRIVER_VERSION and
// the pod mapping (container, namespace, pod) of the vLLM pod using the GPU.
//
// node-exporter (job "node", port 9100): node_cpu_seconds_total by cpu and
// mode, load averages, memory, filesystems, network and disk counters, boot
// time, the host's clock and node_uname_info.
//
// With the defaults (8 GPUs, 8 CPUs) a host has 298 vLLM series (26 of them
// _created), 224 dcgm series and 98 node series.
//
// # Incidents
//
// Four incidents land on hosts chosen by the seed (four different hosts when
// the fleet has four or more), each starting within two minutes of Start:
// a GPU that overheats to about 89 °C and throttles (HotGPU), an XID 13 on
// one GPU that stalls that host's engine for 30 s (XID), a vLLM queue about
// 40 deep (DeepQueue) and recurring bursts of 8 % 5xx (ErrorBurst).
// Incidents tells where and when.
package fleet

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Exporter is one of the three exporters every host runs.
type Exporter int

// The exporters, in the order a host lists them.
const (
	VLLM Exporter = iota // vLLM's OpenAI-compatible server (/metrics on the API port)
	DCGM                 // NVIDIA dcgm-exporter
	Node                 // Prometheus node-exporter
)

// Exporters lists every exporter.
var Exporters = []Exporter{VLLM, DCGM, Node}

// Job is the scrape job name the exporter's targets get: "vllm", "dcgm", "node".
func (e Exporter) Job() string {
	switch e {
	case VLLM:
		return "vllm"
	case DCGM:
		return "dcgm"
	case Node:
		return "node"
	}
	return "exporter" + strconv.Itoa(int(e))
}

// Ports are the TCP ports a host's exporters listen on.
type Ports struct {
	VLLM, DCGM, Node int
}

// DefaultPorts are the exporters' usual ports: vLLM 8000, dcgm-exporter
// 9400, node-exporter 9100.
var DefaultPorts = Ports{VLLM: 8000, DCGM: 9400, Node: 9100}

// Of returns e's port.
func (p Ports) Of(e Exporter) int {
	switch e {
	case VLLM:
		return p.VLLM
	case DCGM:
		return p.DCGM
	}
	return p.Node
}

// MaxHosts is the most hosts a fleet may have: one loopback address each in
// 127.1.0.0/16.
const MaxHosts = 254 * 256

// Config describes a fleet.
type Config struct {
	Hosts       int       // number of hosts, 1..MaxHosts
	GPUsPerHost int       // GPUs per host; ≤ 0 means 8
	CPUsPerHost int       // CPUs node-exporter reports per host; ≤ 0 means 8
	Seed        int64     // fixes every host's profile and the incidents
	Start       time.Time // the fleet's epoch: incidents start within two minutes of it; zero means the Unix epoch
	Ports       Ports     // the ports instance labels name; zero fields take DefaultPorts'
}

// Host is one simulated machine.
type Host struct {
	Index     int    // 0..Hosts-1
	Name      string // its hostname: dcgm's Hostname label and node_uname_info's nodename
	Addr      string // its loopback address, 127.1.x.y: the host part of its instances
	Cluster   string // group label: the cluster it belongs to
	Namespace string // group label: the Kubernetes namespace of its vLLM pod
	Pod       string // its vLLM pod's name
	Model     string // the model its vLLM server serves (model_name)
	GPUs      int
}

// Labels are the group labels scrape configs and history attach to every
// series of the host (cluster on all three jobs, namespace too on vLLM's),
// as name, value pairs.
func (h Host) Labels(e Exporter) []string {
	if e == VLLM {
		return []string{"cluster", h.Cluster, "namespace", h.Namespace}
	}
	return []string{"cluster", h.Cluster}
}

// IncidentKind names a scripted incident.
type IncidentKind string

// The incidents a fleet plays.
const (
	HotGPU     IncidentKind = "hot_gpu"     // one GPU heats to ~89 °C: thermal throttle bits, SM clock ~1100 MHz, power down
	XID        IncidentKind = "xid"         // XID 13 on one GPU: the host's engine stalls 30 s and in-flight requests fail
	DeepQueue  IncidentKind = "deep_queue"  // one vLLM server saturated: ~40 requests waiting, TTFT and e2e latency up
	ErrorBurst IncidentKind = "error_burst" // one vLLM server returns 8 % 5xx for 90 s every 5 minutes
)

// Incident is where and when one incident happens.
type Incident struct {
	Kind     IncidentKind
	Host     int    // host index
	HostName string // Host.Name
	GPU      int    // GPU index for HotGPU and XID; -1 otherwise
	UUID     string // that GPU's UUID; "" otherwise
	From     time.Time
	// For recurring incidents (ErrorBurst): active For out of every Every
	// from From on. Zero Every: active from From on, for good (an XID's
	// code stays in DCGM_FI_DEV_XID_ERRORS; its stall lasts Stall).
	Every, For time.Duration
	Stall      time.Duration // XID: how long the engine stops
	Value      float64       // the figure to look for: °C, XID code, requests waiting, 5xx ratio
	Detail     string
}

// Active reports whether the incident acts at t.
func (in Incident) Active(t time.Time) bool {
	if t.Before(in.From) {
		return false
	}
	if in.Every <= 0 {
		return true
	}
	return t.Sub(in.From)%in.Every < in.For
}

// Incident timing, seconds after Start (before jitter).
const (
	hotOnset    = 20.0
	queueOnset  = 30.0
	xidAt       = 45.0
	xidStall    = 30.0
	xidCode     = 13
	xidFailed   = 12 // requests in flight that fail when the engine dies
	burstFirst  = 100.0
	burstEvery  = 300.0
	burstFor    = 90.0
	burstShare  = 0.08
	jitter      = 8.0
	hotTarget   = 89.3 // °C
	queueTarget = 40.0 // requests waiting
	queueRamp   = 30.0 // seconds to fill the queue
	maxRunning  = 96.0 // vLLM's batch limit
)

// Fleet is a simulated fleet. It is immutable and safe for concurrent use.
type Fleet struct {
	cfg   Config
	start float64 // Start as Unix seconds
	hosts []*host
	inc   []Incident
}

// New builds the fleet described by cfg.
func New(cfg Config) (*Fleet, error) {
	if cfg.Hosts < 1 || cfg.Hosts > MaxHosts {
		return nil, fmt.Errorf("fleet: %d hosts: want 1..%d", cfg.Hosts, MaxHosts)
	}
	if cfg.GPUsPerHost <= 0 {
		cfg.GPUsPerHost = 8
	}
	if cfg.GPUsPerHost > 64 {
		return nil, errors.New("fleet: at most 64 GPUs per host")
	}
	if cfg.CPUsPerHost <= 0 {
		cfg.CPUsPerHost = 8
	}
	if cfg.CPUsPerHost > 1024 {
		return nil, errors.New("fleet: at most 1024 CPUs per host")
	}
	if cfg.Ports.VLLM == 0 {
		cfg.Ports.VLLM = DefaultPorts.VLLM
	}
	if cfg.Ports.DCGM == 0 {
		cfg.Ports.DCGM = DefaultPorts.DCGM
	}
	if cfg.Ports.Node == 0 {
		cfg.Ports.Node = DefaultPorts.Node
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Unix(0, 0)
	}
	f := &Fleet{cfg: cfg, start: unixSeconds(cfg.Start)}
	f.hosts = make([]*host, cfg.Hosts)
	for i := range f.hosts {
		f.hosts[i] = newHost(cfg, i)
	}
	f.placeIncidents()
	return f, nil
}

// Config returns the fleet's configuration with defaults filled in.
func (f *Fleet) Config() Config { return f.cfg }

// Hosts lists the hosts in index order (names sort the same way).
func (f *Fleet) Hosts() []Host {
	out := make([]Host, len(f.hosts))
	for i, h := range f.hosts {
		out[i] = h.Host
	}
	return out
}

// Instance is the host:port of exporter e on host i, as scrape targets and
// history name it.
func (f *Fleet) Instance(i int, e Exporter) string {
	return f.hosts[i].Addr + ":" + strconv.Itoa(f.cfg.Ports.Of(e))
}

// Incidents lists where and when each incident happens.
func (f *Fleet) Incidents() []Incident {
	return append([]Incident(nil), f.inc...)
}

// SeriesPerHost is how many series one host's three exporters expose at
// an instant (an XID swaps one series for another, keeping the count).
func (f *Fleet) SeriesPerHost() int {
	return vllmSeries + dcgmSeriesPerGPU*f.cfg.GPUsPerHost + nodeSeries(f.cfg.CPUsPerHost)
}

// placeIncidents picks the incidents' hosts, GPUs and onsets from the seed.
func (f *Fleet) placeIncidents() {
	r := rand.New(rand.NewPCG(uint64(f.cfg.Seed), 0x696e_6369_6465_6e74)) // "incident"
	n, gpus := len(f.hosts), f.cfg.GPUsPerHost
	perm := r.Perm(n)
	pick := func(k int) *host { return f.hosts[perm[k%n]] }
	j := func() float64 { return (r.Float64()*2 - 1) * jitter }
	hot, xid, queue, burst := pick(0), pick(1), pick(2), pick(3)
	hot.hotGPU = r.IntN(gpus)
	hot.hotAt = hotOnset + j()
	xid.xidGPU = r.IntN(gpus)
	if xid == hot && gpus > 1 && xid.xidGPU == hot.hotGPU {
		xid.xidGPU = (xid.xidGPU + 1) % gpus
	}
	xid.xidAt = xidAt + j()
	queue.queueAt = queueOnset + j()
	burst.burstAt = burstFirst + j()
	at := func(u float64) time.Time { return f.cfg.Start.Add(time.Duration(u * float64(time.Second))) }
	f.inc = []Incident{
		{Kind: HotGPU, Host: hot.Index, HostName: hot.Name, GPU: hot.hotGPU, UUID: hot.uuid[hot.hotGPU], From: at(hot.hotAt),
			Value: math.Round(hotTarget), Detail: fmt.Sprintf("%s GPU %d overheats to ~89 °C: thermal throttle, SM clock ~1100 MHz", hot.Name, hot.hotGPU)},
		{Kind: XID, Host: xid.Index, HostName: xid.Name, GPU: xid.xidGPU, UUID: xid.uuid[xid.xidGPU], From: at(xid.xidAt),
			Stall: time.Duration(xidStall * float64(time.Second)), Value: xidCode,
			Detail: fmt.Sprintf("%s GPU %d XID 13 (graphics engine exception): the engine stalls 30 s, %d requests fail", xid.Name, xid.xidGPU, xidFailed)},
		{Kind: DeepQueue, Host: queue.Index, HostName: queue.Name, GPU: -1, From: at(queue.queueAt), Value: queueTarget,
			Detail: fmt.Sprintf("%s vLLM saturated: ~40 requests waiting, TTFT and e2e latency up", queue.Name)},
		{Kind: ErrorBurst, Host: burst.Index, HostName: burst.Name, GPU: -1, From: at(burst.burstAt),
			Every: time.Duration(burstEvery * float64(time.Second)), For: time.Duration(burstFor * float64(time.Second)), Value: burstShare,
			Detail: fmt.Sprintf("%s vLLM returns 8 %% 5xx for 90 s every 5 minutes", burst.Name)},
	}
}

func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// u is t in seconds since the fleet's Start.
func (f *Fleet) u(t time.Time) float64 {
	return t.Sub(f.cfg.Start).Seconds()
}
