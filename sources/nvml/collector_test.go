package nvml

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/nvml/nvmlmock"
	"github.com/vigil-dev/vigil/sources/view"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func busy(i int) nvmlmock.GPUState {
	return nvmlmock.GPUState{Util: 0.5 + 0.05*float64(i), MemUtil: 0.3, MemUsedBytes: uint64(10+i) << 30, Temp: 60 + float64(i), MemTemp: 70,
		PowerW: 400 + float64(i), PowerLimitW: 700, SMClockMHz: 1755, MemClockMHz: 2619, Fan: -1, PState: 0, Throttle: 0x4,
		ECCCorrected: uint64(i), PCIeReplay: 2, RemapCorr: 1,
		Procs: []nvmlmock.Proc{{PID: 100, UsedBytes: 4 << 30, SMUtil: 40}}}
}

func newTest(t testing.TB, lib nvml.Interface, mod func(*Options)) *Collector {
	o := Options{Lib: lib, Host: "box", Clock: sources.NewManualClock(t0), ProcRoot: t.TempDir(), CallTimeout: 2 * time.Second}
	if mod != nil {
		mod(&o)
	}
	c := New(o)
	c.xidWait = 20
	t.Cleanup(func() { c.Close() })
	return c
}

func poll(t testing.TB, c *Collector, at time.Time) (sources.Frame, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Poll(ctx, at)
}

func byName(f sources.Frame) map[string][]sources.Point {
	out := map[string][]sources.Point{}
	for _, p := range f.Points {
		out[p.Series.Name] = append(out[p.Series.Name], p)
	}
	return out
}

func find(f sources.Frame, name, gpu string, kv ...string) (sources.Point, bool) {
	for _, p := range f.Points {
		if p.Series.Name != name || p.Series.Label(sources.LabelGPU) != gpu {
			continue
		}
		ok := true
		for i := 0; i+1 < len(kv); i += 2 {
			if p.Series.Label(kv[i]) != kv[i+1] {
				ok = false
			}
		}
		if ok {
			return p, true
		}
	}
	return sources.Point{}, false
}

