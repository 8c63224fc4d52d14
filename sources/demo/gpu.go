package demo

import (
	"math"
	"math/rand/v2"

	"github.com/vigil-dev/vigil/sources/nvml/nvmlmock"
)

// NVML clock-event (throttle) reason bits, as nvml.ClocksEventReason*.
const (
	throttleGPUIdle     = 0x1
	throttleSwPowerCap  = 0x4
	throttleHwSlowdown  = 0x8
	throttleSwThermal   = 0x20
	throttleHwThermal   = 0x40
	gpuMemTotal         = 80 << 30 // bytes, H100 SXM5 80GB
	gpuPowerLimit       = 700.0    // W
	gpuBoostMHz         = 1980
	gpuIdleMHz          = 345
	gpuMemMHz           = 2619
	thermalTau          = 6.0  // scripted seconds for the die to approach its target
	swThermalC          = 85.0 // °C where the driver's SW thermal slowdown starts
	hwThermalC          = 88.0 // °C where HW thermal slowdown starts
	llmMaxRunning       = 96.0 // vLLM's batch limit across the engine
	recsysGPUBaseMemory = 9 << 30
)

// gpuSim is the state of one simulated GPU that carries from step to step.
type gpuSim struct {
	temp     float64 // °C
	eccCorr  uint64
	replay   uint64
	procMem  uint64 // bytes the serving process holds
	stateNow nvmlmock.GPUState
}

// llmGPU says whether GPU i of n serves the LLM (the last one of several
// serves the recommendation model).
func llmGPU(i, n int) bool { return n == 1 || i < n-1 }

// stepGPUs advances every GPU by dt scripted seconds under conditions c.
// llmLoad is the LLM's running batch (requests), recRate its request rate.
func (s *sim) stepGPUs(c conditions, dt float64) {
	n := len(s.gpus)
	for i := range s.gpus {
		g := &s.gpus[i]
		r := s.rGPU
		var util float64
		if llmGPU(i, n) {
			util = 0.22 + 0.68*math.Min(1, s.llmRunning/llmMaxRunning) + 0.04*r.NormFloat64()
		} else {
			util = 0.12 + s.recRate/150 + 0.05*r.NormFloat64()
		}
		if n == 1 {
			util += s.recRate / 600
		}
		stalled := c.xidGPU == i && c.xidPhase < xidStallSecs
		if stalled {
			util = 0
		}
		util = clamp(util, 0, 1)

		power := 72 + util*540 + 8*r.NormFloat64()
		target := 28 + power*0.075
		if c.thermalGPU == i {
			target = thermalTarget
		}
		g.temp += (target - g.temp) * math.Min(1, dt/thermalTau)
		g.temp += 0.08 * r.NormFloat64()

		var th uint64
		sm := uint32(gpuBoostMHz)
		switch {
		case g.temp >= hwThermalC:
			th |= throttleHwThermal | throttleHwSlowdown | throttleSwThermal
			sm = uint32(1080 + 40*r.Float64())
			power *= 0.62
		case g.temp >= swThermalC:
			th |= throttleSwThermal
			sm = uint32(1560 + 40*r.Float64())
			power *= 0.85
		}
		if power >= 0.97*gpuPowerLimit {
			th |= throttleSwPowerCap
			power = 0.97*gpuPowerLimit + 5*r.Float64()
			if sm > 1830 {
				sm = 1830
			}
		}
		if util < 0.05 {
			th |= throttleGPUIdle
			if th == throttleGPUIdle {
				sm = gpuIdleMHz
			}
		}

		// Memory: vLLM preallocates most of each GPU it runs on; the
		// recommendation model's memory follows its load. An XID restarts
		// the engine, which frees and then reloads its memory.
		var procMem uint64
		var name string
		if llmGPU(i, n) {
			// The KV cache is preallocated; activations and the
			// allocator's cache grow with the batch.
			procMem = uint64(0.86*gpuMemTotal + float64(2<<30)*math.Min(1, s.llmRunning/llmMaxRunning))
			name = "vllm"
		} else {
			procMem = recsysGPUBaseMemory + uint64(float64(3<<30)*clamp(s.recRate/80, 0, 1))
			name = "recsys-server"
		}
		if stalled {
			procMem = uint64(float64(procMem) * clamp(c.xidPhase/xidStallSecs, 0, 1) * 0.5)
		}
		g.procMem = procMem

		if i == (s.eccGPU%n) && r.Float64() < dt/90 {
			g.eccCorr++
		}
		if r.Float64() < dt/400 {
			g.replay++
		}
		var xid uint64
		if c.xidGPU == i {
			xid = xidCode
		}
		var procs []nvmlmock.Proc
		if procMem > 0 {
			procs = []nvmlmock.Proc{{PID: uint32(4100 + i), UsedBytes: procMem, SMUtil: uint32(math.Round(util * 100)), Name: name}}
		}
		if xid != g.stateNow.XID {
			s.xidGen++
		}
		g.stateNow = nvmlmock.GPUState{
			Util:         util,
			MemUtil:      clamp(util*0.55+0.03*r.NormFloat64(), 0, 1),
			MemUsedBytes: procMem + 600<<20, // driver/context overhead
			Temp:         math.Round(g.temp*10) / 10,
			MemTemp:      math.Round((g.temp+5+0.3*r.NormFloat64())*10) / 10,
			PowerW:       math.Max(60, power),
			PowerLimitW:  gpuPowerLimit,
			SMClockMHz:   sm,
			MemClockMHz:  gpuMemMHz,
			Fan:          -1, // SXM boards have no fans
			PState:       0,
			Throttle:     th,
			XID:          xid,
			ECCCorrected: g.eccCorr,
			PCIeReplay:   g.replay,
			PCIeTxKBs:    uint32(2000 + util*180000*(1+0.1*r.Float64())),
			PCIeRxKBs:    uint32(3000 + util*220000*(1+0.1*r.Float64())),
			Procs:        procs,
		}
	}
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// newGPUs returns n GPUs at their idle temperature.
func newGPUs(n int, r *rand.Rand) []gpuSim {
	g := make([]gpuSim, n)
	for i := range g {
		g[i].temp = 38 + 3*r.Float64()
		g[i].stateNow = nvmlmock.GPUState{Temp: g[i].temp, PowerW: 70, PowerLimitW: gpuPowerLimit,
			SMClockMHz: gpuIdleMHz, MemClockMHz: gpuMemMHz, Fan: -1, Throttle: throttleGPUIdle}
	}
	return g
}
