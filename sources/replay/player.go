package replay

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

var playerSeq atomic.Uint64

// Speeds is the ladder that Faster and Slower move along (x real time).
var Speeds = []float64{0.25, 0.5, 1, 2, 4, 8, 16, 30, 60, 120, 300, 600, 1800, 3600}

// MinSpeed and MaxSpeed bound SetSpeed (x real time).
const (
	MinSpeed = 0.25
	MaxSpeed = 3600
)

// controlPrefix starts the Source of the frames a Player sends through the
// hub to itself (store resets and position marks); they carry no data.
const controlPrefix = "\x00replay:"

// IsControl reports whether f is a player's control frame, which sinks
// other than the player (a recorder) must ignore.
func IsControl(f *sources.Frame) bool { return strings.HasPrefix(f.Source, controlPrefix) }

// PlayerOptions tunes a Player. Zero fields take the defaults.
type PlayerOptions struct {
	// Store is the store the hub feeds; it is reset before a backward seek.
	Store *sources.Store
	// Preroll is how much history is replayed before a seek target, so that
	// rates, quantiles and sparklines at the target are what live showed;
	// default 15 min, at most the store's retention.
	Preroll time.Duration
	// Speed is the initial speed (x real time); default 1.
	Speed float64
	// Start is where playback begins; default the recording's start.
	Start time.Time
	// Paused starts paused.
	Paused bool
	// NoFollow stops at the end instead of waiting for new data (a
	// recording still being written is followed by default).
	NoFollow bool
	// Wall is the real clock that paces playback; default the wall clock.
	Wall sources.Clock
	// Tick is how often playback advances while playing; default 50 ms.
	Tick time.Duration
}

// State is a snapshot of a Player, for the timeline and status bar.
type State struct {
	Pos      time.Time // the replayed instant: every frame at or before it was emitted
	From, To time.Time // the recording's first and last frame times
	Playing  bool
	Speed    float64 // x real time
	AtEnd    bool    // Pos is at the end of what is recorded so far
	Gaps     []Gap
	Notables []Notable // alerts, markers and critical events, in time order
	Warning  string    // the newest reader warning (a skipped block, ...), "" when none
}

// Player replays a recording as a source: a sources.Streamer whose frames
// go through the hub like live ones, and a sources.Clock whose time is the
// replayed instant. Attach it to the hub; control it from any goroutine.
type Player struct {
	r    *Reader
	opts PlayerOptions

	cmds    chan func()
	resetID string
	posID   string

	mu       sync.Mutex
	attached bool
	shown    time.Time // the position the hub has ingested up to
	st       State
	anchorW  time.Time // wall time of the last (re)anchor
	anchorP  time.Time // position then

	// Run goroutine only.
	emit        func(sources.Frame)
	lastRefresh time.Time
}

// NewPlayer returns a player over r. Call Attach, then run the hub.
func NewPlayer(r *Reader, opts PlayerOptions) *Player {
	if opts.Preroll <= 0 {
		opts.Preroll = 15 * time.Minute
	}
	if opts.Store != nil {
		opts.Preroll = min(opts.Preroll, opts.Store.Options().Retention)
	}
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	if opts.Wall == nil {
		opts.Wall = sources.WallClock{}
	}
	if opts.Tick <= 0 {
		opts.Tick = 50 * time.Millisecond
	}
	id := fmt.Sprint(playerSeq.Add(1))
	p := &Player{r: r, opts: opts, cmds: make(chan func(), 64), resetID: controlPrefix + "reset " + id, posID: controlPrefix + "pos " + id}
	p.st.Speed = clampSpeed(opts.Speed)
	p.st.Playing = !opts.Paused
	p.refreshLocked()
	return p
}

// Reader returns the recording the player reads.
func (p *Player) Reader() *Reader { return p.r }

// Name identifies the player as a source.
func (p *Player) Name() string { return "replay" }

