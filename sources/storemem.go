package sources

import (
	"time"
	"unsafe"
)

// Where the store's bytes go, and the bound on them.
//
// Every part of the store keeps a running count of the bytes it holds, as
// the Go allocator hands them out (size classes, map groups): a series'
// ring of samples (16 bytes a slot, allocated up to Retention/Resolution
// slots), a histogram's ring of snapshots (its bucket counts each), each
// log record (LogSize), span (packed: storespans.go), event (EventSize) and exemplar
// (ExemplarSize). The counts are estimates of what the garbage collector
// keeps alive for the store; TestMemoryAccounting holds them against the
// heap the runtime reports.
//
// A store with a Budget keeps the total under it. When an ingest takes it
// over, the oldest data goes first: the oldest of the log records, spans
// and exemplars (whichever is oldest, one after another) until the store
// fits; and when series and histograms alone hold more than half the
// budget, their rings are cut to fewer slots (the oldest samples go), so
// that they hold less than the retention asked for and say how much
// (MemoryUsage.Holds). Everything shed is counted in Drops, and what
// remains is still true: a chart whose oldest samples went shows n/a there.
// Events (alert transitions, XIDs, markers) are never shed for the budget:
// they are few and the alert history is built of them.

// MemoryUsage is what the store holds, by part, in bytes (estimates of
// what the allocator hands out), and the bound it keeps to.
type MemoryUsage struct {
	Series     int64 `json:"series_bytes"`     // point series: rings, keys, index
	Histograms int64 `json:"histogram_bytes"`  // histogram series: rings of snapshots
	Logs       int64 `json:"log_bytes"`        // log records (LogSize) and their ring
	Spans      int64 `json:"span_bytes"`       // spans, packed, and the strings they share
	Events     int64 `json:"event_bytes"`      // events (EventSize)
	Exemplars  int64 `json:"exemplar_bytes"`   // exemplars (ExemplarSize)
	Total      int64 `json:"total_bytes"`      // the sum of the parts
	Budget     int64 `json:"budget_bytes"`     // the bound on Total; 0: none
	ShedBytes  int64 `json:"shed_bytes"`       // bytes let go of to stay within the budget
	NumSeries  int   `json:"series"`           // point series held
	NumHists   int   `json:"histograms"`       // histogram series held
	NumLogs    int   `json:"logs"`             // log records held
	NumSpans   int   `json:"spans"`            // spans held
	NumEvents  int   `json:"events"`           // events held
	NumExempl  int   `json:"exemplars"`        // exemplars held
	Retention  Dur   `json:"retention"`        // how far back series are kept, as asked for
	Holds      Dur   `json:"holds"`            // how far back series rings reach now: Retention, or less under the budget
	Samples    int   `json:"samples_per_ring"` // slots per series ring now
}

// Dur is a duration that prints as "1h0m0s" in JSON.
type Dur time.Duration

// MarshalText writes d as time.Duration.String does.
func (d Dur) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Memory reports where the store's bytes go.
func (s *Store) Memory() MemoryUsage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := MemoryUsage{
		Series: s.mem.series, Histograms: s.mem.hists, Logs: s.logBytes(),
		Spans: s.spans.size(), Events: s.events.bytes, Exemplars: s.exemplars.bytes,
		Budget: s.opts.Budget, ShedBytes: s.mem.shed,
		NumSeries: len(s.series), NumHists: len(s.hists), NumLogs: s.logs.n,
		NumSpans: s.spans.len(), NumEvents: s.events.len(), NumExempl: s.exemplars.len(),
		Retention: Dur(s.opts.Retention), Samples: s.cap,
		Holds: Dur(time.Duration(s.cap) * s.opts.Resolution),
	}
	u.Total = u.Series + u.Histograms + u.Logs + u.Spans + u.Events + u.Exemplars
	return u
}

// memUsage is the running byte count of the parts the store sizes itself
// (the log buffer and the fifos count their own).
type memUsage struct {
	series, hists int64
	shed          int64
}

// total is every part's bytes.
func (s *Store) total() int64 {
	return s.mem.series + s.mem.hists + s.logBytes() + s.spans.size() + s.events.bytes + s.exemplars.bytes
}

// logBytes is the log records' bytes plus the ring slots they sit in.
func (s *Store) logBytes() int64 {
	return s.logs.bytes + s.logs.slotBytes()
}

// Fixed costs, as the allocator rounds them.
var (
	seriesDataSize = int64(allocSize(int(unsafe.Sizeof(seriesData{})))) // its ring included
	histDataSize   = int64(allocSize(int(unsafe.Sizeof(histData{}))))
	histSnapSize   = int64(unsafe.Sizeof(histSnap{}))
	spanEventSize  = int(unsafe.Sizeof(SpanEvent{}))
	eventSize      = int(unsafe.Sizeof(Event{}))
	exemplarSize   = int(unsafe.Sizeof(Exemplar{}))
	labelSize      = int(unsafe.Sizeof(Label{}))
)

// seriesCost is what a series costs besides its ring's slots: its data,
// its key and slot in the series map, its entries in the index (two of 16
// bytes, in lists up to twice as long) and its labels.
func seriesCost(ser *Series, fixed int64) int64 {
	n := fixed + int64(allocSize(len(ser.Key()))) + 64 + 2*32
	n += int64(allocSize(cap(ser.Labels) * labelSize))
	for _, l := range ser.Labels {
		n += int64(allocSize(len(l.Value)))
	}
	return n
}

