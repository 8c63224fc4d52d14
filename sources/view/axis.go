package view

import "time"

// Axis maps a time window onto n columns: column i covers (At(i)-Step, At(i)].
// The last column ends at End; the columns before it end on multiples of Step
// so a sparkline's history does not shift sideways between refreshes.
type Axis struct {
	End  time.Time     // the instant shown (the right edge)
	Step time.Duration // width of one column
	N    int           // number of columns

	aligned time.Time // End truncated to Step
}

// NewAxis returns the axis of n columns over the window ending at end.
// n ≤ 0 gives an empty axis.
func NewAxis(end time.Time, window time.Duration, n int) Axis {
	if n <= 0 || window <= 0 {
		return Axis{End: end}
	}
	step := window / time.Duration(n)
	if step <= 0 {
		step = time.Nanosecond
	}
	aligned := end.Truncate(step)
	if aligned.Equal(end) {
		// An end on a boundary: the last column is the Step before it
		// (else it would be (End, End], empty).
		aligned = end.Add(-step)
	}
	return Axis{End: end, Step: step, N: n, aligned: aligned}
}

// At returns the end of column i: End for the last column, else the Step
// boundary at or before End minus the columns in between.
func (a Axis) At(i int) time.Time {
	if i >= a.N-1 {
		return a.End
	}
	return a.aligned.Add(-time.Duration(a.N-2-i) * a.Step)
}

// Index returns the column containing t, or -1 when t is zero or outside.
func (a Axis) Index(t time.Time) int {
	if t.IsZero() || a.N <= 0 || t.After(a.End) {
		return -1
	}
	for i := a.N - 1; i >= 0; i-- { // few columns; clearer than arithmetic across the unaligned tail
		lo := a.At(i).Add(-a.Step)
		if i > 0 {
			lo = a.At(i - 1)
		}
		if t.After(lo) {
			return i
		}
	}
	return -1
}

// ChartLabel labels a line chart's X axis over this axis (styles.ChartOpts
// XLabel): col 0 is the plot's left edge, one Step before column 0's end,
// and col i the end of column i-1; as HH:MM:SS UTC.
func (a Axis) ChartLabel(col int) string {
	t := a.At(col - 1)
	if col == 0 {
		t = a.At(0).Add(-a.Step)
	}
	return t.UTC().Format("15:04:05")
}
