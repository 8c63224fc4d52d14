package tracespane

import (
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/traces"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// maxIndent bounds the tree's drawn depth so a pathological trace cannot
// make prefixes grow without bound; deeper spans draw at this depth.
const maxIndent = 16

// waterfall is one open trace.
type waterfall struct {
	traceID string
	local   bool // the spans came from the store (and are re-read as more arrive)
	// waitUntil: the trace was not in the store when opened; its spans may
	// still be on their way (exporters batch), so the store is read again
	// as data arrives until then.
	waitUntil time.Time
	loading   string // a fetch is under way
	err       string // the fetch failed or the trace is unknown

	spans  []sources.Span // sorted by start
	nodes  []node         // depth-first order
	vis    []int          // indices into nodes that are not inside a folded subtree
	folded map[string]bool
	sel    int    // index into vis
	selID  string // the selected span's id, kept across rebuilds
	top    int
	dtop   int // first attribute/event line shown of the selected span

	start, end time.Time
	errors     int
	logs       []sources.LogRecord
}

type node struct {
	span   int    // index into spans
	depth  int    // 0 for roots
	size   int    // descendants
	prefix string // tree connectors drawn before the fold mark
}

func newWaterfall(id string) *waterfall {
	return &waterfall{traceID: id, folded: map[string]bool{}}
}

// setSpans builds the tree: children sorted by start time under their
// parents; spans whose parent is missing become roots (the parent has not
// arrived, was dropped, or lives in another backend).
func (w *waterfall) setSpans(spans []sources.Span) {
	w.spans = append([]sources.Span(nil), spans...)
	traces.SortSpans(w.spans)
	w.err = ""
	w.errors = 0
	w.start, w.end = time.Time{}, time.Time{}
	idx := make(map[string]int, len(w.spans))
	for i, s := range w.spans {
		if _, dup := idx[s.SpanID]; !dup {
			idx[s.SpanID] = i
		}
		if w.start.IsZero() || s.Start.Before(w.start) {
			w.start = s.Start
		}
		if s.End.After(w.end) {
			w.end = s.End
		}
		if s.Status == sources.SpanError {
			w.errors++
		}
	}
	kids := make(map[int][]int, len(w.spans))
	var roots []int
	for i, s := range w.spans {
		p, ok := idx[s.ParentID]
		if s.ParentID == "" || !ok || p == i {
			roots = append(roots, i)
			continue
		}
		kids[p] = append(kids[p], i) // already in start order
	}
	w.nodes = w.nodes[:0]
	seen := make([]bool, len(w.spans))
	var walk func(i, depth int, prefix string, last bool)
	walk = func(i, depth int, prefix string, last bool) {
		seen[i] = true
		at := len(w.nodes)
		own := prefix
		if depth > 0 && depth <= maxIndent {
			if last {
				own += "└─"
			} else {
				own += "├─"
			}
		}
		w.nodes = append(w.nodes, node{span: i, depth: depth, prefix: own})
		next := prefix
		if depth > 0 && depth <= maxIndent {
			if last {
				next += "  "
			} else {
				next += "│ "
			}
		}
		ks := kids[i]
		live := ks[:0:0]
		for _, k := range ks {
			if !seen[k] {
				live = append(live, k)
			}
		}
		for n, k := range live {
			if !seen[k] {
				walk(k, depth+1, next, n == len(live)-1)
			}
		}
		w.nodes[at].size = len(w.nodes) - at - 1
	}
	for _, r := range roots {
		walk(r, 0, "", true)
	}
	// Spans caught in a parent cycle are reachable from no root: list them as roots.
	for i := range w.spans {
		if !seen[i] {
			walk(i, 0, "", true)
		}
	}
	w.relayout()
}

// relayout recomputes the visible rows and restores the selection.
func (w *waterfall) relayout() {
	w.vis = w.vis[:0]
	for i := 0; i < len(w.nodes); {
		w.vis = append(w.vis, i)
		if w.folded[w.spans[w.nodes[i].span].SpanID] {
			i += w.nodes[i].size + 1
		} else {
			i++
		}
	}
	w.sel = min(w.sel, max(0, len(w.vis)-1))
	if w.selID != "" {
		for vi, ni := range w.vis {
			if w.spans[w.nodes[ni].span].SpanID == w.selID {
				w.sel = vi
				break
			}
		}
	}
	if s := w.selected(); s != nil {
		if s.SpanID != w.selID {
			w.dtop = 0
		}
		w.selID = s.SpanID
	}
}

func (w *waterfall) selectedNode() *node {
	if w.sel < 0 || w.sel >= len(w.vis) {
		return nil
	}
	return &w.nodes[w.vis[w.sel]]
}

func (w *waterfall) selected() *sources.Span {
	n := w.selectedNode()
	if n == nil {
		return nil
	}
	return &w.spans[n.span]
}

// service is the root span's service.
func (w *waterfall) service() string {
	if len(w.nodes) == 0 {
		return ""
	}
	return w.spans[w.nodes[0].span].Service
}

func (w *waterfall) move(d int) {
	if len(w.vis) == 0 {
		return
	}
	w.sel = min(max(w.sel+d, 0), len(w.vis)-1)
	if id := w.selected().SpanID; id != w.selID {
		w.selID, w.dtop = id, 0
	}
}

func (w *waterfall) toggle() {
	n := w.selectedNode()
	if n == nil || n.size == 0 {
		return
	}
	id := w.spans[n.span].SpanID
	w.folded[id] = !w.folded[id]
	w.relayout()
}

// foldAll folds every span with children, or unfolds all when any is folded.
func (w *waterfall) foldAll() {
	any := false
	for _, v := range w.folded {
		any = any || v
	}
	w.folded = map[string]bool{}
	if !any {
		for _, n := range w.nodes {
			if n.size > 0 && n.depth > 0 {
				w.folded[w.spans[n.span].SpanID] = true
			}
		}
	}
	w.relayout()
}

// unfoldTo opens every folded ancestor of node ni so that it is visible.
func (w *waterfall) unfoldTo(ni int) {
	for a := 0; a < ni; a++ {
		if a+w.nodes[a].size >= ni && w.nodes[a].size > 0 {
			delete(w.folded, w.spans[w.nodes[a].span].SpanID)
		}
	}
}

// seek selects the next (or previous) span after the selection that ok
// accepts, unfolding what hides it; from the selection itself when here.
func (w *waterfall) seek(ok func(*sources.Span) bool, back, here bool) bool {
	n := len(w.nodes)
	if n == 0 {
		return false
	}
	cur := 0
	if sn := w.selectedNode(); sn != nil {
		cur = w.vis[w.sel]
	}
	for step := 1; step <= n; step++ {
		d := step
		if here {
			d = step - 1
		}
		if back {
			d = -d
		}
		ni := ((cur+d)%n + n) % n
		if ok(&w.spans[w.nodes[ni].span]) {
			w.unfoldTo(ni)
			w.selID = w.spans[w.nodes[ni].span].SpanID
			w.relayout()
			return true
		}
	}
	return false
}

func (w *waterfall) nextMatch(f styles.Filter, back, here bool) {
	if !f.Active() {
		return
	}
	w.seek(func(s *sources.Span) bool { return f.Keep(s.Service + " " + s.Name) }, back, here)
}

// loadLogs reads the trace's log lines from the store: every record that
// carries its trace id, within ten minutes of the trace.
func (w *waterfall) loadLogs(st *sources.Store) {
	if st == nil {
		return
	}
	from, to := w.start.Add(-10*time.Minute), w.end.Add(10*time.Minute)
	if w.start.IsZero() {
		from, to = time.Time{}, time.Unix(1<<40, 0)
	}
	id := w.traceID
	w.logs = st.Logs(from, to, 500, func(l *sources.LogRecord) bool {
		return l.TraceID != "" && sameTraceID(l.TraceID, id)
	})
}

// sameTraceID compares a log line's trace id (any case, maybe without
// leading zeros, as Jaeger prints them) with a normalised one.
func sameTraceID(logID, id string) bool {
	if len(logID) == 32 {
		return strings.EqualFold(logID, id)
	}
	n, ok := traces.NormalizeID(logID)
	return ok && n == id
}

func (m *Model) waterfallKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	w := m.wf
	if d, ok := navDelta(msg, len(w.vis), max(1, m.treeHeight()-1)); ok {
		w.move(d)
		m.render()
		return true, nil
	}
	switch {
	case key.Matches(msg, keyFold):
		w.toggle()
	case key.Matches(msg, keyFoldAll):
		w.foldAll()
	case key.Matches(msg, keyDetailDown):
		w.dtop++ // clamped when drawn
	case key.Matches(msg, keyDetailUp):
		w.dtop = max(w.dtop-1, 0)
	case key.Matches(msg, keyNextErr), key.Matches(msg, keyPrevErr):
		back := key.Matches(msg, keyPrevErr)
		if !w.seek(func(s *sources.Span) bool { return s.Status == sources.SpanError }, back, false) {
			m.note = "no error spans in this trace"
		}
	case key.Matches(msg, keyLogs):
		if j, ok := m.Selection(); ok {
			j.Target = pane.TargetLogs
			return true, jump(j)
		}
	default:
		return false, nil
	}
	m.render()
	return true, nil
}

// sortedAttrs returns the attribute keys in display order: the span's own
// sorted, then the resource's.
func sortedAttrs(a map[string]string) []string {
	keys := make([]string, 0, len(a))
	for k := range a {
		if k == traces.AttrStatusMessage {
			continue
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := strings.HasPrefix(keys[i], traces.AttrResource), strings.HasPrefix(keys[j], traces.AttrResource)
		if ri != rj {
			return rj
		}
		return keys[i] < keys[j]
	})
	return keys
}