// ringBytes is the bytes of a ring's slots: a timestamp and a T each.
func ringBytes[T any](r *ring[T], slot int64) int64 {
	return int64(cap(r.ts))*8 + int64(cap(r.vs))*slot
}

// snapBytes is a histogram snapshot's own counts (its bounds are shared
// with the snapshots of the same layout and counted once per series).
func snapBytes(sn *histSnap) int64 { return int64(allocSize(8 * len(sn.counts))) }

// strMapSize is the bytes of a map[string]string of k entries without its
// strings: a 48-byte header and groups of 8 slots of a string key and
// value (264 bytes, allocated as 288), at most 7/8 full.
func strMapSize(k int) int {
	if k == 0 {
		return 0
	}
	g := 1
	for g*7 < k {
		g *= 2
	}
	return 48 + 288*g
}

// strMapBytes is a string map's bytes with its keys and values.
func strMapBytes(m map[string]string) int {
	n := strMapSize(len(m))
	for k, v := range m {
		n += allocSize(len(k)) + allocSize(len(v))
	}
	return n
}

// EventSize estimates the bytes an event holds.
func EventSize(e *Event) int {
	return eventSize + allocSize(len(e.Kind)) + allocSize(len(e.Text)) + labelsBytes(e.Labels)
}

// ExemplarSize estimates the bytes an exemplar holds; its series is shared
// with the series it belongs to and not counted.
func ExemplarSize(e *Exemplar) int {
	return exemplarSize + allocSize(len(e.TraceID)) + allocSize(len(e.SpanID)) + labelsBytes(e.Labels)
}

func labelsBytes(ls []Label) int {
	if len(ls) == 0 {
		return 0
	}
	n := allocSize(cap(ls) * labelSize)
	for _, l := range ls {
		n += allocSize(len(l.Name)) + allocSize(len(l.Value))
	}
	return n
}

// fit sheds the oldest data until the store is within its budget (see the
// comment at the top of this file). It runs under the write lock, after an
// ingest took the store over.
func (s *Store) fit() {
	budget := s.opts.Budget
	if s.mem.series+s.mem.hists > budget/2 {
		s.shrinkRings(budget / 2)
	}
	for s.total() > budget {
		// The oldest of the three buffers' oldest records goes.
		var oldest int64
		which := 0
		if s.logs.n > 0 {
			oldest, which = s.logs.at(0).At.UnixNano(), 1
		}
		if s.spans.len() > 0 {
			if t := s.spans.oldest(); which == 0 || t < oldest {
				oldest, which = t, 2
			}
		}
		if s.exemplars.len() > 0 {
			if t := s.exemplars.at(0).At.UnixNano(); which == 0 || t < oldest {
				which = 3
			}
		}
		before := s.total()
		switch which {
		case 1:
			s.logs.pop()
			s.drops.Logs++
		case 2:
			s.spans.pop()
			s.drops.Spans++
		case 3:
			s.exemplars.pop()
			s.drops.Exemplars++
		default:
			// Nothing but series, events and histograms: the rings give.
			if !s.shrinkRings(s.mem.series + s.mem.hists - (before - budget)) {
				return
			}
		}
		s.mem.shed += before - s.total()
	}
}

// shrinkRings cuts every ring to the slots that fit the series and
// histograms into limit bytes, keeping the newest samples, and reports
// whether it could cut anything (a ring keeps at least 2 slots).
func (s *Store) shrinkRings(limit int64) bool {
	fixed, slots := int64(0), int64(0)
	for _, d := range s.series {
		fixed += seriesCost(&d.series, seriesDataSize)
		slots += 16
	}
	for _, d := range s.hists {
		fixed += seriesCost(&d.series, histDataSize)
		// A slot: its time, the snapshot and its counts (as of the newest).
		per := 8 + histSnapSize
		if _, sn, ok := d.ring.last(); ok {
			per += snapBytes(&sn)
		}
		slots += per
	}
	if slots == 0 {
		return false
	}
	n := int((limit - fixed) / slots)
	// Cut by at least a tenth: a ring is copied each time.
	n = min(n, s.cap-max(s.cap/10, 1))
	n = max(n, 2)
	if n >= s.cap {
		return false
	}
	s.cap = n
	before := s.mem.series + s.mem.hists
	for _, d := range s.series {
		s.mem.series -= ringBytes(&d.ring, 8)
		s.drops.Samples += uint64(d.ring.shrink(n))
		s.mem.series += ringBytes(&d.ring, 8)
	}
	for _, d := range s.hists {
		s.mem.hists -= histRingBytes(&d.ring)
		s.drops.Samples += uint64(d.ring.shrink(n))
		s.mem.hists += histRingBytes(&d.ring)
	}
	s.mem.shed += before - s.mem.series - s.mem.hists
	return true
}

// histRingBytes is a histogram ring's slots and the counts of the
// snapshots it holds.
func histRingBytes(r *ring[histSnap]) int64 {
	n := ringBytes(r, histSnapSize)
	for i := range r.len() {
		_, sn := r.at(i)
		n += snapBytes(&sn)
	}
	return n
}
