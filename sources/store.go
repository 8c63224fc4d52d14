package sources

import (
	"math"
	"sort"
	"sync"
	"time"
	"unsafe"
)

// StoreOptions bounds a Store. Zero fields take the defaults.
type StoreOptions struct {
	Retention    time.Duration // how far back series are kept; default 1h
	Resolution   time.Duration // one sample per series per step; default 1s
	Lookback     time.Duration // a gauge older than this is n/a; default 5m
	MaxLogs      int           // log records kept; default 100,000
	MaxLogBytes  int64         // bytes log records may hold (LogSize); default DefaultMaxLogBytes
	MaxSpans     int           // spans kept; default 50,000
	MaxEvents    int           // events kept; default 10,000
	MaxExemplars int           // exemplars kept; default 10,000
	// Budget bounds the bytes the store holds (MemoryUsage.Total): past
	// it the oldest data goes first (see storemem.go). ≤ 0: no bound
	// beyond the counts and MaxLogBytes.
	Budget int64
}

func (o StoreOptions) withDefaults() StoreOptions {
	if o.Retention <= 0 {
		o.Retention = time.Hour
	}
	if o.Resolution <= 0 {
		o.Resolution = time.Second
	}
	if o.Lookback <= 0 {
		o.Lookback = 5 * time.Minute
	}
	if o.MaxLogs <= 0 {
		o.MaxLogs = 100_000
	}
	if o.MaxLogBytes <= 0 {
		o.MaxLogBytes = DefaultMaxLogBytes
	}
	if o.MaxSpans <= 0 {
		o.MaxSpans = 50_000
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 10_000
	}
	if o.MaxExemplars <= 0 {
		o.MaxExemplars = 10_000
	}
	return o
}

// Drops counts what the store's bounded buffers let go of.
type Drops struct {
	Logs       uint64 // log records pushed out of the full buffer (by count or by bytes)
	Spans      uint64
	Events     uint64
	OutOfOrder uint64 // samples older than their series' newest, ignored
	Series     uint64 // series evicted after a retention without samples
	Exemplars  uint64 // exemplars shed for the memory budget (the oldest going for new ones is expected, not counted)
	Samples    uint64 // samples shed from series and histogram rings cut to fit the memory budget
}

type histSnap struct {
	bounds []float64 // shared between snapshots of the same layout
	counts []float64 // cumulative, same length as bounds
	count  float64
	sum    float64
}

// A series' data holds its ring itself: one object per series, and its
// newest sample in the same cache lines as the series.
type seriesData struct {
	series Series
	ring   ring[float64]
	at     indexSlots
}

type histData struct {
	series Series
	ring   ring[histSnap]
	at     indexSlots
}

// Store is the bounded, time-indexed state every pane reads. It is safe for
// concurrent use: the hub writes, the console and once mode read.
type Store struct {
	mu     sync.RWMutex
	opts   StoreOptions
	cap    int
	res    int64
	series map[string]*seriesData
	hists  map[string]*histData
	// byName indexes the series (points and histograms) by name, and by
	// host within a name (storeindex.go).
	byName   map[string]*nameIndex
	presence newestMemo // NewestByHost's last answer (storenewest.go)
	selected selectMemo // Select's answers for bare names (storeselect.go)

	logs      *logBuf
	spans     *spanBuf
	events    *fifo[Event]
	exemplars *fifo[Exemplar]
	health    map[string]Health
	drops     Drops
	newest    int64 // newest timestamp ingested
	swept     int64
	gen       uint64 // bumped on every ingest
	sets      uint64 // bumped when a series comes or goes (Select's memo)
	instants  instants
	backGen   uint64 // bumped on every ingest of history (Frame.Backfill)
	kinds     uint64 // bumped when a kind of data comes or goes (Kinds)
	mem       memUsage
	// When log records, spans and exemplars arrived (the newest sample
	// time then), for the retention (sweep).
	logArr, spanArr, exArr arrivals

	// The series data of each entry of the last Samples catalogue seen;
	// cleared whenever a series goes.
	catFirst *Series
	catData  []*seriesData
}

