package gpupane

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/internal/panetest"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

func TestMain(m *testing.M) { panetest.Main(m) }

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func uuidOf(host string, i int) string {
	return fmt.Sprintf("GPU-test-%s-%02d", host, i)
}

// fill writes 5 minutes of 1 s samples for n GPUs on each host.
func fill(st *sources.Store, hosts []string, n int) {
	for hi, host := range hosts {
		for s := 0; s <= 300; s++ {
			at := t0.Add(time.Duration(s-300) * time.Second)
			var pts []sources.Point
			for i := 0; i < n; i++ {
				lb := []string{sources.LabelHost, host, sources.LabelGPU, strconv.Itoa(i), sources.LabelUUID, uuidOf(host, i), sources.LabelModel, "NVIDIA H100 80GB HBM3"}
				p := func(name string, v float64, kv ...string) {
					pts = append(pts, sources.Point{Series: sources.NewSeries(name, sources.Gauge, append(append([]string{}, lb...), kv...)...), At: at, Value: v})
				}
				phase := float64((s+i*37+hi*11)%60) / 60
				util := 0.1 + 0.85*phase
				if i == 5 {
					util = 0
				}
				p(sources.GPUUtilization, util)
				p(sources.GPUMemUtil, util/2)
				p(sources.GPUMemoryUsed, float64(uint64(10+i*9)<<30))
				p(sources.GPUMemoryTotal, float64(uint64(80)<<30))
				p(sources.GPUTemperature, 40+float64(i)*6)
				p(sources.GPUMemTemp, 50+float64(i)*5)
				p(sources.GPUPower, 100+util*550)
				p(sources.GPUPowerLimit, 700)
				p(sources.GPUSMClock, 1755e6)
				p(sources.GPUMemClock, 2619e6)
				p(sources.GPUPState, 0)
				var thr float64
				switch i {
				case 2:
					thr = 0x4
				case 6:
					thr = 0x4 | 0x40
				case 5:
					thr = 0x1
				}
				p(sources.GPUThrottle, thr)
				xid := 0.0
				if i == 7 && s >= 250 {
					xid = 79
				}
				p(sources.GPUXIDLast, xid)
				ecc := 0.0
				if i == 3 && s > 200 {
					ecc = 2
				}
				pts = append(pts, sources.Point{Series: sources.NewSeries(sources.GPUECCErrors, sources.Counter, append(append([]string{}, lb...), "type", "corrected")...), At: at, Value: ecc})
				pts = append(pts, sources.Point{Series: sources.NewSeries(sources.GPUECCErrors, sources.Counter, append(append([]string{}, lb...), "type", "uncorrected")...), At: at, Value: 0})
			}
			f := sources.Frame{Source: "nvml " + host, At: at, Points: pts}
			if s == 250 && host == hosts[0] && n > 7 {
				f.Events = []sources.Event{{At: at, Kind: "xid", Severity: sources.SevCritical, Text: "XID 79 on GPU 7: GPU fell off the bus",
					Labels: []sources.Label{{Name: sources.LabelHost, Value: host}, {Name: sources.LabelGPU, Value: "7"}, {Name: sources.LabelUUID, Value: uuidOf(host, 7)}}}}
			}
			st.Ingest(f)
		}
	}
}

type fakeInspector struct {
	infos []sources.GPUInfo
	procs []sources.GPUProcess
	note  string
}

func (f fakeInspector) GPUInfos() []sources.GPUInfo        { return f.infos }
func (f fakeInspector) GPUProcesses() []sources.GPUProcess { return f.procs }
func (f fakeInspector) GPUNote() string                    { return f.note }

