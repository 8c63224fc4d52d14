// Package nvmlmock simulates NVIDIA GPUs behind go-nvml's nvml.Interface, for
// tests, goldens and vigil's demo. It is built on go-nvml's pkg/nvml/mock
// server (H100 SXM5 80GB configs, driver 550.54.15) and wires every call
// vigil's collector makes to a caller-supplied state function, so the values
// move as the caller wishes. Unlike go-nvml's moq mocks, the live calls do
// not log their invocations, so a long-running demo stays flat in memory.
//
// UUIDs are derived from the device index (never random), so goldens are
// stable. Faults (no library, driver mismatch, a GPU lost, a function missing
// from an older driver, a hung call) are injected with WithError/SetError and
// SetHook.
package nvmlmock

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/gpus"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// Proc is one process using a GPU.
type Proc struct {
	PID       uint32
	UsedBytes uint64 // GPU memory, bytes
	SMUtil    uint32 // percent 0..100
	Name      string // informational; the collector reads names from /proc
}

// MIG is one MIG device (a compute instance inside a GPU instance).
type MIG struct {
	GI, CI        uint32 // GPU instance and compute instance ids
	Profile       string // e.g. "1g.10gb"
	MemTotalBytes uint64 // bytes
	MemUsedBytes  uint64 // bytes
}

// GPUState is what one simulated GPU reports at the instant it is read.
type GPUState struct {
	Util, MemUtil  float64 // ratio 0..1
	MemUsedBytes   uint64  // bytes (total comes from the H100 config: 80 GiB)
	Temp, MemTemp  float64 // °C; MemTemp 0 means "not supported"
	PowerW         float64 // W
	PowerLimitW    float64 // W; 0 means 700
	SMClockMHz     uint32  // MHz
	MemClockMHz    uint32  // MHz
	Fan            float64 // ratio 0..1; negative means "no fan" (NOT_SUPPORTED, as on SXM boards)
	PState         int     // 0..15
	Throttle       uint64  // NVML clock-event reasons bitmask
	XID            uint64  // non-zero: an XID event is delivered once each time this value changes
	ECCCorrected   uint64  // volatile corrected ECC errors
	ECCUncorrected uint64  // volatile uncorrected ECC errors
	PCIeReplay     uint64  // PCIe replay counter
	PCIeTxKBs      uint32  // PCIe TX throughput, KB/s
	PCIeRxKBs      uint32  // PCIe RX throughput, KB/s
	RemapCorr      int     // rows remapped for correctable errors
	RemapUncorr    int     // rows remapped for uncorrectable errors
	RemapPending   bool    // a remap is pending (needs a reset)
	RemapFailed    bool    // a remap failed
	Procs          []Proc
	MIG            []MIG // non-empty: MIG mode is on, with these devices
	Lost           bool  // every device call returns ERROR_GPU_IS_LOST
}

// Device UUIDs are GPU-6d6f636b-0000-4000-8000-<index as 12 digits>.
func uuidOf(i int) string { return fmt.Sprintf("GPU-6d6f636b-0000-4000-8000-%012d", i) }

// UUID returns the UUID the mock gives device i.
func UUID(i int) string { return uuidOf(i) }

type faultKey struct {
	call string
	gpu  int // -1: every GPU (and the system-level calls)
}

// Mock is a simulated NVML library. It implements nvml.Interface and is safe
// for concurrent use; state is called (concurrently, from any goroutine)
// whenever a live field is read.
type Mock struct {
	*server.Server
	state func(i int) GPUState
	devs  []*device
	start time.Time

	mu     sync.RWMutex
	faults map[faultKey]nvml.Return
	hooks  map[faultKey]func()
	kick   chan struct{}
	// check is how often an event-set wait looks at the states on its
	// own; 0: only on entry and on Kick.
	check time.Duration
}

// Option configures a Mock.
type Option func(*Mock)

// WithError makes call return ret on GPU gpu (-1: every GPU). call is the
// go-nvml method name: "Init", "DeviceGetCount", "DeviceGetHandleByIndex",
// "SystemGetDriverVersion", "EventSetCreate", "GetUtilizationRates",
// "GetCurrentClocksEventReasons", ... For ERROR_FUNCTION_NOT_FOUND the
// matching symbol ("nvmlDevice"+call) is also missing from LookupSymbol.
func WithError(call string, gpu int, ret nvml.Return) Option {
	return func(m *Mock) { m.faults[faultKey{call, gpu}] = ret }
}

// DefaultEventCheck is how often an event-set wait reads the GPUs' states
// for a changed XID when nothing kicks it.
const DefaultEventCheck = 250 * time.Millisecond

// WithEventCheck sets how often an event-set wait reads every GPU's state
// for a changed XID (DefaultEventCheck). 0 reads them only when a wait
// begins and on Kick: for a caller that kicks whenever an XID changes, as
// the demo does, so that an idle wait costs nothing.
func WithEventCheck(d time.Duration) Option {
	return func(m *Mock) { m.check = max(d, 0) }
}

