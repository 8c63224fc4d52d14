// Package demo is vigil's embedded synthetic AI service: a vLLM-shaped LLM
// server and a recommendation API on 127.0.0.1, with simulated GPUs and a
// scripted, seeded incident timeline. The console watches it through the real
// paths: it scrapes the /metrics endpoint over HTTP (Prometheus text or
// OpenMetrics with exemplars), tails the JSON log file, reads the GPUs through
// the nvml.Interface the NVML collector uses, and receives traces over
// OTLP/HTTP.
//
// The simulation advances in fixed steps of scripted time (100 ms), so
// everything it produces is a pure function of the seed, the speed and the
// elapsed time: two services with the same options under the same clock
// produce the same metric values, log lines, GPU readings and trace ids.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/nvml/nvmlmock"
)

// LogFileName is the name of the JSON log file the service appends to in
// Options.Dir.
const LogFileName = "vigil-demo.log"

// TickInterval is how often (wall time) the service advances on its own,
// writes its log lines and sends its spans, on the process's beat
// (sources.Beat): at the instants vigil's own 1 s loops wake, so that a
// watched demo costs no wake-up of its own. Scrapes and GPU reads also
// advance it to the clock's now first.
const TickInterval = time.Second

// Options configures the demo service. The zero value is usable.
type Options struct {
	// Seed fixes every random draw and the incident timeline's jitter.
	Seed int64
	// Speed compresses the timeline: 10 plays it ten times faster. ≤ 0 means 1.
	Speed float64
	// Listen is the HTTP address; "" means 127.0.0.1:0 (any free port).
	Listen string
	// Dir is where the log file goes; "" means a new temporary directory that
	// Close removes.
	Dir string
	// GPUs is the number of simulated GPUs; ≤ 0 means 8.
	GPUs int
	// OTLPEndpoint is the OTLP/HTTP endpoint spans go to, e.g.
	// "http://127.0.0.1:4318" (the path defaults to /v1/traces); "" sends none.
	OTLPEndpoint string
	// Host names the machine the demo runs on in its telemetry (spans'
	// host.name); "" means os.Hostname(), as vigil names the NVML host.
	Host string
	// Clock is the service's notion of now; nil means the wall clock.
	Clock sources.Clock
	// Logger receives the service's own diagnostics; nil discards them.
	Logger *slog.Logger
}

// Service is a running demo service. Its methods are safe for concurrent use.
type Service struct {
	opts     Options
	clock    sources.Clock
	log      *slog.Logger
	start    time.Time
	url      string
	logPath  string
	tmpDir   string
	incident []Incident
	nvml     *nvmlmock.Mock

	srv    *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.RWMutex // guards sim and closed; scrapes hold it for reading
	sim        *sim
	closed     bool
	logErrSeen bool // the log file's write error has been reported

	closeOnce sync.Once
	closeErr  error
}

// Start starts the service and returns once its /metrics endpoint answers.
// Before it listens it simulates 30 scripted seconds of calm history, so that
// the first scrape already shows traffic and warm GPUs: like a server that
// was up before anyone watched, its counters carry those requests, but no log
// line, span or exemplar is stamped before the start (requests that began
// before it leave none), so nothing the demo shows predates it. The service
// stops when ctx is done or Close is called.
func Start(ctx context.Context, o Options) (*Service, error) {
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.GPUs <= 0 {
		o.GPUs = 8
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	s := &Service{opts: o, clock: o.Clock, log: o.Logger}
	if s.clock == nil {
		s.clock = sources.WallClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if o.Host == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			o.Host = h
		} else {
			o.Host = "demo"
		}
		s.opts.Host = o.Host
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "vigil-demo-")
		if err != nil {
			return nil, fmt.Errorf("demo: log dir: %w", err)
		}
		dir, s.tmpDir = d, d
	}
	s.logPath = filepath.Join(dir, LogFileName)
	cleanup := func() {
		if s.tmpDir != "" {
			os.RemoveAll(s.tmpDir)
		}
	}
	lw, err := openLog(s.logPath)
	if err != nil {
		cleanup()
		return nil, err
	}

	var tr *tracing
	if o.OTLPEndpoint != "" {
		if tr, err = newTracing(ctx, o.OTLPEndpoint, o.Host, s.log); err != nil {
			lw.close()
			cleanup()
			return nil, err
		}
	}

	llm := newLLMMetrics(llmModelName)
	rec := newRecsysMetrics(recsysService)
	// The GPUs first: the log lines name their PCI bus ids. Their state
	// function reads the simulation only when a GPU is read.
	// stepLocked kicks the event waiters when an XID changes, so they need
	// not read the GPUs on a timer of their own.
	s.nvml = nvmlmock.New(o.GPUs, s.gpuState, nvmlmock.WithEventCheck(0))
	busIDs := make([]string, o.GPUs)
	for i, d := range s.nvml.Devices {
		if sd, ok := d.(*server.Device); ok && i < len(busIDs) {
			busIDs[i] = sd.PciBusID
		}
	}
	s.start = s.clock.Now()
	s.sim = newSim(o, s.start, busIDs, llm, rec, lw, tr)
	s.incident = s.sim.sc.incidents(o.Speed)
	s.sim.advance(s.start) // the warm-up
	if err := lw.flush(); err != nil {
		tr.shutdown(context.Background())
		lw.close()
		cleanup()
		return nil, err
	}

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		tr.shutdown(context.Background())
		lw.close()
		cleanup()
		return nil, fmt.Errorf("demo: listen %s: %w", o.Listen, err)
	}
	s.url = "http://" + ln.Addr().String() + "/metrics"

	gather := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return prometheus.Gatherers{llm.reg, rec.reg}.Gather()
	})
	metrics := promhttp.HandlerFor(gather, promhttp.HandlerOpts{
		EnableOpenMetrics: true,
		ErrorHandling:     promhttp.ContinueOnError,
		ErrorLog:          slogPrinter{s.log},
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		s.Step()
		metrics.ServeHTTP(w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "vigil demo service\nmetrics: /metrics\nlog file: %s\n", s.logPath)
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: nil}

	ictx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("demo: http server", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.tick(ictx)
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-ictx.Done():
		}
	}()

	if err := s.probe(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.log.Info("demo: started", "metrics", s.url, "log", s.logPath, "seed", o.Seed, "speed", o.Speed, "gpus", o.GPUs)
	return s, nil
}