// Attach registers the player with the hub as a source and as the sink
// that applies its store resets and positions in order with the frames.
// Pass the player as the hub's clock too (sources.NewHub(store, player)).
func (p *Player) Attach(h *sources.Hub) {
	p.mu.Lock()
	p.attached = true
	if p.opts.Store == nil {
		p.opts.Store = h.Store()
		p.opts.Preroll = min(p.opts.Preroll, h.Store().Options().Retention)
	}
	p.mu.Unlock()
	h.Add(p)
	h.AddSink(p.Sink)
}

// Sink applies the player's control frames; Attach registers it.
func (p *Player) Sink(f sources.Frame) {
	switch f.Source {
	case p.resetID:
		if p.opts.Store != nil {
			p.opts.Store.Reset()
		}
	case p.posID:
		p.mu.Lock()
		p.shown = f.At
		p.mu.Unlock()
	}
}

// Now is the replayed instant (the sources.Clock of replay): the position
// the hub's store has caught up with.
func (p *Player) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.attached && !p.shown.IsZero():
		return p.shown
	case !p.st.Pos.IsZero():
		return p.st.Pos
	}
	// Before the first position reached the store: the recording's start
	// (or, when Start was given, that), never the zero time.
	if !p.opts.Start.IsZero() {
		return p.opts.Start
	}
	return p.st.From
}

// State returns a snapshot for display.
func (p *Player) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

func clampSpeed(x float64) float64 {
	if math.IsNaN(x) {
		return 1
	}
	return min(max(x, MinSpeed), MaxSpeed)
}

func (p *Player) post(fn func()) {
	select {
	case p.cmds <- fn:
	default: // a flood of keys: drop rather than block the UI
	}
}

// Toggle plays when paused and pauses when playing.
func (p *Player) Toggle() {
	p.post(func() { p.setPlaying(!p.State().Playing) })
}

// Play resumes playback.
func (p *Player) Play() { p.post(func() { p.setPlaying(true) }) }

// Pause stops playback where it is.
func (p *Player) Pause() { p.post(func() { p.setPlaying(false) }) }

// SetSpeed sets the speed, clamped to [MinSpeed, MaxSpeed] (x real time).
func (p *Player) SetSpeed(x float64) {
	p.post(func() {
		p.mu.Lock()
		p.reanchorLocked()
		p.st.Speed = clampSpeed(x)
		p.mu.Unlock()
	})
}

// Faster moves one step up Speeds.
func (p *Player) Faster() { p.post(func() { p.ladder(+1) }) }

// Slower moves one step down Speeds.
func (p *Player) Slower() { p.post(func() { p.ladder(-1) }) }

func (p *Player) ladder(dir int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := p.st.Speed
	next := cur
	if dir > 0 {
		for _, s := range Speeds {
			if s > cur {
				next = s
				break
			}
		}
	} else {
		for i := len(Speeds) - 1; i >= 0; i-- {
			if Speeds[i] < cur {
				next = Speeds[i]
				break
			}
		}
	}
	p.reanchorLocked()
	p.st.Speed = next
}

// Step pauses and moves n steps forward (n > 0) or back (n < 0). A step
// goes to the next (or previous) second that holds a sample, a frame with
// points or histograms: the unit the timeline's clock shows, so that each
// press moves the clock, and by one second where data is that dense. It
// stops at the last sample of that second, so the second is shown whole.
func (p *Player) Step(n int) { p.post(func() { p.step(n) }) }

// StepUnit is how far apart two steps' positions are at least: the unit of
// the replay clock.
const StepUnit = time.Second

// Seek moves to t (clamped to the recording), keeping play or pause.
func (p *Player) Seek(t time.Time) { p.post(func() { p.seek(t) }) }

// SeekNotable pauses at the next (or, back, the previous) alert, marker or
// critical event.
func (p *Player) SeekNotable(back bool) { p.post(func() { p.seekNotable(back) }) }

