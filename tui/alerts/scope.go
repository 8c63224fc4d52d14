package alerts

import "github.com/vigil-dev/vigil/sources"

// inScope keeps the events of a console scoped to host (pane.Env.Scope):
// those naming that host, and those naming none (an alert about a whole
// service or the fleet). No scope keeps every event.
func inScope(evs []sources.Event, host string) []sources.Event {
	if host == "" {
		return evs
	}
	out := evs[:0:0]
	for _, e := range evs {
		if h := sources.LabelValue(e.Labels, sources.LabelHost); h == "" || h == host {
			out = append(out, e)
		}
	}
	return out
}