// NewStore returns an empty store.
func NewStore(opts StoreOptions) *Store {
	opts = opts.withDefaults()
	n := int(opts.Retention / opts.Resolution)
	if n < 2 {
		n = 2
	}
	return &Store{
		opts:      opts,
		cap:       n,
		res:       int64(opts.Resolution),
		series:    make(map[string]*seriesData),
		hists:     make(map[string]*histData),
		byName:    make(map[string]*nameIndex),
		logs:      newLogBuf(opts.MaxLogs, opts.MaxLogBytes),
		spans:     newSpanBuf(opts.MaxSpans),
		events:    newFifo(opts.MaxEvents, EventSize),
		exemplars: newFifo(opts.MaxExemplars, ExemplarSize),
		health:    make(map[string]Health),
	}
}

// pushPoint adds one sample to its series' ring, creating the series.
func (s *Store) pushPoint(ser *Series, t int64, v float64) {
	s.push(s.data(ser), t, v)
}

// data returns the series' data, created when new.
func (s *Store) data(ser *Series) *seriesData {
	k := ser.Key()
	d := s.series[k]
	if d == nil {
		d = &seriesData{series: *ser, ring: newRing[float64](s.cap)}
		s.series[k] = d
		s.index(indexEntry{pts: d})
		s.mem.series += seriesCost(ser, seriesDataSize)
	}
	return d
}

// catalogue returns the series data already looked up for the entries of
// cat, a Samples catalogue (nil where not yet): frames that share one
// catalogue, as a replay's do, skip the map after the first.
func (s *Store) catalogue(cat []Series) []*seriesData {
	if s.catFirst != &cat[0] {
		s.catFirst, s.catData = &cat[0], make([]*seriesData, len(cat))
	} else if len(s.catData) < len(cat) {
		s.catData = append(s.catData, make([]*seriesData, len(cat)-len(s.catData))...)
	}
	return s.catData
}

// push adds one sample to a series' ring.
func (s *Store) push(d *seriesData, t int64, v float64) {
	c := cap(d.ring.ts)
	if !d.ring.push(t, v, s.res) {
		s.drops.OutOfOrder++
	}
	if c != cap(d.ring.ts) {
		s.mem.series += int64(cap(d.ring.ts)-c) * 16
	}
	s.instants.note(t, s.res)
	if t > s.newest {
		s.newest = t
	}
}

// Options returns the store's bounds, defaults filled in.
func (s *Store) Options() StoreOptions { return s.opts }

