package nvmlmock

import (
	"math"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// device overrides go-nvml's server.Device with live, unlogged calls. Calls
// it does not override fall through to the moq mock (static facts, MIG
// lifecycle) and panic when unwired, as go-nvml's mocks do.
type device struct {
	*server.Device
	m *Mock
	i int
}

// live runs faults and hooks for call and returns the state, or the error
// the call must return.
func (d *device) live(call string) (GPUState, nvml.Return) {
	if r := d.m.fault(call, d.i); r != nvml.SUCCESS {
		return GPUState{}, r
	}
	s := d.m.state(d.i)
	if s.Lost {
		return s, nvml.ERROR_GPU_IS_LOST
	}
	return s, nvml.SUCCESS
}

func pct(r float64) uint32 {
	return uint32(math.Round(math.Max(0, math.Min(1, r)) * 100))
}

func (d *device) GetIndex() (int, nvml.Return) { return d.i, d.m.fault("GetIndex", d.i) }

func (d *device) GetMinorNumber() (int, nvml.Return) { return d.i, d.m.fault("GetMinorNumber", d.i) }

func (d *device) GetName() (string, nvml.Return) {
	if _, r := d.live("GetName"); r != nvml.SUCCESS {
		return "", r
	}
	return d.Config.Name, nvml.SUCCESS
}

func (d *device) GetUUID() (string, nvml.Return) {
	if _, r := d.live("GetUUID"); r != nvml.SUCCESS {
		return "", r
	}
	return d.UUID, nvml.SUCCESS
}

func (d *device) GetSerial() (string, nvml.Return) {
	if _, r := d.live("GetSerial"); r != nvml.SUCCESS {
		return "", r
	}
	return "165232" + d.UUID[len(d.UUID)-7:], nvml.SUCCESS
}

func (d *device) GetPciInfo() (nvml.PciInfo, nvml.Return) {
	if _, r := d.live("GetPciInfo"); r != nvml.SUCCESS {
		return nvml.PciInfo{}, r
	}
	p := nvml.PciInfo{PciDeviceId: d.Config.PciDeviceId, Bus: uint32(d.i)}
	for j := 0; j < len(d.PciBusID) && j < len(p.BusId)-1; j++ {
		p.BusId[j] = int8(d.PciBusID[j])
	}
	return p, nvml.SUCCESS
}

func (d *device) GetUtilizationRates() (nvml.Utilization, nvml.Return) {
	s, r := d.live("GetUtilizationRates")
	if r != nvml.SUCCESS {
		return nvml.Utilization{}, r
	}
	if len(s.MIG) > 0 {
		return nvml.Utilization{}, nvml.ERROR_NOT_SUPPORTED
	}
	return nvml.Utilization{Gpu: pct(s.Util), Memory: pct(s.MemUtil)}, nvml.SUCCESS
}

func (d *device) GetMemoryInfo() (nvml.Memory, nvml.Return) {
	s, r := d.live("GetMemoryInfo")
	if r != nvml.SUCCESS {
		return nvml.Memory{}, r
	}
	tot := d.MemoryInfo.Total
	used := min(s.MemUsedBytes, tot)
	return nvml.Memory{Total: tot, Used: used, Free: tot - used}, nvml.SUCCESS
}

func (d *device) GetPowerUsage() (uint32, nvml.Return) {
	s, r := d.live("GetPowerUsage")
	if r != nvml.SUCCESS {
		return 0, r
	}
	return uint32(math.Max(0, s.PowerW) * 1000), nvml.SUCCESS
}

func limitOf(s GPUState) uint32 {
	if s.PowerLimitW <= 0 {
		return 700_000
	}
	return uint32(s.PowerLimitW * 1000)
}

func (d *device) GetEnforcedPowerLimit() (uint32, nvml.Return) {
	s, r := d.live("GetEnforcedPowerLimit")
	if r != nvml.SUCCESS {
		return 0, r
	}
	return limitOf(s), nvml.SUCCESS
}

func (d *device) GetPowerManagementLimit() (uint32, nvml.Return) {
	s, r := d.live("GetPowerManagementLimit")
	if r != nvml.SUCCESS {
		return 0, r
	}
	return limitOf(s), nvml.SUCCESS
}

// GetTotalEnergyConsumption integrates the power over wall time since New,
// in mJ, at a constant draw of the current power.
func (d *device) GetTotalEnergyConsumption() (uint64, nvml.Return) {
	s, r := d.live("GetTotalEnergyConsumption")
	if r != nvml.SUCCESS {
		return 0, r
	}
	return uint64(s.PowerW * time.Since(d.m.start).Seconds() * 1000), nvml.SUCCESS
}

func (d *device) GetTemperature(sensor nvml.TemperatureSensors) (uint32, nvml.Return) {
	s, r := d.live("GetTemperature")
	if r != nvml.SUCCESS {
		return 0, r
	}
	if sensor != nvml.TEMPERATURE_GPU {
		return 0, nvml.ERROR_INVALID_ARGUMENT
	}
	return uint32(math.Max(0, math.Round(s.Temp))), nvml.SUCCESS
}

// GetFieldValues answers FI_DEV_MEMORY_TEMP; other fields come back
// NOT_SUPPORTED in their own NvmlReturn.
func (d *device) GetFieldValues(vals []nvml.FieldValue) nvml.Return {
	s, r := d.live("GetFieldValues")
	if r != nvml.SUCCESS {
		return r
	}
	for k := range vals {
		v := &vals[k]
		v.Timestamp = time.Now().UnixMicro()
		switch v.FieldId {
		case nvml.FI_DEV_MEMORY_TEMP:
			if s.MemTemp <= 0 {
				v.NvmlReturn = uint32(nvml.ERROR_NOT_SUPPORTED)
				continue
			}
			v.ValueType = uint32(nvml.VALUE_TYPE_UNSIGNED_INT)
			u := uint32(math.Round(s.MemTemp))
			v.Value = [8]byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)}
			v.NvmlReturn = uint32(nvml.SUCCESS)
		default:
			v.NvmlReturn = uint32(nvml.ERROR_NOT_SUPPORTED)
		}
	}
	return nvml.SUCCESS
}

