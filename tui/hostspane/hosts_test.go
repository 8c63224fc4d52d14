package hostspane

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
)

var t0 = time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)

// store holds two hosts' CPU and memory over 5 minutes; "b" stops at
// minute 3.
func store() *sources.Store {
	st := sources.NewStore(sources.StoreOptions{})
	var idle, user [2]float64
	for s := 0; s <= 300; s += 5 {
		at := t0.Add(time.Duration(s-300) * time.Second)
		f := sources.Frame{At: at}
		for i, h := range []string{"a", "b"} {
			if h == "b" && s > 180 {
				continue
			}
			busy := 0.25 * float64(i+1)
			idle[i] += 5 * (1 - busy)
			user[i] += 5 * busy
			p := func(name string, kind sources.Kind, v float64, kv ...string) {
				f.Points = append(f.Points, sources.Point{Series: sources.NewSeries(name, kind, append([]string{sources.LabelHost, h}, kv...)...), At: at, Value: v})
			}
			p(sources.HostCPUSeconds, sources.Counter, idle[i], "cpu", "0", "mode", "idle")
			p(sources.HostCPUSeconds, sources.Counter, user[i], "cpu", "0", "mode", "user")
			p(sources.HostMemTotal, sources.Gauge, 100)
			p(sources.HostMemAvailable, sources.Gauge, 40)
			p(sources.HostLoad1, sources.Gauge, 1.5)
		}
		st.Ingest(f)
	}
	return st
}

func env(st *sources.Store, cursor time.Time) pane.Env {
	return pane.NewEnv(st, t0, 5*time.Minute, cursor, "LIVE", view.Options{})
}

func TestRowsFitAndNameTheirHost(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m := New()
	m.Refresh(env(store(), time.Time{}))
	for _, w := range []int{30, 40, 78, 118, 198} {
		m.SetSize(w, 2)
		lines := strings.Split(m.View(), "\n")
		for i, l := range lines {
			if lipgloss.Width(l) != w {
				t.Errorf("%d wide: line %d is %d: %q", w, i, lipgloss.Width(l), l)
			}
		}
		if !strings.Contains(lines[0], "a ") || !strings.Contains(lines[1], "b ") {
			t.Errorf("%d wide: rows do not name their hosts:\n%s", w, m.View())
		}
		if !strings.Contains(lines[0], "cpu  25%") || !strings.Contains(lines[0], "mem  60%") {
			t.Errorf("%d wide: %q", w, lines[0])
		}
	}
	// b stopped reporting two minutes ago: past the lookback? Not yet
	// (5 m), so its figures stand; after it, n/a (view.Hosts' lookback).
	m.SetSize(118, 2)
	if !strings.Contains(m.View(), "cpu  n/a") {
		t.Errorf("b's CPU busy over the last minute is n/a (no samples):\n%s", m.View())
	}
}

func TestKeysFilterJump(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m := New()
	m.SetSize(118, 20)
	m.Refresh(env(store(), time.Time{}))
	m.Focus()
	if j, ok := m.Selection(); !ok || j.Host != "a" {
		t.Fatalf("selection %+v", j)
	}
	m.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")})
	if j, _ := m.Selection(); j.Host != "b" {
		t.Fatalf("j: %+v", j)
	}
	if used, _ := m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter}); !used || m.Title() != "Host b" {
		t.Fatalf("enter: %q", m.Title())
	}
	if !m.Escape() || m.Title() != "Hosts" {
		t.Fatal("esc did not leave the detail")
	}
	if err := m.SetFilter("^a$"); err != nil || strings.Contains(m.View(), "› b") || strings.Contains(m.View(), "▸ b") {
		t.Fatalf("filter: %v\n%s", err, m.View())
	}
	m.SetFilter("")
	if cmd := m.Jump(pane.JumpMsg{Host: "b"}); cmd != nil || m.Title() != "Host b" {
		t.Fatalf("jump: %q", m.Title())
	}
	if cmd := m.Jump(pane.JumpMsg{Host: "zz"}); cmd == nil {
		t.Fatal("a jump to no host says nothing")
	}
}

// TestCursorFigures: with the cursor on, the rows read the figures of its
// instant (env.Hosts) and the sparklines mark its column.
func TestCursorFigures(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	st := store()
	m := New()
	m.SetSize(198, 2)
	m.Refresh(env(st, t0.Add(-10*time.Minute)))
	if v := m.View(); !strings.Contains(v, "cpu  n/a") || !strings.Contains(v, "mem  n/a") {
		t.Fatalf("before the data: %s", v)
	}
	m.Refresh(env(st, t0.Add(-150*time.Second)))
	if v := m.View(); !strings.Contains(v, "cpu  50%") || !strings.Contains(v, "┃") {
		t.Fatalf("b at the cursor, with its mark:\n%s", v)
	}
}