// Run plays until ctx is done. It implements sources.Streamer.
func (p *Player) Run(ctx context.Context, emit func(sources.Frame)) error {
	p.emit = emit
	start := p.opts.Start
	st := p.State()
	if start.IsZero() {
		start = st.From
	}
	p.jump(start)
	p.mu.Lock()
	p.reanchorLocked()
	p.mu.Unlock()
	tick := time.NewTicker(p.opts.Tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case fn := <-p.cmds:
			fn()
		case <-tick.C:
			p.advance()
		}
	}
}

func (p *Player) reanchorLocked() {
	p.anchorW = p.opts.Wall.Now()
	p.anchorP = p.st.Pos
}

func (p *Player) setPlaying(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on && p.st.AtEnd && p.opts.NoFollow {
		return
	}
	p.st.Playing = on
	p.reanchorLocked()
}

// advance moves playback by the wall time elapsed times the speed, and
// looks for new data at the end of a growing recording.
func (p *Player) advance() {
	p.mu.Lock()
	playing, atEnd := p.st.Playing, p.st.AtEnd
	now := p.opts.Wall.Now()
	target := p.anchorP.Add(time.Duration(float64(now.Sub(p.anchorW)) * p.st.Speed))
	p.mu.Unlock()
	if atEnd && !p.opts.NoFollow && now.Sub(p.lastRefresh) >= time.Second {
		p.lastRefresh = now
		if added, _ := p.r.Refresh(); added {
			p.mu.Lock()
			p.refreshLocked()
			p.mu.Unlock()
		}
	}
	if !playing {
		return
	}
	// Playing does not sit through a gap (the recorder was off): it goes
	// on from the gap's end, as asciinema shortens idle time.
	p.mu.Lock()
	for _, g := range p.st.Gaps {
		if target.After(g.From) && target.Before(g.To) && !p.st.Pos.Before(g.From) {
			target = g.To
			p.anchorW, p.anchorP = now, g.To
			break
		}
	}
	p.mu.Unlock()
	p.moveTo(target)
}

// refreshLocked re-reads what the reader knows about the recording.
func (p *Player) refreshLocked() {
	p.st.From, p.st.To = p.r.Span()
	p.st.Gaps = p.r.Gaps()
	p.st.Notables = p.r.Notables()
	if w := p.r.Warnings(); len(w) > 0 {
		p.st.Warning = w[len(w)-1]
	}
	p.st.AtEnd = !p.st.Pos.Before(p.st.To)
}

// moveTo plays forward to t: the frames in (Pos, t] go out, unless that is
// more than the preroll, when it jumps instead.
func (p *Player) moveTo(t time.Time) {
	st := p.State()
	if t.After(st.To) {
		t = st.To
	}
	if !t.After(st.Pos) {
		p.atEnd(t)
		return
	}
	if t.Sub(st.Pos) > p.opts.Preroll {
		p.jump(t)
		return
	}
	n := 0
	p.r.Frames(st.Pos.Add(1), t, func(f sources.Frame) bool {
		p.emit(f)
		n++
		return true
	})
	p.setPos(t, n > 0)
}

func (p *Player) atEnd(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.AtEnd = !p.st.Pos.Before(p.st.To)
	if p.st.AtEnd && p.opts.NoFollow {
		p.st.Playing = false
	}
	if p.st.AtEnd && p.st.Playing {
		// Following: keep the anchor at the end so new data plays at
		// the chosen speed from where it starts.
		p.reanchorLocked()
	}
}

