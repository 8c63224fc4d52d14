package nvml

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/vigil-dev/vigil/sources"
)

// fieldID names one value a GPU reports.
type fieldID int

const (
	fUtil fieldID = iota
	fMemUtil
	fMemUsed
	fMemTotal
	fPower
	fEnergy
	fPowerLimit
	fTemp
	fMemTemp
	fSMClock
	fMemClock
	fSMClockMax
	fMemClockMax
	fFan
	fPState
	fThrottle
	fXID
	fECCCorr
	fECCUncorr
	fRemapCorr
	fRemapUncorr
	fRemapPending
	fRemapFailed
	fPCIeReplay
	fPCIeTx
	fPCIeRx
	nFields
)

// tier says how often a field is read.
type tier uint8

const (
	tierFast tier = 1 << iota
	tierMedium
	tierSlow
	tierProcs
	tierEvent // XID, from the event set
	tierPCIe  // opt-in background loop
)

type fieldDef struct {
	name string
	kind sources.Kind
	kv   []string // extra labels
	tier tier
	call string // the go-nvml call, for the symbol check
}

var fieldDefs = [nFields]fieldDef{
	fUtil:         {sources.GPUUtilization, sources.Gauge, nil, tierFast, "GetUtilizationRates"},
	fMemUtil:      {sources.GPUMemUtil, sources.Gauge, nil, tierFast, "GetUtilizationRates"},
	fMemUsed:      {sources.GPUMemoryUsed, sources.Gauge, nil, tierFast, "GetMemoryInfo"},
	fMemTotal:     {sources.GPUMemoryTotal, sources.Gauge, nil, tierFast, "GetMemoryInfo"},
	fPower:        {sources.GPUPower, sources.Gauge, nil, tierFast, "GetPowerUsage"},
	fEnergy:       {sources.GPUEnergy, sources.Counter, nil, tierMedium, "GetTotalEnergyConsumption"},
	fPowerLimit:   {sources.GPUPowerLimit, sources.Gauge, nil, tierMedium, "GetEnforcedPowerLimit"},
	fTemp:         {sources.GPUTemperature, sources.Gauge, nil, tierMedium, "GetTemperature"},
	fMemTemp:      {sources.GPUMemTemp, sources.Gauge, nil, tierMedium, "GetFieldValues"},
	fSMClock:      {sources.GPUSMClock, sources.Gauge, nil, tierMedium, "GetClockInfo"},
	fMemClock:     {sources.GPUMemClock, sources.Gauge, nil, tierMedium, "GetClockInfo"},
	fSMClockMax:   {sources.GPUSMClockMax, sources.Gauge, nil, tierSlow, "GetMaxClockInfo"},
	fMemClockMax:  {sources.GPUMemClockMax, sources.Gauge, nil, tierSlow, "GetMaxClockInfo"},
	fFan:          {sources.GPUFan, sources.Gauge, nil, tierMedium, "GetFanSpeed"},
	fPState:       {sources.GPUPState, sources.Gauge, nil, tierMedium, "GetPerformanceState"},
	fThrottle:     {sources.GPUThrottle, sources.Gauge, nil, tierMedium, "GetCurrentClocksEventReasons"},
	fXID:          {sources.GPUXIDLast, sources.Gauge, nil, tierMedium, ""},
	fECCCorr:      {sources.GPUECCErrors, sources.Counter, []string{"type", "corrected"}, tierSlow, "GetTotalEccErrors"},
	fECCUncorr:    {sources.GPUECCErrors, sources.Counter, []string{"type", "uncorrected"}, tierSlow, "GetTotalEccErrors"},
	fRemapCorr:    {sources.GPURemappedRows, sources.Gauge, []string{"state", "correctable"}, tierSlow, "GetRemappedRows"},
	fRemapUncorr:  {sources.GPURemappedRows, sources.Gauge, []string{"state", "uncorrectable"}, tierSlow, "GetRemappedRows"},
	fRemapPending: {sources.GPURemappedRows, sources.Gauge, []string{"state", "pending"}, tierSlow, "GetRemappedRows"},
	fRemapFailed:  {sources.GPURemappedRows, sources.Gauge, []string{"state", "failed"}, tierSlow, "GetRemappedRows"},
	fPCIeReplay:   {sources.GPUPCIeReplay, sources.Counter, nil, tierSlow, "GetPcieReplayCounter"},
	fPCIeTx:       {sources.GPUPCIeTx, sources.Gauge, nil, tierPCIe, "GetPcieThroughput"},
	fPCIeRx:       {sources.GPUPCIeRx, sources.Gauge, nil, tierPCIe, "GetPcieThroughput"},
}

