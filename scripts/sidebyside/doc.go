// Command sidebyside measures what watching costs, beside the tools people
// compare vigil with: it runs vigil, btop (update_ms 1000) and glances in
// terminals of the same size (120x40 by default) in a tmux server of its own,
// at the same time, and prints each one's CPU over the same window and its
// resident memory, and the ratios. On a shared, noisy machine only figures
// taken side by side in one run compare.
//
//	go build -o /tmp/vigil ./cmd/vigil
//	go run ./scripts/sidebyside -vigil /tmp/vigil                      # console and demo CPU, 60 s each
//	go run ./scripts/sidebyside -vigil /tmp/vigil -base /tmp/old       # an older build beside it
//	go run ./scripts/sidebyside -vigil /tmp/vigil -base /tmp/old -case demo -rounds 4 -peers btop
//	go run ./scripts/sidebyside -vigil /tmp/vigil -case memory -mem-for 10m
//	go run ./scripts/sidebyside -vigil /tmp/vigil -base /tmp/old -case memory -record -peers ""
//
// With -rounds N every CPU case runs N times and the medians of each
// program's CPU and of the ratios are printed at the end: on a machine
// others use, a single window's figures move with their load, the ratios
// of programs measured in the same window much less.
//
// Cases:
//
//   - console: the console watching a demo that another process runs
//     (`vigil record -o DIR --demo`, headless): vigil scrapes the demo's
//     /metrics, tails its log file and watches its drift features, as it
//     watches a real service. Goal: no more CPU than btop.
//   - demo: the whole `vigil demo` process (the demo service, its scrape,
//     NVML, log tail, OTLP receiver and the console). Goal: ≤ 0.8 % of a core.
//   - memory: `vigil demo` and the peers for -mem-for, the resident set of
//     each every -every, and the growth over the last half. Goals: ≤ 60 MB
//     at 10 minutes; ≤ 120 MB once the store holds its full hour
//     (-mem-for 70m), flat after. With -record each vigil demo also
//     records (--record, a directory each).
//
// CPU is user plus system time from /proc/PID/stat over the window;
// memory is VmRSS and its anonymous part (the rest is the mapped binary,
// whose resident pages depend on the page cache: compare builds by both).
// Needs tmux; btop and glances are the Debian packages of those names
// (a missing peer is named and left out). Linux only.
package main
