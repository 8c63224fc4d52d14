// Package keys is the console's global key map: named actions bound to one or
// more keys, with defaults from KEYS.md and overrides from the user's config.
// A user's binding for an action replaces the default keys of that action and
// takes its keys away from any other action, so a user's binding always wins.
package keys

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Action names, as written in the config's keys: section.
const (
	Help        = "help"
	Palette     = "palette"
	Filter      = "filter"
	NextMatch   = "next_match"
	PrevMatch   = "prev_match"
	Back        = "back" // Esc
	Quit        = "quit" // q: back, quits at the top
	ForceQuit   = "force_quit"
	Screen1     = "screen_overview"
	Screen2     = "screen_gpus"
	Screen3     = "screen_latency"
	Screen4     = "screen_errors"
	Screen5     = "screen_drift"
	Screen6     = "screen_logs"
	Screen7     = "screen_traces"
	Screen8     = "screen_8" // extra screens: alerts, data science, executive
	Screen9     = "screen_9"
	Screen10    = "screen_10"
	ScreenFleet = "screen_fleet" // every host as a heat grid (F); the screen a multi-host console opens on
	NextPane    = "next_pane"
	PrevPane    = "prev_pane"
	FocusLeft   = "focus_left"
	FocusRight  = "focus_right"
	FocusUp     = "focus_up"
	FocusDown   = "focus_down"
	Maximise    = "maximise"
	Pause       = "pause"
	ZoomIn      = "zoom_in"
	ZoomOut     = "zoom_out"
	PanBack     = "pan_back"
	PanForward  = "pan_forward"
	Cursor      = "cursor"
	CursorLeft  = "cursor_left"
	CursorRight = "cursor_right"
	Open        = "open" // Enter: drill down, or "around this moment" with the cursor on
	Refresh     = "refresh"
	JumpLogs    = "jump_logs"
	JumpTraces  = "jump_traces"
	JumpMetrics = "jump_metrics"
	Snapshot    = "snapshot"
	Marker      = "marker"
	Sources     = "sources"
	Copy        = "copy"
)

type def struct {
	action string
	keys   []string
	help   string
	desc   string
}

// defaults in help order.
var defaults = []def{
	{Help, []string{"?", "f1"}, "?", "help"},
	{Palette, []string{":"}, ":", "command palette"},
	{Filter, []string{"/"}, "/", "filter (regex, ! inverts)"},
	{NextMatch, []string{"n"}, "n", "next match"},
	{PrevMatch, []string{"N"}, "N", "previous match"},
	{Back, []string{"esc"}, "esc", "back one step"},
	{Quit, []string{"q"}, "q", "back / quit"},
	{ForceQuit, []string{"ctrl+c"}, "ctrl+c", "quit now"},
	{Screen1, []string{"1"}, "1", "overview"},
	{Screen2, []string{"2"}, "2", "GPUs"},
	{Screen3, []string{"3"}, "3", "latency"},
	{Screen4, []string{"4"}, "4", "errors"},
	{Screen5, []string{"5"}, "5", "drift"},
	{Screen6, []string{"6"}, "6", "logs"},
	{Screen7, []string{"7"}, "7", "traces"},
	{Screen8, []string{"8"}, "8", "alerts"},
	{Screen9, []string{"9"}, "9", "data science"},
	{Screen10, []string{"0"}, "0", "executive"},
	{ScreenFleet, []string{"F"}, "F", "fleet: every host, worst first"},
	{NextPane, []string{"tab"}, "tab", "next pane"},
	{PrevPane, []string{"shift+tab"}, "S-tab", "previous pane"},
	{FocusLeft, []string{"shift+left"}, "S-←", "focus left"},
	{FocusRight, []string{"shift+right"}, "S-→", "focus right"},
	{FocusUp, []string{"shift+up"}, "S-↑", "focus up"},
	{FocusDown, []string{"shift+down"}, "S-↓", "focus down"},
	{Maximise, []string{"f"}, "f", "maximise / restore"},
	{Pause, []string{"p"}, "p", "pause / resume"},
	{ZoomIn, []string{"+", "="}, "+", "zoom in"},
	{ZoomOut, []string{"-"}, "-", "zoom out"},
	{PanBack, []string{"["}, "[", "pan back (pauses)"},
	{PanForward, []string{"]"}, "]", "pan forward"},
	{Cursor, []string{"i"}, "i", "time cursor on/off"},
	{CursorLeft, []string{"left"}, "←", "cursor back"},
	{CursorRight, []string{"right"}, "→", "cursor forward"},
	{Open, []string{"enter"}, "enter", "open / around the cursor"},
	{Refresh, []string{"ctrl+r"}, "ctrl+r", "poll every source now"},
	{JumpLogs, []string{"L"}, "L", "logs of the selection"},
	{JumpTraces, []string{"X"}, "X", "traces of the selection"},
	{JumpMetrics, []string{"M"}, "M", "metrics of the selection"},
	{Snapshot, []string{"ctrl+s"}, "ctrl+s", "save a snapshot recording"},
	{Marker, []string{"m"}, "m", "drop a marker with a note in the recording"},
	{Sources, []string{"S"}, "S", "sources: health, poll times, sizes, errors; vigil's overhead"},
	{Copy, []string{"y"}, "y", "copy the selected ID (OSC 52)"},
}

