package fleet

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// WriteExporter writes what exporter e of host i serves on /metrics at t:
// Prometheus text format 0.0.4 with # HELP and # TYPE lines, no timestamps.
func (f *Fleet) WriteExporter(w io.Writer, i int, e Exporter, t time.Time) error {
	if i < 0 || i >= len(f.hosts) {
		return fmt.Errorf("fleet: no host %d (the fleet has %d)", i, len(f.hosts))
	}
	o := getOut(w)
	defer putOut(o)
	o.meta = true
	f.hosts[i].write(o, e, f.u(t))
	o.flush()
	return o.err
}

// WriteHost writes host i's three exporters at t, vLLM's then dcgm's then
// node's, as one exposition (their families do not overlap).
func (f *Fleet) WriteHost(w io.Writer, i int, t time.Time) error {
	if i < 0 || i >= len(f.hosts) {
		return fmt.Errorf("fleet: no host %d (the fleet has %d)", i, len(f.hosts))
	}
	o := getOut(w)
	defer putOut(o)
	o.meta = true
	u := f.u(t)
	for _, e := range Exporters {
		f.hosts[i].write(o, e, u)
	}
	o.flush()
	return o.err
}

// outs recycles writers' buffers across calls (a scrape of 1,000 hosts
// writes 3,000 expositions).
var outs = sync.Pool{New: func() any { return &out{buf: make([]byte, 0, flushAt+4096)} }}

func getOut(w io.Writer) *out {
	o := outs.Get().(*out)
	*o = out{w: w, buf: o.buf[:0]}
	return o
}

func putOut(o *out) {
	o.w = nil
	outs.Put(o)
}

func (h *host) write(o *out, e Exporter, u float64) {
	switch e {
	case VLLM:
		h.writeVLLM(o, u)
	case DCGM:
		h.writeDCGM(o, u)
	case Node:
		h.writeNode(o, u)
	}
}

// MaxHistoryInstants bounds WriteHistory: (to−from)/step + 1 instants.
const MaxHistoryInstants = 1 << 20

// WriteHistory writes every series of every host at from, from+step, ...,
// up to to (inclusive), as an engine that scraped the fleet every step would
// hold them: each sample carries the target's instance and job labels and
// its group labels (Host.Labels), an `up` sample per target, and a
// timestamp in milliseconds. No # HELP or # TYPE lines. This is what
// VictoriaMetrics' /api/v1/import/prometheus takes. The output is written
// instant by instant, host by host, through a small buffer, so a large fleet
// over a long range never sits in memory. It returns the samples written.
func (f *Fleet) WriteHistory(w io.Writer, from, to time.Time, step time.Duration) (int64, error) {
	if step <= 0 {
		return 0, errors.New("fleet: history step must be positive")
	}
	if to.Before(from) {
		return 0, fmt.Errorf("fleet: history from %s is after to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if n := to.Sub(from) / step; n >= MaxHistoryInstants {
		return 0, fmt.Errorf("fleet: history of %d instants: at most %d (lengthen the step)", int64(n)+1, MaxHistoryInstants)
	}
	extra := make([][3]string, len(f.hosts))
	for i, h := range f.hosts {
		for _, e := range Exporters {
			extra[i][e] = f.targetLabels(h, e)
		}
	}
	o := &out{w: w, buf: make([]byte, 0, flushAt+4096)}
	for t := from; !t.After(to); t = t.Add(step) {
		o.ts = append(append(o.ts[:0], ' '), strconv.FormatInt(t.UnixMilli(), 10)...)
		u := f.u(t)
		for i, h := range f.hosts {
			for _, e := range Exporters {
				o.extra = extra[i][e]
				o.sample("up", "", "", 1)
				h.write(o, e, u)
			}
		}
		if o.err != nil {
			return o.n, fmt.Errorf("fleet: write history: %w", o.err)
		}
	}
	o.flush()
	if o.err != nil {
		return o.n, fmt.Errorf("fleet: write history: %w", o.err)
	}
	return o.n, nil
}

// targetLabels are the labels a scrape of exporter e on h adds: instance,
// job and the group labels.
func (f *Fleet) targetLabels(h *host, e Exporter) string {
	var b strings.Builder
	b.WriteString(`instance="`)
	b.WriteString(f.Instance(h.Index, e))
	b.WriteString(`",job="`)
	b.WriteString(e.Job())
	b.WriteByte('"')
	ls := h.Labels(e)
	for i := 0; i+1 < len(ls); i += 2 {
		b.WriteByte(',')
		b.WriteString(ls[i])
		b.WriteString(`="`)
		b.WriteString(ls[i+1])
		b.WriteByte('"')
	}
	return b.String()
}
