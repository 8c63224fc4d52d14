package sources

import "time"

// Periodic work runs on one beat.
//
// Every periodic loop of the process (each poller, the log tail's safety
// poll, the NVML event wait, the demo's simulation step, the console's
// refresh) wakes at whole multiples of its interval on the wall clock, not
// at its own phase: the loops that are due at the same instant are woken by
// one timer wake-up of the process instead of one each. On a virtual
// machine a wake-up of an idle Go process (the timer thread, the scheduler,
// sysmon, a second thread to run what was readied) costs far more than
// the little work a 1 s loop does, so an idle vigil that wakes once a
// second for everything costs a fraction of one that wakes ten times at
// ten phases. A loop that runs late (a slow poll) waits for the next
// beat, as a time.Ticker drops the ticks it missed.

// UntilBeat is how long after now the next beat of an every-iv loop is:
// the next whole multiple of iv since the zero time (for an iv that divides
// a day, the next multiple on the Unix epoch's grid), at least iv/20 away,
// so that a timer that fires a hair before its beat (the wall clock slewed
// under a monotonic timer) waits for the one after instead of firing
// twice. iv ≤ 0 means 1 s.
func UntilBeat(now time.Time, iv time.Duration) time.Duration {
	if iv <= 0 {
		iv = time.Second
	}
	d := now.Truncate(iv).Add(iv).Sub(now)
	if d < iv/20 {
		d += iv
	}
	return d
}

// Beat is a timer that fires on the beats of an every-iv loop (see
// UntilBeat). Unlike a time.Ticker it is armed by Next after each round, so
// a loop that works longer than iv skips the beats it missed, and loops
// with the same iv fire at the same instants whatever their start.
type Beat struct {
	iv time.Duration
	t  *time.Timer
	// C receives when the beat is due.
	C <-chan time.Time
}

// NewBeat returns a beat of interval iv (≤ 0 means 1 s), armed for the
// next beat.
func NewBeat(iv time.Duration) *Beat {
	if iv <= 0 {
		iv = time.Second
	}
	t := time.NewTimer(UntilBeat(time.Now(), iv))
	return &Beat{iv: iv, t: t, C: t.C}
}

// Next arms the beat for the next beat after now, dropping one that was
// due and not taken.
func (b *Beat) Next() {
	b.t.Reset(UntilBeat(time.Now(), b.iv))
}

// Stop stops the beat.
func (b *Beat) Stop() { b.t.Stop() }