// Map is an effective key map: action → binding.
type Map struct {
	order    []string
	bindings map[string]key.Binding
}

// Default returns the default key map.
func Default() Map {
	m := Map{bindings: make(map[string]key.Binding, len(defaults))}
	for _, d := range defaults {
		m.order = append(m.order, d.action)
		m.bindings[d.action] = key.NewBinding(key.WithKeys(d.keys...), key.WithHelp(d.help, d.desc))
	}
	return m
}

// Actions lists every action name in help order.
func Actions() []string {
	out := make([]string, len(defaults))
	for i, d := range defaults {
		out[i] = d.action
	}
	return out
}

// New returns the default map with the user's bindings applied (action →
// keys, as in bubbletea's key names: "ctrl+r", "shift+tab", "f1"). An unknown
// action or an empty key list is an error; the map is still usable (the bad
// entries are skipped). A key the user binds is removed from every other
// action, so the user's binding wins over any default. Actions are applied in
// sorted order so the result never depends on map iteration.
func New(user map[string][]string) (Map, error) {
	m := Default()
	names := make([]string, 0, len(user))
	for a := range user {
		names = append(names, a)
	}
	sort.Strings(names)
	var bad []string
	taken := map[string]string{}
	for _, a := range names {
		ks := clean(user[a])
		if _, ok := m.bindings[a]; !ok {
			bad = append(bad, fmt.Sprintf("unknown action %q", a))
			continue
		}
		if len(ks) == 0 {
			bad = append(bad, fmt.Sprintf("action %q: no keys", a))
			continue
		}
		for _, k := range ks {
			if prev, ok := taken[k]; ok && prev != a {
				bad = append(bad, fmt.Sprintf("key %q bound to both %q and %q", k, prev, a))
			}
			taken[k] = a
		}
	}
	// Strip user keys from the other actions' defaults, then set the user's.
	for _, a := range m.order {
		if _, mine := user[a]; mine && len(clean(user[a])) > 0 {
			continue
		}
		b := m.bindings[a]
		var keep []string
		for _, k := range b.Keys() {
			if _, t := taken[k]; !t {
				keep = append(keep, k)
			}
		}
		h := b.Help()
		if len(keep) == 0 {
			m.bindings[a] = key.NewBinding(key.WithDisabled(), key.WithHelp("", h.Desc))
			continue
		}
		m.bindings[a] = key.NewBinding(key.WithKeys(keep...), key.WithHelp(Label(keep), h.Desc))
	}
	for _, a := range names {
		ks := clean(user[a])
		if _, ok := m.bindings[a]; !ok || len(ks) == 0 {
			continue
		}
		var mine []string
		for _, k := range ks {
			if taken[k] == a {
				mine = append(mine, k)
			}
		}
		m.bindings[a] = key.NewBinding(key.WithKeys(mine...), key.WithHelp(Label(mine), m.bindings[a].Help().Desc))
	}
	if len(bad) > 0 {
		return m, fmt.Errorf("keys: %s", strings.Join(bad, "; "))
	}
	return m, nil
}

func clean(ks []string) []string {
	var out []string
	for _, k := range ks {
		k = strings.TrimSpace(k)
		if k == "space" {
			k = " "
		}
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// Label is how a key list reads in help: "+/=", "S-tab".
func Label(ks []string) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = short(k)
	}
	return strings.Join(out, "/")
}

func short(k string) string {
	switch k {
	case " ":
		return "space"
	case "left":
		return "←"
	case "right":
		return "→"
	case "up":
		return "↑"
	case "down":
		return "↓"
	}
	if rest, ok := strings.CutPrefix(k, "shift+"); ok {
		return "S-" + short(rest)
	}
	return k
}

// Binding returns the binding of an action (disabled when unknown).
func (m Map) Binding(action string) key.Binding {
	b, ok := m.bindings[action]
	if !ok {
		return key.NewBinding(key.WithDisabled())
	}
	return b
}

// Is reports whether msg is one of the action's keys.
func (m Map) Is(msg tea.KeyMsg, action string) bool {
	b, ok := m.bindings[action]
	return ok && key.Matches(msg, b)
}

// Action returns the action bound to msg, or "".
func (m Map) Action(msg tea.KeyMsg) string {
	for _, a := range m.order {
		if key.Matches(msg, m.bindings[a]) {
			return a
		}
	}
	return ""
}

// Entry is one line of the help: keys, description and action name.
type Entry struct {
	Action string
	Keys   string
	Desc   string
}

// Entries lists the effective bindings in help order, skipping unbound actions.
func (m Map) Entries() []Entry {
	out := make([]Entry, 0, len(m.order))
	for _, a := range m.order {
		b := m.bindings[a]
		if !b.Enabled() {
			continue
		}
		h := b.Help()
		out = append(out, Entry{Action: a, Keys: h.Key, Desc: h.Desc})
	}
	return out
}
