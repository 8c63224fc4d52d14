package fleet

import (
	"math"
)

// H100 SXM5 80GB figures.
const (
	fbTotalMiB   = 81559 // FB_USED + FB_FREE + FB_RESERVED
	fbReserved   = 527
	vllmFBMiB    = 73400 // what vLLM preallocates at gpu_memory_utilization 0.9
	powerLimit   = 700.0 // W
	boostMHz     = 1980
	idleMHz      = 345
	memMHz       = 2619
	swThermalC   = 85.0
	hwThermalC   = 88.0
	idlePowerW   = 70.0
	busyPowerW   = 560.0 // W added at 100 % utilisation
	hotTau       = 18.0  // seconds for the overheating GPU to close on its target
	xidNoError   = `err_code="0",err_msg="No Error"`
	xidGraphics  = `err_code="13",err_msg="Graphics Engine Exception"`
	throttleIdle = 0x1 // NVML clock-event reason bits
	throttlePwr  = 0x4
	throttleHWS  = 0x8
	throttleSWT  = 0x20
	throttleHWT  = 0x40
)

// dcgmSeriesPerGPU is the number of series dcgm writes per GPU.
const dcgmSeriesPerGPU = 28

var (
	dSMClock   = fam{name: "DCGM_FI_DEV_SM_CLOCK", help: "SM clock frequency (in MHz).", typ: "gauge"}
	dMemClock  = fam{name: "DCGM_FI_DEV_MEM_CLOCK", help: "Memory clock frequency (in MHz).", typ: "gauge"}
	dMemTemp   = fam{name: "DCGM_FI_DEV_MEMORY_TEMP", help: "Memory temperature (in C).", typ: "gauge"}
	dTemp      = fam{name: "DCGM_FI_DEV_GPU_TEMP", help: "GPU temperature (in C).", typ: "gauge"}
	dPower     = fam{name: "DCGM_FI_DEV_POWER_USAGE", help: "Power draw (in W).", typ: "gauge"}
	dEnergy    = fam{name: "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", help: "Total energy consumption since boot (in mJ).", typ: "counter"}
	dReplay    = fam{name: "DCGM_FI_DEV_PCIE_REPLAY_COUNTER", help: "Total number of PCIe retries.", typ: "counter"}
	dUtil      = fam{name: "DCGM_FI_DEV_GPU_UTIL", help: "GPU utilization (in %).", typ: "gauge"}
	dCopyUtil  = fam{name: "DCGM_FI_DEV_MEM_COPY_UTIL", help: "Memory utilization (in %).", typ: "gauge"}
	dEncUtil   = fam{name: "DCGM_FI_DEV_ENC_UTIL", help: "Encoder utilization (in %).", typ: "gauge"}
	dDecUtil   = fam{name: "DCGM_FI_DEV_DEC_UTIL", help: "Decoder utilization (in %).", typ: "gauge"}
	dXID       = fam{name: "DCGM_FI_DEV_XID_ERRORS", help: "Value of the last XID error encountered.", typ: "gauge"}
	dFBFree    = fam{name: "DCGM_FI_DEV_FB_FREE", help: "Framebuffer memory free (in MiB).", typ: "gauge"}
	dFBUsed    = fam{name: "DCGM_FI_DEV_FB_USED", help: "Framebuffer memory used (in MiB).", typ: "gauge"}
	dFBRes     = fam{name: "DCGM_FI_DEV_FB_RESERVED", help: "Framebuffer memory reserved (in MiB).", typ: "gauge"}
	dNVLink    = fam{name: "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", help: "Total number of NVLink bandwidth counters for all lanes", typ: "counter"}
	dVGPU      = fam{name: "DCGM_FI_DEV_VGPU_LICENSE_STATUS", help: "vGPU License status", typ: "gauge"}
	dUncorrRow = fam{name: "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", help: "Number of remapped rows for uncorrectable errors", typ: "counter"}
	dCorrRow   = fam{name: "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", help: "Number of remapped rows for correctable errors", typ: "counter"}
	dRemapFail = fam{name: "DCGM_FI_DEV_ROW_REMAP_FAILURE", help: "Whether remapping of rows has failed", typ: "gauge"}
	dGR        = fam{name: "DCGM_FI_PROF_GR_ENGINE_ACTIVE", help: "Ratio of time the graphics engine is active.", typ: "gauge"}
	dTensor    = fam{name: "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", help: "Ratio of cycles the tensor (HMMA) pipe is active.", typ: "gauge"}
	dDRAM      = fam{name: "DCGM_FI_PROF_DRAM_ACTIVE", help: "Ratio of cycles the device memory interface is active sending or receiving data.", typ: "gauge"}
	dPCIeTx    = fam{name: "DCGM_FI_PROF_PCIE_TX_BYTES", help: "The rate of data transmitted over the PCIe bus - including both protocol headers and data payloads - in bytes per second.", typ: "gauge"}
	dPCIeRx    = fam{name: "DCGM_FI_PROF_PCIE_RX_BYTES", help: "The rate of data received over the PCIe bus - including both protocol headers and data payloads - in bytes per second.", typ: "gauge"}
	dECCSBE    = fam{name: "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", help: "Total number of single-bit volatile ECC errors.", typ: "counter"}
	dECCDBE    = fam{name: "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", help: "Total number of double-bit volatile ECC errors.", typ: "counter"}
	dClocks    = fam{name: "DCGM_FI_DEV_CLOCKS_EVENT_REASONS", help: "Current clock event reasons (bitmask of NVML clocks event reasons).", typ: "gauge"}
)

