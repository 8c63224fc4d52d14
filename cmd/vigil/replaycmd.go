package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/replay"
)

// parseAt reads the time of `vigil replay FILE --at T` and of the console's
// J prompt: 14:02 (the nearest such clock time to ref), -10m / +30s / 10m
// ago (relative to ref), RFC 3339, "2026-11-25 14:02" in loc, or a Unix
// epoch (seconds; ms, µs or ns by digit count). loc nil means time.Local.
func parseAt(s string, ref time.Time, loc *time.Location) (time.Time, error) {
	t, err := replay.ParseAt(s, ref, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at: %w", err)
	}
	return t, nil
}

// replayInfoMain prints what a recording (file or directory) holds: its time
// range, sources, series count, size, gaps, markers and alerts, and anything
// damaged or skipped. The figures come from the footer index, which it does
// not trust blindly: it reads every record and checks its checksums and
// times, and the index against the records (replay.Check), and lists any
// damage as --verify does. jsonOut prints replay.Info and the damage as
// JSON. Exit status: 0, 1 when the recording cannot be opened, 4 when it is
// damaged.
func replayInfoMain(path string, stdout, stderr io.Writer, jsonOut bool) int {
	r, err := replay.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return exitFailure
	}
	in := r.Info()
	r.Close()
	pl := newProgressLine(stderr, "checking", path)
	chk, err := replay.Check(path, pl.update)
	pl.end()
	if err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return exitFailure
	}
	if jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(infoReport{Info: in, Damage: chk.Problems, Checked: chk.Blocks, Good: chk.Good}); err != nil {
			fmt.Fprintf(stderr, "vigil replay: %v\n", err)
			return exitFailure
		}
	} else {
		writeInfo(stdout, in, time.Local)
		for _, p := range chk.Problems {
			fmt.Fprintf(stdout, "damage     %s\n", p)
		}
		if chk.Damaged() {
			fmt.Fprintf(stdout, "checked    every record's checksums and times: %d of %d blocks good, %d problem(s); --verify also decodes every block\n",
				chk.Good, chk.Blocks, len(chk.Problems))
		} else {
			fmt.Fprintf(stdout, "checked    every record's checksums and times: %d blocks good; --verify also decodes every block\n", chk.Blocks)
		}
	}
	if chk.Damaged() {
		return exitDamaged
	}
	return exitOK
}

// infoReport is --info --output json: the index's summary and what the
// check of every record found.
type infoReport struct {
	replay.Info
	Damage  []replay.Problem `json:"damage"`
	Checked int              `json:"checked_blocks"`
	Good    int              `json:"good_blocks"`
}

// Exit status of `vigil replay --verify` and `--info` for a damaged
// recording.
const exitDamaged = 4

// replayExitHelp is the replay command's exit statuses.
const replayExitHelp = exitStatusHelp + `
  4  with --verify or --info: the recording is damaged (each problem is listed)`

// replayVerifyMain reads and checks every record of a recording (file or
// directory) and lists what is damaged, one line each: file, block,
// offset, times, what is wrong. Progress goes to stderr (progressLine).
// Exit status: 0 sound, 1 unreadable, 4 damaged.
func replayVerifyMain(path string, stdout, stderr io.Writer, jsonOut bool) int {
	pl := newProgressLine(stderr, "verifying", path)
	rep, err := replay.Verify(path, pl.update)
	pl.end()
	if err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return exitFailure
	}
	if jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "vigil replay: %v\n", err)
			return exitFailure
		}
	} else {
		writeVerify(stdout, rep)
	}
	if rep.Damaged() {
		return exitDamaged
	}
	return exitOK
}

// progressLine shows how far a check of a recording has got, on stderr,
// only where it helps: on a terminal, redrawn in place once the check has
// run half a second (and cleared at the end); elsewhere (a log, a pipe),
// a line every 10 s once it has run 5 s. A check that ends sooner says
// nothing.
type progressLine struct {
	w     io.Writer
	what  string
	tty   bool
	now   func() time.Time
	start time.Time
	last  time.Time
	shown bool
}

// Thresholds of progressLine.
const (
	progressTTYAfter = 500 * time.Millisecond
	progressTTYEvery = 100 * time.Millisecond
	progressLogAfter = 5 * time.Second
	progressLogEvery = 10 * time.Second
)

