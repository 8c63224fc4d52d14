package alertspane

import (
	"github.com/vigil-dev/vigil/sources/alerts"

	"github.com/vigil-dev/vigil/sources"
)

// eventInScope tells whether an alert with labels ls belongs to a console
// scoped to host (pane.Env.Scope): it names that host, or none (an alert
// about a whole service or the fleet). No scope keeps every alert.
func eventInScope(ls []sources.Label, host string) bool {
	if host == "" {
		return true
	}
	h := sources.LabelValue(ls, sources.LabelHost)
	return h == "" || h == host
}

// activeInScope keeps the active alerts of a console scoped to host.
func activeInScope(as []alerts.Alert, host string) []alerts.Alert {
	if host == "" {
		return as
	}
	out := as[:0:0]
	for _, a := range as {
		if eventInScope(a.Labels, host) {
			out = append(out, a)
		}
	}
	return out
}