func TestEightMockGPUsEveryField(t *testing.T) {
	c := newTest(t, nvmlmock.New(8, busy), nil)
	f, err := poll(t, c, t0)
	if err != nil {
		t.Fatal(err)
	}
	if f.Health == nil || f.Health.Err != "" || f.Health.Kind != "nvml" {
		t.Fatalf("health %+v", f.Health)
	}
	names := byName(f)
	for _, n := range []string{sources.GPUUtilization, sources.GPUMemUtil, sources.GPUMemoryUsed, sources.GPUMemoryTotal,
		sources.GPUTemperature, sources.GPUMemTemp, sources.GPUPower, sources.GPUPowerLimit, sources.GPUSMClock, sources.GPUMemClock,
		sources.GPUPState, sources.GPUThrottle, sources.GPUXIDLast, sources.GPUPCIeReplay, sources.GPUEnergy, sources.GPUSMClockMax, sources.GPUMemClockMax} {
		if len(names[n]) != 8 {
			t.Errorf("%s: %d points, want 8", n, len(names[n]))
		}
	}
	if len(names[sources.GPUECCErrors]) != 16 || len(names[sources.GPURemappedRows]) != 32 {
		t.Errorf("ecc %d remapped %d", len(names[sources.GPUECCErrors]), len(names[sources.GPURemappedRows]))
	}
	if len(names[sources.GPUFan]) != 0 {
		t.Error("an SXM board without a fan must not report 0")
	}
	p, _ := find(f, sources.GPUUtilization, "3")
	if p.Value != 0.65 || p.At != t0 {
		t.Fatalf("util %+v", p)
	}
	if p.Series.Label(sources.LabelHost) != "box" || p.Series.Label(sources.LabelUUID) != nvmlmock.UUID(3) || p.Series.Label(sources.LabelModel) != "NVIDIA H100 80GB HBM3" {
		t.Fatalf("labels %+v", p.Series.Labels)
	}
	checks := []struct {
		name string
		kv   []string
		want float64
	}{
		{sources.GPUMemoryUsed, nil, 13 << 30},
		{sources.GPUMemoryTotal, nil, 80 << 30},
		{sources.GPUPower, nil, 403},
		{sources.GPUPowerLimit, nil, 700},
		{sources.GPUTemperature, nil, 63},
		{sources.GPUMemTemp, nil, 70},
		{sources.GPUSMClock, nil, 1755e6},
		{sources.GPUMemClock, nil, 2619e6},
		{sources.GPUThrottle, nil, 4},
		{sources.GPUECCErrors, []string{"type", "corrected"}, 3},
		{sources.GPUECCErrors, []string{"type", "uncorrected"}, 0},
		{sources.GPURemappedRows, []string{"state", "correctable"}, 1},
		{sources.GPUPCIeReplay, nil, 2},
		{sources.GPUXIDLast, nil, 0},
	}
	for _, ck := range checks {
		p, ok := find(f, ck.name, "3", ck.kv...)
		if !ok || p.Value != ck.want {
			t.Errorf("%s%v = %v (%v), want %v", ck.name, ck.kv, p.Value, ok, ck.want)
		}
	}

	// Tiers: one second later only the fast tier is read.
	f, _ = poll(t, c, t0.Add(time.Second))
	names = byName(f)
	if len(names[sources.GPUUtilization]) != 8 || len(names[sources.GPUTemperature]) != 0 || len(names[sources.GPUECCErrors]) != 0 {
		t.Fatalf("fast tier: %d util, %d temp, %d ecc", len(names[sources.GPUUtilization]), len(names[sources.GPUTemperature]), len(names[sources.GPUECCErrors]))
	}
	f, _ = poll(t, c, t0.Add(3*time.Second))
	names = byName(f)
	if len(names[sources.GPUTemperature]) != 8 || len(names[sources.GPUECCErrors]) != 0 {
		t.Fatalf("medium tier: %d temp, %d ecc", len(names[sources.GPUTemperature]), len(names[sources.GPUECCErrors]))
	}
	f, _ = poll(t, c, t0.Add(30*time.Second))
	if len(byName(f)[sources.GPUECCErrors]) != 16 {
		t.Fatal("slow tier not read after 30 s")
	}

	infos := c.GPUInfos()
	if len(infos) != 8 || infos[2].BusID != "0000:02:00.0" || infos[2].Driver != "550.54.15" || infos[2].CUDA != "12.4" || infos[2].PCIeGen != 5 {
		t.Fatalf("infos %+v", infos[2])
	}
	var fan sources.GPUField
	for _, fl := range infos[0].Fields {
		if fl.Name == sources.GPUFan {
			fan = fl
		}
	}
	if fan.NA != "not supported" {
		t.Fatalf("fan field %+v", fan)
	}
}

// TestThroughHubAndView is what --once shows: every GPU with every gauge.
func TestThroughHubAndView(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	clk := sources.NewManualClock(t0)
	hub := sources.NewHub(st, clk)
	c := newTest(t, nvmlmock.New(8, busy), func(o *Options) { o.Clock = clk })
	hub.Add(c)
	hub.PollOnce(context.Background())
	ov := view.Evaluate(st, t0, view.Options{})
	if len(ov.GPUs) != 8 {
		t.Fatalf("%d GPUs", len(ov.GPUs))
	}
	g := ov.GPUs[5]
	for name, n := range map[string]view.Num{"util": g.Util, "memutil": g.MemUtil, "used": g.MemUsed, "total": g.MemTotal, "temp": g.Temp,
		"memtemp": g.MemTemp, "power": g.Power, "limit": g.PowerLimit, "sm": g.SMClock, "memclk": g.MemClock, "pstate": g.PState,
		"throttle": g.Throttle, "xid": g.XIDLast, "ecc": g.ECCCorr, "eccu": g.ECCUncorr, "replay": g.PCIeReplay} {
		if !n.OK {
			t.Errorf("%s n/a", name)
		}
	}
	if g.Fan.OK {
		t.Error("fan should be n/a")
	}
	if len(g.Badges) != 1 || g.Badges[0] != "PWR-CAP" {
		t.Errorf("badges %v", g.Badges)
	}
	if len(ov.Sources) != 1 || ov.Sources[0].State != "ok" || ov.Sources[0].Kind != "nvml" {
		t.Fatalf("sources %+v", ov.Sources)
	}
}

