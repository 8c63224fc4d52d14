package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Serving: every host gets its own loopback address (127.1.x.y; Linux
// routes all of 127.0.0.0/8 to the loopback interface) and listens there on
// its exporters' ports, so an engine scraping the fleet sees what it sees in
// a real one: instance = host:port, the same host part for a host's three
// exporters, one job per exporter.

// ServeOptions configures Serve.
type ServeOptions struct {
	// AnyPort binds each exporter on a free port of the host's address
	// instead of the fleet's ports (Targets says which).
	AnyPort bool
	// Now is the clock scrapes are answered at; nil means time.Now.
	Now func() time.Time
	// Logger receives the server's diagnostics; nil discards them.
	Logger *slog.Logger
}

// Server serves a fleet's exporters over HTTP.
type Server struct {
	f       *Fleet
	now     func() time.Time
	srv     *http.Server
	lns     []net.Listener
	targets [3][]string           // per exporter, per host: the address bound
	byAddr  map[string]hostAndExp // listener address → what it serves
	wg      sync.WaitGroup
	once    sync.Once
}

type hostAndExp struct {
	host int
	exp  Exporter
}

// Serve listens on every host's exporters and answers GET /metrics with
// what they serve at the moment of the request. Close stops it.
func Serve(f *Fleet, o ServeOptions) (*Server, error) {
	s := &Server{f: f, now: o.Now, byAddr: make(map[string]hostAndExp, 3*len(f.hosts))}
	if s.now == nil {
		s.now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for i, h := range f.hosts {
		for _, e := range Exporters {
			addr := f.Instance(i, e)
			if o.AnyPort {
				addr = h.Addr + ":0"
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				for _, l := range s.lns {
					l.Close()
				}
				return nil, fmt.Errorf("fleet: %s of %s: %w", e.Job(), h.Name, err)
			}
			s.lns = append(s.lns, ln)
			a := ln.Addr().String()
			s.targets[e] = append(s.targets[e], a)
			s.byAddr[a] = hostAndExp{i, e}
		}
	}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	for _, ln := range s.lns {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("fleet: serve", "addr", ln.Addr().String(), "err", err)
			}
		}()
	}
	return s, nil
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	he, ok := hostAndExp{}, false
	if la != nil {
		he, ok = s.byAddr[la.String()]
	}
	if !ok {
		http.Error(w, "not a fleet exporter", http.StatusNotFound)
		return
	}
	switch r.URL.Path {
	case "/metrics":
	case "/":
		h := s.f.hosts[he.host]
		fmt.Fprintf(w, "vigil demo fleet: %s (%s) %s exporter\nmetrics: /metrics\n", h.Name, h.Addr, he.exp.Job())
		return
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if r.Method == http.MethodHead {
		return
	}
	s.f.WriteExporter(w, he.host, he.exp, s.now()) // a failed write is the client gone
}

// Targets lists the addresses exporter e listens on, host by host.
func (s *Server) Targets(e Exporter) []string { return append([]string(nil), s.targets[e]...) }

// Fleet is the fleet served.
func (s *Server) Fleet() *Fleet { return s.f }

// Close stops every listener and waits for the server to end.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err = s.srv.Shutdown(ctx)
		s.wg.Wait()
	})
	return err
}

// fileSDGroup is one entry of a Prometheus file_sd JSON file.
type fileSDGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels,omitempty"`
}

