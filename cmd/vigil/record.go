package main

import (
	"fmt"

	"github.com/vigil-dev/vigil/sources/replay"
)

// startRecording writes every frame the hub sees to a recording in dir.
func (s *session) startRecording(dir string) error {
	rec, err := replay.NewRecorder(dir, replay.RecorderOptions{Logger: s.log})
	if err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	rec.Write(s.settingsFrame())
	s.hub.AddSink(rec.Write)
	s.close = append(s.close, func() { rec.Close() })
	return nil
}