// field is the last good value of one field and how it stands.
type field struct {
	v       float64
	at      time.Time // when v was read; zero: never
	emitted time.Time // the newest at already put in a frame
	err     string    // the last read's error, "" when it was good
	na      string    // why the field is n/a for good (until the next slow tier)
	sticky  bool      // na survives the slow tier (the function is missing)
}

type request struct {
	seq   uint64
	now   time.Time
	tiers tier
}

// gpu is one device: its cached handle, static facts, field state and the
// worker goroutine that makes its driver calls.
type gpu struct {
	c   *Collector
	idx int
	dev nvml.Device
	req chan request

	busy  atomic.Bool
	since atomic.Int64           // unix ns the current request started
	call  atomic.Pointer[string] // the call in flight

	// Set once before the worker starts.
	uuid, name, bus, serial string
	series                  [nFields]sources.Series
	labels                  []sources.Label
	hasSym                  map[string]bool
	throttleCall            string // GetCurrentClocksEventReasons or the older name

	mu         sync.Mutex
	f          [nFields]field
	nextMedium time.Time
	nextSlow   time.Time
	nextProcs  time.Time
	lost       bool
	err        string // GPU-level error (lost, handle failed)
	lastPoll   time.Time
	pollDur    time.Duration
	migOn      bool
	mig        []sources.MIGDevice
	pcieGen    int
	pcieWidth  int
	procs      []sources.GPUProcess
	procTS     uint64 // the newest process-utilisation timestamp seen, µs
	lastXID    uint64
}

func newGPU(c *Collector, idx int, dev nvml.Device, syms map[string]bool) *gpu {
	g := &gpu{c: c, idx: idx, dev: dev, req: make(chan request, 1), hasSym: syms}
	g.throttleCall = "GetCurrentClocksEventReasons"
	if !syms["GetCurrentClocksEventReasons"] && syms["GetCurrentClocksThrottleReasons"] {
		g.throttleCall = "GetCurrentClocksThrottleReasons"
	}
	for id := range g.f {
		call := fieldDefs[id].call
		if id == int(fThrottle) {
			call = g.throttleCall
		}
		if have, checked := syms[call]; checked && !have {
			g.f[id].na, g.f[id].sticky = MsgTooOld, true
		}
	}
	g.enter("")
	return g
}

// cstr reads a NUL-terminated C string from an int8 array.
func cstr(b []int8) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}

// loadStatic reads the facts that never change: called once at discovery.
func (g *gpu) loadStatic() {
	if s, r := g.dev.GetUUID(); r == nvml.SUCCESS {
		g.uuid = s
	}
	if s, r := g.dev.GetName(); r == nvml.SUCCESS {
		g.name = sources.OneLine(s)
	}
	if p, r := g.dev.GetPciInfo(); r == nvml.SUCCESS {
		g.bus = cstr(p.BusId[:])
	}
	if g.hasSym["GetSerial"] {
		if s, r := g.dev.GetSerial(); r == nvml.SUCCESS {
			g.serial = s
		}
	}
}

func (g *gpu) buildSeries() {
	host := g.c.opts.Host
	base := []string{sources.LabelHost, host, sources.LabelGPU, strconv.Itoa(g.idx), sources.LabelUUID, g.uuid, sources.LabelModel, g.name}
	for id := range g.series {
		d := fieldDefs[id]
		g.series[id] = sources.NewSeries(d.name, d.kind, append(append([]string{}, base...), d.kv...)...)
	}
	g.labels = sources.NewSeries("x", sources.Gauge, base...).Labels
}

// due returns the tiers to read at now and moves their next times on.
func (g *gpu) due(now time.Time) tier {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := tierFast
	o := g.c.opts
	if !now.Before(g.nextMedium) {
		t |= tierMedium
		g.nextMedium = now.Add(o.Medium - o.Interval/2)
	}
	if !now.Before(g.nextSlow) {
		t |= tierSlow
		g.nextSlow = now.Add(o.Slow - o.Interval/2)
	}
	if o.Processes > 0 && !now.Before(g.nextProcs) {
		t |= tierProcs
		g.nextProcs = now.Add(o.Processes - o.Interval/2)
	}
	return t
}

// work is the GPU's worker goroutine: it serves one request at a time.
func (g *gpu) work(done chan<- doneMsg, stop <-chan struct{}) {
	for {
		select {
		case rq := <-g.req:
			g.serve(rq)
			g.busy.Store(false)
			select {
			case done <- doneMsg{rq.seq, g.idx}:
			default:
			}
		case <-stop:
			return
		}
	}
}

