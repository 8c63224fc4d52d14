package main

import (
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// bindCPUProfile adds the hidden --cpuprofile FILE flag to every command: a
// Go CPU profile of the whole run, for measuring vigil's own cost (see
// README, Idle CPU). It returns the function that ends the profile.
func bindCPUProfile(root *cobra.Command) (stop func()) {
	var path string
	var f *os.File
	root.PersistentFlags().StringVar(&path, "cpuprofile", "", "write a Go CPU profile of the run to `FILE`")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if path == "" {
			return nil
		}
		var err error
		if f, err = os.Create(path); err != nil {
			return failure(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			f = nil
			return failure(err)
		}
		return nil
	}
	return func() {
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
		}
	}
}