// probe waits for /metrics to answer.
func (s *Service) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return fmt.Errorf("demo: probe: %w", err)
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("demo: probe %s: %w", s.url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("demo: probe %s: %s", s.url, resp.Status)
	}
	return nil
}

// tick advances the simulation on the wall clock's beat.
func (s *Service) tick(ctx context.Context) {
	t := sources.NewBeat(TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Step()
			s.flushSpans(ctx)
			t.Next()
		}
	}
}

// Step advances the simulation to the clock's now and flushes the log file.
// The service steps on its own every TickInterval and before every scrape and
// GPU read; tests driving a ManualClock call Step after moving the clock to
// make the log file current.
func (s *Service) Step() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stepLocked()
}

func (s *Service) stepLocked() {
	if s.closed {
		return
	}
	xid := s.sim.xidGen
	if s.sim.advance(s.clock.Now()) {
		if s.sim.xidGen != xid {
			s.nvml.Kick()
		}
		if err := s.sim.log.flush(); err != nil && !s.logErrSeen {
			s.logErrSeen = true
			s.log.Error("demo: log file", "err", err)
		}
	}
}

// flushSpans sends the spans the steps since the last call emitted.
func (s *Service) flushSpans(ctx context.Context) {
	s.mu.RLock()
	tr := s.sim.tr
	closed := s.closed
	s.mu.RUnlock()
	if !closed {
		tr.flush(ctx)
	}
}

// gpuState is the nvmlmock state function: GPU i as of the clock's now.
func (s *Service) gpuState(i int) nvmlmock.GPUState {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stepLocked()
	if i < 0 || i >= len(s.sim.gpus) {
		return nvmlmock.GPUState{Lost: true}
	}
	return s.sim.gpus[i].stateNow
}

// MetricsURL is the service's /metrics URL (http://127.0.0.1:PORT/metrics).
func (s *Service) MetricsURL() string { return s.url }

// Host is the machine the demo names in its telemetry (Options.Host).
func (s *Service) Host() string { return s.opts.Host }

// PCIBusID is GPU i's PCI bus id as NVML gives it ("0000:03:00.0"), the
// one the driver's XID log lines name; "" when there is no GPU i.
func (s *Service) PCIBusID(i int) string {
	if i < 0 || i >= len(s.sim.busIDs) {
		return ""
	}
	return s.sim.busIDs[i]
}

// LogPath is the JSON log file the service appends to.
func (s *Service) LogPath() string { return s.logPath }

// NVML is the simulated GPUs, behind the interface the NVML collector uses.
func (s *Service) NVML() nvml.Interface { return s.nvml }

// Timeline returns the incidents of the first loop, with Start and End as
// wall-clock offsets from the service's start. The loop repeats every Loop().
func (s *Service) Timeline() []Incident {
	out := make([]Incident, len(s.incident))
	copy(out, s.incident)
	return out
}

// Loop is the wall-clock length of one loop of the timeline (600 s / Speed).
func (s *Service) Loop() time.Duration {
	return time.Duration(loopSeconds / s.opts.Speed * float64(time.Second))
}

// Started is the clock time the service started at; Timeline offsets count
// from it.
func (s *Service) Started() time.Time { return s.start }

// Close stops the service: the HTTP server, the simulation, the trace
// exporter (flushing what it holds, for at most 0.5 s) and the log file.
// It is safe to call more than once.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		// Quitting must feel instant: the last spans get half a second to
		// reach a receiver that may already be gone.
		sctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		var errs []error
		if err := s.srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("demo: http shutdown: %w", err))
		}
		s.wg.Wait()
		s.mu.Lock()
		s.closed = true
		sim := s.sim
		s.mu.Unlock()
		if err := sim.tr.shutdown(sctx); err != nil {
			errs = append(errs, err)
		}
		if err := sim.log.close(); err != nil {
			errs = append(errs, err)
		}
		if s.tmpDir != "" {
			os.RemoveAll(s.tmpDir)
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// slogPrinter adapts slog to promhttp's Logger.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Warn("demo: metrics: " + fmt.Sprint(v...)) }