func (g *gpu) serve(rq request) {
	start := time.Now()
	g.since.Store(start.UnixNano())
	defer func() {
		if p := recover(); p != nil {
			g.mu.Lock()
			g.err = fmt.Sprintf("GPU %d: nvml call %s panicked: %v", g.idx, *g.call.Load(), p)
			g.mu.Unlock()
		}
		g.enter("")
		g.mu.Lock()
		g.lastPoll, g.pollDur = rq.now, time.Since(start)
		g.mu.Unlock()
	}()
	g.mu.Lock()
	lost := g.lost
	if !lost {
		g.err = "" // this request's calls say afresh what is wrong
	}
	if rq.tiers&tierSlow != 0 {
		// Retry the fields that were n/a for a reason that can change
		// (MIG turned off, permission granted); a missing function stays.
		for id := range g.f {
			if !g.f[id].sticky {
				g.f[id].na = ""
			}
		}
		if lost {
			g.lost, g.err = false, "" // try again: a reset GPU comes back
			lost = false
		}
	}
	g.mu.Unlock()
	if lost {
		return
	}
	g.readFast(rq.now)
	if rq.tiers&tierMedium != 0 && !g.isLost() {
		g.readMedium(rq.now)
	}
	if rq.tiers&tierSlow != 0 && !g.isLost() {
		g.readSlow(rq.now)
	}
	if rq.tiers&tierProcs != 0 && !g.isLost() {
		g.readProcs(rq.now)
	}
}

func (g *gpu) isLost() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lost
}

// skip reports whether a field is n/a and must not be read.
func (g *gpu) skip(ids ...fieldID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, id := range ids {
		if g.f[id].na == "" {
			return false
		}
	}
	return true
}

// callNames interns the names of the calls in flight, so that marking a
// call does not allocate.
var callNames = func() map[string]*string {
	m := map[string]*string{}
	for _, n := range []string{"GetUtilizationRates", "GetMemoryInfo", "GetPowerUsage", "GetTemperature", "GetFieldValues",
		"GetClockInfo", "GetFanSpeed", "GetPerformanceState", "GetCurrentClocksEventReasons", "GetCurrentClocksThrottleReasons",
		"GetEnforcedPowerLimit", "GetTotalEnergyConsumption", "GetTotalEccErrors", "GetRemappedRows", "GetPcieReplayCounter",
		"GetMaxClockInfo", "GetCurrPcieLinkGeneration", "GetMigMode", "GetMigDeviceHandleByIndex", "GetComputeRunningProcesses",
		"GetGraphicsRunningProcesses", "GetProcessUtilization", ""} {
		m[n] = &n
	}
	return m
}()

func (g *gpu) enter(call string) {
	if p := callNames[call]; p != nil {
		g.call.Store(p)
		return
	}
	g.enterOther(call)
}

func (g *gpu) enterOther(call string) {
	s := call
	g.call.Store(&s)
}

// set records the outcome of reading field id.
func (g *gpu) set(id fieldID, v float64, r nvml.Return, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f := &g.f[id]
	switch r {
	case nvml.SUCCESS:
		f.v, f.at, f.err = v, now, ""
	case nvml.ERROR_NOT_SUPPORTED:
		f.na = "not supported"
		if g.migOn && (id == fUtil || id == fMemUtil) {
			f.na = "not reported under MIG"
		}
	case nvml.ERROR_FUNCTION_NOT_FOUND:
		f.na, f.sticky = MsgTooOld, true
	case nvml.ERROR_NO_PERMISSION:
		f.na = "no permission"
	case nvml.ERROR_GPU_IS_LOST:
		f.err = "GPU lost"
		g.lost = true
		g.err = fmt.Sprintf("GPU %d: %s", g.idx, MsgLost)
	case nvml.ERROR_LIB_RM_VERSION_MISMATCH, nvml.ERROR_DRIVER_NOT_LOADED, nvml.ERROR_UNINITIALIZED:
		msg, _ := classify(r)
		f.err = msg
		g.err = fmt.Sprintf("GPU %d: %s", g.idx, msg)
	default:
		f.err = strings.ToLower(errString(r))
	}
}

