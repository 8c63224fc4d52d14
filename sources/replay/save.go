package replay

import (
	"fmt"
	"sort"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// SnapshotSource is the Source of the frames SaveStore writes.
const SnapshotSource = "snapshot"

// StoreFrames rebuilds frames from what store holds in (from, to]: one frame
// per distinct sample time with every point and histogram stamped then,
// plus the logs, spans (by start), events and exemplars of the range, and
// each source's last health (nil when the range holds no data). Replaying them into an empty store gives back
// the store's contents for that range.
func StoreFrames(store *sources.Store, from, to time.Time) []sources.Frame {
	byT := map[int64]*sources.Frame{}
	at := func(t time.Time) *sources.Frame {
		k := t.UnixNano()
		f := byT[k]
		if f == nil {
			f = &sources.Frame{Source: SnapshotSource, At: t}
			byT[k] = f
		}
		return f
	}
	for _, name := range store.Names() {
		for _, ser := range store.Select(name) {
			for _, s := range store.Range(ser.Key(), from, to) {
				f := at(s.Time())
				f.Points = append(f.Points, sources.Point{Series: ser, At: s.Time(), Value: s.V})
			}
			for _, h := range store.HistogramRange(ser.Key(), from, to) {
				f := at(h.At)
				f.Histograms = append(f.Histograms, h)
			}
		}
	}
	in := func(t time.Time) bool { return t.After(from) && !t.After(to) }
	for _, l := range store.Logs(from, to, 0, nil) {
		if in(l.At) {
			f := at(l.At)
			f.Logs = append(f.Logs, l)
		}
	}
	for _, e := range store.Events(from, to, 0) {
		if in(e.At) {
			f := at(e.At)
			f.Events = append(f.Events, e)
		}
	}
	for _, x := range store.Exemplars(from, to, 0, nil) {
		if in(x.At) {
			f := at(x.At)
			f.Exemplars = append(f.Exemplars, x)
		}
	}
	for _, sp := range store.Spans(0, func(s *sources.Span) bool { return in(s.Start) }) {
		f := at(sp.Start)
		f.Spans = append(f.Spans, sp)
	}
	out := make([]sources.Frame, 0, len(byT)+4)
	for _, f := range byT {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	if len(out) == 0 {
		return nil
	}
	for _, h := range store.Health() {
		h := h
		t := h.At
		if !in(t) {
			t = to
		}
		out = append(out, sources.Frame{Source: h.Source, At: t, Health: &h})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// SnapshotName is a file name for a snapshot saved at t
// ("vigil-snapshot-20261125T140502Z.vrec").
func SnapshotName(t time.Time) string {
	return "vigil-snapshot-" + t.UTC().Format("20060102T150405Z") + Ext
}

// SaveStore writes what store holds in (from, to] to a new recording file
// at path (Ctrl-S: "save the last N minutes"). path must not exist. It
// returns how many frames it wrote.
func SaveStore(store *sources.Store, from, to time.Time, path string) (int, error) {
	frames := StoreFrames(store, from, to)
	if len(frames) == 0 {
		return 0, fmt.Errorf("replay: save: nothing in the store between %s and %s",
			from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if err := WriteFile(path, frames, 10*time.Second); err != nil {
		return 0, err
	}
	return len(frames), nil
}
