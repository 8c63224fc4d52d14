package nvml

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

var _ sources.Poller = (*Collector)(nil)
var _ sources.GPUInspector = (*Collector)(nil)

// infoFieldOrder is the fields GPUInfos lists, by name (with its extra
// label, "name{k=v}"), each name once (the first field of that name): the
// names and their order are fixed, so they are made once, not on every
// refresh of the console.
var infoFieldOrder = func() []struct {
	id   fieldID
	name string
} {
	var out []struct {
		id   fieldID
		name string
	}
	seen := map[string]bool{}
	for id := range fieldDefs {
		d := fieldDefs[id]
		name := d.name
		if len(d.kv) == 2 {
			name += "{" + d.kv[0] + "=" + d.kv[1] + "}"
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, struct {
			id   fieldID
			name string
		}{fieldID(id), name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}()

// GPUInfos implements sources.GPUInspector: every collected GPU's static
// facts, state and per-field last-good time, sorted by index. It never
// waits on the driver.
func (c *Collector) GPUInfos() []sources.GPUInfo {
	if c == nil {
		return nil // a nil *Collector in a GPUInspector: no NVML
	}
	c.mu.Lock()
	gpus, driver, nv, cuda := c.gpus, c.driver, c.nvmlVer, c.cuda
	c.mu.Unlock()
	out := make([]sources.GPUInfo, 0, len(gpus))
	for _, g := range gpus {
		g.mu.Lock()
		info := sources.GPUInfo{Host: c.opts.Host, Index: strconv.Itoa(g.idx), UUID: g.uuid, Model: g.name, BusID: g.bus, Serial: g.serial,
			Driver: driver, NVML: nv, CUDA: cuda, State: "ok", Err: g.err, PCIeGen: g.pcieGen, PCIeWidth: g.pcieWidth,
			MIGEnabled: g.migOn, MIG: append([]sources.MIGDevice(nil), g.mig...), LastPoll: g.lastPoll, PollDuration: g.pollDur}
		switch {
		case g.lost:
			info.State = "lost"
		case g.err != "":
			info.State = "error"
		}
		info.Fields = make([]sources.GPUField, 0, len(infoFieldOrder))
		for _, x := range infoFieldOrder {
			if (x.id == fPCIeTx || x.id == fPCIeRx) && !c.opts.PCIe {
				continue
			}
			f := g.f[x.id]
			info.Fields = append(info.Fields, sources.GPUField{Name: x.name, At: f.at, Err: f.err, NA: f.na, Value: f.v})
		}
		g.mu.Unlock()
		if g.busy.Load() && info.State == "ok" {
			// A request in flight is normal; one older than the call
			// timeout is a hung driver call.
			if d := time.Since(time.Unix(0, g.since.Load())); d > c.opts.CallTimeout {
				info.State = "stalled"
				info.Err = fmt.Sprintf("GPU %d: %s stalled for %s", g.idx, *g.call.Load(), d.Round(time.Second))
			}
		}
		out = append(out, info)
	}
	return out
}

// GPUProcesses implements sources.GPUInspector: the processes seen at the
// last process tier, by GPU then PID.
func (c *Collector) GPUProcesses() []sources.GPUProcess {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	gpus := c.gpus
	c.mu.Unlock()
	var out []sources.GPUProcess
	for _, g := range gpus {
		g.mu.Lock()
		out = append(out, g.procs...)
		g.mu.Unlock()
	}
	return out
}

// Processes is GPUProcesses under a shorter name.
func (c *Collector) Processes() []sources.GPUProcess { return c.GPUProcesses() }

// GPUNote implements sources.GPUInspector: why there is nothing to show,
// or what the user should know about the whole source.
func (c *Collector) GPUNote() string {
	if c == nil {
		return ""
	}
	c.mu.Lock()
	state, initErr, note := c.state, c.initErr, c.note
	c.mu.Unlock()
	var parts []string
	switch state {
	case stateNew, stateIniting:
		parts = append(parts, "initialising NVML")
	case stateFailed:
		if initErr != nil {
			parts = append(parts, initErr.Error())
		}
	}
	if note != "" {
		parts = append(parts, note)
	}
	c.xidMu.Lock()
	if c.xidNote != "" {
		parts = append(parts, c.xidNote)
	}
	c.xidMu.Unlock()
	hidden := 0
	for _, p := range c.GPUProcesses() {
		if !p.Visible {
			hidden++
		}
	}
	if hidden > 0 {
		parts = append(parts, strconv.Itoa(hidden)+" GPU process(es) outside our PID namespace: run vigil with --pid=host (docker) or hostPID: true (Kubernetes)")
	}
	return strings.Join(parts, "; ")
}
