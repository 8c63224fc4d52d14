package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// notice is a slot with no pane behind it yet: it says what would fill it.
type notice struct {
	title string
	lines []string
	w, h  int
}

func (n *notice) Title() string                        { return n.title }
func (n *notice) SetSize(w, h int)                     { n.w, n.h = w, h }
func (n *notice) Refresh(pane.Env)                     {}
func (n *notice) Keys() []key.Binding                  { return nil }
func (n *notice) HandleKey(tea.KeyMsg) (bool, tea.Cmd) { return false, nil }

func (n *notice) View() string {
	if n.w <= 0 || n.h <= 0 {
		return ""
	}
	var out []string
	for _, l := range n.lines {
		out = append(out, styles.PDim.Paint(styles.Trunc(l, n.w)))
	}
	return strings.Join(out, "\n")
}

func logsNotice() *notice {
	return &notice{title: "Logs", lines: []string{
		"no log source.",
		"",
		"feed this screen with:",
		"  --log PATH       tail a file (JSON or logfmt lines)",
		"  --log-cmd CMD    read a command's output",
	}}
}

func tracesNotice() *notice {
	return &notice{title: "Traces", lines: []string{
		"no trace source.",
		"",
		"feed this screen with:",
		"  --otlp-listen ADDR   receive OTLP/HTTP spans (127.0.0.1:4318)",
		"  --jaeger URL         query a Jaeger backend",
		"  --tempo URL          query a Tempo backend",
	}}
}

func driftNotice() *notice {
	return &notice{title: "Drift", lines: []string{
		"no drift features configured.",
		"",
		"drift rows compare a model's inputs or outputs with a reference:",
		"name the fields (in JSON or logfmt log lines) or histograms under",
		"drift: in the config file ($XDG_CONFIG_HOME/vigil/config.yaml):",
		"  drift:",
		"    - {name: price, field: features.price}",
		"    - {name: category, field: features.category, categorical: true}",
	}}
}