// gpuNow is one GPU's gauges at an instant.
type gpuNow struct {
	util, power, temp, memTemp float64 // ratio 0..1, W, °C, °C
	sm                         float64 // MHz
	fbUsed                     float64 // MiB
	reasons                    float64 // clock-event bitmask
	xid                        bool
}

func (h *host) gpu(g int, u float64) gpuNow {
	k := func(f uint64) float64 { return noise(key(h.seed, 1000+uint64(g)*64+f), u) }
	var s gpuNow
	switch {
	case u < h.proc || h.stalled(u):
		s.util = 0
	case h.queueLevel(u) > 0:
		q := h.queueLevel(u)
		s.util = (1-q)*(0.2+0.75*h.load.level(u)) + q*(0.96+0.03*k(1))
	default:
		s.util = 0.2 + 0.75*h.load.level(u) + 0.05*(k(1)-0.5) + 0.01*h.tempOff[g]
	}
	s.util = math.Round(clamp(s.util, 0, 1)*100) / 100
	power := idlePowerW + 8 + busyPowerW*s.util + 8*(k(2)-0.5)
	s.temp = 27 + 0.075*power + h.tempOff[g] + 0.6*(k(3)-0.5)
	s.sm = boostMHz
	if power >= 0.97*powerLimit {
		power = 0.97*powerLimit + 5*k(4)
		s.reasons = throttlePwr
		s.sm = 1830
	}
	if g == h.hotGPU && u >= h.hotAt {
		s.temp += (hotTarget - s.temp) * (1 - math.Exp(-(u-h.hotAt)/hotTau))
		s.temp += 0.5 * (k(5) - 0.5)
	}
	s.temp = math.Round(s.temp)
	switch {
	case s.temp >= hwThermalC:
		s.reasons = throttleHWT | throttleHWS | throttleSWT
		s.sm = math.Round(1080 + 40*k(6))
		power *= 0.62
	case s.temp >= swThermalC:
		s.reasons = throttleSWT
		s.sm = math.Round(1560 + 40*k(6))
		power *= 0.85
	}
	if s.util < 0.05 {
		s.reasons = float64(int(s.reasons) | throttleIdle)
		if s.reasons == throttleIdle {
			s.sm = idleMHz
		}
	}
	s.power = math.Round(math.Max(60, power)*1000) / 1000
	s.memTemp = s.temp + 6 + math.Round(2*k(7))
	switch {
	case u < h.proc:
		s.fbUsed = 0
	case h.stalled(u):
		// The engine died: its memory is freed, then loaded again.
		s.fbUsed = math.Round(600 + vllmFBMiB*ramp(u, h.xidAt+xidStall/2, xidStall/2))
	default:
		s.fbUsed = math.Round(vllmFBMiB + 700*h.running(u)/maxRunning + 20*k(8))
	}
	s.xid = g == h.xidGPU && u >= h.xidAt
	return s
}