func inspector(host string, n int) fakeInspector {
	var fi fakeInspector
	for i := 0; i < n; i++ {
		info := sources.GPUInfo{Host: host, Index: strconv.Itoa(i), UUID: uuidOf(host, i), Model: "NVIDIA H100 80GB HBM3",
			BusID: fmt.Sprintf("00000000:%02X:00.0", 0x18+i), Driver: "550.54.15", CUDA: "12.4", State: "ok", PCIeGen: 5, PCIeWidth: 16,
			Fields: []sources.GPUField{{Name: sources.GPUFan, NA: "not supported"}}}
		if i == 4 {
			info.Fields = append(info.Fields, sources.GPUField{Name: sources.GPURemappedRows, NA: "driver too old"})
		}
		fi.infos = append(fi.infos, info)
	}
	fi.procs = []sources.GPUProcess{
		{Host: host, GPU: "0", UUID: uuidOf(host, 0), PID: 4242, User: "alice", Container: "3f2a9c1b7d4e", MemBytes: 30 << 30, SMUtil: 0.61, SMUtilOK: true, Visible: true, Command: "python -m vllm.entrypoints.openai.api_server --model llama"},
		{Host: host, GPU: "0", UUID: uuidOf(host, 0), PID: 4300, User: "bob", MemBytes: 2 << 30, Visible: true, Command: "python train.py\x1b[31m"},
		{Host: host, GPU: "0", UUID: uuidOf(host, 0), PID: 99, MemBytes: 1 << 30, Visible: false},
	}
	return fi
}

func newEnv(st *sources.Store) pane.Env {
	return pane.Env{Store: st, Now: t0, Zoom: 5 * time.Minute, Mode: "LIVE", Overview: view.Evaluate(st, t0, view.Options{})}
}

func TestListGoldens(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	for _, sz := range [][2]int{{38, 11}, {78, 22}, {118, 38}, {198, 48}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := New(Options{Inspector: inspector("gpu-box", 8)})
			m.SetSize(sz[0], sz[1])
			m.Focus()
			m.Refresh(newEnv(st))
			v := m.View()
			panetest.CheckSize(t, v, sz[0], sz[1])
			panetest.Golden(t, fmt.Sprintf("list_%dx%d", sz[0], sz[1]), v)
		})
	}
}

func TestEightGPUsFitQuarter(t *testing.T) {
	// A quarter of an 80x24 terminal, less borders: every GPU on screen.
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	m := New(Options{})
	m.SetSize(38, 10)
	m.Refresh(newEnv(st))
	v := m.View()
	for i := 0; i < 8; i++ {
		found := false
		for _, l := range strings.Split(v, "\n") {
			if strings.HasPrefix(strings.TrimLeft(l, " ▶"), strconv.Itoa(i)+" ") {
				found = true
			}
		}
		if !found {
			t.Fatalf("GPU %d not visible:\n%s", i, v)
		}
	}
}

func TestSelectionDetailAndEscape(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	m := New(Options{Inspector: inspector("gpu-box", 8)})
	m.SetSize(78, 22)
	m.Focus()
	m.Refresh(newEnv(st))
	for i := 0; i < 7; i++ {
		m.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'j'}})
	}
	if used, _ := m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter}); !used {
		t.Fatal("enter not used")
	}
	if m.Title() != "GPU 7" {
		t.Fatalf("title %q", m.Title())
	}
	v := m.View()
	panetest.CheckSize(t, v, 78, 22)
	if !strings.Contains(v, "79 GPU fell off the bus") || !strings.Contains(v, "XID 79 on GPU 7") {
		t.Fatalf("detail lacks the XID:\n%s", v)
	}
	panetest.Golden(t, "detail_gpu7_78x22", v)
	if !m.Escape() || m.Title() != "GPUs" || m.Escape() {
		t.Fatal("escape did not leave the detail exactly once")
	}
}

func TestDetailProcessesGolden(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	for _, sz := range [][2]int{{78, 22}, {198, 48}} {
		m := New(Options{Inspector: inspector("gpu-box", 8)})
		m.SetSize(sz[0], sz[1])
		m.Refresh(newEnv(st))
		m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
		v := m.View()
		panetest.CheckSize(t, v, sz[0], sz[1])
		if strings.Contains(v, "\x1b[31m") {
			t.Fatal("escape sequence from a command line reached the screen")
		}
		if !strings.Contains(v, "--pid=host") || !strings.Contains(v, "4242") {
			t.Fatalf("processes missing:\n%s", v)
		}
		panetest.Golden(t, fmt.Sprintf("detail_gpu0_%dx%d", sz[0], sz[1]), v)
	}
}

