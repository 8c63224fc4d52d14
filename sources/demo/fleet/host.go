package fleet

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var clusters = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "ap-south-1", "sa-east-1", "ca-central-1"}

// models are what the hosts serve (each host one vLLM server over all its
// GPUs), with the namespace of the team that runs them.
var models = []struct{ name, namespace, short string }{
	{"meta-llama/Llama-3.1-70B-Instruct", "chat", "llama-3-1-70b"},
	{"Qwen/Qwen2.5-72B-Instruct", "agents", "qwen2-5-72b"},
	{"meta-llama/Llama-3.1-8B-Instruct", "search", "llama-3-1-8b"},
	{"mistralai/Mixtral-8x22B-Instruct-v0.1", "batch", "mixtral-8x22b"},
}

// busIDs are an HGX H100 board's GPU PCI bus numbers; GPUs past eight
// continue the pattern.
var busIDs = []int{0x18, 0x2a, 0x3a, 0x5d, 0x9a, 0xab, 0xba, 0xdb}

func busID(g int) int {
	if g < len(busIDs) {
		return busIDs[g]
	}
	return (0x0c + g*0x10) & 0xff
}

// PCIBusID is the pci_bus_id dcgm-exporter gives GPU g of a host,
// "00000000:18:00.0" for GPU 0.
func PCIBusID(g int) string { return fmt.Sprintf("00000000:%02X:00.0", busID(g)) }

// host is one host's fixed profile; every series is computed from it.
type host struct {
	Host
	seed  uint64
	load  load
	rate  float64 // requests per second at load 1
	scale float64 // latency multiplier of this host
	proc  float64 // vLLM process start, seconds after Start (negative)
	boot  float64 // boot time, seconds after Start (negative)
	start float64 // Start in Unix seconds
	cpus  int

	uuid    []string
	tempOff []float64 // °C each GPU runs above or below the others
	gpuLbl  []string  // dcgm labels of each GPU, without braces
	vllmLbl string    // model_name="…",engine="0"
	tabs    hostTables

	// Incidents; -1 or NaN when the host has none of the kind.
	hotGPU  int
	hotAt   float64
	xidGPU  int
	xidAt   float64
	queueAt float64
	burstAt float64
}

func newHost(cfg Config, i int) *host {
	seed := key(uint64(cfg.Seed), 0x686f7374, uint64(i)) // "host"
	u := func(k uint64) float64 { return float64(mix64(seed^k)>>11) / (1 << 53) }
	nc := min(len(clusters), max(1, (cfg.Hosts+31)/32))
	m := models[int(u(1)*float64(len(models)))]
	width := max(3, len(strconv.Itoa(cfg.Hosts-1)))
	h := &host{
		Host: Host{
			Index:     i,
			Name:      fmt.Sprintf("gpu-node-%0*d", width, i),
			Addr:      fmt.Sprintf("127.1.%d.%d", i/254, i%254+1),
			Cluster:   clusters[i*nc/cfg.Hosts],
			Namespace: m.namespace,
			Model:     m.name,
			GPUs:      cfg.GPUsPerHost,
		},
		seed:    seed,
		rate:    2 + 2.5*u(2),
		scale:   0.85 + 0.35*u(3),
		proc:    -3600 * (1 + 47*u(4)),
		boot:    -86400 * (2 + 38*u(5)),
		start:   unixSeconds(cfg.Start),
		cpus:    cfg.CPUsPerHost,
		hotGPU:  -1,
		hotAt:   math.NaN(),
		xidGPU:  -1,
		xidAt:   math.NaN(),
		queueAt: math.NaN(),
		burstAt: math.NaN(),
	}
	h.Pod = fmt.Sprintf("vllm-%s-%s-%s", m.short, podHash(mix64(seed^6), 10, "bcdfghjklmnpqrstvwxz2456789"), podHash(mix64(seed^7), 5, "bcdfghjklmnpqrstvwxz2456789"))
	for k := range h.load {
		// The daily wave shares its phase across a cluster (one region's
		// day); the faster ones differ host by host.
		phi := 2 * math.Pi * u(uint64(10+k))
		if k == 0 {
			phi = 2 * math.Pi * float64(i*nc/cfg.Hosts) / float64(len(clusters))
		}
		h.load[k] = wave{a: loadAmps[k], w: 2 * math.Pi / loadPeriods[k], phi: phi}
	}
	h.newTables()
	h.vllmLbl = `model_name="` + m.name + `",engine="0"`
	for g := 0; g < cfg.GPUsPerHost; g++ {
		x := mix64(seed ^ uint64(100+g))
		y := mix64(x)
		uuid := fmt.Sprintf("GPU-%08x-%04x-%04x-%04x-%012x", uint32(x>>32), uint16(x>>16), 0x4000|uint16(x)&0x0fff, 0x8000|uint16(y>>48)&0x3fff, y&0xffffffffffff)
		h.uuid = append(h.uuid, uuid)
		h.tempOff = append(h.tempOff, 4*u(uint64(200+g))-2)
		h.gpuLbl = append(h.gpuLbl, fmt.Sprintf(`gpu="%d",UUID="%s",pci_bus_id="%s",device="nvidia%d",modelName="NVIDIA H100 80GB HBM3",Hostname="%s",DCGM_FI_DRIVER_VERSION="550.90.07",container="vllm",namespace="%s",pod="%s"`,
			g, uuid, PCIBusID(g), g, h.Name, h.Namespace, h.Pod))
	}
	return h
}

func podHash(x uint64, n int, alphabet string) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[x%uint64(len(alphabet))])
		x /= uint64(len(alphabet))
	}
	return b.String()
}

