package alertspane

import (
	"strconv"
	"strings"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/tui/styles"
)

// minName is how short a rule's name may be cut to make room for the text
// (what is wrong, with its figure, matters more than the rule's name).
const minName = 8

// Line lays out one alert in w cells: head (severity, state, age; given
// painted), then its subject — which truncation reaches last, so a narrow
// terminal still says which service, host or GPU is alerting — then its
// name, cut first when the line is too long, then its text, then a dim
// tail (origin, labels) where room is left.
func Line(w int, head, subject, name, text, tail string) string {
	if w <= 0 {
		return ""
	}
	subject, name, text = sources.OneLine(subject), sources.OneLine(name), sources.OneLine(text)
	room := w - styles.Width(head)
	if subject != "" {
		room -= styles.Width(subject) + 1
	}
	nw, tw := styles.Width(name), styles.Width(text)
	if text != "" {
		tw++ // the space before it
	}
	if nw+tw > room {
		nw = max(min(nw, minName), room-tw)
	}
	var b strings.Builder
	b.WriteString(head)
	if subject != "" {
		b.WriteString(styles.PBold.Paint(subject) + " ")
	}
	if nw > 0 {
		b.WriteString(styles.PTitle.Paint(styles.Trunc(name, nw)))
	}
	if text != "" {
		b.WriteString(" " + text)
	}
	// The tail only where a useful part of it fits: a cut tail must not
	// cost the text its last cell.
	if tail != "" && w-styles.Width(b.String())-1 >= min(styles.Width(tail), 8) {
		b.WriteString(" " + tail)
	}
	return styles.Fit(b.String(), w)
}

// tail is what follows an alert's text: its origin when not vigil (once),
// then its labels, dim.
func tail(r Row) string {
	var parts []string
	if r.Source != "" && r.Source != alerts.SourceVigil {
		parts = append(parts, styles.PAccent.Paint("["+r.Source+"]"))
	}
	if lt := labelText(r.Shown); lt != "" {
		parts = append(parts, styles.PDim.Paint(lt))
	}
	return strings.Join(parts, " ")
}

// Strip is the console's one-line alert banner over the firing alerts (in
// alerts.Active's order; the first is shown): the count, then the first
// alert subject first, then how many more. "" when none fires.
func Strip(firing []alerts.Alert, w int) string {
	if len(firing) == 0 || w <= 0 {
		return ""
	}
	a := firing[0]
	head := styles.PCrit.Paint("▲ "+strconv.Itoa(len(firing))+" firing") + " " + styles.PaintLevel(sevLevel(a.Severity), sevShort(a.Severity)) + " "
	more := ""
	if len(firing) > 1 {
		more = styles.PDim.Paint("+" + strconv.Itoa(len(firing)-1) + " more")
	}
	since := styles.PDim.Paint("since " + a.FiredAt.UTC().Format("15:04:05"))
	t := since
	if more != "" {
		t += "  " + more
	}
	return Line(w, head, a.Subject(), a.Name, a.Text, t)
}