func (d *device) GetClockInfo(t nvml.ClockType) (uint32, nvml.Return) {
	s, r := d.live("GetClockInfo")
	if r != nvml.SUCCESS {
		return 0, r
	}
	switch t {
	case nvml.CLOCK_SM, nvml.CLOCK_GRAPHICS:
		return s.SMClockMHz, nvml.SUCCESS
	case nvml.CLOCK_MEM:
		return s.MemClockMHz, nvml.SUCCESS
	}
	return 0, nvml.ERROR_NOT_SUPPORTED
}

func (d *device) GetMaxClockInfo(t nvml.ClockType) (uint32, nvml.Return) {
	if _, r := d.live("GetMaxClockInfo"); r != nvml.SUCCESS {
		return 0, r
	}
	switch t {
	case nvml.CLOCK_SM, nvml.CLOCK_GRAPHICS:
		return 1980, nvml.SUCCESS
	case nvml.CLOCK_MEM:
		return 2619, nvml.SUCCESS
	}
	return 0, nvml.ERROR_NOT_SUPPORTED
}

func (d *device) GetFanSpeed() (uint32, nvml.Return) {
	s, r := d.live("GetFanSpeed")
	if r != nvml.SUCCESS {
		return 0, r
	}
	if s.Fan < 0 {
		return 0, nvml.ERROR_NOT_SUPPORTED
	}
	return pct(s.Fan), nvml.SUCCESS
}

func (d *device) GetPerformanceState() (nvml.Pstates, nvml.Return) {
	s, r := d.live("GetPerformanceState")
	if r != nvml.SUCCESS {
		return nvml.PSTATE_UNKNOWN, r
	}
	return nvml.Pstates(s.PState), nvml.SUCCESS
}

func (d *device) GetCurrentClocksEventReasons() (uint64, nvml.Return) {
	s, r := d.live("GetCurrentClocksEventReasons")
	if r != nvml.SUCCESS {
		return 0, r
	}
	return s.Throttle, nvml.SUCCESS
}

func (d *device) GetCurrentClocksThrottleReasons() (uint64, nvml.Return) {
	s, r := d.live("GetCurrentClocksThrottleReasons")
	if r != nvml.SUCCESS {
		return 0, r
	}
	return s.Throttle, nvml.SUCCESS
}

