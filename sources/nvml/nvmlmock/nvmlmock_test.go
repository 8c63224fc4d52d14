package nvmlmock

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

func TestLiveFields(t *testing.T) {
	var xid atomic.Uint64
	m := New(2, func(i int) GPUState {
		return GPUState{Util: 0.5 + 0.1*float64(i), MemUtil: 0.25, MemUsedBytes: 10 << 30, Temp: 61.4, MemTemp: 70,
			PowerW: 400, PowerLimitW: 650, SMClockMHz: 1755, MemClockMHz: 2619, Fan: -1, PState: 0,
			Throttle: 0x4, XID: xid.Load(), ECCCorrected: 3, Procs: []Proc{{PID: 42, UsedBytes: 1 << 30, SMUtil: 77}}}
	})
	var iface nvml.Interface = m
	if r := iface.Init(); r != nvml.SUCCESS {
		t.Fatal(r)
	}
	n, _ := iface.DeviceGetCount()
	if n != 2 {
		t.Fatalf("count %d", n)
	}
	d, _ := iface.DeviceGetHandleByIndex(1)
	if u, _ := d.GetUUID(); u != UUID(1) || u != "GPU-6d6f636b-0000-4000-8000-000000000001" {
		t.Fatalf("uuid %q", u)
	}
	if u, _ := d.GetUtilizationRates(); u.Gpu != 60 || u.Memory != 25 {
		t.Fatalf("util %+v", u)
	}
	if mem, _ := d.GetMemoryInfo(); mem.Used != 10<<30 || mem.Total != 80*1024*1024*1024 {
		t.Fatalf("mem %+v", mem)
	}
	if p, _ := d.GetPowerUsage(); p != 400000 {
		t.Fatalf("power %d", p)
	}
	if _, r := d.GetFanSpeed(); r != nvml.ERROR_NOT_SUPPORTED {
		t.Fatalf("fan %v", r)
	}
	fv := []nvml.FieldValue{{FieldId: nvml.FI_DEV_MEMORY_TEMP}}
	if r := d.GetFieldValues(fv); r != nvml.SUCCESS || fv[0].Value[0] != 70 {
		t.Fatalf("field %v %+v", r, fv[0])
	}
	pi, _ := d.GetPciInfo()
	if got := string([]byte{byte(pi.BusId[0]), byte(pi.BusId[1]), byte(pi.BusId[2]), byte(pi.BusId[3])}); got != "0000" {
		t.Fatalf("bus %q", got)
	}
	samples, r := d.GetProcessUtilization(0)
	if r != nvml.SUCCESS || len(samples) != 1 || samples[0].SmUtil != 77 {
		t.Fatalf("proc util %v %+v", r, samples)
	}

	// XID: delivered once per change.
	es, _ := iface.EventSetCreate()
	if r := d.RegisterEvents(nvml.EventTypeXidCriticalError, es); r != nvml.SUCCESS {
		t.Fatal(r)
	}
	if _, r := es.Wait(1); r != nvml.ERROR_TIMEOUT {
		t.Fatalf("wait without xid: %v", r)
	}
	xid.Store(79)
	m.Kick()
	ev, r := es.Wait(5000)
	if r != nvml.SUCCESS || ev.EventData != 79 || ev.Device != d {
		t.Fatalf("xid event %v %+v", r, ev)
	}
	if _, r := es.Wait(1); r != nvml.ERROR_TIMEOUT {
		t.Fatalf("xid delivered twice: %v", r)
	}
}

func TestFaults(t *testing.T) {
	m := New(2, nil, WithError("Init", -1, nvml.ERROR_LIBRARY_NOT_FOUND))
	if r := m.Init(); r != nvml.ERROR_LIBRARY_NOT_FOUND {
		t.Fatal(r)
	}
	m.SetError("Init", -1, nvml.SUCCESS)
	if r := m.Init(); r != nvml.SUCCESS {
		t.Fatal(r)
	}
	m.SetError("GetRemappedRows", 1, nvml.ERROR_FUNCTION_NOT_FOUND)
	d0, _ := m.DeviceGetHandleByIndex(0)
	d1, _ := m.DeviceGetHandleByIndex(1)
	if _, _, _, _, r := d0.GetRemappedRows(); r != nvml.SUCCESS {
		t.Fatal(r)
	}
	if _, _, _, _, r := d1.GetRemappedRows(); r != nvml.ERROR_FUNCTION_NOT_FOUND {
		t.Fatal(r)
	}
	if err := m.Extensions().LookupSymbol("nvmlDeviceGetRemappedRows"); err == nil {
		t.Fatal("symbol should be missing")
	}
	if err := m.Extensions().LookupSymbol("nvmlDeviceGetPowerUsage"); err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	entered := make(chan struct{}, 1)
	m.SetHook("GetPowerUsage", 0, func() { entered <- struct{}{}; <-released })
	done := make(chan struct{})
	go func() { d0.GetPowerUsage(); close(done) }()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("hook not run")
	}
	close(released)
	<-done
}

func TestMIGAndLost(t *testing.T) {
	lost := atomic.Bool{}
	m := New(1, func(int) GPUState {
		return GPUState{Lost: lost.Load(), MIG: []MIG{{GI: 1, CI: 0, Profile: "3g.40gb", MemTotalBytes: 40 << 30, MemUsedBytes: 1 << 30}}}
	})
	d, _ := m.DeviceGetHandleByIndex(0)
	if mode, _, _ := d.GetMigMode(); mode != nvml.DEVICE_MIG_ENABLE {
		t.Fatal(mode)
	}
	if _, r := d.GetUtilizationRates(); r != nvml.ERROR_NOT_SUPPORTED {
		t.Fatal(r)
	}
	md, r := d.GetMigDeviceHandleByIndex(0)
	if r != nvml.SUCCESS {
		t.Fatal(r)
	}
	if name, _ := md.GetName(); name != "NVIDIA H100 80GB HBM3 MIG 3g.40gb" {
		t.Fatal(name)
	}
	if _, r := d.GetMigDeviceHandleByIndex(1); r != nvml.ERROR_NOT_FOUND {
		t.Fatal(r)
	}
	lost.Store(true)
	if _, r := d.GetTemperature(nvml.TEMPERATURE_GPU); r != nvml.ERROR_GPU_IS_LOST {
		t.Fatal(r)
	}
}

// With no check of its own, a wait that has begun sees a changed XID only
// when kicked: the kick alone wakes it.
func TestEventCheckKickOnly(t *testing.T) {
	var xid atomic.Uint64
	read := make(chan struct{}, 1)
	m := New(1, func(int) GPUState {
		select {
		case read <- struct{}{}:
		default:
		}
		return GPUState{XID: xid.Load()}
	}, WithEventCheck(0))
	d, _ := m.DeviceGetHandleByIndex(0)
	es, _ := m.EventSetCreate()
	if r := d.RegisterEvents(nvml.EventTypeXidCriticalError, es); r != nvml.SUCCESS {
		t.Fatal(r)
	}
	type res struct {
		ev nvml.EventData
		r  nvml.Return
	}
	select {
	case <-read: // a read before the wait
	default:
	}
	got := make(chan res, 1)
	go func() {
		ev, r := es.Wait(60000)
		got <- res{ev, r}
	}()
	<-read // the wait's first look: nothing yet; only the kick wakes it now
	xid.Store(48)
	m.Kick()
	select {
	case g := <-got:
		if g.r != nvml.SUCCESS || g.ev.EventData != 48 {
			t.Fatalf("xid event %v %+v", g.r, g.ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a kicked wait did not return the XID")
	}
}
