package health

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/styles"
)

// TestLinesShowWarnings: a source's partial or narrowed answers follow its
// detail, the first three and a count of the rest.
func TestLinesShowWarnings(t *testing.T) {
	hs := []view.SourceHealth{{Source: "prom vm:8428", Kind: "prom", State: "ok", Detail: "vllm,dcgm",
		Warnings: []string{"w1", "w2", "w3", "w4", "w5"}}}
	ls := Lines(hs, "", 150)
	row := ansi.Strip(ls[len(ls)-1])
	if !strings.Contains(row, "vllm,dcgm; ▲ w1; w2; w3; 2 more") || strings.Contains(row, "w4") {
		t.Errorf("row %q", row)
	}
	for _, l := range ls {
		if styles.Width(l) != 150 {
			t.Errorf("width %d: %q", styles.Width(l), l)
		}
	}
}