func (g *gpu) readFast(now time.Time) {
	if !g.skip(fUtil, fMemUtil) {
		g.enter("GetUtilizationRates")
		u, r := g.dev.GetUtilizationRates()
		g.set(fUtil, float64(u.Gpu)/100, r, now)
		g.set(fMemUtil, float64(u.Memory)/100, r, now)
	}
	if !g.skip(fMemUsed) {
		g.enter("GetMemoryInfo")
		m, r := g.dev.GetMemoryInfo()
		g.set(fMemUsed, float64(m.Used), r, now)
		g.set(fMemTotal, float64(m.Total), r, now)
	}
	if !g.skip(fPower) {
		g.enter("GetPowerUsage")
		p, r := g.dev.GetPowerUsage()
		g.set(fPower, float64(p)/1000, r, now)
	}
}

var memTempField = [1]nvml.FieldValue{{FieldId: nvml.FI_DEV_MEMORY_TEMP}}

func (g *gpu) readMedium(now time.Time) {
	if !g.skip(fTemp) {
		g.enter("GetTemperature")
		t, r := g.dev.GetTemperature(nvml.TEMPERATURE_GPU)
		g.set(fTemp, float64(t), r, now)
	}
	if !g.skip(fMemTemp) {
		g.enter("GetFieldValues")
		fv := memTempField
		r := g.dev.GetFieldValues(fv[:])
		if r == nvml.SUCCESS {
			r = nvml.Return(fv[0].NvmlReturn)
		}
		g.set(fMemTemp, fieldValue(fv[0]), r, now)
	}
	if !g.skip(fSMClock) {
		g.enter("GetClockInfo")
		v, r := g.dev.GetClockInfo(nvml.CLOCK_SM)
		g.set(fSMClock, float64(v)*1e6, r, now)
	}
	if !g.skip(fMemClock) {
		g.enter("GetClockInfo")
		v, r := g.dev.GetClockInfo(nvml.CLOCK_MEM)
		g.set(fMemClock, float64(v)*1e6, r, now)
	}
	if !g.skip(fFan) {
		g.enter("GetFanSpeed")
		v, r := g.dev.GetFanSpeed()
		g.set(fFan, float64(v)/100, r, now)
	}
	if !g.skip(fPState) {
		g.enter("GetPerformanceState")
		v, r := g.dev.GetPerformanceState()
		if r == nvml.SUCCESS && v == nvml.PSTATE_UNKNOWN {
			r = nvml.ERROR_NOT_SUPPORTED
		}
		g.set(fPState, float64(v), r, now)
	}
	if !g.skip(fThrottle) {
		g.enter(g.throttleCall)
		var v uint64
		var r nvml.Return
		if g.throttleCall == "GetCurrentClocksThrottleReasons" {
			v, r = g.dev.GetCurrentClocksThrottleReasons()
		} else {
			v, r = g.dev.GetCurrentClocksEventReasons()
		}
		g.set(fThrottle, float64(v), r, now)
	}
	if !g.skip(fPowerLimit) {
		g.enter("GetEnforcedPowerLimit")
		v, r := g.dev.GetEnforcedPowerLimit()
		g.set(fPowerLimit, float64(v)/1000, r, now)
	}
	if !g.skip(fEnergy) {
		g.enter("GetTotalEnergyConsumption")
		v, r := g.dev.GetTotalEnergyConsumption()
		g.set(fEnergy, float64(v)/1000, r, now)
	}
	// The last XID is a gauge: re-stated every medium tier so it does not
	// fall out of the store's lookback, 0 until the first event.
	g.mu.Lock()
	if g.f[fXID].na == "" {
		g.f[fXID].v, g.f[fXID].at, g.f[fXID].err = float64(g.lastXID), now, ""
	}
	g.mu.Unlock()
}

