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
//	go run ./scripts/logflood -vigil /tmp/vigil -rate 200000 -files 4
//	go run ./scripts/logflood -vigil /tmp/vigil -stdin -rate 50000
//
// The key is `s` (follow on/off): the pane's header reads FOLLOW or SCROLL,
// and the time from just before `tmux send-keys` runs until the first bytes
// of the other word arrive through `tmux pipe-pane` is one key-to-frame
// latency (an upper bound: it includes starting the tmux client). A key with
// no frame within 5 s counts as missed. Linux only (RSS and CPU come from
// /proc).
package main
