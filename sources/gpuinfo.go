package sources

import "time"

// What a GPU collector knows beyond time series — static facts, per-field
// staleness, MIG layout and processes — in types free of cgo, so that panes
// read it without importing go-nvml.

// GPUField is the state of one field of one GPU as its collector last read it.
type GPUField struct {
	Name  string    // canonical signal name, or a short fact name ("mig", "processes")
	At    time.Time // when the last good value was read; zero if never
	Err   string    // the last error, "" when the last read was good
	NA    string    // why the field is n/a for good: "driver too old", "not supported", "not reported under MIG"
	Value float64   // the last good value
}

// MIGDevice is one MIG device (a compute instance in a GPU instance).
type MIGDevice struct {
	GI, CI        int    // GPU instance and compute instance ids
	Profile       string // e.g. "3g.40gb"
	UUID          string
	MemUsedBytes  uint64 // bytes
	MemTotalBytes uint64 // bytes
}

// GPUInfo is what a collector knows about one GPU besides its time series.
type GPUInfo struct {
	Host, Index, UUID, Model string // the series labels
	BusID, Serial            string
	Driver, NVML, CUDA       string // driver, library and CUDA driver versions
	State                    string // "ok", "lost", "error"
	Err                      string // the GPU's last error, one line
	PCIeGen, PCIeWidth       int    // current link; 0 when unknown
	MIGEnabled               bool
	MIG                      []MIGDevice
	Fields                   []GPUField // sorted by Name
	LastPoll                 time.Time  // the last poll that reached this GPU
	PollDuration             time.Duration
}

// GPUProcess is one process holding a GPU.
type GPUProcess struct {
	Host, GPU, UUID string // the GPU's labels
	PID             uint32
	User            string // "" when unknown (not in our PID namespace)
	Container       string // container id (short) or pod, from /proc/<pid>/cgroup; "" on the host
	Pod             string // Kubernetes pod UID when the cgroup names one
	Command         string // command line, sanitized
	MemBytes        uint64 // GPU memory used, bytes; 0 when the driver does not say
	SMUtil          float64
	SMUtilOK        bool // false: no sample from the driver (n/a, not 0)
	Visible         bool // false: the PID is not in our PID namespace
	MIG             string
}

// GPUInspector is implemented by GPU collectors that know more than series:
// the GPU pane's detail view reads it. Methods return snapshots, safe for
// concurrent use, and never block on the driver.
type GPUInspector interface {
	GPUInfos() []GPUInfo
	GPUProcesses() []GPUProcess
	// GPUNote is a one-line explanation for the whole source ("NVIDIA driver
	// not found", "12 PIDs are outside our PID namespace: run with --pid=host"),
	// or "".
	GPUNote() string
}

// xidMeanings is a short reading of the common XID codes (NVIDIA's XID
// catalogue). Codes caused by the application rather than the GPU are
// marked by xidAppFault.
var xidMeanings = map[int]string{
	8:   "GPU stopped processing (timeout)",
	13:  "graphics engine exception",
	31:  "GPU memory page fault",
	32:  "invalid push buffer stream",
	38:  "driver firmware error",
	43:  "GPU stopped processing",
	45:  "preemptive cleanup",
	48:  "double-bit ECC error",
	56:  "display engine error",
	61:  "internal micro-controller breakpoint",
	62:  "internal micro-controller halt",
	63:  "ECC page retirement / row remap recorded",
	64:  "ECC page retirement / row remap failed",
	68:  "video processor exception",
	69:  "graphics engine class error",
	74:  "NVLink error",
	79:  "GPU fell off the bus",
	92:  "high single-bit ECC error rate",
	94:  "contained ECC error",
	95:  "uncontained ECC error",
	109: "context switch timeout",
	119: "GSP RPC timeout",
	120: "GSP error",
	121: "C2C link error",
	140: "unrecovered ECC error",
}

var xidAppFault = map[int]bool{13: true, 31: true, 32: true, 43: true, 45: true, 68: true, 69: true}

// XIDMeaning is a short reading of an XID code, or "" when unknown.
func XIDMeaning(code int) string { return xidMeanings[code] }

// XIDSeverity is SevWarning for XIDs usually caused by the application
// (13, 31, 43, ...) and SevCritical for the rest.
func XIDSeverity(code int) Severity {
	if xidAppFault[code] {
		return SevWarning
	}
	return SevCritical
}
