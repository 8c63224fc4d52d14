package svclist

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
)

func svcs(names ...string) []view.Service {
	out := make([]view.Service, len(names))
	for i, n := range names {
		out[i] = view.Service{Host: "h", Name: n, Stack: "vllm"}
	}
	return out
}

func byName(a, b *view.Service) bool     { return a.Name < b.Name }
func byNameDesc(a, b *view.Service) bool { return a.Name > b.Name }

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func names(l *List) string {
	var b []string
	for _, s := range l.Items() {
		b = append(b, s.Name)
	}
	return strings.Join(b, ",")
}

// TestList drives a list through a few steps and checks the rows, the
// selected service, the hidden count and the open detail after each.
func TestList(t *testing.T) {
	all := svcs("c", "a", "d", "b")
	type step struct {
		do   func(l *List) // then Select
		less func(a, b *view.Service) bool
		topK int

		rows, sel, detail string
		hidden            int // filtered out or beyond topK; a detail's narrowing is not counted
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"selection kept by key across re-sorting", []step{
			{do: func(l *List) {}, less: byName, rows: "a,b,c,d", sel: "a"},
			{do: func(l *List) { l.HandleKey(keyMsg("j"), DefaultKeyMap()); l.HandleKey(keyMsg("j"), DefaultKeyMap()) }, less: byName, rows: "a,b,c,d", sel: "c"},
			{do: func(l *List) {}, less: byNameDesc, rows: "d,c,b,a", sel: "c"},
			{do: func(l *List) {}, less: nil, rows: "c,a,d,b", sel: "c"},
		}},
		{"clamped at both ends and after the list shrinks", []step{
			{do: func(l *List) { l.HandleKey(keyMsg("k"), DefaultKeyMap()) }, less: byName, rows: "a,b,c,d", sel: "a"},
			{do: func(l *List) { l.HandleKey(keyMsg("G"), DefaultKeyMap()); l.HandleKey(keyMsg("j"), DefaultKeyMap()) }, less: byName, rows: "a,b,c,d", sel: "d"},
			{do: func(l *List) {}, less: byName, topK: 2, rows: "a,b", sel: "b", hidden: 2},
			{do: func(l *List) { l.HandleKey(keyMsg("g"), DefaultKeyMap()) }, less: byName, topK: 2, rows: "a,b", sel: "a", hidden: 2},
		}},
		{"open and escape the detail", []step{
			{do: func(l *List) { l.HandleKey(keyMsg("j"), DefaultKeyMap()) }, less: byName, rows: "a,b,c,d", sel: "b"},
			{do: func(l *List) {
				if !l.HandleKey(keyMsg("enter"), DefaultKeyMap()) {
					t.Error("enter on a list was declined")
				}
			}, less: byName, rows: "b", sel: "b", detail: "b"},
			{do: func(l *List) {
				if l.HandleKey(keyMsg("enter"), DefaultKeyMap()) {
					t.Error("enter in a detail was taken")
				}
			}, less: byName, rows: "b", sel: "b", detail: "b"},
			{do: func(l *List) {
				if !l.Escape() {
					t.Error("Escape with a detail open reported false")
				}
				if l.Escape() {
					t.Error("second Escape reported true")
				}
			}, less: byName, rows: "a,b,c,d", sel: "b"},
		}},
		{"NextMatch wraps both ways", []step{
			{do: func(l *List) {}, less: byName, rows: "a,b,c,d", sel: "a"},
			{do: func(l *List) { l.NextMatch(true) }, less: byName, rows: "a,b,c,d", sel: "d"},
			{do: func(l *List) { l.NextMatch(false) }, less: byName, rows: "a,b,c,d", sel: "a"},
		}},
		{"a filter that hides the detail's service closes it", []step{
			{do: func(l *List) {
				if !l.Jump(pane.JumpMsg{Service: "c"}, all) {
					t.Error("Jump to a known service failed")
				}
			}, less: byName, rows: "c", sel: "c", detail: "c"},
			{do: func(l *List) {
				if err := l.SetFilter("^[ab] "); err != nil {
					t.Fatal(err)
				}
			}, less: byName, rows: "a,b", sel: "a", hidden: 2},
		}},
		{"Jump clears a filter that would hide its service", []step{
			{do: func(l *List) {
				if err := l.SetFilter("!^d "); err != nil {
					t.Fatal(err)
				}
			}, less: byName, rows: "a,b,c", sel: "a", hidden: 1},
			{do: func(l *List) {
				if l.Jump(pane.JumpMsg{Service: "zz"}, all) || l.Jump(pane.JumpMsg{Service: "d", Host: "other"}, all) {
					t.Error("Jump to an unknown service reported true")
				}
				if !l.Jump(pane.JumpMsg{Service: "d", Host: "h"}, all) {
					t.Error("Jump to d failed")
				}
				if l.Filter() != "" {
					t.Errorf("filter after Jump = %q, want cleared", l.Filter())
				}
			}, less: byName, rows: "d", sel: "d", detail: "d"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l List
			for i, st := range c.steps {
				l.Select(all, st.topK, st.less) // the rows the step's keys act on
				st.do(&l)
				l.Select(all, st.topK, st.less)
				if got := names(&l); got != st.rows {
					t.Errorf("step %d: rows %q, want %q", i, got, st.rows)
				}
				j, ok := l.Selection()
				if !ok || j.Service != st.sel || j.Host != "h" {
					t.Errorf("step %d: selection %+v %v, want %q", i, j, ok, st.sel)
				}
				if got := l.Items()[l.Selected()].Name; got != st.sel {
					t.Errorf("step %d: Selected() names %q, want %q", i, got, st.sel)
				}
				d, open := l.Detail()
				if open != (st.detail != "") || d.Name != st.detail {
					t.Errorf("step %d: detail %q (%v), want %q", i, d.Name, open, st.detail)
				}
				if l.Hidden() != st.hidden {
					t.Errorf("step %d: hidden %d, want %d", i, l.Hidden(), st.hidden)
				}
			}
		})
	}
}