// setPos moves the position to t. The clock (Now) follows through a
// position frame sent behind the data frames, so that it never runs ahead
// of the store; when no data went out and no position is pending, the
// clock moves at once (no frame, no redraw through the hub).
func (p *Player) setPos(t time.Time, emitted bool) {
	p.mu.Lock()
	pending := !p.shown.Equal(p.st.Pos)
	p.st.Pos = t
	p.st.AtEnd = !t.Before(p.st.To)
	if w := p.r.Warnings(); len(w) > 0 {
		p.st.Warning = w[len(w)-1]
	}
	direct := p.attached && !emitted && !pending
	if direct {
		p.shown = t
	}
	p.mu.Unlock()
	if !direct {
		p.emit(sources.Frame{Source: p.posID, At: t})
	}
	p.atEnd(t)
}

// jump resets the store and replays the preroll before t.
func (p *Player) jump(t time.Time) {
	st := p.State()
	if t.After(st.To) {
		t = st.To
	}
	if t.Before(st.From) {
		t = st.From
	}
	p.emit(sources.Frame{Source: p.resetID, At: t})
	p.r.Frames(t.Add(-p.opts.Preroll), t, func(f sources.Frame) bool {
		p.emit(f)
		return true
	})
	p.setPos(t, true)
	p.mu.Lock()
	p.reanchorLocked()
	p.mu.Unlock()
}

func (p *Player) seek(t time.Time) {
	st := p.State()
	if !t.Before(st.Pos) && t.Sub(st.Pos) <= p.opts.Preroll {
		p.moveTo(t)
	} else {
		p.jump(t)
	}
	p.mu.Lock()
	p.reanchorLocked()
	p.mu.Unlock()
}

func (p *Player) step(n int) {
	p.mu.Lock()
	p.st.Playing = false
	p.mu.Unlock()
	for ; n > 0; n-- {
		st := p.State()
		// The first sample after the second shown, then the last of its
		// second.
		var next time.Time
		p.r.Frames(st.Pos.Truncate(StepUnit).Add(StepUnit), st.To, func(f sources.Frame) bool {
			if f.NumPoints()+len(f.Histograms) > 0 {
				next = f.At
				return false
			}
			return true
		})
		if next.IsZero() {
			break
		}
		sec := next.Truncate(StepUnit)
		if ts := p.r.FrameTimes(sec, sec.Add(StepUnit-1)); len(ts) > 0 {
			next = ts[len(ts)-1]
		}
		p.moveTo(next)
	}
	for ; n < 0; n++ {
		// The last sample before the second shown.
		st := p.State()
		shown := st.Pos.Truncate(StepUnit)
		var prev time.Time
		for win := time.Minute; prev.IsZero(); win *= 4 {
			from := shown.Add(-win)
			ts := p.r.FrameTimes(from, shown.Add(-1))
			if len(ts) > 0 {
				prev = ts[len(ts)-1]
			}
			if from.Before(st.From) {
				break
			}
		}
		if prev.IsZero() {
			break
		}
		p.jump(prev)
	}
	p.mu.Lock()
	p.reanchorLocked()
	p.mu.Unlock()
}

func (p *Player) seekNotable(back bool) {
	st := p.State()
	var to time.Time
	if back {
		for i := len(st.Notables) - 1; i >= 0; i-- {
			if st.Notables[i].At.Before(st.Pos) {
				to = st.Notables[i].At
				break
			}
		}
	} else {
		for _, n := range st.Notables {
			if n.At.After(st.Pos) {
				to = n.At
				break
			}
		}
	}
	if to.IsZero() {
		return
	}
	p.mu.Lock()
	p.st.Playing = false
	p.mu.Unlock()
	p.seek(to)
}

// Load fills store with what a live store held at the instant at: the
// frames of [at-preroll, at], ingested in order. Headless replay (--once
// --at) uses it; a preroll of 0 means 15 minutes.
func (r *Reader) Load(store *sources.Store, at time.Time, preroll time.Duration) int {
	if preroll <= 0 {
		preroll = 15 * time.Minute
	}
	preroll = min(preroll, store.Options().Retention)
	n := 0
	r.Frames(at.Add(-preroll), at, func(f sources.Frame) bool {
		store.Ingest(f)
		n++
		return true
	})
	return n
}