// Ingest adds a frame. Samples older than their series' newest are ignored
// and counted in Drops.OutOfOrder.
func (s *Store) Ingest(f Frame) {
	// Log records are sized before the lock is taken: a flood's frames
	// hold readers up only for the copies.
	var sizes []int
	if len(f.Logs) > 0 {
		sizes = make([]int, len(f.Logs))
		for i := range f.Logs {
			sizes[i] = LogSize(&f.Logs[i])
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	if f.Backfill {
		s.backGen++
		s.merge(f.Points)
	} else {
		for i := range f.Points {
			p := &f.Points[i]
			s.pushPoint(&p.Series, p.At.UnixNano(), p.Value)
		}
	}
	if c := f.Samples; c.Len() > 0 {
		at := f.At.UnixNano()
		data := s.catalogue(c.Series)
		for i, id := range c.IDs {
			t := at
			if c.At != nil {
				t = c.At[i]
			}
			d := data[id]
			if d == nil {
				d = s.data(&c.Series[id])
				data[id] = d
			}
			s.push(d, t, c.Values[i])
		}
	}
	for i := range f.Histograms {
		h := &f.Histograms[i]
		k := h.Series.Key()
		d := s.hists[k]
		if d == nil {
			d = &histData{series: h.Series, ring: newRing[histSnap](s.cap)}
			s.hists[k] = d
			s.index(indexEntry{hist: d})
			s.mem.hists += seriesCost(&h.Series, histDataSize)
		}
		snap := histSnap{counts: make([]float64, len(h.Buckets)), count: h.Count, sum: h.Sum}
		_, prev, ok := d.ring.last()
		same := ok && len(prev.bounds) == len(h.Buckets)
		for j, b := range h.Buckets {
			snap.counts[j] = b.Count
			if same && prev.bounds[j] != b.UpperBound {
				same = false
			}
		}
		if same {
			snap.bounds = prev.bounds
		} else {
			snap.bounds = make([]float64, len(h.Buckets))
			for j, b := range h.Buckets {
				snap.bounds[j] = b.UpperBound
			}
			// A layout's bounds are counted once, when it appears.
			s.mem.hists += int64(allocSize(8 * len(snap.bounds)))
		}
		t := h.At.UnixNano()
		c := cap(d.ring.ts)
		ok, old, had := d.ring.put(t, snap, s.res)
		s.instants.note(t, s.res)
		if !ok {
			s.drops.OutOfOrder++
		} else {
			s.mem.hists += snapBytes(&snap) + int64(cap(d.ring.ts)-c)*(8+histSnapSize)
			if had {
				s.mem.hists -= snapBytes(&old)
			}
		}
		if t > s.newest {
			s.newest = t
		}
	}
	if len(f.Logs) > 0 && s.logs.end() == 0 || len(f.Spans) > 0 && s.spans.len() == 0 && s.drops.Spans == 0 {
		s.kinds++ // the first log record, the first span
	}
	for i := range f.Logs {
		s.drops.Logs += uint64(s.logs.push(&f.Logs[i], sizes[i]))
	}
	for i := range f.Spans {
		if s.spans.add(&f.Spans[i]) {
			s.drops.Spans++
		}
	}
	for _, e := range f.Events {
		if s.events.push(e) {
			s.drops.Events++
		}
	}
	for _, e := range f.Exemplars {
		s.exemplars.push(e) // the oldest exemplars going is expected, not a loss
	}
	if f.Health != nil {
		h := f.Health.sanitized()
		if _, ok := s.health[h.Source]; !ok {
			s.kinds++
		}
		s.health[h.Source] = h
	}
	// Arrivals are noted in steps of a thousandth of the retention: at
	// most a thousand are kept, whatever the frame rate. Before the first
	// sample nothing is noted: those records count as arriving with the
	// next ones noted (an arrival's end covers every record before it).
	if step := max(int64(s.opts.Retention)/1000, 1); s.newest > 0 {
		if len(f.Logs) > 0 {
			s.logArr.note(s.logs.end(), s.newest/step*step)
		}
		if len(f.Spans) > 0 {
			s.spanArr.note(s.spans.end(), s.newest/step*step)
		}
		if len(f.Exemplars) > 0 {
			s.exArr.note(s.exemplars.end(), s.newest/step*step)
		}
	}
	if s.newest-s.swept > int64(s.opts.Retention)/10 {
		s.sweep()
	}
	if s.opts.Budget > 0 && s.total() > s.opts.Budget {
		s.fit()
	}
}

// sweep evicts series whose newest sample is older than the retention, so
// that label churn cannot grow the store without bound.
func (s *Store) sweep() {
	s.swept = s.newest
	cut := s.newest - int64(s.opts.Retention)
	// Log records, spans and exemplars that arrived more than a retention
	// ago go (whatever time they carry: a file's old lines read now stay
	// a retention). Events stay: the alert history is built of them.
	for upto := s.logArr.expired(cut); s.logs.n > 0 && s.logs.first < upto; {
		s.logs.expire()
	}
	for upto := s.spanArr.expired(cut); s.spans.len() > 0 && s.spans.gone < upto; {
		s.spans.pop()
	}
	for upto := s.exArr.expired(cut); s.exemplars.len() > 0 && s.exemplars.gone < upto; {
		s.exemplars.pop()
	}
	oldest := s.newest
	defer func() { s.instants.trim(oldest, s.res) }()
	for k, d := range s.series {
		if t, _, ok := d.ring.last(); !ok || t < cut {
			delete(s.series, k)
			s.unindex(indexEntry{pts: d})
			s.drops.Series++
			s.catFirst, s.catData = nil, nil
			s.mem.series -= seriesCost(&d.series, seriesDataSize) + ringBytes(&d.ring, 8)
		} else {
			if b := ringBytes(&d.ring, 8); d.ring.trim(cut) > 0 {
				s.mem.series += ringBytes(&d.ring, 8) - b
			}
			t0, _ := d.ring.at(0)
			oldest = min(oldest, t0)
		}
	}
	for k, d := range s.hists {
		if t, sn, ok := d.ring.last(); !ok || t < cut {
			delete(s.hists, k)
			s.unindex(indexEntry{hist: d})
			s.drops.Series++
			s.mem.hists -= seriesCost(&d.series, histDataSize) + histRingBytes(&d.ring) + int64(allocSize(8*len(sn.bounds)))
		} else {
			if b := histRingBytes(&d.ring); d.ring.trim(cut) > 0 {
				s.mem.hists += histRingBytes(&d.ring) - b
			}
			t0, _ := d.ring.at(0)
			oldest = min(oldest, t0)
		}
	}
}

// Generation changes every time a frame is ingested; readers use it to skip
// work when nothing changed.
func (s *Store) Generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}

// Kinds changes whenever the store comes to hold a kind of data it did not
// hold, or stops holding one: a series name, a source's health, the first
// log record, the first span (and at Reset). The console draws at once when
// it changes, instead of at its next refresh.
func (s *Store) Kinds() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.kinds
}