// TestRealLibraryAbsent runs the real go-nvml path: these machines have no
// NVIDIA driver, so it must say so, disabled, without crashing.
func TestRealLibraryAbsent(t *testing.T) {
	if _, err := os.Stat("/dev/nvidiactl"); err == nil {
		t.Skip("an NVIDIA driver is present")
	}
	st := sources.NewStore(sources.StoreOptions{})
	hub := sources.NewHub(st, sources.NewManualClock(t0))
	c := New(Options{Host: "box"})
	defer c.Close()
	hub.Add(c)
	hub.PollOnce(context.Background())
	hs := view.Health(st, t0)
	if len(hs) != 1 || hs[0].State != "disabled" || hs[0].Error != MsgNoLibrary {
		t.Fatalf("health %+v", hs)
	}
	if !strings.Contains(c.GPUNote(), MsgNoLibrary) || len(c.GPUInfos()) != 0 || len(c.GPUProcesses()) != 0 {
		t.Fatalf("note %q", c.GPUNote())
	}
	// A second poll within the retry interval does not retry.
	hub.PollOnce(context.Background())
	if hs := view.Health(st, t0); hs[0].State != "disabled" {
		t.Fatal(hs)
	}
}

func TestInitFailureStates(t *testing.T) {
	cases := []struct {
		call     string
		ret      nvml.Return
		disabled bool
		msg      string
	}{
		{"Init", nvml.ERROR_LIBRARY_NOT_FOUND, true, MsgNoLibrary},
		{"Init", nvml.ERROR_DRIVER_NOT_LOADED, false, MsgNotLoaded},
		{"Init", nvml.ERROR_LIB_RM_VERSION_MISMATCH, false, "driver upgraded: reload the module or reboot"},
		{"SystemGetDriverVersion", nvml.ERROR_LIB_RM_VERSION_MISMATCH, false, "driver upgraded: reload the module or reboot"},
		{"Init", nvml.ERROR_NO_PERMISSION, false, MsgNoPermission},
		{"DeviceGetCount", nvml.ERROR_NO_PERMISSION, false, MsgNoPermission},
		{"Init", nvml.ERROR_UNKNOWN, false, "nvml: unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.call+"/"+errString(tc.ret), func(t *testing.T) {
			m := nvmlmock.New(2, busy, nvmlmock.WithError(tc.call, -1, tc.ret))
			c := newTest(t, m, nil)
			f, err := poll(t, c, t0)
			if tc.disabled {
				if err != nil || f.Health == nil || f.Health.State != sources.HealthDisabled || f.Health.Err != tc.msg {
					t.Fatalf("err %v health %+v", err, f.Health)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err %v, want %q", err, tc.msg)
			}
			if len(f.Points) != 0 {
				t.Fatal("points from a failed library")
			}
			// Fixed (module reloaded): the next try after the retry interval works.
			m.SetError(tc.call, -1, nvml.SUCCESS)
			f, err = poll(t, c, t0.Add(time.Second))
			if err == nil && f.Health.State != sources.HealthDisabled && len(f.Points) > 0 {
				t.Fatal("retried before the retry interval")
			}
			c.opts.Clock.(*sources.ManualClock).Advance(10 * time.Minute)
			f, err = poll(t, c, t0.Add(10*time.Minute))
			if err != nil || len(f.Points) == 0 {
				t.Fatalf("after recovery: %v, %d points", err, len(f.Points))
			}
		})
	}
}

