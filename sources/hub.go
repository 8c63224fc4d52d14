package sources

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// Hub runs sources and fans their frames into the store and any sinks (the
// recorder, the drift monitor). Pollers run on their own goroutines with a
// timeout per poll; a slow or dead source only delays itself.
type Hub struct {
	store *Store
	clock Clock

	mu      sync.Mutex
	sources []Source
	sinks   []func(Frame)
	lastOK  map[string]time.Time
	kick    []chan struct{}

	frames  chan Frame
	updates chan struct{}

	// burst is the bytes of log lines ingested since memory was last given
	// back, and lastLog when the last of them came (hub goroutine only).
	burst   int64
	lastLog time.Time
}

// Memory given back after a log flood: once burstBytes of lines have come
// in and none for burstQuiet, the heap the flood's parsing left is
// collected and returned to the system at once, instead of over minutes
// (Go's scavenger gives back slowly, and nothing triggers a collection
// while nothing is allocated).
const (
	burstBytes = 32 << 20
	burstQuiet = 3 * time.Second
)

// NewHub returns a hub that feeds store and reads time from clock.
func NewHub(store *Store, clock Clock) *Hub {
	return &Hub{
		store:   store,
		clock:   clock,
		lastOK:  make(map[string]time.Time),
		frames:  make(chan Frame, 256),
		updates: make(chan struct{}, 1),
	}
}

// Store returns the hub's store.
func (h *Hub) Store() *Store { return h.store }

// Add registers a source; call it before Run.
func (h *Hub) Add(s Source) {
	h.mu.Lock()
	h.sources = append(h.sources, s)
	h.mu.Unlock()
}

// Sources returns the registered sources.
func (h *Hub) Sources() []Source {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Source(nil), h.sources...)
}

// AddSink registers fn to see every frame after the store has ingested it.
// Sinks run on the hub's ingest goroutine and must be quick.
func (h *Hub) AddSink(fn func(Frame)) {
	h.mu.Lock()
	h.sinks = append(h.sinks, fn)
	h.mu.Unlock()
}

// Updates delivers a value after frames were ingested; bursts coalesce into one.
func (h *Hub) Updates() <-chan struct{} { return h.updates }

// Emit hands a frame to the hub as a source would. It blocks while the
// ingest queue is full, until ctx is done.
func (h *Hub) Emit(ctx context.Context, f Frame) {
	select {
	case h.frames <- f:
	case <-ctx.Done():
	}
}

// Run starts every source and ingests their frames until ctx is done.
func (h *Hub) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range h.Sources() {
		switch s := s.(type) {
		case Poller:
			kick := make(chan struct{}, 1)
			h.mu.Lock()
			h.kick = append(h.kick, kick)
			h.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.runPoller(ctx, s, kick)
			}()
		case Streamer:
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.runStreamer(ctx, s)
			}()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	// The quiet timer runs only after a burst: an idle hub wakes for
	// nothing but frames.
	var quiet *time.Timer
	var quietC <-chan time.Time
	defer func() {
		if quiet != nil {
			quiet.Stop()
		}
	}()
	for {
		select {
		case f := <-h.frames:
			h.ingest(f)
			if len(f.Logs) > 0 {
				for i := range f.Logs {
					h.burst += int64(len(f.Logs[i].Raw))
				}
				h.lastLog = time.Now()
				if h.burst >= burstBytes && quietC == nil {
					quiet = time.NewTimer(burstQuiet)
					quietC = quiet.C
				}
			}
		case <-quietC:
			if wait := burstQuiet - time.Since(h.lastLog); wait > 0 {
				quiet.Reset(wait)
				break
			}
			h.burst, quietC = 0, nil
			go debug.FreeOSMemory()
		case <-ctx.Done():
			<-done
			return
		}
	}
}

// PollNow asks every poller to poll at once (Ctrl-R).
func (h *Hub) PollNow() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range h.kick {
		select {
		case k <- struct{}{}:
		default:
		}
	}
}