func TestEmptyAndBadFilter(t *testing.T) {
	var l List
	l.Select(nil, 10, byName)
	if _, ok := l.Selection(); ok {
		t.Error("Selection on an empty list reported ok")
	}
	l.NextMatch(false) // no panic on an empty list
	if l.HandleKey(keyMsg("enter"), DefaultKeyMap()) {
		t.Error("enter on an empty list was taken")
	}
	if l.HandleKey(keyMsg("x"), DefaultKeyMap()) {
		t.Error("an unbound key was taken")
	}
	if err := l.SetFilter("a"); err != nil {
		t.Fatal(err)
	}
	if err := l.SetFilter("("); err == nil {
		t.Error("SetFilter accepted an invalid expression")
	}
	if l.Filter() != "a" {
		t.Errorf("filter after a failed SetFilter = %q, want it unchanged", l.Filter())
	}
}

func TestNameKeepsTheOperation(t *testing.T) {
	s := view.Service{Name: "text-embedding-3-small", Operation: "embeddings"}
	for _, c := range []struct {
		w    int
		want string
	}{
		{40, "text-embedding-3-small · embeddings     "},
		{24, "text-embed… · embeddings"},
		{10, "text-embe…"},
	} {
		if got := Name(s, false, c.w); got != c.want {
			t.Errorf("Name(%d) = %q, want %q", c.w, got, c.want)
		}
	}
	if got := Name(view.Service{Name: "recsys"}, false, 8); got != "recsys  " {
		t.Errorf("without an operation: %q", got)
	}
	if got := Name(view.Service{Name: "recsys-api", Host: "node-7"}, true, 14); got != "recsys…@node-7" {
		t.Errorf("several hosts: %q keeps the host", got)
	}
}
