package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/replay"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// onceAt is what `vigil replay REC --once --at T --output json` prints that
// the console's panes show.
type onceAt struct {
	view.Overview
	Hosts  []view.Host `json:"hosts"`
	Alerts []struct {
		Name  string `json:"alertname"`
		State string `json:"state"`
	} `json:"alerts"`
}

// console drives the real root model from outside, as the program does:
// the size, then Init's clock reading, then messages.
type console struct {
	t *testing.T
	m tea.Model
}

func (c *console) send(msg tea.Msg) {
	m, cmd := c.m.Update(msg)
	c.m = m
	c.run(cmd, 2)
}

// run runs the commands that answer at once (a clock reading, a jump); a
// command that waits on a channel is never among them here (no hub).
func (c *console) run(cmd tea.Cmd, depth int) {
	if cmd == nil || depth == 0 {
		return
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, cm := range msg {
			c.run(cm, depth)
		}
	default:
		m, next := c.m.Update(msg)
		c.m = m
		c.run(next, depth-1)
	}
}

// screen shows screen key and returns its lines.
func (c *console) screen(key string) []string {
	c.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(key)})
	return strings.Split(c.m.View(), "\n")
}

// TestCursorEqualsOnceAt walks the time cursor over the demo recording and
// checks, at each instant, every figure the panes show against `vigil
// replay --once --at` for that instant: latency and TTFT/ITL per service,
// error rates, GPU utilisation and temperature, host rows, the alert strip
// and the status line's cursor time. Before the recording's first sample
// every figure reads n/a.
func TestCursorEqualsOnceAt(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	rec := filepath.Join("..", "..", "testdata", "demo-incident.vrec")
	r, err := replay.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	from, to := r.Span()
	st := sources.NewStore(sources.StoreOptions{})
	r.Frames(from, to.Add(time.Second), func(f sources.Frame) bool {
		if f.Source != "vigil" {
			st.Ingest(f)
		}
		return true
	})
	once := func(at time.Time) onceAt {
		t.Helper()
		code, out, errOut := runCLI(t, "replay", rec, "--once", "--output", "json", "--at", at.Format(time.RFC3339Nano))
		if at.Before(from) {
			// The recording holds nothing then: --once says so and
			// exits 2; every figure must read n/a.
			if code != 2 || !strings.Contains(errOut, "outside the recording") {
				t.Fatalf("replay --once --at %v, before the recording: exit %d: %s", at, code, errOut)
			}
			return onceAt{}
		}
		if code != 0 && code != 3 {
			t.Fatalf("replay --once --at %v: exit %d: %s", at, code, errOut)
		}
		var o onceAt
		if err := json.Unmarshal([]byte(out), &o); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return o
	}
	win, err := time.ParseDuration(once(to).RateWindow)
	if err != nil {
		t.Fatal(err)
	}
	c := &console{t: t, m: tui.New(tui.Options{Store: st, Clock: sources.NewManualClock(to), View: view.Options{RateWindow: win}, Zoom: 2 * time.Minute})}
	c.send(tea.WindowSizeMsg{Width: 200, Height: 50})
	c.run(c.m.Init(), 2)

	instants := []time.Time{from.Add(-10 * time.Second)}
	for at := from.Add(3 * time.Second); at.Before(to); at = at.Add(7 * time.Second) {
		instants = append(instants, at)
	}
	for _, at := range instants {
		o := once(at)
		c.send(pane.CursorMsg{At: at})
		name := at.UTC().Format("15:04:05")
		t.Run(name, func(t *testing.T) {
			checkLatency(t, c.screen("3"), st, o)
			checkErrors(t, c.screen("4"), st, o)
			gpus := c.screen("2")
			checkGPUs(t, gpus, st, o)
			checkHosts(t, gpus, o)
			checkStrip(t, gpus, o)
			if status := gpus[len(gpus)-1]; !strings.Contains(status, "┃"+name) {
				t.Errorf("status line lacks the cursor ┃%s: %q", name, status)
			}
		})
	}
}

// figRe matches a labelled figure as the panes print it: the label, the
// padding, the value.
func figRe(label, value string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(label) + ` +` + regexp.QuoteMeta(value) + `(\s|$|/)`)
}

func orNA(n view.Num, f func(float64) string) string {
	if !n.OK {
		return styles.NA
	}
	return f(n.V)
}

// lineOf is the first line holding every part, or "".
func lineOf(lines []string, parts ...string) string {
	for _, l := range lines {
		ok := true
		for _, p := range parts {
			if !strings.Contains(l, p) {
				ok = false
				break
			}
		}
		if ok {
			return l
		}
	}
	return ""
}

// services are the console's rows: every service the store knows, with the
// figures --once gave at the instant, or none (n/a) where it knew none.
func services(st *sources.Store, o onceAt) []view.Service {
	byKey := map[string]view.Service{}
	for _, s := range o.Services {
		byKey[s.Key()] = s
	}
	var out []view.Service
	for _, s := range view.Services(st, time.Time{}, view.Options{}) {
		if got, ok := byKey[s.Key()]; ok {
			out = append(out, got)
		} else {
			out = append(out, view.Service{Host: s.Host, Name: s.Name, Stack: s.Stack, Operation: s.Operation})
		}
	}
	return out
}

