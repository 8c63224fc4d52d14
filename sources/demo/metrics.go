package demo

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Bucket layouts, as vLLM (v1 engine, ≥ 0.11) and client_golang declare them.
var (
	vllmTTFTBuckets = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560}
	vllmITLBuckets  = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80}
	vllmE2EBuckets  = []float64{0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680}
)

// httpRequestsHelp is shared by both services' http_requests_total so that the
// merged exposition is one family.
const httpRequestsHelp = "Total number of HTTP requests by status."

// llmMetrics is the vLLM-shaped half of /metrics, in its own registry.
type llmMetrics struct {
	reg      *prometheus.Registry
	e2e      prometheus.Observer
	ttft     prometheus.Observer
	itl      prometheus.Observer
	success  *prometheus.CounterVec // finished_reason
	prompt   prometheus.Counter
	gen      prometheus.Counter
	waiting  prometheus.Gauge
	running  prometheus.Gauge
	kv       prometheus.Gauge
	http     *prometheus.CounterVec // status
	reasons  map[string]prometheus.Counter
	statuses map[string]prometheus.Counter
}

func newLLMMetrics(model string) *llmMetrics {
	const engine = "0"
	cl := prometheus.Labels{"model_name": model, "engine": engine}
	m := &llmMetrics{reg: prometheus.NewRegistry()}
	hist := func(name, help string, b []float64) prometheus.Observer {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: b, ConstLabels: cl}, nil)
		m.reg.MustRegister(h)
		return h.WithLabelValues()
	}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: cl})
		m.reg.MustRegister(g)
		return g
	}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: cl})
		m.reg.MustRegister(c)
		return c
	}
	m.e2e = hist("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", vllmE2EBuckets)
	m.ttft = hist("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", vllmTTFTBuckets)
	m.itl = hist("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", vllmITLBuckets)
	m.success = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vllm:request_success_total", Help: "Count of successfully processed requests.", ConstLabels: cl,
	}, []string{"finished_reason"})
	m.reg.MustRegister(m.success)
	m.prompt = counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.")
	m.gen = counter("vllm:generation_tokens_total", "Number of generation tokens processed.")
	m.waiting = gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.")
	m.running = gauge("vllm:num_requests_running", "Number of requests in model execution batches.")
	m.kv = gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.")
	m.http = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total", Help: httpRequestsHelp,
		ConstLabels: prometheus.Labels{"model_name": model, "handler": "/v1/chat/completions", "method": "POST"},
	}, []string{"status"})
	m.reg.MustRegister(m.http)
	// Pre-create every label value so that the families exist (at 0) from the
	// first scrape, as vLLM does.
	m.reasons = map[string]prometheus.Counter{}
	for _, r := range []string{"stop", "length", "abort", "error"} {
		m.reasons[r] = m.success.WithLabelValues(r)
	}
	m.statuses = map[string]prometheus.Counter{}
	for _, s := range []string{"2xx", "4xx", "5xx"} {
		m.statuses[s] = m.http.WithLabelValues(s)
	}
	return m
}

// recsysMetrics is the generic HTTP half of /metrics: a recommendation API.
type recsysMetrics struct {
	reg      *prometheus.Registry
	duration prometheus.Observer
	requests *prometheus.CounterVec // code
	codes    map[int]prometheus.Counter
}

func newRecsysMetrics(service string) *recsysMetrics {
	m := &recsysMetrics{reg: prometheus.NewRegistry()}
	cl := prometheus.Labels{"service": service}
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds", Help: "HTTP request latency in seconds.",
		Buckets: prometheus.DefBuckets, ConstLabels: cl,
	})
	m.reg.MustRegister(h)
	m.duration = h
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total", Help: httpRequestsHelp, ConstLabels: cl,
	}, []string{"code"})
	m.reg.MustRegister(m.requests)
	m.codes = map[int]prometheus.Counter{}
	for _, c := range []int{200, 400, 404, 500, 503} {
		m.codes[c] = m.requests.WithLabelValues(itoa(c))
	}
	return m
}

func (m *recsysMetrics) code(c int) prometheus.Counter {
	if k, ok := m.codes[c]; ok {
		return k
	}
	k := m.requests.WithLabelValues(itoa(c))
	m.codes[c] = k
	return k
}

// observe records v (seconds) on o, with the trace as exemplar when traceID
// is set.
func observe(o prometheus.Observer, v float64, traceID, spanID string) {
	if traceID != "" {
		if eo, ok := o.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(v, prometheus.Labels{"trace_id": traceID, "span_id": spanID})
			return
		}
	}
	o.Observe(v)
}
