package latencypane

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
)

// A GenAI model serving two operations is two rows, each naming its
// operation; the detail's title names it too.
func TestRowsNameTheOperation(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	q := view.Quantiles{P50: view.Some(0.5), P95: view.Some(1), P99: view.Some(2), Count: view.Some(10), Basis: view.BasisWindow}
	m := New()
	m.SetSize(100, 12)
	m.Refresh(pane.Env{Store: sources.NewStore(sources.StoreOptions{}), Now: now, Zoom: time.Minute, Overview: view.Overview{Services: []view.Service{
		{Host: "h", Name: "gpt-4o", Stack: "otel-genai", Operation: "chat", Latency: q},
		{Host: "h", Name: "gpt-4o", Stack: "otel-genai", Operation: "embeddings", Latency: q},
	}}})
	v := m.View()
	if !strings.Contains(v, "gpt-4o · chat") || !strings.Contains(v, "gpt-4o · embeddings") {
		t.Fatalf("rows do not name their operation:\n%s", v)
	}
	m.HandleKey(tea.KeyMsg{Type: tea.KeyDown})
	if used, _ := m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter}); !used || m.Title() != "Latency › gpt-4o · embeddings" {
		t.Fatalf("detail title %q", m.Title())
	}
}
