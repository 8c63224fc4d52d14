package tui

import (
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/tui/alertspane"
)

// The alert strip: one line over the status bar while alerts fire.

// firingAlerts is the strip's list: the alerts firing at at, as
// alerts.Active decides them for the alerts screen, --once and replay too.
func firingAlerts(st *sources.Store, at time.Time) []alerts.Alert {
	return alerts.Firing(alerts.ActiveIn(st, at))
}

// alertStrip is the strip w cells wide: the count, the first alert subject
// first, and how many more.
func (s *state) alertStrip(w int) string { return alertspane.Strip(s.alerts, w) }