func TestMultiHostGrouped(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"node-a", "node-b"}, 3)
	m := New(Options{})
	m.SetSize(78, 22)
	m.Refresh(newEnv(st))
	v := m.View()
	a, b := strings.Index(v, "node-a"), strings.Index(v, "node-b")
	if a < 0 || b < a {
		t.Fatalf("hosts not grouped:\n%s", v)
	}
	panetest.Golden(t, "multihost_78x22", v)
}

func TestFilterAndNoGPU(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	m := New(Options{})
	m.SetSize(78, 22)
	m.Refresh(newEnv(st))
	if err := m.SetFilter("HW-THERM"); err != nil {
		t.Fatal(err)
	}
	if len(m.rows) != 1 || m.rows[0].g.Index != "6" {
		t.Fatalf("filter kept %d rows", len(m.rows))
	}
	if err := m.SetFilter("("); err == nil {
		t.Fatal("bad regex accepted")
	}
	if err := m.SetFilter(""); err != nil || len(m.rows) != 8 {
		t.Fatal("clearing the filter")
	}

	empty := sources.NewStore(sources.StoreOptions{})
	empty.Ingest(sources.Frame{Source: "nvml", At: t0, Health: &sources.Health{Source: "nvml", Kind: "nvml", State: sources.HealthDisabled, Err: "NVIDIA driver not found", At: t0}})
	m = New(Options{Inspector: fakeInspector{note: "NVIDIA driver not found"}})
	m.SetSize(40, 6)
	m.Refresh(newEnv(empty))
	v := m.View()
	panetest.CheckSize(t, v, 40, 6)
	if !strings.Contains(v, "NVIDIA driver not found") {
		t.Fatalf("no-driver state not shown:\n%s", v)
	}
	if used, _ := m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter}); used {
		t.Fatal("enter with no GPU used")
	}
}

func TestMIGSaysNotReported(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	lb := []string{sources.LabelHost, "h", sources.LabelGPU, "0", sources.LabelUUID, "GPU-x", sources.LabelModel, "NVIDIA A100-SXM4-40GB"}
	st.Ingest(sources.Frame{Source: "nvml", At: t0, Points: []sources.Point{
		{Series: sources.NewSeries(sources.GPUMemoryUsed, sources.Gauge, lb...), At: t0, Value: 1 << 30},
		{Series: sources.NewSeries(sources.GPUMemoryTotal, sources.Gauge, lb...), At: t0, Value: 40 << 30},
		{Series: sources.NewSeries(sources.GPUTemperature, sources.Gauge, lb...), At: t0, Value: 33},
	}})
	ins := fakeInspector{infos: []sources.GPUInfo{{Host: "h", Index: "0", UUID: "GPU-x", State: "ok", MIGEnabled: true,
		MIG: []sources.MIGDevice{{GI: 1, CI: 0, Profile: "3g.20gb", MemTotalBytes: 20 << 30, MemUsedBytes: 1 << 30}}}}}
	m := New(Options{Inspector: ins})
	m.SetSize(78, 10)
	m.Refresh(newEnv(st))
	v := m.View()
	if !strings.Contains(v, "MIG") || strings.Contains(v, " 0%") {
		t.Fatalf("MIG GPU drawn as 0%%:\n%s", v)
	}
	m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
	v = m.View()
	if !strings.Contains(v, "not reported under MIG") || !strings.Contains(v, "3g.20gb") {
		t.Fatalf("detail:\n%s", v)
	}
}

