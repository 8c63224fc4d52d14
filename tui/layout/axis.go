package layout

import (
	"time"

	"github.com/vigil-dev/vigil/sources/view"
)

// Axis maps a time window onto n columns: column i covers (At(i)-Step, At(i)].
// It lives in package view, which computes the columns' figures on it; the
// panes lay their charts out over the same one.
type Axis = view.Axis

// NewAxis returns the axis of n columns over the window ending at end.
func NewAxis(end time.Time, window time.Duration, n int) Axis { return view.NewAxis(end, window, n) }
