package driftpane

import "github.com/charmbracelet/lipgloss"

func lipglossWrap(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return lipgloss.NewStyle().Width(w).Render(s)
}