// Requests: the engine finishes rate·load requests a second from its start,
// except during an XID stall. Those after the queue incident's onset are
// slow; those inside an error burst fail at burstShare.

// served is ∫ rate·load over [max(from, proc), u], less the XID stall. It
// adds up integrals over fixed pieces rather than taking the stall away, so
// that it stays exactly constant while nothing is served.
func (h *host) served(from, u float64) float64 {
	from = math.Max(from, h.proc)
	if math.IsNaN(h.xidAt) || u <= h.xidAt || from >= h.xidAt+xidStall {
		return h.rate * h.load.integral(from, u)
	}
	v := h.load.integral(from, math.Min(u, h.xidAt))
	v += h.load.integral(math.Max(from, h.xidAt+xidStall), u)
	return h.rate * v
}

// requests is every request the engine finished by u.
func (h *host) requests(u float64) float64 { return h.served(h.proc, u) }

// calm is the requests finished before the queue incident's onset (all of
// them on a host without one).
func (h *host) calm(u float64) float64 {
	if !math.IsNaN(h.queueAt) {
		u = math.Min(u, h.queueAt)
	}
	return h.served(h.proc, u)
}

// slow is the requests finished after the queue incident's onset.
func (h *host) slow(u float64) float64 {
	if math.IsNaN(h.queueAt) || u <= h.queueAt {
		return 0
	}
	return h.served(h.queueAt, u)
}

// inBursts is the requests finished inside error bursts.
func (h *host) inBursts(u float64) float64 {
	if math.IsNaN(h.burstAt) || u <= h.burstAt {
		return 0
	}
	v := 0.0
	for s := h.burstAt; s < u; s += burstEvery {
		v += h.served(s, math.Min(u, s+burstFor))
	}
	return v
}

// bursting reports whether u lies inside an error burst.
func (h *host) bursting(u float64) bool {
	return !math.IsNaN(h.burstAt) && u >= h.burstAt && math.Mod(u-h.burstAt, burstEvery) < burstFor
}

// stalled reports whether u lies inside the XID stall.
func (h *host) stalled(u float64) bool {
	return !math.IsNaN(h.xidAt) && u >= h.xidAt && u < h.xidAt+xidStall
}

// queueLevel is how far the deep queue has filled, 0..1.
func (h *host) queueLevel(u float64) float64 {
	if math.IsNaN(h.queueAt) {
		return 0
	}
	return ramp(u, h.queueAt, queueRamp)
}

// queueWait is how long a request waits in the deep queue, seconds.
func (h *host) queueWait() float64 { return queueTarget / (h.rate * 1.0) }

// Finish reasons as shares of the requests; errors also come from bursts and
// the XID.
const (
	shareAbort  = 0.0134
	shareLength = 0.149
	shareError  = 0.0022
	share4xx    = 0.0112 // of requests, rejected before the engine
	cachedShare = 0.331  // prompt tokens served from the prefix cache
)

// outcomes are the finish-reason counts at u: whole numbers that only grow.
type outcomes struct{ stop, length, abort, errors float64 }

func (h *host) outcomes(u float64) outcomes {
	n := h.requests(u)
	b := h.inBursts(u)
	e := shareError*n + (burstShare-shareError)*b + h.xidFailed(u)
	return outcomes{
		errors: math.Floor(e),
		abort:  math.Floor(shareAbort * n),
		length: math.Floor(shareLength * n),
		stop:   math.Floor((1-shareAbort-shareLength-shareError)*n - (burstShare-shareError)*b),
	}
}

// xidFailed is the requests the XID killed in flight: they finish with an
// error at the XID, on top of the served ones.
func (h *host) xidFailed(u float64) float64 {
	if !math.IsNaN(h.xidAt) && u >= h.xidAt {
		return xidFailed
	}
	return 0
}

func (o outcomes) total() float64 { return o.stop + o.length + o.abort + o.errors }

// Latency and size distributions (seconds, tokens).
func (h *host) e2e(slow bool) dist {
	if slow {
		return dist{4.6*h.scale + h.queueWait(), 0.35}
	}
	return dist{4.6 * h.scale, 0.62}
}

func (h *host) ttft(slow bool) dist {
	if slow {
		return dist{0.14*h.scale + h.queueWait(), 0.3}
	}
	return dist{0.14 * h.scale, 0.85}
}

func (h *host) queueTime(slow bool) dist {
	if slow {
		return dist{h.queueWait(), 0.3}
	}
	return dist{0.012, 1.3}
}

var (
	distPrefill   = dist{0.09, 0.7}
	distDecode    = dist{4.3, 0.62}
	distITL       = dist{0.026, 0.3}
	distTPOT      = dist{0.027, 0.22}
	distPrompt    = dist{560, 0.9}
	distGen       = dist{185, 0.78}
	distMaxTokens = dist{1400, 0.45}
	distN         = dist{1, 0}
	distIterToks  = dist{96, 1.1}
)

// promptTokens and genTokens are token counts at u (whole numbers).
func (h *host) promptTokens(u float64) float64 {
	return math.Floor(distPrompt.mean() * h.requests(u))
}

func (h *host) genTokens(u float64) float64 {
	return math.Floor(distGen.mean() * h.requests(u))
}

// itlCount is the inter-token intervals observed: one fewer than the tokens
// of each request.
func (h *host) itlCount(u float64) float64 {
	return math.Floor((distGen.mean() - 1) * h.requests(u))
}

// steps is the engine steps run by u (25 a second while up).
func (h *host) steps(u float64) float64 {
	return math.Floor(25 * math.Max(0, u-h.proc))
}
