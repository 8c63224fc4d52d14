package replay

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// loadFrames returns n seconds of the reference load starting at t0, with
// an alert and a critical event in it.
func loadFrames(n int) []sources.Frame {
	g := newRefLoad(t0, 7)
	var out []sources.Frame
	for i := 0; i < n; i++ {
		fs := g.second()
		if i == n/3 {
			fs = append(fs, sources.Frame{Source: "alerts", At: fs[len(fs)-1].At.Add(time.Millisecond), Events: []sources.Event{
				{At: fs[len(fs)-1].At, Kind: "alert", Severity: sources.SevWarning, Text: "p99 latency above 2s"}}})
		}
		if i == 2*n/3 {
			fs = append(fs, sources.Frame{Source: "nvml", At: fs[len(fs)-1].At.Add(time.Millisecond), Events: []sources.Event{
				{At: fs[len(fs)-1].At, Kind: "xid", Severity: sources.SevCritical, Text: "XID 79 on GPU 3"}}})
		}
		out = append(out, fs...)
	}
	return out
}

// liveStore is what a live store held at t: every frame up to t ingested.
func liveStore(frames []sources.Frame, t time.Time) *sources.Store {
	st := sources.NewStore(sources.StoreOptions{})
	for _, f := range frames {
		if !f.At.After(t) {
			st.Ingest(f)
		}
	}
	return st
}

func sameStore(t *testing.T, what string, want, got *sources.Store, at time.Time) {
	t.Helper()
	from := at.Add(-time.Hour)
	w, _ := canon(StoreFrames(want, from, at))
	g, _ := canon(StoreFrames(got, from, at))
	if len(w) == 0 {
		t.Fatalf("%s: the live store is empty", what)
	}
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("%s: replayed store differs from live: %d vs %d frames", what, len(g), len(w))
	}
}

func TestPlayerSeekStepSpeed(t *testing.T) {
	frames := loadFrames(300)
	r := writeOpen(t, "p", frames, 10*time.Second)
	wall := sources.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	store := sources.NewStore(sources.StoreOptions{})
	p := NewPlayer(r, PlayerOptions{Paused: true, Wall: wall, Tick: time.Millisecond, NoFollow: true})
	hub := sources.NewHub(store, p)
	p.Attach(hub)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	from, to := r.Span()
	waitFor(t, "start", func() bool { return p.Now().Equal(from) })

	// Forward seek, then the same instant live.
	mid := from.Add(200*time.Second + 500*time.Millisecond)
	p.Seek(mid)
	waitFor(t, "seek forward", func() bool { return p.Now().Equal(mid) })
	sameStore(t, "forward seek", liveStore(frames, mid), store, mid)

	// Backward seek resets the store and replays from before.
	back := from.Add(42 * time.Second)
	p.Seek(back)
	waitFor(t, "seek back", func() bool { return p.Now().Equal(back) })
	sameStore(t, "backward seek", liveStore(frames, back), store, back)

	// Steps move by whole seconds of the clock: to the last sample of the
	// next (or previous) second that holds one. The load has two sampled
	// frames a second (at about .000 and .400).
	lastIn := func(sec time.Time) time.Time {
		ts := r.FrameTimes(sec, sec.Add(time.Second-1))
		if len(ts) < 2 {
			t.Fatalf("%d samples in the second %v", len(ts), sec)
		}
		return ts[len(ts)-1]
	}
	sec := back.Truncate(time.Second)
	p.Step(1)
	want1 := lastIn(sec.Add(time.Second))
	waitFor(t, "step forward", func() bool { return p.Now().Equal(want1) })
	p.Step(1)
	want2 := lastIn(sec.Add(2 * time.Second))
	waitFor(t, "second step", func() bool { return p.Now().Equal(want2) })
	p.Step(-1)
	waitFor(t, "step back", func() bool { return p.Now().Equal(want1) })
	sameStore(t, "step back", liveStore(frames, want1), store, want1)
	p.Step(-1)
	want0 := lastIn(sec)
	waitFor(t, "step back to the second seeked to", func() bool { return p.Now().Equal(want0) })
	// Every step moves the clock by one second, forward and back.
	for i := 0; i < 5; i++ {
		before := p.Now().Truncate(time.Second)
		p.Step(1)
		waitFor(t, "step", func() bool { return p.Now().Truncate(time.Second).Equal(before.Add(time.Second)) })
	}
	for i := 0; i < 5; i++ {
		before := p.Now().Truncate(time.Second)
		p.Step(-1)
		waitFor(t, "step back", func() bool { return p.Now().Truncate(time.Second).Equal(before.Add(-time.Second)) })
	}

	// Speed ladder and clamps.
	p.Faster()
	p.Faster()
	waitFor(t, "faster", func() bool { return p.State().Speed == 4 })
	p.SetSpeed(1e9)
	waitFor(t, "clamp", func() bool { return p.State().Speed == MaxSpeed })
	p.SetSpeed(0.001)
	waitFor(t, "clamp low", func() bool { return p.State().Speed == MinSpeed })
	p.Slower()
	p.SetSpeed(2)
	waitFor(t, "speed 2", func() bool { return p.State().Speed == 2 })

	// Playing follows the wall clock times the speed.
	pos := p.Now()
	p.Play()
	waitFor(t, "playing", func() bool { return p.State().Playing })
	wall.Advance(5 * time.Second)
	want := pos.Add(10 * time.Second)
	waitFor(t, "play 10s", func() bool { return !p.Now().Before(want) })
	p.Pause()
	waitFor(t, "paused", func() bool { return !p.State().Playing })
	at := p.Now()
	sameStore(t, "after playing", liveStore(frames, at), store, at)

	// Next and previous notable.
	ns := p.State().Notables
	if len(ns) != 2 {
		t.Fatalf("%d notables, want 2", len(ns))
	}
	p.Seek(from)
	p.SeekNotable(false)
	waitFor(t, "next notable", func() bool { return p.Now().Equal(ns[0].At) })
	p.SeekNotable(false)
	waitFor(t, "next notable 2", func() bool { return p.Now().Equal(ns[1].At) })
	p.SeekNotable(true)
	waitFor(t, "previous notable", func() bool { return p.Now().Equal(ns[0].At) })

	// Seeking past the end stops at the end.
	p.Seek(to.Add(time.Hour))
	waitFor(t, "end", func() bool { return p.Now().Equal(to) && p.State().AtEnd })
	sameStore(t, "end", liveStore(frames, to), store, to)
}