func (d *device) GetTotalEccErrors(t nvml.MemoryErrorType, _ nvml.EccCounterType) (uint64, nvml.Return) {
	s, r := d.live("GetTotalEccErrors")
	if r != nvml.SUCCESS {
		return 0, r
	}
	if t == nvml.MEMORY_ERROR_TYPE_UNCORRECTED {
		return s.ECCUncorrected, nvml.SUCCESS
	}
	return s.ECCCorrected, nvml.SUCCESS
}

func (d *device) GetRemappedRows() (int, int, bool, bool, nvml.Return) {
	s, r := d.live("GetRemappedRows")
	if r != nvml.SUCCESS {
		return 0, 0, false, false, r
	}
	return s.RemapCorr, s.RemapUncorr, s.RemapPending, s.RemapFailed, nvml.SUCCESS
}

func (d *device) GetPcieReplayCounter() (int, nvml.Return) {
	s, r := d.live("GetPcieReplayCounter")
	if r != nvml.SUCCESS {
		return 0, r
	}
	return int(s.PCIeReplay), nvml.SUCCESS
}

func (d *device) GetPcieThroughput(c nvml.PcieUtilCounter) (uint32, nvml.Return) {
	s, r := d.live("GetPcieThroughput")
	if r != nvml.SUCCESS {
		return 0, r
	}
	if c == nvml.PCIE_UTIL_TX_BYTES {
		return s.PCIeTxKBs, nvml.SUCCESS
	}
	return s.PCIeRxKBs, nvml.SUCCESS
}

func (d *device) GetCurrPcieLinkGeneration() (int, nvml.Return) {
	if _, r := d.live("GetCurrPcieLinkGeneration"); r != nvml.SUCCESS {
		return 0, r
	}
	return 5, nvml.SUCCESS
}

func (d *device) GetCurrPcieLinkWidth() (int, nvml.Return) {
	if _, r := d.live("GetCurrPcieLinkWidth"); r != nvml.SUCCESS {
		return 0, r
	}
	return 16, nvml.SUCCESS
}

func procInfos(s GPUState) []nvml.ProcessInfo {
	out := make([]nvml.ProcessInfo, len(s.Procs))
	for k, p := range s.Procs {
		out[k] = nvml.ProcessInfo{Pid: p.PID, UsedGpuMemory: p.UsedBytes, GpuInstanceId: 0xFFFFFFFF, ComputeInstanceId: 0xFFFFFFFF}
	}
	return out
}

func (d *device) GetComputeRunningProcesses() ([]nvml.ProcessInfo, nvml.Return) {
	s, r := d.live("GetComputeRunningProcesses")
	if r != nvml.SUCCESS {
		return nil, r
	}
	return procInfos(s), nvml.SUCCESS
}

func (d *device) GetGraphicsRunningProcesses() ([]nvml.ProcessInfo, nvml.Return) {
	if _, r := d.live("GetGraphicsRunningProcesses"); r != nvml.SUCCESS {
		return nil, r
	}
	return nil, nvml.SUCCESS
}

func (d *device) GetMPSComputeRunningProcesses() ([]nvml.ProcessInfo, nvml.Return) {
	if _, r := d.live("GetMPSComputeRunningProcesses"); r != nvml.SUCCESS {
		return nil, r
	}
	return nil, nvml.SUCCESS
}

// GetProcessUtilization returns one sample per process stamped now (µs), or
// ERROR_NOT_FOUND when lastSeen is already that recent, as the driver does.
func (d *device) GetProcessUtilization(lastSeen uint64) ([]nvml.ProcessUtilizationSample, nvml.Return) {
	s, r := d.live("GetProcessUtilization")
	if r != nvml.SUCCESS {
		return nil, r
	}
	if len(s.MIG) > 0 {
		return nil, nvml.ERROR_NOT_SUPPORTED
	}
	now := uint64(time.Now().UnixMicro())
	if now <= lastSeen || len(s.Procs) == 0 {
		return nil, nvml.ERROR_NOT_FOUND
	}
	out := make([]nvml.ProcessUtilizationSample, len(s.Procs))
	for k, p := range s.Procs {
		out[k] = nvml.ProcessUtilizationSample{Pid: p.PID, TimeStamp: now, SmUtil: p.SMUtil}
	}
	return out, nvml.SUCCESS
}

