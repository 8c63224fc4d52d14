// Package health draws the sources overlay (S, :sources): every source's
// state, the age of its data, its last poll's duration and size, its series
// and last error, and vigil's own overhead. It is a pure function of the
// sources' health at the shown instant.
package health

import (
	"fmt"
	"strings"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/styles"
)

// MaxWidth is the widest the overlay's box grows.
const MaxWidth = 150

// Lines are the overlay's rows, each exactly w cells: self (vigil's own
// overhead and its store's size, a line each) when given, the header, then
// one row per source.
func Lines(hs []view.SourceHealth, self string, w int) []string {
	out := []string{}
	if self != "" {
		for _, l := range strings.Split(self, "\n") {
			out = append(out, styles.PDim.Paint(sources.OneLine(l)))
		}
		out = append(out, "")
	}
	out = append(out, styles.PTitle.Paint(fmt.Sprintf("%-34s %-8s %-9s %7s %9s %9s %7s  %s", "SOURCE", "KIND", "STATE", "AGE", "LAST POLL", "SIZE", "SERIES", "ERROR / DETAIL")))
	if len(hs) == 0 {
		out = append(out, styles.PDim.Paint("no source has reported yet"))
	}
	for _, h := range hs {
		age := styles.NA
		if h.AgeSeconds.OK {
			age = styles.Duration(h.AgeSeconds.V)
		}
		state := h.State
		switch h.State {
		case "ok":
			state = styles.POK.Paint("● ok")
		case "idle":
			state = styles.POK.Paint("● idle")
		case "stale":
			state = styles.PWarn.Paint("● stale")
		case "error":
			state = styles.PCrit.Paint("✖ error")
		}
		detail := h.Error
		if detail == "" {
			detail = h.Detail
		}
		if len(h.Warnings) > 0 { // partial or narrowed answers: the first ones, then a count
			ws := h.Warnings
			if len(ws) > 3 {
				ws = append(ws[:3:3], fmt.Sprintf("%d more", len(h.Warnings)-3))
			}
			detail = strings.TrimPrefix(detail+"; ▲ "+strings.Join(ws, "; "), "; ")
		}
		size := "-"
		if h.Bytes > 0 {
			size = fmt.Sprintf("%.1f KiB", float64(h.Bytes)/1024)
		}
		series := "-"
		if h.Series > 0 {
			series = fmt.Sprint(h.Series)
		}
		line := fmt.Sprintf("%-34s %-8s %s %7s %7.1fms %9s %7s  %s", styles.Trunc(sources.OneLine(h.Source), 34),
			styles.Trunc(h.Kind, 8), padTo(state, 9), age, h.DurationMS, size, series, sources.OneLine(detail))
		out = append(out, line)
	}
	for i := range out {
		out[i] = styles.Fit(out[i], w)
	}
	return out
}

// View frames the overlay for an area w×h, centred, at most MaxWidth wide.
func View(hs []view.SourceHealth, self string, w, h int) string {
	bw := min(w, MaxWidth)
	inner := Lines(hs, self, max(bw-2, 0))
	return styles.Box("Sources", "esc close", strings.Join(inner, "\n"), bw, h, true)
}

// padTo pads a painted string to n cells.
func padTo(s string, n int) string {
	if d := n - styles.Width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}
