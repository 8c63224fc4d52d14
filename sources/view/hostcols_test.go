package view

import (
	"math"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// TestHostColumns: CPU busy per column from the counters' increase over
// the column, memory the mean of the column's samples, n/a before data;
// a zoom to another column width gives that width's figures, not the
// cached ones of the old width.
func TestHostColumns(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	// Every 15 s: idle +10, iowait +0, user +30 per CPU → 75 % busy; from
	// 105 s on, user +10 → 50 % busy.
	idle, user := 0.0, 0.0
	for i := 0; i <= 12; i++ {
		at := h0.Add(time.Duration(i) * 15 * time.Second)
		f := scrapeHost(at, idle, 0, user)
		st.Ingest(f)
		idle += 10
		if i < 7 {
			user += 30
		} else {
			user += 10
		}
	}
	end := h0.Add(180 * time.Second)
	var c Columns
	ax := NewAxis(end, 4*time.Minute, 8) // 30 s columns, the first two before data
	cpu := c.HostCPUBusy(st, "n1", ax)
	if !math.IsNaN(cpu[0]) || !math.IsNaN(cpu[1]) {
		t.Errorf("columns before data: %v", cpu)
	}
	if math.Abs(cpu[ax.Index(h0.Add(90*time.Second))]-0.75) > 1e-9 || math.Abs(cpu[7]-0.5) > 1e-9 {
		t.Errorf("cpu busy per column %v, want 0.75 early and 0.5 late", cpu)
	}
	mem := c.HostMemUsed(st, "n1", ax)
	if !math.IsNaN(mem[0]) || math.Abs(mem[7]-0.75) > 1e-9 {
		t.Errorf("memory per column %v", mem)
	}
	again := c.HostCPUBusy(st, "n1", ax)
	for i := range cpu {
		if !(math.IsNaN(cpu[i]) && math.IsNaN(again[i])) && cpu[i] != again[i] {
			t.Fatalf("cached columns differ: %v then %v", cpu, again)
		}
	}
	// Zoomed out to 60 s columns: (60 s, 120 s] straddles the change,
	// 70 of 100 s busy.
	at120 := h0.Add(120 * time.Second)
	wide := NewAxis(end, 8*time.Minute, 8)
	if v := c.HostCPUBusy(st, "n1", wide)[wide.Index(at120)]; math.Abs(v-0.7) > 1e-9 {
		t.Errorf("60 s column to 120 s: %v, want 0.7", v)
	}
	// Zoomed in to 15 s columns, one ending at 120 s too: that width's
	// figure (105 s, 120 s] = 50 %, not the cached 60 s one.
	zax := NewAxis(end, 2*time.Minute, 8)
	zoom := c.HostCPUBusy(st, "n1", zax)
	if v := zoom[zax.Index(at120)]; math.Abs(v-0.5) > 1e-9 {
		t.Errorf("15 s column to 120 s: %v, want 0.5 (columns %v)", v, zoom)
	}
	if got := c.HostCPUBusy(st, "nobody", ax); !math.IsNaN(got[7]) {
		t.Errorf("unknown host %v", got)
	}
}

// TestHostColumnsFromFigures: an engine's CPU-busy and memory-used figures
// (query mode, no counters) fill the columns.
func TestHostColumnsFromFigures(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	for i := 0; i <= 8; i++ {
		at := h0.Add(time.Duration(i) * 15 * time.Second)
		st.Ingest(sources.Frame{Source: "prom", At: at, Points: []sources.Point{
			hostPoint(sources.HostCPUBusy, sources.Gauge, at, 0.4),
			hostPoint(sources.HostMemUsedRatio, sources.Gauge, at, 0.6),
		}})
	}
	var c Columns
	ax := NewAxis(h0.Add(120*time.Second), 2*time.Minute, 4)
	cpu, mem := c.HostCPUBusy(st, "n1", ax), c.HostMemUsed(st, "n1", ax)
	if cpu[3] != 0.4 || mem[3] != 0.6 {
		t.Errorf("figures per column: cpu %v mem %v", cpu, mem)
	}
}
