package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/vigil-dev/vigil/sources/view"
)

// Write prints a report as JSON (the documented schema) or as aligned
// text for people (format "json" or "text").
func Write(w io.Writer, r Report, format string) error {
	if format == "json" {
		return writeJSON(w, r)
	}
	return writeText(w, r)
}

// writeJSON writes r as json.Encoder with a two-space indent does, byte
// for byte, but indents as it writes: a thousand-host report is megabytes
// of JSON, and the encoder's indented copy of it (grown by doubling, at
// the end of a --once when the heap is largest) was a fifth of the run's
// allocations.
func writeJSON(w io.Writer, r Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	indentJSON(bw, b)
	bw.WriteByte('\n')
	return bw.Flush()
}

// indentJSON writes compact JSON (json.Marshal's) indented by two spaces
// per level, as json.Indent would: empty objects and arrays stay {} and [].
func indentJSON(w *bufio.Writer, b []byte) {
	depth := 0
	open := false // after { or [: indent before the next element, unless it closes
	inStr, esc := false, false
	newline := func() {
		w.WriteByte('\n')
		for i := 0; i < depth; i++ {
			w.WriteString("  ")
		}
	}
	for _, c := range b {
		if inStr {
			w.WriteByte(c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		if open && c != '}' && c != ']' {
			open = false
			depth++
			newline()
		}
		switch c {
		case '"':
			inStr = true
			w.WriteByte(c)
		case '{', '[':
			open = true
			w.WriteByte(c)
		case ',':
			w.WriteByte(c)
			newline()
		case ':':
			w.WriteString(": ")
		case '}', ']':
			if open {
				open = false
			} else {
				depth--
				newline()
			}
			w.WriteByte(c)
		default:
			w.WriteByte(c)
		}
	}
}

func writeText(w io.Writer, r Report) error {
	ov := r.Overview
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "vigil at %s, window %s\n", ov.At.Format("2006-01-02 15:04:05Z07:00"), ov.RateWindow)
	if len(ov.Services) > 0 {
		fmt.Fprintln(tw, "\nSERVICE\tSTACK\tHOST\tP50\tP95\tP99\tTTFT P50\tREQ/S\tTOK/S\tERRORS\tQUEUE\tKV CACHE")
		for _, s := range ov.Services {
			basis := ""
			if s.Latency.Basis == view.BasisLifetime {
				basis = " (lifetime)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.DisplayName(), s.Stack, s.Host,
				secs(s.Latency.P50), secs(s.Latency.P95), secs(s.Latency.P99), basis, secs(s.TTFT.P50),
				num(s.Throughput, "%.2f"), tokens(s), pct(s.ErrorRate), num(s.QueueDepth, "%.0f"), pct(s.KVCache))
		}
	}
	if len(ov.GPUs) > 0 {
		fmt.Fprintln(tw, "\nGPU\tHOST\tMODEL\tUTIL\tMEMORY\tTEMP\tPOWER\tSM CLOCK\tTHROTTLE\tXID")
		for _, g := range ov.GPUs {
			mem := "n/a"
			if g.MemUsed.OK && g.MemTotal.OK {
				mem = fmt.Sprintf("%.1f/%.1f GiB", g.MemUsed.V/(1<<30), g.MemTotal.V/(1<<30))
			}
			power := num(g.Power, "%.0f W")
			if g.PowerLimit.OK && g.Power.OK {
				power = fmt.Sprintf("%.0f/%.0f W", g.Power.V, g.PowerLimit.V)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Index, g.Host, g.Model, pct(g.Util), mem,
				num(g.Temp, "%.0f°C"), power, num(scale(g.SMClock, 1e-6), "%.0f MHz"), orNone(strings.Join(g.Badges, " ")), num(g.XIDLast, "%.0f"))
		}
	}
	for _, extra := range r.textSections() {
		fmt.Fprintln(tw)
		fmt.Fprint(tw, extra)
	}
	fmt.Fprintln(tw, "\nSOURCE\tKIND\tSTATE\tAGE\tLAST POLL\tERROR")
	for _, s := range ov.Sources {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f ms\t%s\n", s.Source, s.Kind, s.State, num(s.AgeSeconds, "%.0fs"), s.DurationMS, s.Error)
	}
	return tw.Flush()
}

func num(n view.Num, f string) string {
	if !n.OK {
		return "n/a"
	}
	return fmt.Sprintf(f, n.V)
}

func scale(n view.Num, k float64) view.Num {
	if n.OK {
		n.V *= k
	}
	return n
}

func pct(n view.Num) string {
	if !n.OK {
		return "n/a"
	}
	return fmt.Sprintf("%.2f%%", 100*n.V)
}

// secs formats seconds in human units.
func secs(n view.Num) string {
	if !n.OK {
		return "n/a"
	}
	v := n.V
	switch {
	case math.Abs(v) < 1e-3:
		return fmt.Sprintf("%.0fµs", v*1e6)
	case math.Abs(v) < 1:
		return fmt.Sprintf("%.1fms", v*1e3)
	default:
		return fmt.Sprintf("%.2fs", v)
	}
}

func tokens(s view.Service) string {
	if !s.PromptTPS.OK && !s.GenTPS.OK {
		return "n/a"
	}
	return fmt.Sprintf("%.0f", s.PromptTPS.V+s.GenTPS.V)
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
