package sources

import (
	"context"
	"time"
)

// Optional capabilities of a source, checked by type assertion: the console
// runs them in a command when it needs what they give, and their frames go
// through the hub like any other.

// HistoryFiller is a source that can bring the history of a time window
// (a query engine's range queries of the figures it polls): the console
// asks on start and whenever the shown window is zoomed or panned. step is
// the width of a chart column; the frames it emits are marked Backfill.
type HistoryFiller interface {
	FillHistory(ctx context.Context, from, to time.Time, step time.Duration, emit func(Frame)) error
}

// HostHistoryFiller is a HistoryFiller that can bring the history of one
// host's charted figures alone: a console scoped to a host charts that
// host's services only, and at 1,000 hosts the fleet's history is most of
// what the console holds at its peak.
type HostHistoryFiller interface {
	FillHostHistory(ctx context.Context, host string, from, to time.Time, step time.Duration, emit func(Frame)) error
}

// DetailFetcher is a source that polls a summary of many hosts and fetches
// one host's detail only on demand (a fleet: every GPU field, TTFT and ITL,
// their history over [from, to] at step, exemplars). The console asks when
// the user drills into a host or a service on it; the source then keeps the
// host's detail in its polls for a while.
type DetailFetcher interface {
	FetchDetail(ctx context.Context, host string, from, to time.Time, step time.Duration, emit func(Frame)) error
}