// PollOnce polls every poller once, concurrently, and ingests the frames
// before it returns. Once mode and tests use it instead of Run.
func (h *Hub) PollOnce(ctx context.Context) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var frames []Frame
	for _, s := range h.Sources() {
		p, ok := s.(Poller)
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := h.poll(ctx, p)
			mu.Lock()
			frames = append(frames, f)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, f := range frames {
		h.ingest(f)
	}
}

// Drain ingests every frame already queued, without waiting for more.
func (h *Hub) Drain() {
	for {
		select {
		case f := <-h.frames:
			h.ingest(f)
		default:
			return
		}
	}
}

// Ingest puts a frame into the store and through the sinks at once, on the
// caller's goroutine; headless replay uses it to rebuild what live held.
func (h *Hub) Ingest(f Frame) { h.ingest(f) }

func (h *Hub) ingest(f Frame) {
	h.store.Ingest(f)
	h.mu.Lock()
	sinks := h.sinks
	h.mu.Unlock()
	for _, fn := range sinks {
		fn(f)
	}
	select {
	case h.updates <- struct{}{}:
	default:
	}
}

func (h *Hub) runPoller(ctx context.Context, p Poller, kick <-chan struct{}) {
	iv := p.Interval()
	if iv <= 0 {
		iv = time.Second
	}
	// The first poll runs at once; the next ones on the beats of iv,
	// with every other loop of the process that is due (beat.go).
	t := NewBeat(iv)
	defer t.Stop()
	for {
		f := h.poll(ctx, p)
		select {
		case h.frames <- f:
		case <-ctx.Done():
			return
		}
		t.Next()
		select {
		case <-t.C:
		case <-kick:
		case <-ctx.Done():
			return
		}
	}
}

// poll runs one poll with a timeout of the poller's interval (at least 1 s,
// at most 10 s) and makes sure the frame carries the source's health.
func (h *Hub) poll(ctx context.Context, p Poller) (f Frame) {
	timeout := min(max(p.Interval(), time.Second), 10*time.Second)
	if t, ok := p.(interface{ Timeout() time.Duration }); ok && t.Timeout() > 0 {
		timeout = t.Timeout()
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	now := h.clock.Now()
	start := time.Now()
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("source crashed: %v", r)
			}
		}()
		f, err = p.Poll(cctx, now)
	}()
	elapsed := time.Since(start)
	name := p.Name()
	f.Source, f.At = name, now
	h.mu.Lock()
	defer h.mu.Unlock()
	if f.Health == nil {
		f.Health = &Health{Source: name}
	}
	hl := f.Health
	hl.Source, hl.At, hl.Interval = name, now, p.Interval()
	if hl.Duration == 0 {
		hl.Duration = elapsed
	}
	switch {
	case err != nil:
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(cctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s", timeout)
		}
		hl.State = HealthError
		hl.Err = OneLine(err.Error())
		hl.LastOK = h.lastOK[name]
	case hl.State == HealthDisabled:
	default:
		if hl.State != HealthIdle { // idle is up: a poll that worked and brought nothing
			hl.State = HealthOK
		}
		hl.LastOK = now
		h.lastOK[name] = now
	}
	return f
}

func (h *Hub) runStreamer(ctx context.Context, s Streamer) {
	name := s.Name()
	emit := func(f Frame) {
		if f.Source == "" {
			f.Source = name
		}
		h.Emit(ctx, f)
	}
	for {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("source crashed: %v", r)
				}
			}()
			return s.Run(ctx, emit)
		}()
		if ctx.Err() != nil {
			return
		}
		now := h.clock.Now()
		hl := &Health{Source: name, State: HealthError, At: now}
		if err != nil {
			hl.Err = OneLine(err.Error())
		} else {
			hl.Err = "stream ended"
		}
		h.Emit(ctx, Frame{Source: name, At: now, Health: hl})
		// Restart after a pause, so a crash loop cannot spin.
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			return
		}
	}
}
