package prom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultPorts are the serving stacks' and exporters' default /metrics
// ports, probed on 127.0.0.1 by Discover: vLLM and KServe 8000, SGLang
// 30000, Triton 8002, KServe/Ray (KubeRay) 8080, TGI 3000, 80 and 9000,
// TorchServe 8082, dcgm-exporter 9400, node_exporter 9100, an OpenTelemetry
// collector's prometheus exporter 8889, and Prometheus itself 9090.
var DefaultPorts = []int{8000, 30000, 8002, 8080, 3000, 9000, 8082, 9400, 9100, 8889, 80, 9090}

// ProbeTimeout bounds one discovery probe.
const ProbeTimeout = 250 * time.Millisecond

// Found is a /metrics endpoint that Discover recognised.
type Found struct {
	URL    string   `json:"url"`    // http://127.0.0.1:PORT/metrics
	Port   int      `json:"port"`   //
	Stacks []string `json:"stacks"` // recognised stacks, sorted: "vllm", "dcgm", ... ("prometheus" means a Prometheus server: use query mode)
	Series int      `json:"series"` // series in the probe's scrape
}

// String is "vllm on :8000".
func (f Found) String() string {
	return strings.Join(f.Stacks, "+") + " on :" + strconv.Itoa(f.Port)
}

// IsPrometheus reports a Prometheus server's own /metrics: point query mode
// (--prom) at it rather than scraping it.
func (f Found) IsPrometheus() bool {
	for _, s := range f.Stacks {
		if s == StackPrometheus {
			return true
		}
	}
	return false
}

// ScrapeConfig is the scrape of a discovered endpoint at interval.
func (f Found) ScrapeConfig(interval time.Duration) ScrapeConfig {
	return ScrapeConfig{URL: f.URL, Name: "scrape :" + strconv.Itoa(f.Port), Interval: interval}
}

// Summary is one line for the status bar and --once: "found vllm on :8000,
// dcgm on :9400", or "no serving stack found on 127.0.0.1".
func Summary(found []Found) string {
	if len(found) == 0 {
		return "no serving stack found on 127.0.0.1"
	}
	parts := make([]string, len(found))
	for i, f := range found {
		parts[i] = f.String()
	}
	return "found " + strings.Join(parts, ", ")
}

// Discover probes http://127.0.0.1:PORT/metrics for every port (nil means
// DefaultPorts) concurrently, each within ProbeTimeout, and returns the
// endpoints whose metrics it recognises, in the order of ports. Ports where
// nothing listens cost a refused connection; the whole call is bounded by
// ProbeTimeout and ctx.
func Discover(ctx context.Context, ports []int) []Found {
	if ports == nil {
		ports = DefaultPorts
	}
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: ProbeTimeout}).DialContext,
		DisableKeepAlives:   true,
		MaxIdleConnsPerHost: -1,
	}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	out := make([]*Found, len(ports))
	var wg sync.WaitGroup
	seen := map[int]bool{}
	for i, p := range ports {
		if p <= 0 || p > 65535 || seen[p] {
			continue
		}
		seen[p] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = probe(ctx, client, p)
		}()
	}
	wg.Wait()
	var res []Found
	for _, f := range out {
		if f != nil {
			res = append(res, *f)
		}
	}
	return res
}

func probe(ctx context.Context, client *http.Client, port int) *Found {
	u := "http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil
	}
	req.Header.Set("Accept", acceptText)
	req.Header.Set("User-Agent", "vigil-discover")
	resp, err := client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	const limit = 8 << 20
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil
	}
	_, st, err := Parse(body, resp.Header.Get("Content-Type"), Target{URL: u}, time.Time{})
	if len(st.Stacks) == 0 || err != nil && st.Series == 0 {
		return nil
	}
	return &Found{URL: u, Port: port, Stacks: st.Stacks, Series: st.Series}
}

// RayDiscoveryFile is where Ray writes its metrics agents' addresses.
const RayDiscoveryFile = "/tmp/ray/prom_metrics_service_discovery.json"

// RayTargets reads Ray's Prometheus service-discovery file (a file_sd list
// of {"targets": ["host:port", ...]}) and returns its targets as /metrics
// URLs, sorted. A missing file is no targets and no error.
func RayTargets(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ray discovery file: %w", unwrapPath(err))
	}
	var groups []struct {
		Targets []string `json:"targets"`
	}
	if err := json.Unmarshal(b, &groups); err != nil {
		return nil, fmt.Errorf("ray discovery file %s: %w", path, err)
	}
	var out []string
	for _, g := range groups {
		for _, t := range g.Targets {
			if _, _, err := net.SplitHostPort(t); err == nil {
				out = append(out, "http://"+t+"/metrics")
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
