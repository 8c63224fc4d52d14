package drift_test

import (
	"fmt"
	"time"

	"github.com/vigil-dev/vigil/drift"
)

// A feature pinned to a loaded reference, fed one value per 100 ms; from the
// fourth minute its values shift. Rows are read at any time; Detail explains
// one cell; Alerting needs three hot cells in a row.
func ExampleMonitor() {
	cfg := drift.DefaultConfig()
	m := drift.NewMonitor(cfg)
	ref := make([]float64, 2000)
	for i := range ref {
		ref[i] = float64(i%100) / 100 // uniform on [0, 1)
	}
	if err := m.SetReference("score", ref); err != nil {
		panic(err)
	}
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for k := range 6 * 600 {
		at := start.Add(time.Duration(k) * 100 * time.Millisecond)
		v := float64(k%100) / 100
		if at.Sub(start) >= 3*time.Minute {
			v = 0.3 + 0.7*v // squeezed upwards
		}
		m.ObserveValue("score", at, v)
	}
	m.Advance(start.Add(6 * time.Minute))

	row, _ := m.Row("score")
	for _, c := range row.Cells {
		fmt.Printf("%s %-8s D=%.3f\n", c.Start.Format("15:04"), c.Level, c.Stats.D)
	}
	d, _ := m.Detail("score", start.Add(4*time.Minute))
	fmt.Printf("top bin %s: %.0f%% → %.0f%%\n", d.Top[0].Label, 100*d.Top[0].Ref, 100*d.Top[0].Cur)
	fmt.Println("alerting:", m.Alerting(start.Add(6*time.Minute)))
	// Output:
	// 09:00 none     D=0.000
	// 09:01 none     D=0.000
	// 09:02 none     D=0.000
	// 09:03 high     D=0.300
	// 09:04 high     D=0.300
	// 09:05 high     D=0.300
	// top bin ≤ 0.099: 10% → 0%
	// alerting: [score]
}
