package driftpane

import tea "github.com/charmbracelet/bubbletea"

func keyB() tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("b")} }