func checkLatency(t *testing.T, lines []string, st *sources.Store, o onceAt) {
	t.Helper()
	for _, s := range services(st, o) {
		row := lineOf(lines, s.Name, "p50")
		if row == "" {
			t.Errorf("latency: no row for %s", s.Name)
			continue
		}
		for _, f := range []struct {
			label string
			n     view.Num
		}{{"p50", s.Latency.P50}, {"p95", s.Latency.P95}, {"p99", s.Latency.P99}} {
			if want := orNA(f.n, styles.Seconds); !figRe(f.label, want).MatchString(row) {
				t.Errorf("latency %s %s: want %s in %q", s.Name, f.label, want, row)
			}
		}
		if s.Throughput.OK && !strings.Contains(row, styles.SI(s.Throughput.V)+"/s") {
			t.Errorf("latency %s req/s: want %s/s in %q", s.Name, styles.SI(s.Throughput.V), row)
		}
		if s.QueueDepth.OK && !figRe("queue", styles.Count(s.QueueDepth.V)).MatchString(row) {
			t.Errorf("latency %s queue: want %s in %q", s.Name, styles.Count(s.QueueDepth.V), row)
		}
		if s.Name != "llama-3.1-8b" {
			continue
		}
		// The LLM line: TTFT and ITL quantiles, token rates, KV cache.
		llm := lineOf(lines, "ttft p50")
		pair := func(label string, q view.Quantiles) *regexp.Regexp {
			return regexp.MustCompile(regexp.QuoteMeta(label) + ` +` + regexp.QuoteMeta(orNA(q.P50, styles.Seconds)) +
				` +p99 +` + regexp.QuoteMeta(orNA(q.P99, styles.Seconds)) + `\s`)
		}
		for _, re := range []*regexp.Regexp{pair("ttft p50", s.TTFT), pair("itl p50", s.ITL),
			figRe("tok/s in", orNA(s.PromptTPS, styles.SI)), figRe("out", orNA(s.GenTPS, styles.SI)), figRe("kv", orNA(s.KVCache, styles.Percent))} {
			if !re.MatchString(llm) {
				t.Errorf("latency %s: %s does not match %q", s.Name, re, llm)
			}
		}
	}
}

func checkErrors(t *testing.T, lines []string, st *sources.Store, o onceAt) {
	t.Helper()
	for _, s := range services(st, o) {
		row := lineOf(lines, s.Name, "error rate")
		if row == "" {
			continue // a service without request counters
		}
		if want := orNA(s.ErrorRate, styles.Percent); !figRe("error rate", want).MatchString(row) {
			t.Errorf("errors %s: want %s in %q", s.Name, want, row)
		}
	}
}

func checkGPUs(t *testing.T, lines []string, st *sources.Store, o onceAt) {
	t.Helper()
	byIdx := map[string]view.GPU{}
	for _, g := range o.GPUs {
		byIdx[g.Index] = g
	}
	for _, g := range view.GPUs(st, st.Newest()) {
		row := ""
		re := regexp.MustCompile(`^[│┃][▶ ] +` + regexp.QuoteMeta(g.Index) + ` `)
		for _, l := range lines {
			if re.MatchString(l) {
				row = l
				break
			}
		}
		if row == "" {
			t.Errorf("gpu %s: no row", g.Index)
			continue
		}
		at := byIdx[g.Index]
		util := orNA(at.Util, func(v float64) string { return strconv.Itoa(int(math.Round(v*100))) + "%" })
		temp := orNA(at.Temp, func(v float64) string { return strconv.Itoa(int(math.Round(v))) + "°C" })
		if !strings.Contains(row, " "+util+" ") || !strings.Contains(row, " "+temp+" ") {
			t.Errorf("gpu %s: want util %s and temp %s in %q", g.Index, util, temp, row)
		}
	}
}

func checkHosts(t *testing.T, lines []string, o onceAt) {
	t.Helper()
	for _, h := range o.Hosts {
		row := lineOf(lines, h.Host, "cpu")
		if row == "" {
			t.Errorf("hosts: no row for %s", h.Host)
			continue
		}
		if want := orNA(h.CPUBusy, styles.Percent); !figRe("cpu", want).MatchString(row) {
			t.Errorf("host %s cpu: want %s in %q", h.Host, want, row)
		}
		if want := orNA(h.MemUsedRatio, styles.Percent); !figRe("mem", want).MatchString(row) {
			t.Errorf("host %s mem: want %s in %q", h.Host, want, row)
		}
	}
}

func checkStrip(t *testing.T, lines []string, o onceAt) {
	t.Helper()
	firing := 0
	for _, a := range o.Alerts {
		if a.State == "firing" {
			firing++
		}
	}
	strip := lineOf(lines, "▲ ")
	switch {
	case firing == 0 && strip != "":
		t.Errorf("alert strip with nothing firing: %q", strip)
	case firing > 0 && !strings.HasPrefix(strings.TrimSpace(strip), fmt.Sprintf("▲ %d firing", firing)):
		t.Errorf("alert strip: want %d firing, got %q", firing, strip)
	}
}