func TestLoadMatchesLive(t *testing.T) {
	frames := loadFrames(120)
	r := writeOpen(t, "l", frames, 10*time.Second)
	for _, off := range []time.Duration{1500 * time.Millisecond, 59 * time.Second, 119 * time.Second} {
		at := t0.Add(off)
		st := sources.NewStore(sources.StoreOptions{})
		r.Load(st, at, 0)
		live := liveStore(frames, at)
		sameStore(t, off.String(), live, st, at)
		// What the panes and --once show is the same, too.
		w, _ := json.Marshal(view.Evaluate(live, at, view.Options{}))
		g, _ := json.Marshal(view.Evaluate(st, at, view.Options{}))
		if string(w) != string(g) || !strings.Contains(string(w), "gpu-box-07") {
			t.Fatalf("%s: overview differs:\n live   %s\n replay %s", off, w, g)
		}
	}
}

// TestPlayerFollowsGrowingRecording replays a directory while the recorder
// is still writing to it: the player reaches the end, then plays the new data.
func TestPlayerFollowsGrowingRecording(t *testing.T) {
	dir := t.TempDir()
	rec, err := NewRecorder(dir, RecorderOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	frames := loadFrames(40)
	half := len(frames) / 2
	for _, f := range frames[:half] {
		rec.Write(f)
	}
	rec.Flush()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wall := sources.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	store := sources.NewStore(sources.StoreOptions{})
	p := NewPlayer(r, PlayerOptions{Speed: 3600, Wall: wall, Tick: time.Millisecond})
	hub := sources.NewHub(store, p)
	p.Attach(hub)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	_, end1 := r.Span()
	waitFor(t, "the first end", func() bool { wall.Advance(time.Second); return p.Now().Equal(end1) && p.State().AtEnd })
	for _, f := range frames[half:] {
		rec.Write(f)
	}
	rec.Flush()
	last := frames[len(frames)-1].At
	waitFor(t, "the new data", func() bool { wall.Advance(time.Second); return p.Now().Equal(last) })
	if !p.State().Playing {
		t.Fatal("following stopped playing")
	}
	sameStore(t, "followed", liveStore(frames, last), store, last)
}

func TestOpenProgress(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 3; i++ {
		if err := WriteFile(filepath.Join(dir, segmentName(t0.Add(time.Duration(i)*time.Hour), 0)), loadFrames(10), 0); err != nil {
			t.Fatal(err)
		}
	}
	var calls int
	var lastDone, lastTotal int64
	r, err := OpenWith(dir, OpenOptions{Progress: func(done, total int64) {
		calls++
		if done < lastDone || done > total {
			t.Errorf("progress went %d → %d of %d", lastDone, done, total)
		}
		lastDone, lastTotal = done, total
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if calls < 3 || lastDone != lastTotal || lastTotal == 0 {
		t.Fatalf("%d progress calls, last %d/%d", calls, lastDone, lastTotal)
	}
}

// TestPlayerSkipsGaps: playing at 1x does not wait out an hour with no data.
func TestPlayerSkipsGaps(t *testing.T) {
	frames := loadFrames(20)
	later := loadFrames(20)
	for i := range later {
		later[i].At = later[i].At.Add(time.Hour)
		later[i].Points = shiftPoints(later[i].Points, time.Hour)
	}
	path := filepath.Join(t.TempDir(), "g"+Ext)
	if err := WriteFile(path, append(frames, later...), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.Gaps()) != 1 {
		t.Fatalf("gaps %v", r.Gaps())
	}
	wall := sources.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	p := NewPlayer(r, PlayerOptions{Wall: wall, Tick: time.Millisecond, NoFollow: true})
	hub := sources.NewHub(sources.NewStore(sources.StoreOptions{}), p)
	p.Attach(hub)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	gapEnd := r.Gaps()[0].To
	// The wall clock moves 100 ms per look, so at 1x crossing the hour
	// would take 36,000 looks; the deadline allows a few thousand. The
	// player must go on from the gap's end instead.
	waitFor(t, "playing", func() bool { return p.State().Playing })
	waitFor(t, "past the gap", func() bool { wall.Advance(100 * time.Millisecond); return !p.Now().Before(gapEnd) })
}
