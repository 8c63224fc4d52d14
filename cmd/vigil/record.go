package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources/replay"
	"github.com/vigil-dev/vigil/tui/pane"
)

// startRecording writes every frame the hub sees to a recording in dir.
func (s *session) startRecording(dir string) error {
	rec, err := replay.NewRecorder(dir, replay.RecorderOptions{Logger: s.log, MaxTotalBytes: s.o.recordMaxSize, MaxAge: s.o.recordMaxAge})
	if err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	rec.Write(s.settingsFrame())
	s.hub.AddSink(rec.Write)
	s.recorder = rec
	s.close = append(s.close, func() {
		if err := rec.Close(); err != nil {
			s.log.Error("closing the recording", "err", err)
		}
	})
	return nil
}

// marker is m / :mark NOTE in the console: a marker with a note in the
// recording, written (and synced) off the UI goroutine.
func (s *session) marker(at time.Time, note string) tea.Cmd {
	rec := s.recorder
	return func() tea.Msg {
		if err := rec.Marker(at, note); err != nil {
			return pane.StatusMsg{Text: "marker: " + err.Error(), Error: true}
		}
		return pane.StatusMsg{Text: "marker written at " + at.Format("15:04:05")}
	}
}

// snapshot is Ctrl-S: save what the store holds of [at-window, at] to a
// recording in $XDG_STATE_HOME/vigil/snapshots, off the UI goroutine.
func (s *session) snapshot(at time.Time, window time.Duration) tea.Cmd {
	st, dir := s.store, snapshotDir()
	return func() tea.Msg {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return pane.StatusMsg{Text: "snapshot: " + err.Error(), Error: true}
		}
		path := filepath.Join(dir, "vigil-snapshot-"+at.UTC().Format("20060102T150405Z")+".vrec")
		n, err := replay.SaveStore(st, at.Add(-window), at, path)
		if err != nil {
			return pane.StatusMsg{Text: "snapshot: " + err.Error(), Error: true}
		}
		return pane.StatusMsg{Text: fmt.Sprintf("saved %d frames to %s (vigil replay %s)", n, path, path)}
	}
}

func snapshotDir() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return os.TempDir()
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "vigil", "snapshots")
}