func newProgressLine(w io.Writer, verb, path string) *progressLine {
	return &progressLine{w: w, what: verb + " " + sources.OneLine(path), tty: isTerminal(w), now: time.Now, start: time.Now()}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update is the check's progress callback: done of total bytes.
func (p *progressLine) update(done, total int64) {
	if total <= 0 {
		return
	}
	now := p.now()
	ran := now.Sub(p.start)
	pct := 100 * done / total
	if p.tty {
		if ran < progressTTYAfter || p.shown && now.Sub(p.last) < progressTTYEvery && done < total {
			return
		}
		fmt.Fprintf(p.w, "\r\x1b[K%s: %d%% (%s of %s)", p.what, pct, bytesText(done), bytesText(total))
	} else {
		if ran < progressLogAfter || p.shown && now.Sub(p.last) < progressLogEvery {
			return
		}
		fmt.Fprintf(p.w, "vigil replay: %s: %d%% (%s of %s, %s)\n", p.what, pct, bytesText(done), bytesText(total), ran.Round(time.Second))
	}
	p.last, p.shown = now, true
}

// end clears the progress shown on a terminal.
func (p *progressLine) end() {
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func writeVerify(w io.Writer, rep replay.VerifyReport) {
	fmt.Fprintf(w, "recording  %s\n", sources.OneLine(rep.Path))
	fmt.Fprintf(w, "checked    %d file(s), %s, %d blocks: %d good, %d damaged, %d frames\n",
		rep.Files, bytesText(rep.Bytes), rep.Blocks, rep.Good, rep.Blocks-rep.Good, rep.Frames)
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "damage     %s\n", p)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note       %s\n", sources.OneLine(n))
	}
	if rep.Damaged() {
		fmt.Fprintf(w, "verdict    damaged: %d problem(s)\n", len(rep.Problems))
		return
	}
	fmt.Fprintf(w, "verdict    sound: every record checks out\n")
}

func writeInfo(w io.Writer, in replay.Info, loc *time.Location) {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(loc).Format("2006-01-02 15:04:05 -07:00")
	}
	fmt.Fprintf(w, "recording  %s\n", sources.OneLine(in.Path))
	fmt.Fprintf(w, "from       %s\n", ts(in.From))
	fmt.Fprintf(w, "to         %s\n", ts(in.To))
	fmt.Fprintf(w, "duration   %s\n", in.Duration.Round(time.Second))
	fmt.Fprintf(w, "size       %s in %d file(s), %d blocks\n", bytesText(in.Size), len(in.Files), in.Blocks)
	fmt.Fprintf(w, "series     %d\n", in.Series)
	srcs := make([]string, len(in.Sources))
	for i, s := range in.Sources {
		srcs[i] = sources.OneLine(s)
	}
	fmt.Fprintf(w, "sources    %s\n", strings.Join(srcs, ", "))
	if len(in.Gaps) == 0 {
		fmt.Fprintf(w, "gaps       none\n")
	} else {
		fmt.Fprintf(w, "gaps       %d\n", len(in.Gaps))
		for _, g := range in.Gaps {
			fmt.Fprintf(w, "  %s  %s\n", ts(g.From), g.To.Sub(g.From).Round(time.Second))
		}
	}
	kinds := map[int]string{replay.NotableAlert: "alert", replay.NotableMarker: "marker", replay.NotableCritical: "critical"}
	fmt.Fprintf(w, "markers    %d\n", len(in.Markers))
	for _, n := range in.Markers {
		fmt.Fprintf(w, "  %s  %-8s %s\n", ts(n.At), kinds[n.Kind], sources.OneLine(n.Text))
	}
	for _, f := range in.Files {
		state := "complete"
		if !f.Complete {
			state = "no footer (crashed or still being written)"
		}
		if f.Torn > 0 {
			state += fmt.Sprintf(", %s unreadable at the tail", bytesText(f.Torn))
		}
		fmt.Fprintf(w, "file       %s  %s  v%s  %s\n", sources.OneLine(f.Path), bytesText(f.Size), f.Version, state)
	}
	for _, s := range in.Warnings {
		fmt.Fprintf(w, "warning    %s\n", sources.OneLine(s))
	}
}

// spanText is a recording's range for a one-line message: its date once
// when it lies within a day, in the local time zone.
func spanText(from, to time.Time) string {
	from, to = from.Local(), to.Local()
	if from.Format("20060102") == to.Format("20060102") {
		return from.Format("2006-01-02 15:04:05") + " – " + to.Format("15:04:05 -07:00")
	}
	return from.Format("2006-01-02 15:04:05") + " – " + to.Format("2006-01-02 15:04:05 -07:00")
}

// clockText is t beside a recording's range: its clock time, with the date
// when the recording's dates do not already say it.
func clockText(t, from, to time.Time) string {
	t = t.Local()
	d := t.Format("2006-01-02")
	if d == from.Local().Format("2006-01-02") && d == to.Local().Format("2006-01-02") {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
