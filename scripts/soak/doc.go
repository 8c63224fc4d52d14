// Command soak runs an accelerated soak of vigil, as a user runs it: `vigil
// demo --speed 60 --record DIR` in a terminal of its own (a tmux server of
// the script's own, 120x40), with the sources overlay open, for -for (30
// minutes: 30 hours of the demo's timeline at speed 60). The store's
// retention is scaled with the speed (1h/60 = 1m), so that the first minute
// is the first hour of recorded time. Every -every it prints the process's
// resident memory and CPU (from /proc), and the goroutines and the store's
// bytes the overlay shows; at the end it checks, over the samples after the
// first hour of recorded time:
//
//   - RSS flat: every sample within ±10 % of their median;
//
//   - CPU flat: the mean of the last half within ±25 % of the first half's
//     (a shared machine's noise is of that order);
//
//   - no goroutine growth: the last quarter's most no more than the first
//     quarter's most plus 2.
//
//     go build -o /tmp/vigil ./cmd/vigil
//     go run ./scripts/soak -vigil /tmp/vigil                  # 30 minutes at speed 60
//     go run ./scripts/soak -vigil /tmp/vigil -for 10m -speed 120
//
// It exits 1 when a check fails. Needs tmux. Linux only.
package main