func TestFunctionMissingInOldDriver(t *testing.T) {
	m := nvmlmock.New(2, busy, nvmlmock.WithError("GetRemappedRows", -1, nvml.ERROR_FUNCTION_NOT_FOUND),
		nvmlmock.WithError("GetCurrentClocksEventReasons", -1, nvml.ERROR_FUNCTION_NOT_FOUND))
	var calls atomic.Int64
	m.SetHook("GetRemappedRows", -1, func() { calls.Add(1) })
	c := newTest(t, m, nil)
	f, err := poll(t, c, t0)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Fatal("a function missing from the driver was called (lazy binding would kill the process)")
	}
	if len(byName(f)[sources.GPURemappedRows]) != 0 {
		t.Fatal("remapped rows reported")
	}
	// Throttle reasons fall back to the older name.
	if p, ok := find(f, sources.GPUThrottle, "1"); !ok || p.Value != 4 {
		t.Fatalf("throttle via the old call: %v %v", p, ok)
	}
	var na string
	for _, fl := range c.GPUInfos()[0].Fields {
		if strings.HasPrefix(fl.Name, sources.GPURemappedRows) {
			na = fl.NA
		}
	}
	if na != MsgTooOld {
		t.Fatalf("remapped rows NA %q", na)
	}
	if f.Health.Err != "" {
		t.Fatalf("a missing function is not an error: %q", f.Health.Err)
	}
}

func TestGPULostKeepsOthersAndLastValues(t *testing.T) {
	var lost atomic.Bool
	m := nvmlmock.New(4, func(i int) nvmlmock.GPUState {
		s := busy(i)
		s.Lost = i == 2 && lost.Load()
		return s
	})
	c := newTest(t, m, nil)
	if _, err := poll(t, c, t0); err != nil {
		t.Fatal(err)
	}
	lost.Store(true)
	f, err := poll(t, c, t0.Add(time.Second))
	if err != nil {
		t.Fatalf("one lost GPU must not fail the source: %v", err)
	}
	if !strings.Contains(f.Health.Err, "GPU 2") || !strings.Contains(f.Health.Err, "lost") {
		t.Fatalf("health %q", f.Health.Err)
	}
	if _, ok := find(f, sources.GPUUtilization, "2"); ok {
		t.Fatal("a lost GPU reported utilisation")
	}
	if _, ok := find(f, sources.GPUUtilization, "3"); !ok {
		t.Fatal("GPU 3 missing")
	}
	info := c.GPUInfos()[2]
	if info.State != "lost" {
		t.Fatalf("state %q", info.State)
	}
	for _, fl := range info.Fields {
		if fl.Name == sources.GPUUtilization && (fl.At != t0 || fl.Value != 0.6) {
			t.Fatalf("last good value lost: %+v", fl)
		}
	}
	// Every GPU lost: the source is in error.
	m2 := nvmlmock.New(1, func(int) nvmlmock.GPUState { return nvmlmock.GPUState{Lost: true} })
	c2 := newTest(t, m2, nil)
	if _, err := poll(t, c2, t0); err == nil || !strings.Contains(err.Error(), "lost") {
		t.Fatalf("all lost: %v", err)
	}
}

func TestHungCallDoesNotBlockThePoll(t *testing.T) {
	m := nvmlmock.New(3, busy)
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) })
	entered := make(chan struct{}, 1)
	m.SetHook("GetPowerUsage", 1, func() {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	})
	c := newTest(t, m, func(o *Options) { o.CallTimeout = 50 * time.Millisecond })
	f, err := poll(t, c, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Health.Err, "GPU 1: GetPowerUsage stalled") {
		t.Fatalf("health %q", f.Health.Err)
	}
	if _, ok := find(f, sources.GPUUtilization, "0"); !ok {
		t.Fatal("the other GPUs must still report")
	}
	if _, ok := find(f, sources.GPUUtilization, "1"); !ok {
		t.Fatal("GPU 1's calls before the hang are reported")
	}
	<-entered
	m.SetHook("GetPowerUsage", 1, nil)
	once.Do(func() { close(release) })
	deadline := time.Now().Add(10 * time.Second)
	power := false
	at := t0
	for {
		at = at.Add(time.Second)
		f, _ = poll(t, c, at)
		if _, ok := find(f, sources.GPUPower, "1"); ok {
			power = true
		}
		if f.Health.Err == "" && power {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GPU 1 never recovered: %q, power delivered %v", f.Health.Err, power)
		}
	}
}