// Newest is the newest sample time ingested, or the zero time.
func (s *Store) Newest() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.newest == 0 {
		return time.Time{}
	}
	return time.Unix(0, s.newest)
}

// Oldest is the oldest sample time the store holds (points and
// histograms), or the zero time. It walks every series: call it rarely.
func (s *Store) Oldest() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var oldest int64
	for _, d := range s.series {
		if d.ring.len() > 0 {
			if t, _ := d.ring.at(0); oldest == 0 || t < oldest {
				oldest = t
			}
		}
	}
	for _, d := range s.hists {
		if d.ring.len() > 0 {
			if t, _ := d.ring.at(0); oldest == 0 || t < oldest {
				oldest = t
			}
		}
	}
	if oldest == 0 {
		return time.Time{}
	}
	return time.Unix(0, oldest)
}

// Select returns the series (points or histograms) called name whose labels
// include every matcher, sorted by key.
func (s *Store) Select(name string, match ...Label) []Series {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Series
	for _, m := range match {
		if m.Name == LabelHost && m.Value != "" {
			// The host's series, sorted once per set of series: a
			// fleet's per-host figures ask for every host at every
			// evaluation.
			all, ok := s.selected.get(s.sets, name, m.Value)
			if !ok {
				if ni := s.byName[name]; ni != nil {
					for _, e := range ni.hosts[m.Value] {
						all = append(all, *e.series())
					}
				}
				sort.Slice(all, func(i, j int) bool { return all[i].Key() < all[j].Key() })
				s.selected.put(s.sets, name, m.Value, all)
			}
			if len(match) == 1 {
				return all
			}
			out = all[:0]
			for _, ser := range all {
				if matches(ser, match) {
					out = append(out, ser)
				}
			}
			return out
		}
	}
	bare := len(match) == 0
	if bare {
		if out, ok := s.selected.get(s.sets, name, ""); ok {
			return out
		}
	}
	if ni := s.byName[name]; ni != nil {
		for _, e := range ni.all {
			if ser := e.series(); matches(*ser, match) {
				out = append(out, *ser)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	if bare {
		s.selected.put(s.sets, name, "", out)
	}
	return out
}

// Names returns every series name the store holds, sorted.
func (s *Store) Names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.byName))
	for n := range s.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func matches(ser Series, match []Label) bool {
	for _, m := range match {
		if ser.Label(m.Name) != m.Value {
			return false
		}
	}
	return true
}

// Last returns the newest sample of the series at or before at, if it is no
// older than the lookback.
func (s *Store) Last(key string, at time.Time) (Sample, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.series[key]
	if d == nil {
		return Sample{}, false
	}
	return s.last(d, at)
}

func (s *Store) last(d *seriesData, at time.Time) (Sample, bool) {
	t := at.UnixNano()
	if r := &d.ring; len(r.ts) > 0 && r.nt <= t {
		// Live: the newest sample, kept beside the slots.
		if t-r.nt > int64(s.opts.Lookback) {
			return Sample{}, false
		}
		return Sample{r.nt, r.nv}, true
	}
	i := d.ring.search(t)
	if i == 0 {
		return Sample{}, false
	}
	ts, v := d.ring.at(i - 1)
	if t-ts > int64(s.opts.Lookback) {
		return Sample{}, false
	}
	return Sample{ts, v}, true
}

// Range returns the samples of the series in (from, to], oldest first.
func (s *Store) Range(key string, from, to time.Time) []Sample {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.series[key]
	if d == nil {
		return nil
	}
	return rangeOf(&d.ring, from.UnixNano(), to.UnixNano(), nil)
}

func rangeOf(r *ring[float64], from, to int64, dst []Sample) []Sample {
	i, j := r.search(from), r.search(to)
	if dst == nil && j > i {
		dst = make([]Sample, 0, j-i)
	}
	for ; i < j; i++ {
		t, v := r.at(i)
		dst = append(dst, Sample{t, v})
	}
	return dst
}

// Increase returns how much a counter grew in (at-window, at], counting
// resets as Prometheus does (a drop means the counter restarted from 0), and
// the span of time the samples cover. It needs two samples in the window.
func (s *Store) Increase(key string, window time.Duration, at time.Time) (inc float64, span time.Duration, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.series[key]
	if d == nil {
		return 0, 0, false
	}
	return increase(d, window, at)
}

func increase(d *seriesData, window time.Duration, at time.Time) (inc float64, span time.Duration, ok bool) {
	r := &d.ring
	i, j := r.search(at.Add(-window).UnixNano()), r.search(at.UnixNano())
	if j-i < 2 {
		return 0, 0, false
	}
	t0, prev := r.at(i)
	var tl int64
	for k := i + 1; k < j; k++ {
		t, v := r.at(k)
		if v >= prev {
			inc += v - prev
		} else {
			inc += v // reset
		}
		prev, tl = v, t
	}
	return inc, time.Duration(tl - t0), true
}

// Rate returns a counter's per-second rate over (at-window, at]: the increase
// divided by the time between the first and last samples in the window. Unlike
// PromQL it does not extrapolate to the window's edges, so two scrapes 15 s
// apart that differ by 45 give exactly 3/s.
func (s *Store) Rate(key string, window time.Duration, at time.Time) (float64, bool) {
	inc, span, ok := s.Increase(key, window, at)
	if !ok || span <= 0 {
		return 0, false
	}
	return inc / span.Seconds(), true
}

// HistDelta is a histogram's distribution over a window: per-bucket counts
// (cumulative, ascending bounds ending in +Inf), their total and sum.
type HistDelta struct {
	Bounds   []float64
	Counts   []float64 // cumulative
	Count    float64
	Sum      float64
	Lifetime bool // true when only one snapshot was available: counts since the process started
	Reset    bool // a counter reset happened inside the window
	Layout   bool // the bucket layout changed inside the window; only the part after it is counted
}

// HistogramDelta returns the distribution of the histogram series over
// (at-window, at]: the newest snapshot at or before at minus the last one at or
// before at-window (or the first one in the window when there is none before
// it). Across a counter reset the newer snapshot counts from zero; across a
// layout change only snapshots of the newest layout are used. With a single
// snapshot it returns the lifetime distribution, flagged.
func (s *Store) HistogramDelta(key string, window time.Duration, at time.Time) (HistDelta, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.hists[key]
	if d == nil {
		return HistDelta{}, false
	}
	r := &d.ring
	j := r.search(at.UnixNano())
	if j == 0 {
		return HistDelta{}, false
	}
	tj, cur := r.at(j - 1)
	if at.UnixNano()-tj > int64(s.opts.Lookback)+int64(window) {
		return HistDelta{}, false
	}
	i := r.search(at.Add(-window).UnixNano()) - 1
	if i < 0 {
		i = 0
	}
	out := HistDelta{Bounds: cur.bounds, Counts: make([]float64, len(cur.counts)), Count: cur.count, Sum: cur.sum}
	copy(out.Counts, cur.counts)
	if i >= j-1 {
		out.Lifetime = true
		return out, true
	}
	// Walk from the newest back to the base, stopping at a layout change,
	// and detect resets on the way.
	base := j - 1
	for k := j - 2; k >= i; k-- {
		_, sn := r.at(k)
		if !sameBounds(sn.bounds, cur.bounds) {
			out.Layout = true
			break
		}
		_, next := r.at(k + 1)
		if next.count < sn.count {
			// The newest restart happened after sn: everything the newest
			// snapshot counts lies inside the window.
			out.Reset = true
			return out, true
		}
		base = k
	}
	if base == j-1 {
		// The layout changed right before the newest snapshot: it alone
		// is all we can say.
		return out, true
	}
	_, b := r.at(base)
	for k := range out.Counts {
		out.Counts[k] -= b.counts[k]
		if out.Counts[k] < 0 {
			out.Counts[k] = 0
		}
		if k > 0 && out.Counts[k] < out.Counts[k-1] {
			out.Counts[k] = out.Counts[k-1] // keep buckets monotonic
		}
	}
	out.Count -= b.count
	out.Sum -= b.sum
	return out, true
}

func sameBounds(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) > 0 && &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Merge adds o into h, bucket by bucket; layouts must match, else it reports false.
func (h *HistDelta) Merge(o HistDelta) bool {
	if h.Bounds == nil {
		*h = HistDelta{Bounds: o.Bounds, Counts: append([]float64(nil), o.Counts...), Count: o.Count, Sum: o.Sum,
			Lifetime: o.Lifetime, Reset: o.Reset, Layout: o.Layout}
		return true
	}
	if !sameBounds(h.Bounds, o.Bounds) {
		return false
	}
	for i := range h.Counts {
		h.Counts[i] += o.Counts[i]
	}
	h.Count += o.Count
	h.Sum += o.Sum
	h.Lifetime = h.Lifetime || o.Lifetime
	h.Reset = h.Reset || o.Reset
	h.Layout = h.Layout || o.Layout
	return true
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of the distribution as PromQL's
// histogram_quantile computes it: linear interpolation inside the bucket that
// holds rank q·count, 0 as the lower bound of the first bucket, and the largest
// finite bound when the rank falls in the +Inf bucket. NaN when empty.
func (h HistDelta) Quantile(q float64) float64 {
	n := len(h.Counts)
	if n == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	total := h.Counts[n-1]
	if total <= 0 {
		return math.NaN()
	}
	if q < 0 {
		return math.Inf(-1)
	}
	if q > 1 {
		return math.Inf(1)
	}
	rank := q * total
	b := sort.Search(n, func(i int) bool { return h.Counts[i] >= rank })
	if b >= n {
		b = n - 1
	}
	if math.IsInf(h.Bounds[b], 1) {
		if b == 0 {
			return math.NaN()
		}
		return h.Bounds[b-1]
	}
	lo, below := 0.0, 0.0
	if b > 0 {
		lo, below = h.Bounds[b-1], h.Counts[b-1]
	} else if h.Bounds[0] <= 0 {
		return h.Bounds[0]
	}
	inBucket := h.Counts[b] - below
	if inBucket <= 0 {
		return h.Bounds[b]
	}
	return lo + (h.Bounds[b]-lo)*(rank-below)/inBucket
}

// Mean is Sum/Count, NaN when empty.
func (h HistDelta) Mean() float64 {
	if h.Count <= 0 {
		return math.NaN()
	}
	return h.Sum / h.Count
}

// Logs returns up to limit of the newest log records in [from, to] that keep
// says to keep (nil keeps all), oldest first.
func (s *Store) Logs(from, to time.Time, limit int, keep func(*LogRecord) bool) []LogRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []LogRecord
	for i := s.logs.n - 1; i >= 0; i-- {
		l := s.logs.at(i)
		if l.At.Before(from) || l.At.After(to) || keep != nil && !keep(l) {
			continue
		}
		out = append(out, *l)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Spans returns up to limit of the newest spans that keep keeps (nil keeps
// all), oldest first. keep sees each span without its attributes (Attrs is
// nil: the store holds them packed, and unpacking is most of the cost of a
// scan); the spans returned carry them.
func (s *Store) Spans(limit int, keep func(*Span) bool) []Span {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.spans.collect(limit, keep)
}

// Events returns up to limit of the newest events in [from, to], oldest first.
func (s *Store) Events(from, to time.Time, limit int) []Event {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return collect(s.events, limit, func(e *Event) bool { return !e.At.Before(from) && !e.At.After(to) })
}

// EachEvent calls fn with each event of the given kind ("" for every kind)
// in [from, to], oldest first, without copying them: fn runs under the
// store's read lock, must not keep the pointer and must not call the store.
// Readers that fold many events into a small answer use it (alerts.ActiveIn
// runs over the whole buffer on every refresh).
func (s *Store) EachEvent(kind string, from, to time.Time, fn func(*Event)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := 0; i < s.events.len(); i++ {
		e := s.events.at(i)
		if (kind == "" || e.Kind == kind) && !e.At.Before(from) && !e.At.After(to) {
			fn(e)
		}
	}
}

// Exemplars returns up to limit of the newest exemplars in [from, to] that
// keep keeps, oldest first.
func (s *Store) Exemplars(from, to time.Time, limit int, keep func(*Exemplar) bool) []Exemplar {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return collect(s.exemplars, limit, func(e *Exemplar) bool {
		return !e.At.Before(from) && !e.At.After(to) && (keep == nil || keep(e))
	})
}

// Health returns every source's last health report, sorted by source name.
func (s *Store) Health() []Health {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Health, 0, len(s.health))
	for _, h := range s.health {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

// Drops returns what the store has let go of so far.
func (s *Store) Drops() Drops {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.drops
}

// Sizes reports how many series, histogram series, logs, spans and events the
// store holds, and the most samples any one series holds.
func (s *Store) Sizes() (series, hists, logs, spans, events, maxRing int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, d := range s.series {
		maxRing = max(maxRing, d.ring.len())
	}
	for _, d := range s.hists {
		maxRing = max(maxRing, d.ring.len())
	}
	return len(s.series), len(s.hists), s.logs.n, s.spans.len(), s.events.len(), maxRing
}

// Reset empties the store (replay uses it before a backward seek). The
// options stay; Generation keeps counting so readers notice.
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.series = make(map[string]*seriesData)
	s.hists = make(map[string]*histData)
	s.byName = make(map[string]*nameIndex)
	s.logs = newLogBuf(s.opts.MaxLogs, s.opts.MaxLogBytes)
	s.spans = newSpanBuf(s.opts.MaxSpans)
	s.events = newFifo(s.opts.MaxEvents, EventSize)
	s.exemplars = newFifo(s.opts.MaxExemplars, ExemplarSize)
	s.health = make(map[string]Health)
	s.drops = Drops{}
	s.mem = memUsage{}
	s.logArr, s.spanArr, s.exArr = arrivals{}, arrivals{}, arrivals{}
	s.cap = max(int(s.opts.Retention/s.opts.Resolution), 2)
	s.newest, s.swept = 0, 0
	s.catFirst, s.catData = nil, nil
	s.instants = instants{}
	s.gen++
	s.sets++
	s.kinds++
}

// fifo is a bounded queue that pushes out its oldest element when full.
// It counts the bytes its elements hold (size of each, plus the slots).
type fifo[T any] struct {
	buf   []T
	head  int // index of the oldest element
	n     int // elements held
	max   int
	size  func(*T) int
	sizes []uint32 // each held element's size, by slot
	bytes int64
	gone  uint64 // elements let go of so far: the oldest held is number gone
}

func newFifo[T any](max int, size func(*T) int) *fifo[T] { return &fifo[T]{max: max, size: size} }

func (f *fifo[T]) len() int { return f.n }

// push appends v and reports whether the oldest element was dropped for it.
func (f *fifo[T]) push(v T) bool {
	dropped := false
	if f.n == f.max {
		f.pop()
		dropped = true
	}
	if f.n == len(f.buf) { // a quarter more: fewer empty slots than doubling
		c := min(max(len(f.buf)+len(f.buf)/4, 8), f.max)
		nb, ns := make([]T, c), make([]uint32, c)
		for i := range f.n {
			j := f.slot(i)
			nb[i], ns[i] = f.buf[j], f.sizes[j]
		}
		var slot T
		f.bytes += int64(c-len(f.buf)) * (int64(unsafe.Sizeof(slot)) + 4)
		f.buf, f.sizes, f.head = nb, ns, 0
	}
	// The slots are counted above: an element's own bytes are its size
	// less the slot it sits in.
	var zero T
	j := f.slot(f.n)
	sz := max(f.size(&v)-int(unsafe.Sizeof(zero)), 0)
	f.buf[j], f.sizes[j] = v, uint32(min(sz, 1<<32-1))
	f.bytes += int64(sz)
	f.n++
	return dropped
}

// pop lets the oldest element go; its slot is cleared so that what it
// points to can be collected.
func (f *fifo[T]) pop() {
	var zero T
	f.bytes -= int64(f.sizes[f.head])
	f.buf[f.head], f.sizes[f.head] = zero, 0
	f.head++
	if f.head == len(f.buf) {
		f.head = 0
	}
	f.n--
	f.gone++
}

// end is the number the next element will get.
func (f *fifo[T]) end() uint64 { return f.gone + uint64(f.n) }

func (f *fifo[T]) slot(i int) int {
	j := f.head + i
	if j >= len(f.buf) {
		j -= len(f.buf)
	}
	return j
}

func (f *fifo[T]) at(i int) *T { return &f.buf[f.slot(i)] }

// collect walks newest to oldest, keeps up to limit (≤0: all) and returns them oldest first.
func collect[T any](f *fifo[T], limit int, keep func(*T) bool) []T {
	var out []T
	for i := f.len() - 1; i >= 0; i-- {
		v := f.at(i)
		if keep != nil && !keep(v) {
			continue
		}
		out = append(out, *v)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// arrivals records when the records of a buffer arrived: the buffer's
// end (the number of the next record) after an ingest, and the store's
// newest sample time then. Both only grow.
type arrivals struct {
	end []uint64
	at  []int64
}

// note records that the records before end arrived by at.
func (a *arrivals) note(end uint64, at int64) {
	if n := len(a.at); n > 0 && a.at[n-1] == at {
		a.end[n-1] = end
		return
	}
	a.end = append(a.end, end)
	a.at = append(a.at, at)
}

// expired returns the number before which every record arrived before
// cut, and forgets those arrivals.
func (a *arrivals) expired(cut int64) uint64 {
	i := sort.Search(len(a.at), func(i int) bool { return a.at[i] >= cut })
	if i == 0 {
		return 0
	}
	upto := a.end[i-1]
	a.end = append(a.end[:0], a.end[i:]...)
	a.at = append(a.at[:0], a.at[i:]...)
	return upto
}