// energy is GPU g's energy counter at u, mJ since boot: idle power since
// boot, plus what the load adds since vLLM started.
func (h *host) energy(u float64) float64 {
	j := idlePowerW * math.Max(0, u-h.boot)
	if u > h.proc {
		j += (8+busyPowerW*0.2)*(u-h.proc) + busyPowerW*0.75/loadMax*h.load.integral(h.proc, u)
	}
	return math.Floor(j * 1000)
}

// writeDCGM writes dcgm-exporter's /metrics at u.
func (h *host) writeDCGM(o *out, u float64) {
	gs := make([]gpuNow, h.GPUs)
	for g := range gs {
		gs[g] = h.gpu(g, u)
	}
	up := math.Max(0, u-h.boot)
	req := h.requests(u)
	each := func(f *fam, v func(g int, s *gpuNow) float64) {
		o.family(f.name, f.help, f.typ)
		for g := range gs {
			o.sample(f.name, "", h.gpuLbl[g], v(g, &gs[g]))
		}
	}
	each(&dSMClock, func(_ int, s *gpuNow) float64 { return s.sm })
	each(&dMemClock, func(_ int, s *gpuNow) float64 { return memMHz })
	each(&dMemTemp, func(_ int, s *gpuNow) float64 { return s.memTemp })
	each(&dTemp, func(_ int, s *gpuNow) float64 { return s.temp })
	each(&dPower, func(_ int, s *gpuNow) float64 { return s.power })
	e := h.energy(u)
	each(&dEnergy, func(g int, _ *gpuNow) float64 { return math.Floor(e * (1 + 0.01*h.tempOff[g])) })
	each(&dReplay, func(g int, _ *gpuNow) float64 {
		if h.tempOff[g] > 1.6 { // about one GPU in ten retries now and then
			return math.Floor(up / 7200)
		}
		return 0
	})
	each(&dUtil, func(_ int, s *gpuNow) float64 { return math.Round(s.util * 100) })
	each(&dCopyUtil, func(_ int, s *gpuNow) float64 { return math.Round(s.util * 55) })
	each(&dEncUtil, func(int, *gpuNow) float64 { return 0 })
	each(&dDecUtil, func(int, *gpuNow) float64 { return 0 })
	o.family(dXID.name, dXID.help, dXID.typ)
	for g := range gs {
		if gs[g].xid {
			o.sample(dXID.name, "", h.gpuLbl[g]+","+xidGraphics, xidCode)
		} else {
			o.sample(dXID.name, "", h.gpuLbl[g]+","+xidNoError, 0)
		}
	}
	each(&dFBFree, func(_ int, s *gpuNow) float64 { return fbTotalMiB - fbReserved - s.fbUsed })
	each(&dFBUsed, func(_ int, s *gpuNow) float64 { return s.fbUsed })
	each(&dFBRes, func(int, *gpuNow) float64 { return fbReserved })
	each(&dNVLink, func(g int, _ *gpuNow) float64 { return math.Floor(2.2e4 * req * (1 + 0.02*h.tempOff[g])) })
	each(&dVGPU, func(int, *gpuNow) float64 { return 0 })
	each(&dUncorrRow, func(int, *gpuNow) float64 { return 0 })
	each(&dCorrRow, func(g int, _ *gpuNow) float64 {
		if h.tempOff[g] < -1.7 {
			return 2
		}
		return 0
	})
	each(&dRemapFail, func(int, *gpuNow) float64 { return 0 })
	each(&dGR, func(_ int, s *gpuNow) float64 { return round6(s.util * 0.96) })
	each(&dTensor, func(_ int, s *gpuNow) float64 { return round6(s.util * 0.44) })
	each(&dDRAM, func(_ int, s *gpuNow) float64 { return round6(s.util * 0.63) })
	each(&dPCIeTx, func(_ int, s *gpuNow) float64 { return math.Round(2e6 + 6e7*s.util) })
	each(&dPCIeRx, func(_ int, s *gpuNow) float64 { return math.Round(3e6 + 9e7*s.util) })
	eccGPU := int(h.seed % uint64(h.GPUs))
	each(&dECCSBE, func(g int, _ *gpuNow) float64 {
		if g == eccGPU {
			return math.Floor(up / 1200)
		}
		return 0
	})
	each(&dECCDBE, func(int, *gpuNow) float64 { return 0 })
	each(&dClocks, func(_ int, s *gpuNow) float64 { return s.reasons })
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
