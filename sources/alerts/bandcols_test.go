package alerts

import (
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// TestBandColumns: each column holds the worst severity of the bands over
// it; an info alert still marks its columns; bands outside the axis mark
// nothing.
func TestBandColumns(t *testing.T) {
	// Columns (0,1], (1,2], … (9,10].
	end := time.Date(2026, 11, 27, 12, 0, 10, 0, time.UTC)
	ax := view.NewAxis(end, 10*time.Second, 10)
	at := func(s float64) time.Time { return end.Add(time.Duration((s - 10) * float64(time.Second))) }
	bands := []Band{
		{Start: at(1.5), End: at(4.5), Severity: sources.SevWarning},
		{Start: at(3.2), End: at(3.8), Severity: sources.SevCritical},
		{Start: at(8.5), Severity: sources.SevInfo}, // still firing
	}
	W, C := sources.SevWarning, sources.SevCritical
	want := []sources.Severity{0, W, W, C, W, 0, 0, 0, W, W}
	got := BandColumns(bands, ax)
	if len(got) != len(want) {
		t.Fatalf("columns %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("columns %v, want %v", got, want)
		}
	}
	if BandColumns([]Band{{Start: at(-100), End: at(-50), Severity: C}}, ax) != nil {
		t.Error("a band before the axis marks a column")
	}
	if ServiceBandColumns(sources.NewStore(sources.StoreOptions{}), "svc", ax) != nil {
		t.Error("no alert events, yet a band")
	}
}
