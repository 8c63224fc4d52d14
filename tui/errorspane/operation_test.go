package errorspane

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
)

// A GenAI model serving two operations is two rows, each with its own
// error ratio and naming its operation.
func TestRowsNameTheOperation(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := New()
	m.SetSize(100, 12)
	m.Refresh(pane.Env{Store: sources.NewStore(sources.StoreOptions{}), Now: now, Zoom: time.Minute, Overview: view.Overview{Services: []view.Service{
		{Host: "h", Name: "gpt-4o", Stack: "otel-genai", Operation: "chat", ErrorRate: view.Some(0.0385), ErrorTarget: 0.01},
		{Host: "h", Name: "gpt-4o", Stack: "otel-genai", Operation: "embeddings", ErrorRate: view.Some(0.005), ErrorTarget: 0.01},
	}}})
	v := m.View()
	for _, want := range []string{"gpt-4o · chat", "gpt-4o · embeddings", "3.9%", "0.50%"} {
		if !strings.Contains(v, want) {
			t.Fatalf("no %q:\n%s", want, v)
		}
	}
	if err := m.SetFilter("embeddings"); err != nil {
		t.Fatal(err)
	}
	if v := m.View(); !strings.Contains(v, "gpt-4o · embeddings") || strings.Contains(v, "gpt-4o · chat") {
		t.Fatalf("a filter on the operation:\n%s", v)
	}
}