func (d *device) GetSupportedEventTypes() (uint64, nvml.Return) {
	if _, r := d.live("GetSupportedEventTypes"); r != nvml.SUCCESS {
		return 0, r
	}
	return nvml.EventTypeXidCriticalError | nvml.EventTypeSingleBitEccError | nvml.EventTypeDoubleBitEccError, nvml.SUCCESS
}

func (d *device) RegisterEvents(mask uint64, set nvml.EventSet) nvml.Return {
	if _, r := d.live("RegisterEvents"); r != nvml.SUCCESS {
		return r
	}
	es, ok := set.(*eventSet)
	if !ok {
		return nvml.ERROR_INVALID_ARGUMENT
	}
	es.register(d.i, mask)
	return nvml.SUCCESS
}

func (d *device) GetMigMode() (int, int, nvml.Return) {
	s, r := d.live("GetMigMode")
	if r != nvml.SUCCESS {
		return 0, 0, r
	}
	if len(s.MIG) > 0 {
		return nvml.DEVICE_MIG_ENABLE, nvml.DEVICE_MIG_ENABLE, nvml.SUCCESS
	}
	return nvml.DEVICE_MIG_DISABLE, nvml.DEVICE_MIG_DISABLE, nvml.SUCCESS
}

func (d *device) GetMaxMigDeviceCount() (int, nvml.Return) {
	if _, r := d.live("GetMaxMigDeviceCount"); r != nvml.SUCCESS {
		return 0, r
	}
	return 7, nvml.SUCCESS
}

func (d *device) GetMigDeviceHandleByIndex(k int) (nvml.Device, nvml.Return) {
	s, r := d.live("GetMigDeviceHandleByIndex")
	if r != nvml.SUCCESS {
		return nil, r
	}
	if k < 0 || k >= len(s.MIG) {
		return nil, nvml.ERROR_NOT_FOUND
	}
	return &migDevice{parent: d, k: k}, nvml.SUCCESS
}

func (d *device) IsMigDeviceHandle() (bool, nvml.Return) { return false, nvml.SUCCESS }

// migDevice is a MIG device handle; only the calls the collector makes on
// MIG handles are wired.
type migDevice struct {
	mock.Device
	parent *device
	k      int
}

func (g *migDevice) mig() (MIG, nvml.Return) {
	s, r := g.parent.live("MIG")
	if r != nvml.SUCCESS {
		return MIG{}, r
	}
	if g.k >= len(s.MIG) {
		return MIG{}, nvml.ERROR_NOT_FOUND
	}
	return s.MIG[g.k], nvml.SUCCESS
}

func (g *migDevice) IsMigDeviceHandle() (bool, nvml.Return) { return true, nvml.SUCCESS }

func (g *migDevice) GetGpuInstanceId() (int, nvml.Return) {
	m, r := g.mig()
	return int(m.GI), r
}

func (g *migDevice) GetComputeInstanceId() (int, nvml.Return) {
	m, r := g.mig()
	return int(m.CI), r
}

func (g *migDevice) GetName() (string, nvml.Return) {
	m, r := g.mig()
	return g.parent.Config.Name + " MIG " + m.Profile, r
}

func (g *migDevice) GetUUID() (string, nvml.Return) {
	m, r := g.mig()
	return "MIG-" + g.parent.UUID[4:len(g.parent.UUID)-4] + string(rune('0'+m.GI%10)) + string(rune('0'+m.CI%10)) + "00", r
}

func (g *migDevice) GetMemoryInfo() (nvml.Memory, nvml.Return) {
	m, r := g.mig()
	used := min(m.MemUsedBytes, m.MemTotalBytes)
	return nvml.Memory{Total: m.MemTotalBytes, Used: used, Free: m.MemTotalBytes - used}, r
}

func (g *migDevice) GetDeviceHandleFromMigDeviceHandle() (nvml.Device, nvml.Return) {
	return g.parent, nvml.SUCCESS
}
