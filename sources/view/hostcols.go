package view

import (
	"math"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Host chart signals in the column cache's keys.
const (
	colHostCPU = "host_cpu_busy"
	colHostMem = "host_mem_used"
)

// HostCPUBusy returns host's CPU busy ratio per column of ax (NaN: no
// data): 1 − Δ(idle+iowait)/Δall of its CPU-seconds counters over the
// column (at least 15 s, two node-exporter scrapes), or, without counters,
// the engine's CPU-busy figure newest in the column. Closed columns are
// kept.
func (c *Columns) HostCPUBusy(st *sources.Store, host string, ax Axis) []float64 {
	out := nanColumns(ax.N)
	if st == nil || ax.N == 0 {
		return out
	}
	win := max(ax.Step, 15*time.Second)
	match := sources.Label{Name: sources.LabelHost, Value: host}
	series := st.Select(sources.HostCPUSeconds, match)
	var figs []sources.Series
	if len(series) == 0 {
		figs = st.Select(sources.HostCPUBusy, match)
	}
	final := c.sync(st, c.win) // the key holds the step: no reset here
	ck := colKey{svc: host, sig: colHostCPU + stepKey(ax.Step)}
	hold := max(ax.Step, FigureHold)
	for i := range out {
		at := ax.At(i)
		ck.end = at.UnixNano()
		if v, ok := c.m[ck]; ok {
			out[i] = v[0]
			continue
		}
		if len(series) > 0 {
			var all, idle float64
			for _, s := range series {
				inc, _, ok := st.Increase(s.Key(), win, at)
				if !ok {
					continue
				}
				all += inc
				if md := s.Label("mode"); md == "idle" || md == "iowait" {
					idle += inc
				}
			}
			if all > 0 {
				out[i] = 1 - idle/all
			}
		} else if len(figs) > 0 {
			if smp, ok := lastWithin(st, figs[0].Key(), at, hold); ok {
				out[i] = smp.V
			}
		}
		if !at.After(final) {
			c.m[ck] = [3]float64{out[i]}
		}
	}
	return out
}

// HostMemUsed returns host's memory used ratio per column of ax: the mean
// over the column's samples of 1 − available/total, or of the engine's
// used-ratio figure (NaN: no sample in the column). Closed columns are
// kept.
func (c *Columns) HostMemUsed(st *sources.Store, host string, ax Axis) []float64 {
	out := nanColumns(ax.N)
	if st == nil || ax.N == 0 {
		return out
	}
	final := c.sync(st, c.win)
	ck := colKey{svc: host, sig: colHostMem + stepKey(ax.Step)}
	match := sources.Label{Name: sources.LabelHost, Value: host}
	from := ax.End.Add(-time.Duration(ax.N) * ax.Step)
	var times []int64
	ratio := map[int64]float64{}
	if tot, av := st.Select(sources.HostMemTotal, match), st.Select(sources.HostMemAvailable, match); len(tot) > 0 && len(av) > 0 {
		tv := map[int64]float64{}
		for _, s := range st.Range(tot[0].Key(), from, ax.End) {
			tv[s.T] = s.V
		}
		for _, s := range st.Range(av[0].Key(), from, ax.End) {
			if t, ok := tv[s.T]; ok && t > 0 {
				ratio[s.T] = 1 - s.V/t
				times = append(times, s.T)
			}
		}
	} else if used := st.Select(sources.HostMemUsedRatio, match); len(used) > 0 {
		for _, s := range st.Range(used[0].Key(), from, ax.End) {
			ratio[s.T] = s.V
			times = append(times, s.T)
		}
	}
	sum := make([]float64, ax.N)
	cnt := make([]int, ax.N)
	for _, t := range times {
		if i := ax.Index(time.Unix(0, t)); i >= 0 {
			sum[i] += ratio[t]
			cnt[i]++
		}
	}
	for i := range out {
		at := ax.At(i)
		ck.end = at.UnixNano()
		if v, ok := c.m[ck]; ok {
			out[i] = v[0]
			continue
		}
		if cnt[i] > 0 {
			out[i] = sum[i] / float64(cnt[i])
		}
		if !at.After(final) {
			c.m[ck] = [3]float64{out[i]}
		}
	}
	return out
}

// stepKey tells apart columns of the same end but another width.
func stepKey(step time.Duration) string { return "/" + strconv.FormatInt(int64(step), 10) }

func nanColumns(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}
