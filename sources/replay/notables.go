package replay

import (
	"encoding/json"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

const (
	NotableAlert    = 0 // an event of kind "alert"
	NotableMarker   = 1 // a marker (event of kind "marker" or a MARK record)
	NotableCritical = 2 // any other event of critical severity (an XID, ...)
)

// Notable is an event worth jumping to: an alert, a marker or a critical event.
type Notable struct {
	At       time.Time
	Kind     int // NotableAlert, NotableMarker or NotableCritical
	Severity sources.Severity
	Text     string // one line, for the timeline and --info
}

var notableKinds = [...]string{NotableAlert: sources.EventAlert, NotableMarker: "marker", NotableCritical: "critical"}

// KindName is "alert", "marker" or "critical".
func (n Notable) KindName() string {
	if n.Kind >= 0 && n.Kind < len(notableKinds) {
		return notableKinds[n.Kind]
	}
	return "unknown"
}

type notableJSON struct {
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Severity string    `json:"severity"`
	Text     string    `json:"text"`
}

// MarshalJSON writes the kind and severity as words.
func (n Notable) MarshalJSON() ([]byte, error) {
	return json.Marshal(notableJSON{At: n.At, Kind: n.KindName(), Severity: n.Severity.String(), Text: n.Text})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (n *Notable) UnmarshalJSON(b []byte) error {
	var j notableJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*n = Notable{At: j.At, Text: j.Text}
	for k, name := range notableKinds {
		if name == j.Kind {
			n.Kind = k
		}
	}
	for _, s := range []sources.Severity{sources.SevInfo, sources.SevWarning, sources.SevCritical} {
		if s.String() == j.Severity {
			n.Severity = s
		}
	}
	return nil
}

func notableOf(e *sources.Event) (int, bool) {
	switch {
	case e.Kind == sources.EventAlert:
		// An alert's transitions: where it fired and where it resolved
		// (pending and back to inactive are not worth a jump).
		st := sources.AlertState(e.Labels)
		return NotableAlert, st == "" || st == "firing" || st == "resolved"
	case e.Kind == "marker":
		return NotableMarker, true
	case e.Severity >= sources.SevCritical:
		return NotableCritical, true
	}
	return 0, false
}

// preamble encodes the block's notable events, stored uncompressed ahead of
// the body so that an index rebuild can read them without decompressing.
func preamble(dst []byte, tFirst int64, ns []Notable, rawLen int) []byte {
	e := enc{b: dst}
	e.uv(uint64(len(ns)))
	for _, n := range ns {
		e.sv(n.At.UnixNano() - tFirst)
		e.u8(uint8(n.Kind))
		e.u8(uint8(n.Severity))
		t := n.Text
		if len(t) > 120 {
			t = t[:120]
		}
		e.raw(t)
	}
	e.uv(uint64(rawLen))
	return e.b
}

func parsePreamble(d *dec, tFirst int64) (ns []Notable, rawLen uint64) {
	n := d.count(4)
	for i := 0; i < n && d.err == nil; i++ {
		ns = append(ns, Notable{At: time.Unix(0, tFirst+d.sv()), Kind: int(d.u8()), Severity: sources.Severity(d.u8()), Text: sources.Sanitize(d.raw())})
	}
	rawLen = d.uv()
	return ns, rawLen
}