// WriteFileSD writes exporter e's targets as a Prometheus file_sd JSON
// file: one group per set of group labels (Host.Labels).
func (s *Server) WriteFileSD(w io.Writer, e Exporter) error {
	groups := map[string]*fileSDGroup{}
	var keys []string
	for i, h := range s.f.hosts {
		ls := h.Labels(e)
		k := strings.Join(ls, "\x00")
		g := groups[k]
		if g == nil {
			g = &fileSDGroup{Labels: map[string]string{}}
			for j := 0; j+1 < len(ls); j += 2 {
				g.Labels[ls[j]] = ls[j+1]
			}
			groups[k] = g
			keys = append(keys, k)
		}
		g.Targets = append(g.Targets, s.targets[e][i])
	}
	sort.Strings(keys)
	out := make([]*fileSDGroup, len(keys))
	for i, k := range keys {
		out[i] = groups[k]
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Files are the paths WriteFiles wrote.
type Files struct {
	Config string              // prometheus.yml: scrape_configs reading the file_sd files
	FileSD map[Exporter]string // targets-<job>.json
}

// WriteFiles writes a file_sd JSON file per exporter and a scrape config
// that reads them, every interval, into dir. Prometheus (--config.file) and
// VictoriaMetrics (-promscrape.config) both take the config.
func (s *Server) WriteFiles(dir string, interval time.Duration) (Files, error) {
	fs := Files{Config: filepath.Join(dir, "prometheus.yml"), FileSD: map[Exporter]string{}}
	for _, e := range Exporters {
		p := filepath.Join(dir, "targets-"+e.Job()+".json")
		if err := writeFile(p, func(w io.Writer) error { return s.WriteFileSD(w, e) }); err != nil {
			return fs, err
		}
		fs.FileSD[e] = p
	}
	err := writeFile(fs.Config, func(w io.Writer) error { return s.writeScrapeConfig(w, fs, interval) })
	return fs, err
}

func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("fleet: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("fleet: write %s: %w", path, err)
	}
	return nil
}

func (s *Server) writeScrapeConfig(w io.Writer, fs Files, interval time.Duration) error {
	if interval <= 0 {
		interval = 15 * time.Second
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# vigil demo --fleet %d: one job per exporter, targets in file_sd files.\n", len(s.f.hosts))
	b.WriteString("# Prometheus: --config.file=THIS; VictoriaMetrics: -promscrape.config=THIS\n")
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\nscrape_configs:\n", interval, min(interval, 10*time.Second))
	for _, e := range Exporters {
		fmt.Fprintf(&b, "  - job_name: %s\n    file_sd_configs:\n      - files: [%q]\n", e.Job(), fs.FileSD[e])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// RunOptions configures Run: `vigil demo --fleet N --serve`.
type RunOptions struct {
	Hosts    int
	GPUs     int           // per host; ≤ 0 means 8
	Seed     int64         // the incidents' and profiles' seed
	Dir      string        // where the scrape config and file_sd files go; "" means a temporary directory removed on return
	Interval time.Duration // scrape interval written into the config; ≤ 0 means 15 s
	Logger   *slog.Logger
}

// PortOffset is added to every exporter's usual port when one of them is
// taken on all addresses (a real node-exporter on :9100, say).
const PortOffset = 10000

// Run serves a fleet starting now until ctx is done, after writing the
// scrape config and printing how to point Prometheus or VictoriaMetrics and
// vigil at it.
func Run(ctx context.Context, o RunOptions, stdout io.Writer) error {
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "vigil-fleet-")
		if err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	cfg := Config{Hosts: o.Hosts, GPUsPerHost: o.GPUs, Seed: o.Seed, Start: time.Now()}
	var srv *Server
	var note string
	for _, off := range []int{0, PortOffset} {
		cfg.Ports = Ports{VLLM: DefaultPorts.VLLM + off, DCGM: DefaultPorts.DCGM + off, Node: DefaultPorts.Node + off}
		f, err := New(cfg)
		if err != nil {
			return err
		}
		srv, err = Serve(f, ServeOptions{Logger: o.Logger})
		if err == nil {
			break
		}
		if off != 0 || !errors.Is(err, syscall.EADDRINUSE) {
			return err
		}
		note = fmt.Sprintf("(the usual ports are taken: %v; using them + %d)\n", err, PortOffset)
	}
	defer srv.Close()
	fs, err := srv.WriteFiles(dir, o.Interval)
	if err != nil {
		return err
	}
	printRun(stdout, srv, fs, note)
	<-ctx.Done()
	return nil
}

func printRun(w io.Writer, s *Server, fs Files, note string) {
	f := s.f
	hs := f.Hosts()
	first, last := hs[0], hs[len(hs)-1]
	p := f.cfg.Ports
	fmt.Fprintf(w, "vigil demo fleet: %d hosts, %s … %s, each on its own loopback address (%s … %s)\n",
		len(hs), first.Name, last.Name, first.Addr, last.Addr)
	fmt.Fprintf(w, "  exporters per host: vLLM :%d, dcgm-exporter :%d (%d GPUs), node-exporter :%d\n", p.VLLM, p.DCGM, f.cfg.GPUsPerHost, p.Node)
	if note != "" {
		fmt.Fprint(w, "  "+note)
	}
	fmt.Fprintln(w, "incidents:")
	for _, in := range f.Incidents() {
		when := "from " + in.From.Format("15:04:05")
		if in.Every > 0 {
			when += fmt.Sprintf(", %s of every %s", in.For, in.Every)
		}
		fmt.Fprintf(w, "  %-11s %s (%s)\n", in.Kind, in.Detail, when)
	}
	fmt.Fprintf(w, "scrape config (Prometheus and VictoriaMetrics): %s\n", fs.Config)
	fmt.Fprintf(w, "file_sd targets: %s, %s, %s\n\n", fs.FileSD[VLLM], fs.FileSD[DCGM], fs.FileSD[Node])
	fmt.Fprintf(w, "  victoria-metrics -promscrape.config=%s -httpListenAddr=127.0.0.1:8428 -storageDataPath=/tmp/vigil-fleet-vm\n", fs.Config)
	fmt.Fprintln(w, "  vigil --prom http://127.0.0.1:8428")
	fmt.Fprintln(w, "or")
	fmt.Fprintf(w, "  prometheus --config.file=%s --web.listen-address=127.0.0.1:9090 --storage.tsdb.path=/tmp/vigil-fleet-prom\n", fs.Config)
	fmt.Fprintln(w, "  vigil --prom http://127.0.0.1:9090")
	if b, err := os.ReadFile(fs.Config); err == nil {
		fmt.Fprintf(w, "\n%s:\n%s", fs.Config, b)
	}
	fmt.Fprintln(w, "\nserving until interrupted (Ctrl-C)")
}
