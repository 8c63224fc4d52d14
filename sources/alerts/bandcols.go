package alerts

import (
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// ServiceBandColumns is the alert band under a service's chart: per column
// of ax, the worst severity among the service's alerts firing in that
// column (0 where none fired), from the store's alert events.
func ServiceBandColumns(st *sources.Store, service string, ax view.Axis) []sources.Severity {
	if st == nil || ax.N <= 0 {
		return nil
	}
	var mine []Band
	for _, b := range Bands(st, ax.At(0).Add(-ax.Step), ax.End) {
		if b.Label(sources.LabelService) == service {
			mine = append(mine, b)
		}
	}
	return BandColumns(mine, ax)
}

// BandColumns returns, per column of ax, the worst severity of the bands
// that overlap it (0 where none does; nil when no band overlaps any).
// Column i covers (At(i-1), At(i)], as Axis.Index reads it.
func BandColumns(bands []Band, ax view.Axis) []sources.Severity {
	if ax.N <= 0 || len(bands) == 0 {
		return nil
	}
	worst := make([]sources.Severity, ax.N)
	any := false
	for _, b := range bands {
		for i := 0; i < ax.N; i++ {
			colEnd, colStart := ax.At(i), ax.At(i).Add(-ax.Step)
			if i > 0 {
				colStart = ax.At(i - 1)
			}
			if b.Start.After(colEnd) || !b.End.IsZero() && b.End.Before(colStart) {
				continue
			}
			worst[i] = max(worst[i], max(b.Severity, sources.SevWarning))
			any = true
		}
	}
	if !any {
		return nil
	}
	return worst
}
