package tui

import (
	"bytes"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// TestPacer runs the console as a program made by NewProgram: the pacer
// finds the renderer's ticker (an upgrade of Bubble Tea that moves it
// fails here), frames reach the output, and between them the ticker is
// slowed.
func TestPacer(t *testing.T) {
	st, mon, end := fixtureStore()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var mu sync.Mutex
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, err := r.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	m := New(Options{Store: st, Clock: &fixedClock{end}, Drift: mon})
	prog := NewProgram(m, w, 20, tea.WithInput(nil), tea.WithoutSignals())
	ran := make(chan error, 1)
	go func() { _, err := prog.Run(); w.Close(); ran <- err }()
	prog.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	waitOut := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; {
			mu.Lock()
			ok := bytes.Contains(out.Bytes(), []byte(want))
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q never reached the terminal", want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitSlow := func() {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; {
			m.s.pacer.mu.Lock()
			found, fast := m.s.pacer.ticker != nil, m.s.pacer.fast
			m.s.pacer.mu.Unlock()
			if !found && m.s.pacer.looked {
				t.Fatal("the pacer did not find Bubble Tea's renderer ticker")
			}
			if found && !fast {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the renderer's ticker was not slowed after the frame went out")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitOut("recsys-api")
	waitSlow()
	prog.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("3")})
	waitOut("3:latency")
	waitSlow()
	prog.Quit()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the program did not quit")
	}
	<-done
	_, _ = io.Copy(io.Discard, r)
}

// fixedClock is a clock that stands still (the pacer test reads it from
// the program's goroutines).
type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

// A frame that changes while a look is due, and so may miss the write
// that ends the look, gets one more look soon instead of waiting for the
// safety net; and when that look writes nothing the ticker is slowed.
func TestPacerLooksAgainForAFrameDuringAWrite(t *testing.T) {
	tk := time.NewTicker(time.Hour)
	defer tk.Stop()
	p := &pacer{minFrame: 10 * time.Millisecond, looked: true, ticker: tk}
	state := func() (fast, changed bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.fast, p.changed
	}
	p.frame("a")
	if fast, _ := state(); !fast {
		t.Fatal("a changed frame did not set the ticker to look soon")
	}
	p.frame("b") // View returned b while a was being written
	p.wrote()    // the write of a
	if fast, changed := state(); !fast || changed {
		t.Fatalf("after a write that b may have missed: fast %v, changed %v; want a look again", fast, changed)
	}
	select {
	case <-tk.C: // the look comes; the safety net would be 1.5 s
	case <-time.After(paceIdle - 100*time.Millisecond):
		t.Fatal("no look for the frame that came during the write")
	}
	// That look writes nothing (b was in the write): the ticker slows.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if fast, _ := state(); !fast {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the ticker was not slowed after an extra look that wrote nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Without a frame during the write, the write slows the ticker at once.
	p.frame("c")
	p.wrote()
	if fast, _ := state(); fast {
		t.Error("a write with no frame behind it left the ticker fast")
	}
}