func TestXIDEvents(t *testing.T) {
	var xid atomic.Uint64
	m := nvmlmock.New(4, func(i int) nvmlmock.GPUState {
		s := busy(i)
		if i == 3 {
			s.XID = xid.Load()
		}
		return s
	})
	clk := sources.NewManualClock(t0)
	c := newTest(t, m, func(o *Options) { o.Clock = clk })
	if _, err := poll(t, c, t0); err != nil {
		t.Fatal(err)
	}
	xid.Store(79)
	m.Kick()
	deadline := time.Now().Add(10 * time.Second)
	var ev sources.Event
	at := t0
	for {
		at = at.Add(time.Second)
		clk.Set(at)
		f, _ := poll(t, c, at)
		if len(f.Events) > 0 {
			ev = f.Events[0]
			if p, ok := find(f, sources.GPUXIDLast, "3"); !ok || p.Value != 79 {
				t.Fatalf("xid_last %v %v", p, ok)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no XID event")
		}
		m.Kick()
	}
	if ev.Kind != "xid" || ev.Severity != sources.SevCritical || ev.Text != "XID 79 on GPU 3: GPU fell off the bus" {
		t.Fatalf("event %+v", ev)
	}
	var gpuLabel, uuid string
	for _, l := range ev.Labels {
		switch l.Name {
		case sources.LabelGPU:
			gpuLabel = l.Value
		case sources.LabelUUID:
			uuid = l.Value
		}
	}
	if gpuLabel != "3" || uuid != nvmlmock.UUID(3) {
		t.Fatalf("labels %+v", ev.Labels)
	}
	// The last XID is restated at the medium tier.
	f, _ := poll(t, c, at.Add(5*time.Second))
	if p, ok := find(f, sources.GPUXIDLast, "3"); !ok || p.Value != 79 {
		t.Fatalf("xid_last restated: %v %v", p, ok)
	}
}

func TestMIG(t *testing.T) {
	m := nvmlmock.New(2, func(i int) nvmlmock.GPUState {
		s := busy(i)
		if i == 1 {
			s.MIG = []nvmlmock.MIG{{GI: 1, CI: 0, Profile: "3g.40gb", MemTotalBytes: 40 << 30, MemUsedBytes: 2 << 30}, {GI: 2, CI: 0, Profile: "3g.40gb", MemTotalBytes: 40 << 30}}
		}
		return s
	})
	c := newTest(t, m, nil)
	f, _ := poll(t, c, t0)
	if _, ok := find(f, sources.GPUUtilization, "1"); ok {
		t.Fatal("utilisation under MIG must be n/a, not a number")
	}
	if _, ok := find(f, sources.GPUUtilization, "0"); !ok {
		t.Fatal("GPU 0 utilisation missing")
	}
	info := c.GPUInfos()[1]
	if !info.MIGEnabled || len(info.MIG) != 2 || info.MIG[0].Profile != "3g.40gb" || info.MIG[0].MemUsedBytes != 2<<30 {
		t.Fatalf("mig %+v", info)
	}
	for _, fl := range info.Fields {
		if fl.Name == sources.GPUUtilization && fl.NA != "not reported under MIG" {
			t.Fatalf("util field %+v", fl)
		}
	}
}

func TestProcesses(t *testing.T) {
	root := t.TempDir()
	pdir := filepath.Join(root, "100")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(pdir, "status"), []byte("Name:\tpython\nUid:\t0\t0\t0\t0\n"), 0o644)
	os.WriteFile(filepath.Join(pdir, "cgroup"), []byte("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_7980_a1b2_c3d4e5f60718.slice/cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n"), 0o644)
	os.WriteFile(filepath.Join(pdir, "cmdline"), []byte("python\x00-m\x00vllm\x1b[2J\x00"), 0o644)
	m := nvmlmock.New(2, func(i int) nvmlmock.GPUState {
		s := busy(i)
		s.Procs = []nvmlmock.Proc{{PID: 100, UsedBytes: 30 << 30, SMUtil: 61}, {PID: 4242, UsedBytes: 1 << 30, SMUtil: 5}}
		return s
	})
	c := newTest(t, plainLib{m}, func(o *Options) { o.ProcRoot = root })
	poll(t, c, t0)
	ps := c.Processes()
	if len(ps) != 4 {
		t.Fatalf("%d processes", len(ps))
	}
	p := ps[0]
	if p.PID != 100 || !p.Visible || p.User != "root" || p.Container != "0123456789ab" || p.Pod != "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718" ||
		p.Command != "python -m vllm[2J" && p.Command != "python -m vllm" || p.MemBytes != 30<<30 || !p.SMUtilOK || p.SMUtil != 0.61 || p.UUID != nvmlmock.UUID(0) {
		t.Fatalf("process %+v", p)
	}
	if strings.ContainsRune(p.Command, 0x1b) {
		t.Fatal("escape sequence kept in the command line")
	}
	if ps[1].PID != 4242 || ps[1].Visible || ps[1].User != "" {
		t.Fatalf("hidden process %+v", ps[1])
	}
	if note := c.GPUNote(); !strings.Contains(note, "--pid=host") {
		t.Fatalf("note %q", note)
	}
}

