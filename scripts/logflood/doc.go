// Command logflood measures how the console holds up under a log flood, as a
// user sees it: it starts vigil on the logs screen in a tmux server of its
// own, floods log files (or vigil's standard input) at a given rate, presses
// a key every few hundred milliseconds and times how long it takes until the
// frame that shows the key's effect reaches the terminal, and samples the
// process's resident memory and CPU before, during and after the flood.
//
//	go build -o /tmp/vigil ./cmd/vigil
//	go run ./scripts/logflood -vigil /tmp/vigil -rate 50000 -for 20s
//	go run ./scripts/logflood -vigil /tmp/new -base /tmp/old     # both, one after the other
//	go run ./scripts/logflood -vigil /tmp/new -base /tmp/old -rounds 4 -for 12s
//	go run ./scripts/logflood -vigil /tmp/vigil -rate 200000 -files 4
//	go run ./scripts/logflood -vigil /tmp/vigil -stdin -rate 50000
//
// The key is `s` (follow on/off): the pane's header reads FOLLOW or SCROLL,
// and the time from just before the key is sent until the first bytes of
// the other word arrive is one key-to-frame latency. Keys go in and the
// pane's output comes back through one tmux control-mode client (tmux -C),
// so no process starts per key and nothing sits between the pane and the
// watcher but the tmux server: on this 2-core machine at load 8-15 that
// took the idle p50 from about 40 ms (send-keys and pipe-pane) to 5-10 ms.
// A key with no frame within 5 s counts as missed.
//
// The machine is noisy: -rounds N measures each binary N times, taking
// turns with -base, and ends with a summary pooling each binary's flood
// keys (p50, p90, max) with every round's p90 and the load average. Keys
// slower than 100 ms are listed with when they came in the phase (the
// first seconds of a flood fill the store). -profile DIR writes a CPU
// profile of each run (vigil's hidden --cpuprofile; the console is quit
// with Ctrl-C at the end of each run so that the profile is complete).
// Linux only (RSS and CPU come from /proc).
package main