func TestJump(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	m := New(Options{})
	m.SetSize(78, 22)
	m.Refresh(newEnv(st))
	m.Jump(pane.JumpMsg{Target: pane.TargetGPU, GPU: "3"})
	if m.Title() != "GPU 3" {
		t.Fatalf("title %q", m.Title())
	}
	if cmd := m.Jump(pane.JumpMsg{Target: pane.TargetGPU, GPU: "42"}); cmd == nil {
		t.Fatal("jump to a missing GPU should say so")
	}
}

func TestTinySizes(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	m := New(Options{Inspector: inspector("gpu-box", 8)})
	m.Refresh(newEnv(st))
	for _, sz := range [][2]int{{0, 0}, {1, 1}, {5, 2}, {12, 3}, {20, 4}} {
		m.SetSize(sz[0], sz[1])
		if sz[0] > 0 {
			panetest.CheckSize(t, m.View(), sz[0], sz[1])
		} else if m.View() != "" {
			t.Fatal("0x0 view not empty")
		}
		m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
		if sz[0] > 0 {
			panetest.CheckSize(t, m.View(), sz[0], sz[1])
		}
		m.Escape()
	}
}

// BenchmarkRefresh8 is one Refresh and View of 8 GPUs with 5 minutes of
// history at 80x24, as the console does when data arrives.
func BenchmarkRefresh8(b *testing.B) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	env := newEnv(st)
	m := New(Options{Inspector: inspector("gpu-box", 8)})
	m.SetSize(78, 22)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Refresh(env)
		_ = m.View()
	}
}

func TestFieldNames(t *testing.T) {
	for in, want := range map[string]string{
		sources.GPUFan: "fan",
		sources.GPUECCErrors + "{type=uncorrected}": "ECC uncorrected",
		"gpu_something_new":                         "gpu_something_new",
	} {
		if got := fieldName(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	info := &sources.GPUInfo{Fields: []sources.GPUField{
		{Name: sources.GPURemappedRows + "{state=correctable}", NA: "driver too old"},
		{Name: sources.GPURemappedRows + "{state=failed}", NA: "driver too old"},
		{Name: sources.GPUTemperature, Err: "unknown", At: t0.Add(-12 * time.Second)},
	}}
	m := New(Options{})
	m.env.Now = t0
	if got := naFields(info, m); got != "n/a: remapped rows (driver too old); stale: temp 12s (unknown)" {
		t.Fatalf("%q", got)
	}
}

func TestBucketsCarryForward(t *testing.T) {
	from := t0
	to := t0.Add(60 * time.Second)
	s := []sources.Sample{{T: t0.Add(3 * time.Second).UnixNano(), V: 1}, {T: t0.Add(6 * time.Second).UnixNano(), V: 3}}
	got := buckets(s, from, to, 60, 1)
	// cells 0..2 before any sample: no data; 3 and 6 hold the samples;
	// 4..5 and 7..16 carry forward (10 s); after that no data.
	for i, v := range got {
		var want float64
		switch {
		case i < 3:
			want = math.NaN()
		case i < 6:
			want = 1
		case i <= 16:
			want = 3
		default:
			want = math.NaN()
		}
		if math.IsNaN(want) != math.IsNaN(v) || !math.IsNaN(want) && v != want {
			t.Fatalf("cell %d = %v, want %v (%v)", i, v, want, got)
		}
	}
}

func TestXIDBadgeRecency(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	m := New(Options{})
	m.SetSize(78, 22)
	env := newEnv(st)
	m.Refresh(env)
	if !m.rows[7].xidRecent || badgesOf(&m.rows[7])[0].level != styles.LevelCrit {
		t.Fatal("an XID inside the window is an alarm")
	}
	env.Zoom = 20 * time.Second // the XID (50 s ago) is now outside the window
	m.Refresh(env)
	if m.rows[7].xidRecent || badgesOf(&m.rows[7])[0].level != -1 {
		t.Fatal("an old XID is history, not an alarm")
	}
}

func TestLostGPUDetail(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 2)
	ins := inspector("gpu-box", 2)
	ins.infos[1].State, ins.infos[1].Err = "lost", "GPU 1: GPU lost (fell off the bus or hung): reset the GPU or reboot"
	ins.infos[1].Fields = append(ins.infos[1].Fields, sources.GPUField{Name: sources.GPUUtilization, At: t0.Add(-42 * time.Second), Value: 0.5})
	m := New(Options{Inspector: ins})
	m.SetSize(100, 20)
	m.Refresh(newEnv(st))
	if v := m.View(); !strings.Contains(v, "LOST") {
		t.Fatalf("list:\n%s", v)
	}
	m.HandleKey(tea.KeyMsg{Type: tea.KeyDown})
	m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
	if v := m.View(); !strings.Contains(v, "reset the GPU or reboot") || !strings.Contains(v, "last good reading 42s ago") {
		t.Fatalf("detail:\n%s", v)
	}
}

func TestColoursWhereTheyMatter(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	m := New(Options{})
	m.SetSize(78, 22)
	m.Refresh(newEnv(st))
	v := m.View()
	line := ""
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(ansi.Strip(l), "HW-THERM") {
			line = l
		}
	}
	// HW-THERM is critical (203 on dark backgrounds), PWR-CAP a warning (214).
	if !strings.Contains(line, "203") || !strings.Contains(line, "214") {
		t.Fatalf("badges not coloured: %q", line)
	}
	if ansi.StringWidth(line) != 78 {
		t.Fatalf("coloured line is %d cells", ansi.StringWidth(line))
	}
}

