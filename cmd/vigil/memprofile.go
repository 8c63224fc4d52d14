package main

import (
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"
)

// bindMemProfile adds the hidden --memprofile FILE flag to every command: a
// Go heap profile, for finding where vigil's memory goes (docs/memory.md).
// While the command runs, FILE is rewritten every few seconds whenever the
// heap in use is the largest seen so far, so that it holds the heap at its
// peak; a run that never grows past its start writes it at the end. It
// returns the function that ends the sampling.
func bindMemProfile(root *cobra.Command) (stop func()) {
	var path string
	root.PersistentFlags().StringVar(&path, "memprofile", "", "write a Go heap profile, taken at the largest heap seen, to `FILE`")
	_ = root.PersistentFlags().MarkHidden("memprofile")
	done := make(chan struct{})
	finished := make(chan struct{})
	started := false
	prev := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if prev != nil {
			if err := prev(cmd, args); err != nil {
				return err
			}
		}
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return failure(err)
		}
		f.Close()
		started = true
		go func() {
			defer close(finished)
			var peak uint64
			tick := time.NewTicker(5 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-done:
					if peak == 0 {
						writeHeapProfile(path)
					}
					return
				case <-tick.C:
				}
				if h := heapInUse(); h > peak {
					peak = h
					writeHeapProfile(path)
				}
			}
		}()
		return nil
	}
	return func() {
		if started {
			close(done)
			<-finished
		}
	}
}

// heapInUse is the bytes of heap objects, live or not yet collected.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = pprof.Lookup("heap").WriteTo(f, 0)
}
