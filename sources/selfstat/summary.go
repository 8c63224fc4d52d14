package selfstat

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Summary is a one-line account of vigil's overhead as of at, for the
// status bar or the sources overlay: "vigil 0.4% CPU · 23 MB · nvml 0.31 ms".
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
