package tui

import (
	"os"
	"reflect"
	"sync"
	"time"
	"unsafe"

	tea "github.com/charmbracelet/bubbletea"
)

// Frames are written when they change, not on a clock.
//
// Bubble Tea v1's renderer looks for a new frame on a ticker at the
// program's frame rate, whether or not anything changed. A console whose
// screen changes once a second then wakes twenty times a second for
// nothing, and on a virtual machine, where each wake-up of a thread costs
// tens of microseconds of kernel time, those ticks were half of an idle
// console's CPU. The pacer slows the ticker to once every 1.5 s (a safety
// net) while the screen stands still. When View returns a frame that
// differs from the last, it sets the ticker to fire 2 ms later (or, when
// the previous frame went out less than a frame period ago, at the end of
// that period), and once the renderer has written to the terminal it slows
// the ticker again. A key's frame reaches the terminal a few milliseconds
// after its Update instead of up to a frame period later, and a still
// screen costs no wake-ups but its own refresh.
//
// A frame that changes while a look is due (View runs on the event loop
// while the renderer writes the frame before it) may miss that write: it
// reaches the renderer after the write began, and the write then slowed
// the ticker, so the frame waited for the next refresh or the safety net,
// up to a second and a half (under a log flood, keys took 0.2-1 s now and
// then). Such a frame gets one more look, and the ticker is slowed again
// when that look finds nothing to write.
//
// The renderer's ticker is not part of Bubble Tea's API: the pacer finds
// it by reflection in the pinned v1.3.10's renderer (TestPacerFindsTicker
// fails if an upgrade moves it). Where it is not found nothing changes: the
// renderer ticks at the program's frame rate, as before.

const (
	// paceSoon is how long after a changed frame the renderer is asked to
	// look: enough for the event loop to hand it the frame.
	paceSoon = 2 * time.Millisecond
	// paceIdle is the renderer's tick while nothing is to be written: a
	// frame the pacer missed is written at most this late. It is longer
	// than the console's refresh (once a second, on the beat): at exactly a
	// second it came due a few milliseconds before or after the next
	// second's frame, and half the time woke the renderer for nothing just
	// before that frame's own look.
	paceIdle = 1500 * time.Millisecond
)

// pacer drives the renderer's ticker from the frames View returns and the
// writes the renderer makes.
type pacer struct {
	prog     *tea.Program
	minFrame time.Duration // the least time between two writes (1/fps)

	mu        sync.Mutex
	looked    bool         // the ticker was looked for
	ticker    *time.Ticker // the renderer's; nil if not found
	fast      bool         // set to write a frame soon
	changed   bool         // a frame changed while fast: it may have missed the write
	last      string       // the last frame View returned
	lastWrite time.Time
	writes    uint64 // writes to the terminal
}

// frame is told of every frame View returns (on the event loop's goroutine,
// right before the renderer is handed it).
func (p *pacer) frame(s string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.looked {
		// The renderer and its ticker are made by Run before the first
		// View, on this goroutine.
		p.looked = true
		p.ticker = rendererTicker(p.prog)
	}
	if p.ticker == nil || s == p.last {
		return
	}
	p.last = s
	if p.fast {
		p.changed = true // a look is due already; see wrote
		return
	}
	p.arm()
}

// arm sets the ticker to look soon (p.mu held).
func (p *pacer) arm() {
	p.fast = true
	p.ticker.Reset(max(paceSoon, time.Until(p.lastWrite.Add(p.minFrame))))
}

// wrote is told of every write the renderer makes to the terminal: the
// frame it was waiting for is out.
func (p *pacer) wrote() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastWrite = time.Now()
	p.writes++
	if p.ticker == nil || !p.fast {
		return
	}
	if p.changed {
		// A frame came while this write was due: look once more, and
		// slow down if that look writes nothing.
		p.changed = false
		p.arm()
		w := p.writes
		time.AfterFunc(p.minFrame+paceSettle, func() { p.settle(w) })
		return
	}
	p.fast = false
	p.ticker.Reset(paceIdle)
}

// paceSettle is how long after an extra look is due it is taken as done:
// long enough for the renderer to run on a busy machine.
const paceSettle = 250 * time.Millisecond

// settle slows the ticker when nothing was written since the w-th write:
// the extra look, however many times the ticker fired, found the frame
// written already.
func (p *pacer) settle(w uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fast && p.writes == w {
		p.fast, p.changed = false, false
		p.ticker.Reset(paceIdle)
	}
}

// rendererTicker returns the ticker of prog's standard renderer, or nil.
func rendererTicker(prog *tea.Program) *time.Ticker {
	if prog == nil {
		return nil
	}
	r := reflect.ValueOf(prog).Elem().FieldByName("renderer")
	if !r.IsValid() || r.Kind() != reflect.Interface || r.IsNil() {
		return nil
	}
	sr := r.Elem()
	if sr.Kind() != reflect.Pointer || sr.IsNil() || sr.Elem().Kind() != reflect.Struct {
		return nil
	}
	t := sr.Elem().FieldByName("ticker")
	if !t.IsValid() || t.Type() != reflect.TypeFor[*time.Ticker]() {
		return nil
	}
	return *(**time.Ticker)(unsafe.Pointer(t.UnsafeAddr()))
}

// pacedOutput is the terminal the program writes to; it tells the pacer of
// every write. It is the terminal file itself to Bubble Tea (which asks it
// for its size and modes).
type pacedOutput struct {
	*os.File
	p *pacer
}

func (o pacedOutput) Write(b []byte) (int, error) {
	n, err := o.File.Write(b)
	o.p.wrote()
	return n, err
}

// NewProgram returns the Bubble Tea program that runs m on the terminal
// out, with frames paced by change (see above). fps is the most frames a
// second it writes. opts must not set the output.
func NewProgram(m Model, out *os.File, fps int, opts ...tea.ProgramOption) *tea.Program {
	fps = max(fps, 1)
	pc := &pacer{minFrame: time.Second / time.Duration(fps)}
	prog := tea.NewProgram(m, append(opts, tea.WithOutput(pacedOutput{File: out, p: pc}), tea.WithFPS(fps))...)
	pc.prog = prog
	m.s.pacer = pc
	return prog
}
