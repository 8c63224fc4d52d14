package nvml

import (
	"strconv"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/vigil-dev/vigil/sources"
)

// maxXIDQueue bounds the XID events waiting for the next poll.
const maxXIDQueue = 256

// xidWait is how long one event-set wait blocks (ms); it bounds how long
// Close waits for the goroutine to notice.
const xidWait = 1000

// watchXID registers every GPU for XID events and delivers them until stop
// is closed. GPUs that do not support the event get XID n/a.
func (c *Collector) watchXID(gpus []*gpu, stop <-chan struct{}) {
	defer func() {
		if p := recover(); p != nil {
			c.setXIDNote("XID events stopped: nvml crashed")
		}
	}()
	set, r := c.lib.EventSetCreate()
	if r != nvml.SUCCESS {
		c.setXIDNote("XID events unavailable: " + errString(r))
		for _, g := range gpus {
			g.markXID("not supported")
		}
		return
	}
	defer set.Free()
	registered := 0
	for _, g := range gpus {
		if g.dev == nil {
			continue
		}
		mask := uint64(nvml.EventTypeXidCriticalError)
		if sup, r := g.dev.GetSupportedEventTypes(); r == nvml.SUCCESS && sup&mask == 0 {
			g.markXID("not supported")
			continue
		}
		if r := g.dev.RegisterEvents(mask, set); r != nvml.SUCCESS {
			na := "not supported"
			if r == nvml.ERROR_NO_PERMISSION {
				na = "no permission"
			}
			g.markXID(na)
			continue
		}
		registered++
	}
	if registered == 0 {
		return
	}
	for {
		select {
		case <-stop:
			return
		default:
		}
		ev, r := set.Wait(c.waitMs(time.Now()))
		switch r {
		case nvml.SUCCESS:
			if ev.EventType&nvml.EventTypeXidCriticalError != 0 {
				c.deliverXID(gpus, ev)
			}
		case nvml.ERROR_TIMEOUT:
		case nvml.ERROR_UNINITIALIZED:
			return
		default:
			// GPU lost and the like: back off so a broken set cannot spin.
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
		}
	}
}

// waitMs is how long the next event wait blocks (ms): xidWait, or with the
// default, until the process's next 1 s beat (sources.Beat), so that the
// waits end at the instants the other loops wake and not at a phase of
// their own.
func (c *Collector) waitMs(now time.Time) uint32 {
	if c.xidWait != xidWait {
		return c.xidWait
	}
	d := sources.UntilBeat(now, time.Duration(xidWait)*time.Millisecond)
	return uint32((d + time.Millisecond - 1) / time.Millisecond)
}

func (g *gpu) markXID(na string) {
	g.mu.Lock()
	g.f[fXID].na, g.f[fXID].sticky = na, true
	g.mu.Unlock()
}

func (c *Collector) setXIDNote(s string) {
	c.xidMu.Lock()
	c.xidNote = s
	c.xidMu.Unlock()
}

func (c *Collector) deliverXID(gpus []*gpu, ev nvml.EventData) {
	var g *gpu
	for _, x := range gpus {
		if x.dev != nil && x.dev == ev.Device {
			g = x
		}
	}
	if g == nil && ev.Device != nil {
		if u, r := ev.Device.GetUUID(); r == nvml.SUCCESS {
			for _, x := range gpus {
				if x.uuid == u {
					g = x
				}
			}
		}
	}
	if g == nil {
		return
	}
	code := ev.EventData
	at := c.opts.Clock.Now()
	// Lock order: xidMu, then the GPU's mu (as Poll takes them).
	c.xidMu.Lock()
	defer c.xidMu.Unlock()
	g.mu.Lock()
	g.lastXID = code
	if f := &g.f[fXID]; !at.After(f.at) {
		// Stamp it after the reading it replaces, so it is emitted even if
		// that reading (0) went out at the same instant.
		at = f.at.Add(time.Nanosecond)
	}
	g.f[fXID].v, g.f[fXID].at, g.f[fXID].err = float64(code), at, ""
	g.mu.Unlock()
	text := "XID " + strconv.FormatUint(code, 10) + " on GPU " + strconv.Itoa(g.idx)
	if m := sources.XIDMeaning(int(code)); m != "" {
		text += ": " + m
	}
	labels := append(append([]sources.Label{}, g.labels...), sources.Label{Name: "xid", Value: strconv.FormatUint(code, 10)})
	e := sources.Event{At: at, Kind: "xid", Severity: sources.XIDSeverity(int(code)), Labels: labels, Text: text}
	if len(c.xidQueue) >= maxXIDQueue {
		c.xidQueue = c.xidQueue[1:]
		c.xidDrops++
	}
	c.xidQueue = append(c.xidQueue, e)
}

// drainXIDLocked takes the queued XID events; xidMu is held.
func (c *Collector) drainXIDLocked() []sources.Event {
	if len(c.xidQueue) == 0 {
		return nil
	}
	out := c.xidQueue
	c.xidQueue = nil
	return out
}