func TestParseCgroup(t *testing.T) {
	cases := []struct{ in, ctr, pod string }{
		{"12:memory:/docker/3f2a9c1b7d4e8f00112233445566778899aabbccddeeff001122334455667788\n", "3f2a9c1b7d4e", ""},
		{"0::/system.slice/docker-3f2a9c1b7d4e8f00112233445566778899aabbccddeeff001122334455667788.scope\n", "3f2a9c1b7d4e", ""},
		{"0::/kubepods/besteffort/pod0a1b2c3d-0000-1111-2222-333344445555/abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd\n", "abcdefabcdef", "0a1b2c3d-0000-1111-2222-333344445555"},
		{"0::/machine.slice/libpod-aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899.scope\n", "aabbccddeeff", ""},
		{"0::/user.slice/user-1000.slice/session-2.scope\n", "", ""},
		{"", "", ""},
	}
	for _, tc := range cases {
		ctr, pod := parseCgroup([]byte(tc.in))
		if ctr != tc.ctr || pod != tc.pod {
			t.Errorf("%q: %q %q, want %q %q", tc.in, ctr, pod, tc.ctr, tc.pod)
		}
	}
}

func TestSelection(t *testing.T) {
	cases := []struct {
		gpus    []string
		cuda    string
		useCUDA bool
		want    []string
	}{
		{nil, "", false, []string{"0", "1", "2", "3", "4", "5"}},
		{[]string{"0", "3"}, "", false, []string{"0", "3"}},
		{nil, "3," + nvmlmock.UUID(5)[:12] + "x", true, []string{"3"}},
		{nil, "3," + nvmlmock.UUID(5), true, []string{"3", "5"}},
		{[]string{"3", "4"}, "3,5", true, []string{"3"}},
		{[]string{"0", "3"}, "1", false, []string{"0", "3"}},
		{nil, "2,bogus,4", true, []string{"2"}},
	}
	for _, tc := range cases {
		c := newTest(t, nvmlmock.New(6, busy), func(o *Options) {
			o.GPUs, o.CUDAVisibleDevices, o.UseCUDAVisible = tc.gpus, tc.cuda, tc.useCUDA
		})
		poll(t, c, t0)
		var got []string
		for _, g := range c.GPUInfos() {
			got = append(got, g.Index)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("gpus %v cuda %q: %v, want %v", tc.gpus, tc.cuda, got, tc.want)
		}
	}
	c := newTest(t, nvmlmock.New(2, busy), func(o *Options) { o.GPUs = []string{"7"} })
	f, err := poll(t, c, t0)
	if err != nil || f.Health.State != sources.HealthDisabled || !strings.Contains(f.Health.Err, "none of the 2 GPUs") {
		t.Fatalf("%v %+v", err, f.Health)
	}
	if got := ParseGPUList(" 0, 3 ,,GPU-ab "); strings.Join(got, "|") != "0|3|GPU-ab" {
		t.Fatal(got)
	}
}