// BenchmarkDetailRender draws a GPU's detail (fields, four line charts,
// processes) at 198x48 in 256 colours, as a refresh does.
func BenchmarkDetailRender(b *testing.B) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	m := New(Options{Inspector: inspector("gpu-box", 8)})
	m.SetSize(198, 48)
	m.Refresh(newEnv(st))
	m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
	if !strings.Contains(ansi.Strip(m.View()), "700W│") {
		b.Fatalf("no power chart axis:\n%s", m.View())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.render()
	}
}

// TestDetailChartsCursor: the shared time cursor is a marker column through
// every history chart's plot, at the same place in each.
func TestDetailChartsCursor(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 8)
	m := New(Options{Inspector: inspector("gpu-box", 8)})
	m.SetSize(198, 48)
	env := newEnv(st)
	m.Refresh(env)
	m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
	if strings.Contains(m.View(), "┃") {
		t.Fatal("marker without a cursor")
	}
	env.Cursor = t0.Add(-2 * time.Minute)
	m.Refresh(env)
	v := m.View()
	cols := map[int]int{}
	for _, l := range strings.Split(v, "\n") {
		r := []rune(l)
		for i, c := range r {
			if c == '┃' {
				cols[i]++
			}
		}
	}
	// Two charts side by side, 8 plot rows each, two rows of charts.
	if len(cols) != 2 {
		t.Fatalf("marker columns %v, want one per chart column:\n%s", cols, v)
	}
	for c, n := range cols {
		if n != 16 {
			t.Errorf("column %d: %d marker cells, want 16 (8 plot rows, 2 charts)", c, n)
		}
	}
	if got := cursorColumn(t0.Add(-2*time.Minute), t0.Add(-5*time.Minute), t0, 100); got != 60 {
		t.Errorf("cursorColumn = %d, want 60", got)
	}
	if got := cursorColumn(t0.Add(time.Minute), t0.Add(-5*time.Minute), t0, 100); got != -1 {
		t.Errorf("cursor after the window: %d", got)
	}
}

