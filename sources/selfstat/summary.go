package selfstat

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Summary is a one-line account of vigil's overhead as of at, for the
// status bar or the sources overlay:
// "vigil 0.4% CPU · 23 MB · 41 goroutines · nvml 0.31 ms".
// Figures missing from the store are left out; "" when there is none.
func Summary(st *sources.Store, at time.Time) string {
	var parts []string
	last := func(name string) (float64, bool) {
		for _, s := range st.Select(name) {
			if smp, ok := st.Last(s.Key(), at); ok {
				return smp.V, true
			}
		}
		return 0, false
	}
	if v, ok := last(sources.SelfCPU); ok {
		parts = append(parts, strconv.FormatFloat(v*100, 'f', 1, 64)+"% CPU")
	}
	if v, ok := last(sources.SelfRSS); ok {
		parts = append(parts, strconv.FormatFloat(v/(1<<20), 'f', 0, 64)+" MB")
	}
	if v, ok := last(sources.SelfGoroutines); ok {
		parts = append(parts, strconv.FormatFloat(v, 'f', 0, 64)+" goroutines")
	}
	for _, h := range st.Health() {
		if h.Kind == "nvml" && h.Duration > 0 && h.State == sources.HealthOK {
			parts = append(parts, h.Source+" "+strconv.FormatFloat(float64(h.Duration.Microseconds())/1000, 'f', 2, 64)+" ms")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "vigil " + strings.Join(parts, " · ")
}

// StoreLine is one line of where the store's bytes go now (MB), for the
// sources overlay: "store 38.2/256 MB: series 12.1 · hist 9.0 · logs 14.0 ·
// spans 2.1 · events 0.0 · exemplars 0.1 · keeps 1h0m0s" (with "of 1h0m0s"
// after it when the budget keeps less than the retention asked for).
func StoreLine(st *sources.Store) string {
	u := st.Memory()
	mb := func(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) }
	var b strings.Builder
	b.WriteString("store " + mb(u.Total))
	if u.Budget > 0 {
		b.WriteString("/" + strconv.FormatFloat(float64(u.Budget)/(1<<20), 'f', 0, 64))
	}
	b.WriteString(" MB: series " + mb(u.Series) + " · hist " + mb(u.Histograms) + " · logs " + mb(u.Logs) +
		" · spans " + mb(u.Spans) + " · events " + mb(u.Events) + " · exemplars " + mb(u.Exemplars) +
		" · keeps " + time.Duration(u.Holds).String())
	if u.Holds < u.Retention {
		b.WriteString(" of " + time.Duration(u.Retention).String())
	}
	return b.String()
}