// BenchmarkFastPoll8 is one fast-tier poll of 8 mock GPUs including the
// conversion into a frame (the budget: 200 µs).
func BenchmarkFastPoll8(b *testing.B) {
	var states [8]nvmlmock.GPUState
	for i := range states {
		states[i] = busy(i)
	}
	m := nvmlmock.New(8, func(i int) nvmlmock.GPUState { return states[i] })
	c := newTest(b, m, func(o *Options) {
		o.Medium, o.Slow, o.Processes = time.Hour, time.Hour, -1
	})
	at := t0
	if _, err := poll(b, c, at); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at = at.Add(time.Second)
		f, err := c.Poll(ctx, at)
		if err != nil || len(f.Points) != 40 {
			b.Fatalf("%v, %d points", err, len(f.Points))
		}
	}
}

// BenchmarkFullPoll8 is a poll where every tier is due, processes included.
func BenchmarkFullPoll8(b *testing.B) {
	m := nvmlmock.New(8, busy)
	c := newTest(b, m, func(o *Options) { o.Medium, o.Slow, o.Processes = time.Second, time.Second, time.Second })
	at := t0
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at = at.Add(time.Second)
		if _, err := c.Poll(ctx, at); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGPUInfos8 is what the GPU pane asks of the collector on every
// refresh of the console (once a second): 8 GPUs' static facts and fields.
func BenchmarkGPUInfos8(b *testing.B) {
	c := newTest(b, nvmlmock.New(8, busy), nil)
	if _, err := poll(b, c, t0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if is := c.GPUInfos(); len(is) != 8 || len(is[0].Fields) == 0 {
			b.Fatalf("%d infos", len(is))
		}
	}
}

func TestPCIeOptIn(t *testing.T) {
	m := nvmlmock.New(2, func(i int) nvmlmock.GPUState {
		s := busy(i)
		s.PCIeTxKBs, s.PCIeRxKBs = 1000, 2000
		return s
	})
	var calls atomic.Int64
	m.SetHook("GetPcieThroughput", -1, func() { calls.Add(1) })
	off := newTest(t, m, nil)
	f, _ := poll(t, off, t0)
	if len(byName(f)[sources.GPUPCIeTx]) != 0 || calls.Load() != 0 {
		t.Fatal("PCIe throughput read without being asked")
	}
	off.Close()
	on := newTest(t, m, func(o *Options) { o.PCIe = true })
	deadline := time.Now().Add(10 * time.Second)
	at := t0
	for {
		at = at.Add(time.Second)
		f, _ = poll(t, on, at)
		if p, ok := find(f, sources.GPUPCIeRx, "1"); ok {
			if p.Value != 2000*1024 {
				t.Fatalf("rx %v", p.Value)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no PCIe throughput")
		}
	}
}

func TestDriverChangesUnderUs(t *testing.T) {
	m := nvmlmock.New(2, busy, nvmlmock.WithError("DeviceGetHandleByIndex", 1, nvml.ERROR_GPU_IS_LOST))
	c := newTest(t, m, nil)
	f, err := poll(t, c, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Health.Err, "GPU 1: "+MsgLost) || c.GPUInfos()[1].State != "lost" {
		t.Fatalf("health %q infos %+v", f.Health.Err, c.GPUInfos()[1])
	}
	// The module is upgraded while vigil runs: every call fails with a
	// version mismatch; the message says what to do, the values are kept.
	for _, call := range []string{"GetUtilizationRates", "GetMemoryInfo", "GetPowerUsage"} {
		m.SetError(call, 0, nvml.ERROR_LIB_RM_VERSION_MISMATCH)
	}
	_, err = poll(t, c, t0.Add(time.Second))
	if err == nil || !strings.Contains(err.Error(), "driver upgraded: reload the module or reboot") {
		t.Fatalf("err %v", err)
	}
	for _, fl := range c.GPUInfos()[0].Fields {
		if fl.Name == sources.GPUUtilization && (fl.At != t0 || fl.Err == "") {
			t.Fatalf("util field %+v", fl)
		}
	}
	for _, call := range []string{"GetUtilizationRates", "GetMemoryInfo", "GetPowerUsage"} {
		m.SetError(call, 0, nvml.SUCCESS)
	}
	if _, err = poll(t, c, t0.Add(2*time.Second)); err != nil {
		t.Fatalf("after the fix: %v", err)
	}
}

func TestCloseStopsAndStaysClosed(t *testing.T) {
	var shut atomic.Int64
	m := nvmlmock.New(2, busy)
	c := New(Options{Lib: shutdownCounter{m, &shut}, Host: "h", ProcRoot: t.TempDir()})
	c.xidWait = 20
	if _, err := poll(t, c, t0); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if shut.Load() != 1 {
		t.Fatalf("%d shutdowns", shut.Load())
	}
	if _, err := poll(t, c, t0.Add(time.Hour)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("poll after close: %v", err)
	}
	if c.Close() != nil || shut.Load() != 1 {
		t.Fatal("second close")
	}
}

type shutdownCounter struct {
	*nvmlmock.Mock
	n *atomic.Int64
}

func (s shutdownCounter) Shutdown() nvml.Return { s.n.Add(1); return nvml.SUCCESS }

// plainLib hides the mock's process simulation, so /proc is read.
type plainLib struct{ nvml.Interface }

func TestSimulatedProcesses(t *testing.T) {
	m := nvmlmock.New(1, func(int) nvmlmock.GPUState {
		return nvmlmock.GPUState{Procs: []nvmlmock.Proc{{PID: 4100, UsedBytes: 1 << 30, SMUtil: 10, Name: "vllm serve llama"}}}
	})
	c := newTest(t, m, nil)
	poll(t, c, t0)
	ps := c.Processes()
	if len(ps) != 1 || !ps[0].Visible || ps[0].User != "demo" || ps[0].Command != "vllm serve llama" {
		t.Fatalf("%+v", ps)
	}
	if strings.Contains(c.GPUNote(), "--pid=host") {
		t.Fatal("simulated processes are not outside our namespace")
	}
}

func TestLibraryPathMissing(t *testing.T) {
	c := New(Options{LibraryPath: filepath.Join(t.TempDir(), "libnvidia-ml.so.1")})
	defer c.Close()
	f, err := poll(t, c, t0)
	if err != nil || f.Health.State != sources.HealthDisabled || f.Health.Err != MsgNoLibrary || !strings.HasSuffix(f.Health.Target, "libnvidia-ml.so.1") || !strings.HasPrefix(f.Health.Target, "/") {
		t.Fatalf("%v %+v", err, f.Health)
	}
}

func TestNilCollectorAsInspector(t *testing.T) {
	var c *Collector
	var ins sources.GPUInspector = c // what a console wired without NVML holds
	if ins.GPUInfos() != nil || ins.GPUProcesses() != nil || ins.GPUNote() != "" {
		t.Fatal("nil collector")
	}
}