// fieldValue decodes an unsigned or signed field value.
func fieldValue(v nvml.FieldValue) float64 {
	b := v.Value
	u := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	switch nvml.ValueType(v.ValueType) {
	case nvml.VALUE_TYPE_UNSIGNED_INT:
		return float64(uint32(u))
	case nvml.VALUE_TYPE_SIGNED_INT:
		return float64(int32(uint32(u)))
	case nvml.VALUE_TYPE_SIGNED_LONG_LONG:
		return float64(int64(u))
	}
	return float64(u)
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (g *gpu) readSlow(now time.Time) {
	if !g.skip(fECCCorr) {
		g.enter("GetTotalEccErrors")
		v, r := g.dev.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_CORRECTED, nvml.VOLATILE_ECC)
		g.set(fECCCorr, float64(v), r, now)
		v, r = g.dev.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_UNCORRECTED, nvml.VOLATILE_ECC)
		g.set(fECCUncorr, float64(v), r, now)
	}
	if !g.skip(fRemapCorr) {
		g.enter("GetRemappedRows")
		corr, unc, pending, failed, r := g.dev.GetRemappedRows()
		g.set(fRemapCorr, float64(corr), r, now)
		g.set(fRemapUncorr, float64(unc), r, now)
		g.set(fRemapPending, boolf(pending), r, now)
		g.set(fRemapFailed, boolf(failed), r, now)
	}
	if !g.skip(fPCIeReplay) {
		g.enter("GetPcieReplayCounter")
		v, r := g.dev.GetPcieReplayCounter()
		g.set(fPCIeReplay, float64(v), r, now)
	}
	if !g.skip(fSMClockMax) {
		g.enter("GetMaxClockInfo")
		v, r := g.dev.GetMaxClockInfo(nvml.CLOCK_SM)
		g.set(fSMClockMax, float64(v)*1e6, r, now)
		v, r = g.dev.GetMaxClockInfo(nvml.CLOCK_MEM)
		g.set(fMemClockMax, float64(v)*1e6, r, now)
	}
	if g.hasSym["GetCurrPcieLinkGeneration"] && g.hasSym["GetCurrPcieLinkWidth"] {
		g.enter("GetCurrPcieLinkGeneration")
		gen, r1 := g.dev.GetCurrPcieLinkGeneration()
		width, r2 := g.dev.GetCurrPcieLinkWidth()
		if r1 == nvml.SUCCESS && r2 == nvml.SUCCESS {
			g.mu.Lock()
			g.pcieGen, g.pcieWidth = gen, width
			g.mu.Unlock()
		}
	}
	g.readMIG()
}

// readMIG lists the MIG devices when MIG mode is on.
func (g *gpu) readMIG() {
	if !g.hasSym["GetMigMode"] {
		return
	}
	g.enter("GetMigMode")
	cur, _, r := g.dev.GetMigMode()
	if r != nvml.SUCCESS || cur != nvml.DEVICE_MIG_ENABLE {
		g.mu.Lock()
		g.migOn, g.mig = false, nil
		g.mu.Unlock()
		return
	}
	var out []sources.MIGDevice
	n := 7
	if g.hasSym["GetMaxMigDeviceCount"] {
		if c, r := g.dev.GetMaxMigDeviceCount(); r == nvml.SUCCESS {
			n = c
		}
	}
	if g.hasSym["GetMigDeviceHandleByIndex"] {
		for i := 0; i < n; i++ {
			g.enter("GetMigDeviceHandleByIndex")
			md, r := g.dev.GetMigDeviceHandleByIndex(i)
			if r != nvml.SUCCESS {
				continue
			}
			var d sources.MIGDevice
			if v, r := md.GetGpuInstanceId(); r == nvml.SUCCESS {
				d.GI = v
			}
			if v, r := md.GetComputeInstanceId(); r == nvml.SUCCESS {
				d.CI = v
			}
			if s, r := md.GetName(); r == nvml.SUCCESS {
				d.Profile = migProfile(s)
			}
			if s, r := md.GetUUID(); r == nvml.SUCCESS {
				d.UUID = s
			}
			if m, r := md.GetMemoryInfo(); r == nvml.SUCCESS {
				d.MemUsedBytes, d.MemTotalBytes = m.Used, m.Total
			}
			out = append(out, d)
		}
	}
	g.mu.Lock()
	g.migOn, g.mig = true, out
	if g.f[fUtil].na == "not supported" {
		g.f[fUtil].na, g.f[fMemUtil].na = "not reported under MIG", "not reported under MIG"
	}
	g.mu.Unlock()
}

// migProfile extracts "3g.40gb" from "NVIDIA H100 80GB HBM3 MIG 3g.40gb".
func migProfile(name string) string {
	if i := strings.LastIndex(name, "MIG "); i >= 0 {
		return sources.OneLine(name[i+4:])
	}
	return sources.OneLine(name)
}

// emit appends the fields read since the last emit and returns the GPU's
// error, if any (a call stalled past the timeout, the GPU lost).
func (g *gpu) emit(pts []sources.Point, now time.Time) ([]sources.Point, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dev != nil {
		for id := range g.f {
			f := &g.f[id]
			if f.at.IsZero() || !f.at.After(f.emitted) || f.err != "" {
				continue
			}
			f.emitted = f.at
			pts = append(pts, sources.Point{Series: g.series[id], At: f.at, Value: f.v})
		}
	}
	if g.err != "" {
		return pts, g.err
	}
	if g.busy.Load() {
		since := time.Unix(0, g.since.Load())
		return pts, fmt.Sprintf("GPU %d: %s stalled for %s", g.idx, *g.call.Load(), time.Since(since).Round(time.Millisecond))
	}
	return pts, ""
}
