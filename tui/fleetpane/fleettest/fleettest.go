// Package fleettest fills a store with a simulated fleet (sources/demo/fleet)
// as scrape mode would hold it: each host's three expositions (vLLM,
// dcgm-exporter, node-exporter) at two instants 45 s apart, through
// sources/prom's translation, and beside them an engine's target health
// (up per target, with the targets' group labels cluster and namespace, as
// query mode reports it). Tests and benchmarks of the fleet screen and of
// host scoping use it.
package fleettest

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/demo/fleet"
	"github.com/vigil-dev/vigil/sources/prom"
)

// Start is the simulated fleet's epoch.
var Start = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// At is the instant Store's newest data is from: 150 s after Start, when
// every incident acts (a GPU at ~89 °C from ~20 s, a queue ~40 deep from
// ~30 s, an XID from ~45 s, the first 8 % error burst from ~100 s for 90 s).
var At = Start.Add(150 * time.Second)

// Step is the time between the two instants Store ingests (rates and
// error ratios are over it).
const Step = 45 * time.Second

// Fleet returns the simulated fleet of n hosts (seed 1).
func Fleet(n int) (*fleet.Fleet, error) {
	return fleet.New(fleet.Config{Hosts: n, Seed: 1, Start: Start})
}

// Store returns a store holding the n hosts of Fleet(n) scraped at At−Step
// and At, and the fleet.
func Store(n int) (*sources.Store, *fleet.Fleet, error) {
	f, err := Fleet(n)
	if err != nil {
		return nil, nil, err
	}
	st := sources.NewStore(sources.StoreOptions{})
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	for _, at := range []time.Time{At.Add(-Step), At} {
		if err := Scrape(st, f, all, at); err != nil {
			return nil, nil, err
		}
	}
	return st, f, nil
}

// Scrape ingests the given hosts of f as scraped at at, parsing on every
// CPU and ingesting in host order (the store never depends on the
// workers' timing).
func Scrape(st *sources.Store, f *fleet.Fleet, hosts []int, at time.Time) error {
	all := f.Hosts()
	for _, i := range hosts {
		if i < 0 || i >= len(all) {
			return fmt.Errorf("fleettest: no host %d", i)
		}
	}
	frames := make([][]sources.Frame, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for j := range next {
				frames[j], errs[j] = host(f, all[hosts[j]], at, &buf)
			}
		}()
	}
	for j := range hosts {
		next <- j
	}
	close(next)
	wg.Wait()
	for j := range hosts {
		if errs[j] != nil {
			return errs[j]
		}
		for _, fr := range frames[j] {
			st.Ingest(fr)
		}
	}
	return nil
}

// host is host h's frames at at: its three expositions translated, and up
// for each of its targets.
func host(f *fleet.Fleet, h fleet.Host, at time.Time, buf *bytes.Buffer) ([]sources.Frame, error) {
	i := h.Index
	var out []sources.Frame
	var up []sources.Point
	for _, e := range fleet.Exporters {
		buf.Reset()
		if err := f.WriteExporter(buf, i, e, at); err != nil {
			return nil, err
		}
		inst := f.Instance(i, e)
		fr, _, err := prom.Parse(buf.Bytes(), "", prom.Target{URL: "http://" + inst + "/metrics", Host: h.Name}, at)
		if err != nil {
			return nil, fmt.Errorf("fleettest: host %s %s: %w", h.Name, e.Job(), err)
		}
		out = append(out, fr)
		ls := append([]string{sources.LabelHost, h.Name, sources.LabelInstance, inst, sources.LabelJob, e.Job()}, h.Labels(e)...)
		up = append(up, sources.Point{Series: sources.NewSeries(sources.TargetUp, sources.Gauge, ls...), At: at, Value: 1})
	}
	return append(out, sources.Frame{At: at, Points: up}), nil
}
