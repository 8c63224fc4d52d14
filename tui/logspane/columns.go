package logspane

import (
	"path"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// maxSources bounds the sources the pane tells apart; lines of any further
// ones share the last name.
const maxSources = 4096

// sourceNames numbers the sources of the lines the pane has read and gives
// each a short name for the source column and the filter: a file's base
// name (with as many parent directories as tell two files of the same name
// apart), a command's program, an HTTP stream's host, "stdin".
type sourceNames struct {
	idx   map[string]uint16
	names []string // the record's Source
	short []string // the column's name, unique
	last  string
	lastI uint16
}

// index returns the number of source name, adding it when new.
func (s *sourceNames) index(name string) uint16 {
	if name == s.last && s.names != nil {
		return s.lastI
	}
	i, ok := s.idx[name]
	if !ok {
		if s.idx == nil {
			s.idx = map[string]uint16{}
		}
		if len(s.names) >= maxSources {
			return uint16(len(s.names) - 1)
		}
		i = uint16(len(s.names))
		s.idx[name] = i
		s.names = append(s.names, name)
		s.shorten()
	}
	s.last, s.lastI = name, i
	return i
}

// count is how many sources have been seen.
func (s *sourceNames) count() int { return len(s.names) }

// shortOf returns the short name of a record's Source.
func (s *sourceNames) shortOf(name string) string {
	if i, ok := s.idx[name]; ok {
		return s.short[i]
	}
	return shortName(name)
}

// matches reports whether v names the source: its short name, its whole
// name, or (for a file) its path or base name.
func (s *sourceNames) matches(name, v string) bool {
	if name == v || s.shortOf(name) == v {
		return true
	}
	kind, target, _ := strings.Cut(name, " ")
	if kind == "file" {
		return target == v || path.Base(target) == v
	}
	return false
}

// shorten gives every source a short name, unique among them: a file's
// base name grows parent directories while two files share it.
func (s *sourceNames) shorten() {
	s.short = s.short[:0]
	depth := make([]int, len(s.names))
	for i := range s.names {
		depth[i] = 1
	}
	for round := 0; round < 8; round++ {
		s.short = s.short[:0]
		seen := map[string]int{}
		for i, n := range s.names {
			sh := shortNameDepth(n, depth[i])
			s.short = append(s.short, sh)
			seen[sh]++
		}
		clash := false
		for i, sh := range s.short {
			if seen[sh] > 1 && strings.HasPrefix(s.names[i], "file ") {
				depth[i]++
				clash = true
			}
		}
		if !clash {
			return
		}
	}
}

// shortName is a source's short name: see sourceNames.
func shortName(name string) string { return shortNameDepth(name, 1) }

func shortNameDepth(name string, depth int) string {
	kind, target, ok := strings.Cut(name, " ")
	if !ok {
		return name
	}
	switch kind {
	case "file":
		parts := strings.Split(strings.TrimRight(target, "/"), "/")
		if depth > len(parts) {
			depth = len(parts)
		}
		return strings.Join(parts[len(parts)-depth:], "/")
	case "cmd":
		prog := strings.Fields(target)
		if len(prog) == 0 {
			return name
		}
		return path.Base(prog[0])
	case "http":
		t := target
		if i := strings.Index(t, "://"); i >= 0 {
			t = t[i+3:]
		}
		if i := strings.IndexByte(t, '@'); i >= 0 {
			t = t[i+1:]
		}
		if i := strings.IndexByte(t, '/'); i >= 0 {
			t = t[:i]
		}
		return t
	case "loki":
		return "loki"
	}
	return name
}

// Time column layouts: a line from the day shown shows its time, any other
// its date too.
const (
	timeLayout = "15:04:05.000"
	dateLayout = "2006-01-02 15:04:05.000"
)

// sameDay reports whether a and b fall on the same calendar day in loc.
func sameDay(a, b time.Time, loc *time.Location) bool {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return ay == by && am == bm && ad == bd
}

// stamp is a line's time as the pane shows it: with its date when it is not
// from the day shown (the instant the console shows, not the wall clock),
// or always with full.
func (m *Model) stamp(t time.Time, full bool) string {
	if full || !m.env.Now.IsZero() && !sameDay(t, m.env.Now, m.opts.Location) {
		return t.In(m.opts.Location).Format(dateLayout)
	}
	return t.In(m.opts.Location).Format(timeLayout)
}

// wrapCells cuts plain text (no escape sequences) into rows of at most w
// cells, at most rows of them (≤ 0: all); the last row of a text cut short
// ends in "…".
func wrapCells(s string, w, rows int) []string {
	if w <= 0 {
		return []string{s}
	}
	var out []string
	start, cells := 0, 0
	for i, r := range s {
		cw := 1
		if r >= 0x80 {
			cw = ansi.StringWidth(string(r))
		}
		if cells+cw > w && i > start {
			if rows > 0 && len(out) == rows-1 {
				return append(out, ansi.Truncate(s[start:], w, "…"))
			}
			out = append(out, s[start:i])
			start, cells = i, 0
		}
		cells += cw
	}
	return append(out, s[start:])
}

// inMsg reports whether msg already says k=v as a word of its own, as a
// plain-text line whose pairs were read from its message does: the pair is
// then not repeated after it.
func inMsg(msg, k, v string) bool {
	if len(msg) < len(k)+1+len(v) {
		return false
	}
	for i := 0; ; {
		j := strings.Index(msg[i:], k)
		if j < 0 {
			return false
		}
		at := i + j
		end := at + len(k)
		if (at == 0 || msg[at-1] == ' ' || msg[at-1] == '\t') && end < len(msg) && msg[end] == '=' {
			rest := msg[end+1:]
			rest = strings.TrimPrefix(rest, `"`)
			if strings.HasPrefix(rest, v) {
				after := rest[len(v):]
				if after == "" || strings.ContainsRune(" \t\",;", rune(after[0])) {
					return true
				}
			}
		}
		i = at + 1
	}
}