// TestPresentOnlyFactsAtTheCursor: a GPU's processes and its state (LOST)
// are known only of the present. With the cursor on, the rows read the
// cursor's figures and the detail says the processes are live only.
func TestPresentOnlyFactsAtTheCursor(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	fill(st, []string{"gpu-box"}, 2)
	ins := inspector("gpu-box", 2)
	ins.infos[0].State, ins.infos[0].Err = "lost", "GPU 0: GPU lost"
	m := New(Options{Inspector: ins})
	m.SetSize(120, 40)
	m.Refresh(newEnv(st))
	if v := m.View(); !strings.Contains(v, "LOST") || !strings.Contains(v, "4242") {
		t.Fatalf("live: no LOST badge or process:\n%s", v)
	}
	cur := t0.Add(-90 * time.Second)
	env := pane.NewEnv(st, t0, 5*time.Minute, cur, "LIVE", view.Options{})
	m.Refresh(env)
	v := m.View()
	if strings.Contains(v, "LOST") || strings.Contains(v, "4242") {
		t.Fatalf("at the cursor the present's facts show:\n%s", v)
	}
	want := pct(env.Overview.GPUs[0].Util)
	if want == pct(view.Evaluate(st, t0, view.Options{}).GPUs[0].Util) {
		t.Fatal("fixture: the cursor's utilisation equals the present's; pick another instant")
	}
	if !strings.Contains(v, " "+want+" ") {
		t.Fatalf("row does not read the cursor's utilisation %s:\n%s", want, v)
	}
	m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
	if v := m.View(); !strings.Contains(v, "processes are known only live") {
		t.Fatalf("detail at the cursor:\n%s", v)
	}
}

// TestRemoteHostHidesLocalNVML: scoped to another host, or watching a
// fleet unscoped, the pane does not show this machine's NVML state ("NVIDIA
// driver not found" is not the remote host's); scoped to this machine it
// does.
func TestRemoteHostHidesLocalNVML(t *testing.T) {
	empty := sources.NewStore(sources.StoreOptions{})
	empty.Ingest(sources.Frame{Source: "nvml", At: t0, Health: &sources.Health{Source: "nvml", Kind: "nvml", State: sources.HealthDisabled, Err: "NVIDIA driver not found", At: t0}})
	for _, c := range []struct {
		name  string
		scope string
		hosts int
		want  bool
	}{
		{"unscoped, one host", "", 1, true},
		{"scoped to this machine", localHost, 1, true},
		{"scoped to another host", "gpu-node-042", 1, false},
		{"a fleet, unscoped", "", 3, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := New(Options{Inspector: fakeInspector{note: "NVIDIA driver not found"}})
			m.SetSize(60, 8)
			env := newEnv(empty)
			env.Scope = c.scope
			for i := range c.hosts {
				env.Hosts = append(env.Hosts, view.Host{Host: fmt.Sprint("gpu-node-", i)})
			}
			m.Refresh(env)
			if got := strings.Contains(m.View(), "driver not found"); got != c.want {
				t.Errorf("local NVML state shown: %v, want %v:\n%s", got, c.want, m.View())
			}
		})
	}
}

// TestGPUKnownByIndexOnce: a query engine's series of a GPU without its
// UUID (history from before the identities were known) are the GPU of
// that host and index that has one: one row, not two.
func TestGPUKnownByIndexOnce(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	old := t0.Add(-10 * time.Minute)
	pt := func(at time.Time, v float64, kv ...string) sources.Point {
		return sources.Point{Series: sources.NewSeries(sources.GPUTemperature, sources.Gauge, append([]string{sources.LabelHost, "h1", sources.LabelGPU, "0"}, kv...)...), At: at, Value: v}
	}
	st.Ingest(sources.Frame{At: old, Points: []sources.Point{pt(old, 60)}})
	st.Ingest(sources.Frame{At: t0, Points: []sources.Point{pt(t0, 70, sources.LabelUUID, "GPU-a")}})
	env := pane.Env{Store: st, Now: t0, Zoom: 15 * time.Minute, Mode: "LIVE", Overview: view.Evaluate(st, t0, view.Options{})}
	if gs := knownGPUs(env); len(gs) != 1 || gs[0].UUID != "GPU-a" {
		t.Fatalf("known GPUs %+v, want GPU-a alone", gs)
	}
}