// New returns n simulated H100s whose live fields come from state(i).
// A nil state gives idle GPUs.
func New(n int, state func(i int) GPUState, opts ...Option) *Mock {
	if state == nil {
		state = func(int) GPUState {
			return GPUState{Temp: 30, PowerW: 70, SMClockMHz: 345, MemClockMHz: 2619, Fan: -1, Throttle: 1}
		}
	}
	srv := server.NewServerWithGPUs("550.54.15", "12.550.54.15", 12040, gpus.Multiple(n, gpus.H100_SXM5_80GB)...)
	m := &Mock{Server: srv, state: state, start: time.Now(),
		faults: map[faultKey]nvml.Return{}, hooks: map[faultKey]func(){}, kick: make(chan struct{}, 1),
		check: DefaultEventCheck}
	for i, d := range srv.Devices {
		sd := d.(*server.Device)
		sd.UUID = uuidOf(i)
		m.devs = append(m.devs, &device{Device: sd, m: m, i: i})
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// SetError makes call return ret on GPU gpu (-1: all) from now on; SUCCESS
// clears it.
func (m *Mock) SetError(call string, gpu int, ret nvml.Return) {
	m.mu.Lock()
	if ret == nvml.SUCCESS {
		delete(m.faults, faultKey{call, gpu})
	} else {
		m.faults[faultKey{call, gpu}] = ret
	}
	m.mu.Unlock()
	m.Kick()
}

// SetHook runs fn at the start of every call to call on GPU gpu (-1: all);
// a hook that blocks simulates a hung driver call. nil removes it.
func (m *Mock) SetHook(call string, gpu int, fn func()) {
	m.mu.Lock()
	if fn == nil {
		delete(m.hooks, faultKey{call, gpu})
	} else {
		m.hooks[faultKey{call, gpu}] = fn
	}
	m.mu.Unlock()
}

// Kick wakes event-set waiters so that a changed XID is seen at once
// rather than at the next internal check (WithEventCheck).
func (m *Mock) Kick() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// fault returns the injected error for call on gpu, after running any hook.
func (m *Mock) fault(call string, gpu int) nvml.Return {
	m.mu.RLock()
	h := m.hooks[faultKey{call, gpu}]
	if h == nil {
		h = m.hooks[faultKey{call, -1}]
	}
	r, ok := m.faults[faultKey{call, gpu}]
	if !ok {
		r, ok = m.faults[faultKey{call, -1}]
	}
	m.mu.RUnlock()
	if h != nil {
		h()
	}
	if !ok {
		return nvml.SUCCESS
	}
	return r
}

// Init implements nvml.Interface.
func (m *Mock) Init() nvml.Return { return m.fault("Init", -1) }

// InitWithFlags implements nvml.Interface.
func (m *Mock) InitWithFlags(uint32) nvml.Return { return m.fault("Init", -1) }

// Shutdown implements nvml.Interface.
func (m *Mock) Shutdown() nvml.Return { return nvml.SUCCESS }

// ErrorString implements nvml.Interface.
func (m *Mock) ErrorString(r nvml.Return) string { return r.Error() }

// Extensions implements nvml.Interface.
func (m *Mock) Extensions() nvml.ExtendedInterface { return m }

// LookupSymbol reports a symbol missing when its call was injected with
// ERROR_FUNCTION_NOT_FOUND ("nvmlDeviceGetRemappedRows" ↔ "GetRemappedRows").
func (m *Mock) LookupSymbol(symbol string) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for k, r := range m.faults {
		if r == nvml.ERROR_FUNCTION_NOT_FOUND && ("nvmlDevice"+k.call == symbol || "nvml"+k.call == symbol) {
			return fmt.Errorf("symbol %s: %w", symbol, r)
		}
	}
	return nil
}

// SystemGetDriverVersion implements nvml.Interface.
func (m *Mock) SystemGetDriverVersion() (string, nvml.Return) {
	if r := m.fault("SystemGetDriverVersion", -1); r != nvml.SUCCESS {
		return "", r
	}
	return m.DriverVersion, nvml.SUCCESS
}

// SystemGetNVMLVersion implements nvml.Interface.
func (m *Mock) SystemGetNVMLVersion() (string, nvml.Return) {
	if r := m.fault("SystemGetNVMLVersion", -1); r != nvml.SUCCESS {
		return "", r
	}
	return m.NvmlVersion, nvml.SUCCESS
}

// SystemGetCudaDriverVersion implements nvml.Interface.
func (m *Mock) SystemGetCudaDriverVersion() (int, nvml.Return) {
	if r := m.fault("SystemGetCudaDriverVersion", -1); r != nvml.SUCCESS {
		return 0, r
	}
	return m.CudaDriverVersion, nvml.SUCCESS
}

// DeviceGetCount implements nvml.Interface.
func (m *Mock) DeviceGetCount() (int, nvml.Return) {
	if r := m.fault("DeviceGetCount", -1); r != nvml.SUCCESS {
		return 0, r
	}
	return len(m.devs), nvml.SUCCESS
}

// DeviceGetHandleByIndex implements nvml.Interface.
func (m *Mock) DeviceGetHandleByIndex(i int) (nvml.Device, nvml.Return) {
	if i < 0 || i >= len(m.devs) {
		return nil, nvml.ERROR_INVALID_ARGUMENT
	}
	if r := m.fault("DeviceGetHandleByIndex", i); r != nvml.SUCCESS {
		return nil, r
	}
	return m.devs[i], nvml.SUCCESS
}

// DeviceGetHandleByUUID implements nvml.Interface.
func (m *Mock) DeviceGetHandleByUUID(uuid string) (nvml.Device, nvml.Return) {
	for _, d := range m.devs {
		if d.UUID == uuid {
			return d, nvml.SUCCESS
		}
	}
	return nil, nvml.ERROR_NOT_FOUND
}

// DeviceGetHandleByPciBusId implements nvml.Interface.
func (m *Mock) DeviceGetHandleByPciBusId(bus string) (nvml.Device, nvml.Return) {
	for _, d := range m.devs {
		if d.PciBusID == bus {
			return d, nvml.SUCCESS
		}
	}
	return nil, nvml.ERROR_NOT_FOUND
}

// EventSetCreate implements nvml.Interface.
func (m *Mock) EventSetCreate() (nvml.EventSet, nvml.Return) {
	if r := m.fault("EventSetCreate", -1); r != nvml.SUCCESS {
		return nil, r
	}
	return &eventSet{m: m, mask: map[int]uint64{}, seen: map[int]uint64{}}, nvml.SUCCESS
}

// eventSet delivers XID events when a GPU's state XID changes.
type eventSet struct {
	mock.EventSet
	m     *Mock
	mu    sync.Mutex
	mask  map[int]uint64
	seen  map[int]uint64
	freed bool
}

func (e *eventSet) Free() nvml.Return {
	e.mu.Lock()
	e.freed = true
	e.mu.Unlock()
	return nvml.SUCCESS
}

func (e *eventSet) register(i int, mask uint64) {
	e.mu.Lock()
	e.mask[i] |= mask
	e.mu.Unlock()
}

func (e *eventSet) pending() (nvml.EventData, bool, nvml.Return) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.freed {
		return nvml.EventData{}, false, nvml.ERROR_UNINITIALIZED
	}
	ids := make([]int, 0, len(e.mask))
	for i := range e.mask {
		ids = append(ids, i)
	}
	sort.Ints(ids)
	for _, i := range ids {
		if e.mask[i]&nvml.EventTypeXidCriticalError == 0 {
			continue
		}
		s := e.m.state(i)
		if s.XID != e.seen[i] {
			e.seen[i] = s.XID
			if s.XID != 0 {
				return nvml.EventData{Device: e.m.devs[i], EventType: nvml.EventTypeXidCriticalError, EventData: s.XID}, true, nvml.SUCCESS
			}
		}
	}
	return nvml.EventData{}, false, nvml.SUCCESS
}

