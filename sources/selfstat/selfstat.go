// Package selfstat reports vigil's own overhead as a source: CPU (ratio of
// one core), resident memory, goroutines and each poller's last poll
// duration, so the status bar and the sources overlay can show what
// watching costs.
package selfstat

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Options configures a Poller. Zero fields take the defaults.
type Options struct {
	// Name is the source name; default "self".
	Name string
	// Host is the host label.
	Host string
	// Interval between polls; default 2 s.
	Interval time.Duration
	// ProcSelf is the process's proc directory; default "/proc/self".
	ProcSelf string
	// Health, when set, returns the sources' health (e.g. a Store's Health
	// method); each source's last poll duration becomes a point of
	// sources.SelfPollLatency{source=...}, in seconds.
	Health func() []sources.Health
}

// Poller reports vigil's own CPU and memory. It implements sources.Poller;
// Poll must not be called concurrently.
type Poller struct {
	opts          Options
	pageSize      float64
	prevCPU       time.Duration // user+system CPU at the previous poll
	prevWall      time.Time     // monotonic wall time of the previous poll
	cpu, rss, gor sources.Series
	lat           map[string]sources.Series
}

// New returns a Poller.
func New(opts Options) *Poller {
	if opts.Name == "" {
		opts.Name = "self"
	}
	if opts.Interval <= 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.ProcSelf == "" {
		opts.ProcSelf = "/proc/self"
	}
	h := []string{sources.LabelHost, opts.Host}
	return &Poller{opts: opts, pageSize: float64(os.Getpagesize()),
		cpu: sources.NewSeries(sources.SelfCPU, sources.Gauge, h...),
		rss: sources.NewSeries(sources.SelfRSS, sources.Gauge, h...),
		gor: sources.NewSeries(sources.SelfGoroutines, sources.Gauge, h...),
		lat: map[string]sources.Series{}}
}

var _ sources.Poller = (*Poller)(nil)

// Name implements sources.Source.
func (p *Poller) Name() string { return p.opts.Name }

// Interval implements sources.Poller.
func (p *Poller) Interval() time.Duration { return p.opts.Interval }

// CPUTime returns the process's user plus system CPU time.
func CPUTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("selfstat: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// RSS reads the resident set size in bytes from <procSelf>/statm.
func RSS(procSelf string, pageSize float64) (float64, error) {
	b, err := os.ReadFile(filepath.Join(procSelf, "statm"))
	if err != nil {
		return 0, fmt.Errorf("selfstat: %w", err)
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, fmt.Errorf("selfstat: statm: %d fields", len(f))
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("selfstat: statm: %w", err)
	}
	return float64(pages) * pageSize, nil
}

// Poll implements sources.Poller. The CPU ratio needs two polls: the
// first reports RSS and goroutines only.
func (p *Poller) Poll(_ context.Context, now time.Time) (sources.Frame, error) {
	f := sources.Frame{Source: p.opts.Name, At: now}
	wall := time.Now()
	cpu, err := CPUTime()
	if err != nil {
		return f, err
	}
	if !p.prevWall.IsZero() {
		if dw := wall.Sub(p.prevWall); dw > 0 {
			f.Points = append(f.Points, sources.Point{Series: p.cpu, At: now, Value: (cpu - p.prevCPU).Seconds() / dw.Seconds()})
		}
	}
	p.prevCPU, p.prevWall = cpu, wall
	rss, rerr := RSS(p.opts.ProcSelf, p.pageSize)
	if rerr == nil {
		f.Points = append(f.Points, sources.Point{Series: p.rss, At: now, Value: rss})
	}
	f.Points = append(f.Points, sources.Point{Series: p.gor, At: now, Value: float64(runtime.NumGoroutine())})
	if p.opts.Health != nil {
		for _, h := range p.opts.Health() {
			if h.Duration <= 0 || h.Source == p.opts.Name {
				continue
			}
			s, ok := p.lat[h.Source]
			if !ok {
				s = sources.NewSeries(sources.SelfPollLatency, sources.Gauge, sources.LabelHost, p.opts.Host, "source", h.Source)
				p.lat[h.Source] = s
			}
			f.Points = append(f.Points, sources.Point{Series: s, At: now, Value: h.Duration.Seconds()})
		}
	}
	f.Health = &sources.Health{Source: p.opts.Name, Kind: "self", Target: p.opts.ProcSelf, Series: len(f.Points)}
	return f, rerr
}
