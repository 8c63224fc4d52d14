// Package nvml collects NVIDIA GPU telemetry through go-nvml and turns it
// into vigil's canonical GPU signals (sources.GPUUtilization, ...), XID
// events and per-process data.
//
// The collector never crashes and never blocks its caller: the library is
// loaded lazily on the first poll (a box without a driver reports
// HealthDisabled, "NVIDIA driver not found", and the console goes on); every
// driver call runs on a per-GPU worker goroutine and a poll returns after
// Options.CallTimeout with what arrived, naming the GPU and call that hang;
// every field keeps its last good value and the time it was read. Handles are
// initialised once and cached. Fields are read on tiers: utilisation, memory
// and power every poll (1 s); temperatures, clocks, fan, P-state and throttle
// reasons every Options.Medium (3 s); ECC, remapped rows, PCIe replays, MIG
// layout and static facts every Options.Slow (30 s); processes every
// Options.Processes (2 s). XIDs arrive from an NVML event set on a background
// goroutine. PCIe throughput, which blocks ~20 ms per call, is opt-in and
// read on its own goroutine.
package nvml

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/vigil-dev/vigil/sources"
)

// Options configures a Collector. Zero fields take the defaults.
type Options struct {
	// Lib is the NVML implementation; nil loads the system's
	// libnvidia-ml.so.1 through go-nvml, lazily, on the first poll.
	Lib nvml.Interface
	// LibraryPath, when Lib is nil, loads NVML from this file instead of
	// libnvidia-ml.so.1 (a driver in a non-standard place).
	LibraryPath string
	// Name is the source name; default "nvml".
	Name string
	// Host is the value of the host label (the OS hostname, passed in).
	Host string
	// GPUs restricts collection to these GPUs: NVML indices ("0", "3") or
	// UUIDs or UUID prefixes ("GPU-8f2c"). Empty: every GPU. (--gpus 0,3)
	GPUs []string
	// CUDAVisibleDevices, when UseCUDAVisible is set, further restricts the
	// GPUs to a CUDA_VISIBLE_DEVICES list (indices or UUIDs; MIG entries are
	// ignored). The caller passes os.Getenv("CUDA_VISIBLE_DEVICES").
	CUDAVisibleDevices string
	UseCUDAVisible     bool
	// Interval is the fast tier and the poll interval; default 1 s.
	Interval time.Duration
	// Medium is the tier of temperatures, clocks, fan, P-state, throttle
	// reasons, power limit and energy; default 3 s.
	Medium time.Duration
	// Slow is the tier of ECC, remapped rows, PCIe replays, MIG layout and
	// static facts; default 30 s.
	Slow time.Duration
	// Processes is how often processes are listed; default 2 s, negative
	// turns process collection off.
	Processes time.Duration
	// PCIe turns on PCIe throughput (blocks ~20 ms per call and direction),
	// read on a background goroutine every Medium.
	PCIe bool
	// CallTimeout is how long a poll waits for the GPUs' driver calls
	// before it reports what arrived; default 700 ms.
	CallTimeout time.Duration
	// ProcRoot is the proc filesystem; default "/proc".
	ProcRoot string
	// Clock stamps XID events; default the wall clock.
	Clock sources.Clock
	// Logger receives the collector's own diagnostics; default discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = "nvml"
	}
	if o.Host == "" {
		o.Host = hostname()
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Medium <= 0 {
		o.Medium = 3 * time.Second
	}
	if o.Slow <= 0 {
		o.Slow = 30 * time.Second
	}
	if o.Processes == 0 {
		o.Processes = 2 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 700 * time.Millisecond
	}
	if o.ProcRoot == "" {
		o.ProcRoot = "/proc"
	}
	if o.Clock == nil {
		o.Clock = sources.WallClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Messages for the library-level failure states.
const (
	MsgNoLibrary    = "NVIDIA driver not found"
	MsgNotLoaded    = "NVIDIA driver not loaded: the nvidia kernel module is missing (modprobe nvidia)"
	MsgMismatch     = "driver upgraded: reload the module or reboot (NVML library and kernel driver versions differ)"
	MsgNoPermission = "no permission to use the NVIDIA devices (/dev/nvidia*)"
	MsgTooOld       = "driver too old"
	MsgLost         = "GPU lost (fell off the bus or hung): reset the GPU or reboot"
)

// initState is where the library stands.
type initState int

const (
	stateNew initState = iota
	stateIniting
	stateReady
	stateFailed
)

// Collector polls NVML. It implements sources.Poller and
// sources.GPUInspector and is safe for concurrent use.
type Collector struct {
	opts Options
	lib  nvml.Interface

	pollMu sync.Mutex // one poll at a time
	timer  *time.Timer

	mu       sync.Mutex
	state    initState
	initErr  error
	disabled bool // the library is absent: HealthDisabled
	nextInit time.Time
	initDone chan struct{}
	gpus     []*gpu
	driver   string
	nvmlVer  string
	cuda     string
	note     string // selection notes
	detail   string // health detail, built once
	stop     chan struct{}
	shutdown bool
	bg       sync.WaitGroup // the XID and PCIe goroutines
	xidWait  uint32         // ms per event wait; tests shorten it

	seq  atomic.Uint64
	done chan doneMsg

	xidMu    sync.Mutex
	xidQueue []sources.Event
	xidDrops uint64
	xidNote  string

	procMu    sync.Mutex
	procCache map[uint32]*procInfo
	userCache map[string]string
}

type doneMsg struct {
	seq uint64
	gpu int
}

// New returns a collector; nothing is loaded until the first poll.
func New(opts Options) *Collector {
	opts = opts.withDefaults()
	lib := opts.Lib
	switch {
	case lib != nil:
	case opts.LibraryPath != "":
		lib = nvml.New(nvml.WithLibraryPath(opts.LibraryPath))
	default:
		lib = nvml.New()
	}
	return &Collector{opts: opts, lib: lib, procCache: map[uint32]*procInfo{}, userCache: map[string]string{}, xidWait: xidWait}
}

// Name implements sources.Source.
func (c *Collector) Name() string { return c.opts.Name }

// Interval implements sources.Poller: the fast tier.
func (c *Collector) Interval() time.Duration { return c.opts.Interval }

// Timeout is the hub's limit on one poll: the call timeout plus room to
// build the frame. Poll itself returns after CallTimeout.
func (c *Collector) Timeout() time.Duration { return c.opts.CallTimeout + 2*time.Second }

// classify turns a library-level Return into a message and whether the
// collector is disabled (no library) rather than failing.
func classify(r nvml.Return) (string, bool) {
	switch r {
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		return MsgNoLibrary, true
	case nvml.ERROR_DRIVER_NOT_LOADED:
		return MsgNotLoaded, false
	case nvml.ERROR_LIB_RM_VERSION_MISMATCH:
		return MsgMismatch, false
	case nvml.ERROR_NO_PERMISSION:
		return MsgNoPermission, false
	case nvml.ERROR_GPU_IS_LOST:
		return MsgLost, false
	case nvml.ERROR_FUNCTION_NOT_FOUND:
		return MsgTooOld, false
	}
	return "nvml: " + strings.ToLower(errString(r)), false
}

// errString names a Return without calling into the library.
func errString(r nvml.Return) string {
	s := r.Error()
	return strings.TrimPrefix(s, "ERROR_")
}

// retryAfter is how long a failed initialisation waits before it is tried
// again: a missing library rarely appears, a driver being loaded soon does.
func retryAfter(disabled bool) time.Duration {
	if disabled {
		return 5 * time.Minute
	}
	return 15 * time.Second
}

// ensureInit starts the library's initialisation when due and waits for it
// until ctx is done. It reports whether the collector is ready.
func (c *Collector) ensureInit(ctx context.Context, now time.Time) (bool, error) {
	c.mu.Lock()
	if c.shutdown {
		c.mu.Unlock()
		return false, errors.New("nvml: collector closed")
	}
	switch c.state {
	case stateReady:
		c.mu.Unlock()
		return true, nil
	case stateFailed:
		if now.Before(c.nextInit) {
			err := c.initErr
			c.mu.Unlock()
			return false, err
		}
		fallthrough
	case stateNew:
		c.state = stateIniting
		c.initDone = make(chan struct{})
		go c.initialise(c.initDone)
	}
	ch := c.initDone
	c.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return false, errors.New("nvml: initialising the library (still running)")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateReady {
		return true, nil
	}
	return false, c.initErr
}

// initialise loads the library, finds the GPUs and caches their handles.
func (c *Collector) initialise(done chan struct{}) {
	defer close(done)
	gpus, err, disabled := c.discover()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shutdown {
		return
	}
	if err != nil {
		c.state, c.initErr, c.disabled = stateFailed, err, disabled
		c.nextInit = c.opts.Clock.Now().Add(retryAfter(disabled))
		c.opts.Logger.Info("nvml unavailable", "err", err, "disabled", disabled)
		return
	}
	c.state, c.initErr, c.disabled = stateReady, nil, false
	c.gpus = gpus
	c.done = make(chan doneMsg, 2*len(gpus)+1)
	c.stop = make(chan struct{})
	for _, g := range gpus {
		go g.work(c.done, c.stop)
	}
	c.bg.Add(1)
	go func() { defer c.bg.Done(); c.watchXID(gpus, c.stop) }()
	if c.opts.PCIe {
		c.bg.Add(1)
		go func() { defer c.bg.Done(); c.pcieLoop(gpus, c.stop) }()
	}
}

func (c *Collector) discover() (gpus []*gpu, err error, disabled bool) {
	defer func() {
		if p := recover(); p != nil {
			gpus, err, disabled = nil, fmt.Errorf("nvml: library crashed during initialisation: %v", p), false
		}
	}()
	if r := c.lib.Init(); r != nvml.SUCCESS {
		msg, dis := classify(r)
		return nil, errors.New(msg), dis
	}
	fail := func(r nvml.Return, what string) ([]*gpu, error, bool) {
		c.lib.Shutdown()
		msg, dis := classify(r)
		return nil, fmt.Errorf("%s (%s)", msg, what), dis
	}
	driver, r := c.lib.SystemGetDriverVersion()
	if r == nvml.ERROR_LIB_RM_VERSION_MISMATCH || r == nvml.ERROR_DRIVER_NOT_LOADED {
		return fail(r, "driver version")
	}
	nv, _ := c.lib.SystemGetNVMLVersion()
	cu, r2 := c.lib.SystemGetCudaDriverVersion()
	cuda := ""
	if r2 == nvml.SUCCESS && cu > 0 {
		cuda = fmt.Sprintf("%d.%d", cu/1000, cu%1000/10)
	}
	n, r := c.lib.DeviceGetCount()
	if r != nvml.SUCCESS {
		return fail(r, "device count")
	}
	if n == 0 {
		c.lib.Shutdown()
		return nil, errors.New("no NVIDIA GPU found"), true
	}
	sel, selNote := newSelection(c.opts.GPUs, c.opts.CUDAVisibleDevices, c.opts.UseCUDAVisible)
	syms := c.symbols()
	for i := 0; i < n; i++ {
		dev, r := c.lib.DeviceGetHandleByIndex(i)
		g := newGPU(c, i, dev, syms)
		if r != nvml.SUCCESS {
			msg, _ := classify(r)
			g.lost = r == nvml.ERROR_GPU_IS_LOST
			g.err = fmt.Sprintf("GPU %d: %s", i, msg)
			if !sel.keep(i, "") {
				continue
			}
			gpus = append(gpus, g)
			continue
		}
		g.loadStatic()
		if !sel.keep(i, g.uuid) {
			continue
		}
		g.buildSeries()
		gpus = append(gpus, g)
	}
	if len(gpus) == 0 {
		c.lib.Shutdown()
		return nil, fmt.Errorf("none of the %d GPUs is selected (%s)", n, sel.describe()), true
	}
	c.mu.Lock()
	c.driver, c.nvmlVer, c.cuda, c.note = driver, nv, cuda, selNote
	c.mu.Unlock()
	return gpus, nil, false
}

// symbols reports, per go-nvml call, whether the installed driver exports
// it. Calling a missing symbol would kill the process (lazy binding), so a
// field whose function is missing is n/a, "driver too old".
func (c *Collector) symbols() map[string]bool {
	out := map[string]bool{}
	ext := c.lib.Extensions()
	for _, call := range checkedCalls {
		ok := true
		if ext != nil {
			func() {
				defer func() {
					if recover() != nil {
						ok = true // an implementation without lookups: assume present
					}
				}()
				ok = ext.LookupSymbol("nvmlDevice"+call) == nil
			}()
		}
		out[call] = ok
	}
	return out
}

// checkedCalls are the go-nvml device calls newer than the oldest drivers
// vigil supports; each is looked up before it is ever called.
var checkedCalls = []string{
	"GetCurrentClocksEventReasons", "GetCurrentClocksThrottleReasons", "GetRemappedRows", "GetPcieReplayCounter",
	"GetTotalEnergyConsumption", "GetFieldValues", "GetMigMode", "GetMigDeviceHandleByIndex", "GetMaxMigDeviceCount",
	"GetProcessUtilization", "GetComputeRunningProcesses", "GetGraphicsRunningProcesses", "GetPcieThroughput",
	"GetTotalEccErrors", "GetEnforcedPowerLimit", "GetCurrPcieLinkGeneration", "GetCurrPcieLinkWidth",
	"GetPerformanceState", "GetFanSpeed", "GetMaxClockInfo", "GetSerial",
}

// Close stops the collector's goroutines and shuts the library down. It
// waits up to two seconds for the event and PCIe goroutines to leave the
// library; if they (or a hung GPU call) do not, the library is left loaded
// rather than shut under a call in flight. The collector reports "closed"
// afterwards.
func (c *Collector) Close() error {
	c.mu.Lock()
	if c.shutdown {
		c.mu.Unlock()
		return nil
	}
	c.shutdown = true
	if c.stop != nil {
		close(c.stop)
	}
	ready := c.state == stateReady
	gpus := c.gpus
	c.state = stateFailed
	c.initErr = errors.New("nvml: collector closed")
	c.mu.Unlock()
	if !ready {
		return nil
	}
	done := make(chan struct{})
	go func() { c.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		return errors.New("nvml: close: event goroutine still inside the library; not shut down")
	}
	for _, g := range gpus {
		if g.busy.Load() {
			return fmt.Errorf("nvml: close: GPU %d still inside %s; not shut down", g.idx, *g.call.Load())
		}
	}
	if r := c.lib.Shutdown(); r != nvml.SUCCESS {
		return fmt.Errorf("nvml: shutdown: %w", r)
	}
	return nil
}

// Poll implements sources.Poller: it reads the tiers that are due on every
// GPU, waits at most CallTimeout, and returns the fields read since the last
// poll plus queued XID events.
func (c *Collector) Poll(ctx context.Context, now time.Time) (sources.Frame, error) {
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	start := time.Now()
	f := sources.Frame{Source: c.opts.Name, At: now}
	ready, err := c.ensureInit(ctx, now)
	if !ready {
		c.mu.Lock()
		disabled := c.disabled
		c.mu.Unlock()
		if disabled && err != nil {
			f.Health = &sources.Health{Source: c.opts.Name, Kind: "nvml", Target: c.target(), State: sources.HealthDisabled, Err: err.Error()}
			return f, nil
		}
		f.Health = &sources.Health{Source: c.opts.Name, Kind: "nvml", Target: c.target(), State: sources.HealthError}
		return f, err
	}
	c.mu.Lock()
	gpus := c.gpus
	c.mu.Unlock()

	seq := c.seq.Add(1)
	waiting := 0
	for _, g := range gpus {
		t := g.due(now)
		if g.dev == nil {
			continue
		}
		if !g.busy.CompareAndSwap(false, true) {
			continue // still inside an earlier call: reported as stalled below
		}
		g.req <- request{seq: seq, now: now, tiers: t}
		waiting++
	}
	deadline := c.opts.CallTimeout
	if dl, ok := ctx.Deadline(); ok {
		deadline = min(deadline, time.Until(dl)-50*time.Millisecond)
	}
	if c.timer == nil {
		c.timer = time.NewTimer(max(deadline, 0))
	} else {
		c.timer.Reset(max(deadline, 0))
	}
wait:
	for waiting > 0 {
		select {
		case d := <-c.done:
			if d.seq == seq {
				waiting--
			}
		case <-c.timer.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	if !c.timer.Stop() {
		select {
		case <-c.timer.C:
		default:
		}
	}

	// Events and points are taken under the XID lock, so an XID event and
	// the last-XID gauge it set travel in the same frame.
	c.xidMu.Lock()
	f.Events = c.drainXIDLocked()
	f.Points = make([]sources.Point, 0, len(gpus)*8)
	ok, bad := 0, 0
	var errs []string
	for _, g := range gpus {
		var gerr string
		f.Points, gerr = g.emit(f.Points, now)
		if gerr != "" {
			errs = append(errs, gerr)
			bad++
		} else {
			ok++
		}
	}
	c.xidMu.Unlock()
	h := &sources.Health{Source: c.opts.Name, Kind: "nvml", Target: c.target(), Series: len(f.Points),
		Duration: time.Since(start), Interval: c.opts.Interval}
	c.mu.Lock()
	if c.detail == "" {
		c.detail = fmt.Sprintf("%d GPU", len(gpus))
		if len(gpus) != 1 {
			c.detail += "s"
		}
		if c.driver != "" {
			c.detail += " · driver " + c.driver
		}
	}
	h.Detail = c.detail
	c.mu.Unlock()
	if len(errs) > 0 {
		h.Err = sources.OneLine(strings.Join(errs, "; "))
	}
	f.Health = h
	if ok == 0 && bad > 0 {
		return f, errors.New(h.Err)
	}
	return f, nil
}

// Ready reports whether the library is loaded and the GPUs found.
func (c *Collector) Ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateReady
}

// hostname is os.Hostname or "".
func hostname() string {
	h, _ := os.Hostname()
	return h
}

// target names the library in health reports.
func (c *Collector) target() string {
	if c.opts.LibraryPath != "" && c.opts.Lib == nil {
		return c.opts.LibraryPath
	}
	return "libnvidia-ml.so.1"
}