// Wait returns the next XID change, or ERROR_TIMEOUT after timeoutMs.
func (e *eventSet) Wait(timeoutMs uint32) (nvml.EventData, nvml.Return) {
	if r := e.m.fault("EventSetWait", -1); r != nvml.SUCCESS {
		return nvml.EventData{}, r
	}
	deadline := time.NewTimer(time.Duration(timeoutMs) * time.Millisecond)
	defer deadline.Stop()
	var tickC <-chan time.Time
	if e.m.check > 0 {
		tick := time.NewTicker(e.m.check)
		defer tick.Stop()
		tickC = tick.C
	}
	for {
		ev, ok, r := e.pending()
		if r != nvml.SUCCESS {
			return ev, r
		}
		if ok {
			return ev, nvml.SUCCESS
		}
		select {
		case <-deadline.C:
			return nvml.EventData{}, nvml.ERROR_TIMEOUT
		case <-tickC:
		case <-e.m.kick:
		}
	}
}

// SimulatedProcess describes a simulated process, standing in for /proc,
// which does not know the mock's PIDs: the user is "demo" and the command
// the Proc's Name. ok is false for a PID no GPU reports.
func (m *Mock) SimulatedProcess(pid uint32) (user, command string, ok bool) {
	for i := range m.devs {
		for _, p := range m.state(i).Procs {
			if p.PID == pid {
				name := p.Name
				if name == "" {
					name = "process " + fmt.Sprint(pid)
				}
				return "demo", name, true
			}
		}
	}
	return "", "", false
}
