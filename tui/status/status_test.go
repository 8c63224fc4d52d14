package status

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/vigil-dev/vigil/sources/view"
)

func TestHealth(t *testing.T) {
	hs := []view.SourceHealth{
		{Source: "a", State: "ok"}, {Source: "b", State: "ok"},
		{Source: "logs", State: "stale", AgeSeconds: view.Some(42.4)},
		{Source: "prom", State: "error", Error: "refused"},
		{Source: "nvml", State: "disabled"},
	}
	got := Health(hs)
	for _, want := range []string{"2 ok", "logs stale 42s", "prom: refused", "nvml off"} {
		if !strings.Contains(got, want) {
			t.Errorf("Health = %q, missing %q", got, want)
		}
	}
	if got := Health(hs[:2]); got != "● a ● b" {
		t.Errorf("few sources are named: %q", got)
	}
	if Health(nil) != "no sources" {
		t.Errorf("no sources: %q", Health(nil))
	}
}

// TestHealthIdleIsUp: a receiver listening with nobody sending is up — it
// counts with the healthy sources and is neither stale nor an error.
func TestHealthIdleIsUp(t *testing.T) {
	hs := []view.SourceHealth{{Source: "scrape x", State: "ok"}, {Source: "otlp 127.0.0.1:4318", State: "idle", AgeSeconds: view.Some(3)}}
	if got := Health(hs); got != "● scrape x ● otlp 127.0.0.1:4318 idle" {
		t.Errorf("Health = %q", got)
	}
	hs = append(hs, view.SourceHealth{Source: "a", State: "ok"}, view.SourceHealth{Source: "b", State: "error", Error: "refused"})
	if got := Health(hs); !strings.HasPrefix(got, "● 3 ok ") || strings.Contains(got, "stale") || strings.Contains(got, "otlp") {
		t.Errorf("Health = %q: the idle receiver counts as up", got)
	}
}

func TestRenderWidthAndMessage(t *testing.T) {
	b := Bar{Mode: "PAUSED", At: time.Date(2026, 1, 1, 14, 2, 3, 0, time.UTC), Zoom: time.Hour,
		Hints: []key.Binding{key.NewBinding(key.WithKeys("j"), key.WithHelp("j/k", "move"))}}
	for _, w := range []int{1, 10, 40, 80, 200} {
		if got := lipgloss.Width(Render(w, b)); got != w {
			t.Errorf("width %d: rendered %d", w, got)
		}
	}
	v := Render(120, b)
	if !strings.Contains(v, "PAUSED") || !strings.Contains(v, "1h") || !strings.Contains(v, "@14:02:03") || !strings.Contains(v, "j/k move") {
		t.Errorf("bar: %q", v)
	}
	b.Message = "filter \"(\": missing )"
	b.Error = true
	if v := Render(120, b); !strings.Contains(v, "missing )") || strings.Contains(v, "j/k move") {
		t.Errorf("message should replace hints: %q", v)
	}
	if Window(90*time.Second) != "1m30s" || Window(24*time.Hour) != "24h" {
		t.Errorf("Window: %q %q", Window(90*time.Second), Window(24*time.Hour))
	}
}

// TestSourcesInTheRoomLeft: the sources read with their errors where the
// bar has room, the failing ones named without detail where it has less,
// and counted where it has little.
func TestSourcesInTheRoomLeft(t *testing.T) {
	hs := []view.SourceHealth{{Source: "nvml", State: "ok"}, {Source: "scrape a:1", State: "ok"},
		{Source: "otlp 127.0.0.1:4318", State: "error", Error: "listen tcp 127.0.0.1:4318: bind: address already in use"}}
	for w, want := range map[int]string{200: "4318: listen tcp", 120: "✖ otlp 127.0.0.1:4318", 60: "✖ 1 error"} {
		if got := Render(w, Bar{Mode: "LIVE", Zoom: 15 * time.Minute, Sources: hs}); !strings.Contains(got, want) {
			t.Errorf("%d wide: %q lacks %q", w, got, want)
		}
	}
}

// TestHealthWarnings: a source up whose last answer was partial or
// narrowed says so with its first warning, named or counted.
func TestHealthWarnings(t *testing.T) {
	hs := []view.SourceHealth{{Source: "nvml", State: "ok"},
		{Source: "prom vm:8428", State: "ok", Warnings: []string{"gpu: refused by the engine for size, split into 4 parts by instance"}}}
	if got := Health(hs); !strings.Contains(got, "▲ prom vm:8428: gpu: refused by the engine") || !strings.Contains(got, "● nvml") {
		t.Errorf("Health = %q", got)
	}
	if got := Names(hs); !strings.Contains(got, "● 2 ok") || !strings.Contains(got, "▲ prom vm:8428") {
		t.Errorf("Names = %q", got)
	}
	if got := Counts(hs); got != "● 2 ok ▲ 1 partial" {
		t.Errorf("Counts = %q", got)
	}
	hs[1].Warnings = nil
	if got := Health(hs); strings.Contains(got, "▲") {
		t.Errorf("no warnings: %q", got)
	}
}
