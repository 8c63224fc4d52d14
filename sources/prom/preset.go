package prom

import (
	"regexp"
	"sort"
	"strings"

	"github.com/vigil-dev/vigil/sources"
)

// Stack names: the value of the canonical stack label and of Health.Detail.
const (
	StackVLLM       = "vllm"
	StackTGI        = "tgi"
	StackSGLang     = "sglang"
	StackTriton     = "triton"
	StackTorchServe = "torchserve"
	StackRayServe   = "rayserve"
	StackDCGM       = "dcgm"
	StackNode       = "node"
	StackOTelGenAI  = "otel-genai"
	StackHTTP       = "http"
	StackTRTLLM     = "trtllm"     // trtllm-serve
	StackLlamaCpp   = "llamacpp"   // llama.cpp's llama-server
	StackKServe     = "kserve"     // KServe's Python model server
	StackPrometheus = "prometheus" // a Prometheus server's own /metrics: use it in query mode
)

// Extra canonical signals that only some stacks give. Panes that do not know
// them ignore them.
const (
	SvcPrefixCacheQueries = "svc_prefix_cache_queries_total" // counter, tokens looked up in the prefix cache
	SvcPrefixCacheHits    = "svc_prefix_cache_hits_total"    // counter, tokens found there
	SvcPreemptions        = "svc_preemptions_total"          // counter
	SvcAborts             = "svc_aborts_total"               // counter, requests the client cancelled (whatever the error basis)
	GPUSMActive           = "gpu_sm_active_ratio"            // ratio 0..1 (DCGM profiling: graphics engine active)
	GPUTensorActive       = "gpu_tensor_active_ratio"        // ratio 0..1 (DCGM profiling)
	GPUDRAMActive         = "gpu_dram_active_ratio"          // ratio 0..1 (DCGM profiling)
)

// Outcome values beyond sources.OutcomeOK/Error/Abort.
const (
	OutcomeClientError = "client_error" // 4xx, validation: the caller's fault, not an error of the service
)

// KindCached is the SvcTokens kind of prompt tokens served from the prefix cache.
const KindCached = "cached"

type sigKind uint8

const (
	kGauge     sigKind = iota
	kCounter           // a counter sample
	kHist              // a histogram (or, with summaryTo, a summary's quantiles)
	kHistSum           // a histogram's _sum read as a counter
	kHistCount         // a histogram's _count read as a counter
	kMeanSum           // a counter of summed durations: the sum of a bucketless histogram
	kMeanCount         // a counter of requests: the count of a bucketless histogram
)

type agg uint8

const (
	aggSum agg = iota // samples landing on one canonical series add up
	aggMax            // ... or the largest wins (replicas reporting the same gauge)
)

type scope uint8

const (
	scopeSvc  scope = iota // labels host, service, stack
	scopeGPU               // labels host, gpu, uuid, model (+ mig, namespace, pod, container)
	scopeHost              // label host only
)

// rule maps one source family onto one canonical signal.
type rule struct {
	from      []string // source family names; the first present in a scrape is used
	to        string   // canonical signal name
	kind      sigKind
	scope     scope
	scale     float64  // unit conversion: value (and histogram bound and sum) × scale; 0 means 1
	agg       agg      // how samples landing on one series combine
	set       []string // static labels: name, value, ...
	keep      []string // source labels kept: source name, canonical name, ...
	summaryTo string   // for kHist: where a summary's quantiles go when the family is a summary

	outcome func(m *metric) string // SvcRequests outcome of a sample; "" skips it
	outs    []string               // outcomes such a family can produce
	minus   string                 // the samples are also taken away from this outcome
	kindOf  func(m *metric) string // SvcTokens kind of a sample; "" skips it

	service func(sc *scrape, m *metric) string // overrides the preset's
	when    func(sc *scrape) bool              // the rule applies to this scrape
	skip    func(sc *scrape, m *metric) bool   // the sample is not this rule's
}

// preset is a stack: how to recognise it and how its families map.
type preset struct {
	stack      string
	prefixes   []string // any family name with one of these prefixes recognises the stack
	names      []string // ... or one of these exact names
	hostLabels []string // labels naming the machine, in order of preference
	service    func(sc *scrape, m *metric) string
	blank      func(k sigKind, v float64) bool // placeholder values meaning "not supported"
	also       []string                        // families read besides the rules' (e.g. for the host name)
	rules      []rule

	// Query mode (query.go): the labels the service rule reads, and the
	// PromQL figures an engine computes for the stack.
	svcBy   []string
	gpuBy   []string // labels that tell its GPUs apart (default gpu, DeviceId, GPU_I_ID)
	queries []query
}

func (p *preset) recognises(name string) bool {
	for _, x := range p.prefixes {
		if strings.HasPrefix(name, x) {
			return true
		}
	}
	for _, x := range p.names {
		if name == x {
			return true
		}
	}
	return false
}

// Families returns the source metric families the stack's preset reads
// (histograms and summaries by their family name, without _bucket, _sum or
// _count), sorted; nil for an unknown stack. Query mode builds its selectors
// from it, so that the two modes read the same series.
func Families(stack string) []string {
	seen := map[string]bool{}
	for _, p := range presets {
		if p.stack != stack {
			continue
		}
		for _, r := range p.rules {
			for _, n := range r.from {
				seen[n] = true
			}
		}
		for _, n := range p.names {
			seen[n] = true
		}
		for _, n := range p.also {
			seen[n] = true
		}
	}
	if len(seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Stacks lists the stacks the presets know, in table order.
func Stacks() []string {
	out := make([]string, 0, len(presets))
	for _, p := range presets {
		out = append(out, p.stack)
	}
	return out
}

func byLabel(names ...string) func(*scrape, *metric) string {
	return func(_ *scrape, m *metric) string { return firstLabel(m, names...) }
}

// genericService is the generic HTTP rule: a service label, else job, else the target.
var genericService = byLabel("service", "job")

func static(v string) func(*metric) string { return func(*metric) string { return v } }

// httpOutcome classes an HTTP status ("503", "5xx") by its first digit.
func httpOutcome(names ...string) func(*metric) string {
	return func(m *metric) string {
		s := firstLabel(m, names...)
		switch {
		case s == "":
			return sources.OutcomeOK
		case s[0] == '5':
			return sources.OutcomeError
		case s[0] == '4':
			return OutcomeClientError
		}
		return sources.OutcomeOK
	}
}

// excludedPaths are an exporter's own endpoints: HTTP series of them are
// not the service's traffic.
var excludedPaths = []string{"/metrics", "/health", "/healthz", "/ping", "/ready", "/readyz", "/livez", "/version"}

// handlerLabels name the HTTP route, in order of preference.
var handlerLabels = []string{"handler", "path", "route", "http_route"}

// excludedHandler reports HTTP series of the exporter's own endpoints.
func excludedHandler(m *metric) bool {
	h := firstLabel(m, handlerLabels...)
	for _, x := range excludedPaths {
		if h == x {
			return true
		}
	}
	return false
}

// handlerMatch is excludedHandler as PromQL matchers (each preceded by a
// comma and a space).
var handlerMatch = func() string {
	var b strings.Builder
	for _, l := range handlerLabels {
		b.WriteString(", " + l + `!~"` + promAlternation(excludedPaths) + `"`)
	}
	return b.String()
}()

// promAlternation is a regular expression matching exactly one of xs,
// escaped for a double-quoted PromQL string.
func promAlternation(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = regexp.QuoteMeta(x)
	}
	return strings.ReplaceAll(strings.Join(q, "|"), `\`, `\\`)
}

// vllmHTTPService: vLLM's API server counts carry no model; they belong to
// the target's one model, and to none when it serves several.
func vllmHTTPService(c *answerCtx, m *metric) string {
	return c.single(StackVLLM, label(m, sources.LabelInstance))
}

// ownedByVLLMMatch is ownedByVLLMQuery at the engine: series without a
// service label (absent matches the right side's empty one) of targets
// with vLLM's families (num_requests_running, which every version has).
const ownedByVLLMMatch = `on (instance, service) group by (instance) (vllm:num_requests_running{S})`

// ownedByVLLMQuery is ownedByVLLM for an engine's answer: an HTTP series
// without a service label of a target that has vLLM's families.
func ownedByVLLMQuery(c *answerCtx, m *metric) bool {
	return label(m, "service") == "" && c.owns(StackVLLM, label(m, sources.LabelInstance))
}

// tsQueryService is tsService for an engine's answer: the target's one
// model, else the target.
func tsQueryService(c *answerCtx, m *metric) string {
	inst := label(m, sources.LabelInstance)
	if s := c.single(StackTorchServe, inst); s != "" {
		return s
	}
	return inst
}

// ownedByVLLM reports an HTTP series of vLLM's own API server (no service
// label, in a scrape with vllm: families): vLLM's preset reads it, the generic
// HTTP preset must not.
func ownedByVLLM(sc *scrape, m *metric) bool {
	return sc.prefix[StackVLLM] && label(m, "service") == ""
}

func tokenKind(m *metric) string {
	switch firstLabel(m, "gen_ai_token_type", "gen_ai.token.type") {
	case "input", "prompt":
		return "prompt"
	case "output", "completion", "generation":
		return "generation"
	}
	return ""
}

// dcgmBlank reports DCGM's placeholders for unsupported fields: int64 blanks
// near 2^63 anywhere, int32 blanks (0x7ffffff0..) and the fp64 blank (2^47)
// on gauges. Energy counters legitimately pass 2^31 mJ, so counters are only
// checked for the int64 blanks.
func dcgmBlank(k sigKind, v float64) bool {
	if v >= 9.2e18 {
		return true
	}
	if k == kCounter {
		return false
	}
	return v >= 2147483632 && v <= 2147483647 || v >= 140737488355328
}

const mib = 1 << 20

// presets is the table of stacks. Order matters only for Stacks().
var presets = []*preset{
	{
		stack: StackVLLM, prefixes: []string{"vllm:"},
		service: func(sc *scrape, m *metric) string {
			if v := label(m, "model_name"); v != "" {
				return v
			}
			return sc.vllmModel
		},
		rules: []rule{
			{from: []string{"vllm:e2e_request_latency_seconds"}, to: sources.SvcLatency, kind: kHist},
			{from: []string{"vllm:time_to_first_token_seconds"}, to: sources.SvcTTFT, kind: kHist},
			{from: []string{"vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"}, to: sources.SvcITL, kind: kHist},
			{from: []string{"vllm:request_queue_time_seconds"}, to: sources.SvcQueueTime, kind: kHist},
			{from: []string{"vllm:num_requests_waiting"}, to: sources.SvcQueueDepth},
			{from: []string{"vllm:num_requests_running"}, to: sources.SvcRunning},
			{from: []string{"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"}, to: sources.SvcKVCache, agg: aggMax},
			{from: []string{"vllm:prompt_tokens_total"}, to: sources.SvcTokens, kind: kCounter, kindOf: static("prompt")},
			{from: []string{"vllm:generation_tokens_total"}, to: sources.SvcTokens, kind: kCounter, kindOf: static("generation")},
			{from: []string{"vllm:prompt_tokens_cached_total"}, to: sources.SvcTokens, kind: kCounter, kindOf: static(KindCached)},
			{from: []string{"vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total"}, to: SvcPrefixCacheQueries, kind: kCounter},
			{from: []string{"vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"}, to: SvcPrefixCacheHits, kind: kCounter},
			{from: []string{"vllm:num_preemptions_total"}, to: SvcPreemptions, kind: kCounter},
			{from: []string{"vllm:request_success_total"}, to: SvcAborts, kind: kCounter, skip: notAbort},
			// Error rate: the HTTP 5xx share when the API server's counts are
			// there, else the engine's finished_reason="error" share. abort is
			// a client cancellation, not an error; stop, length and repetition
			// are successes.
			{from: []string{"vllm:request_success_total"}, to: sources.SvcRequests, kind: kCounter,
				when: func(sc *scrape) bool { return !sc.vllmHTTP },
				outs: []string{sources.OutcomeOK, sources.OutcomeError, sources.OutcomeAbort}, outcome: finishedReason},
			{from: []string{"http_requests_total"}, to: sources.SvcRequests, kind: kCounter,
				when: func(sc *scrape) bool { return sc.vllmHTTP },
				skip: func(_ *scrape, m *metric) bool { return label(m, "service") != "" || excludedHandler(m) },
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: httpOutcome("status", "code")},
		},
		svcBy: []string{"model_name"},
		queries: []query{
			// Marked oneSvc: an instance serving one model answers without
			// model_name, which num_requests_running's answer names.
			{to: sources.SvcLatencyQuant, kind: qDist, from: []string{"vllm:e2e_request_latency_seconds"}, oneSvc: true},
			{to: sources.SvcTTFTQuant, kind: qDist, from: []string{"vllm:time_to_first_token_seconds"}, tier: TierDetail, oneSvc: true},
			{to: sources.SvcITLQuant, kind: qDist, from: []string{"vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"}, tier: TierDetail, oneSvc: true},
			// The error basis as above: the API server's HTTP counts where a
			// target serves one model (they carry no model), else the
			// engine's finished_reason.
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"http_requests_total"}, by: []string{"status", "code"},
				match: `service=""` + handlerMatch, alt: "requests", service: vllmHTTPService,
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: httpOutcome("status", "code")},
			// Not asked where the HTTP counts above answer for the target's
			// one model: they win.
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"vllm:request_success_total"}, by: []string{"finished_reason"}, alt: "requests", rank: 1, oneSvc: true,
				unless: `on (instance) (group by (instance) (rate(http_requests_total{service=""` + handlerMatch + `{M}}[{W}])) and on (instance) (count by (instance) (group by (instance, model_name) (vllm:num_requests_running{S})) == 1))`,
				outs:   []string{sources.OutcomeOK, sources.OutcomeError, sources.OutcomeAbort}, outcome: finishedReason},
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"vllm:prompt_tokens_total"}, kindOf: static("prompt"), oneSvc: true},
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"vllm:generation_tokens_total"}, kindOf: static("generation"), oneSvc: true},
			{to: sources.SvcQueueDepth, kind: qGauge, from: []string{"vllm:num_requests_waiting"}, oneSvc: true},
			// Always by model: the poll's record of each instance's models.
			{to: sources.SvcRunning, kind: qGauge, from: []string{"vllm:num_requests_running"}},
			{to: sources.SvcKVCache, kind: qGauge, from: []string{"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"}, agg: aggMax, oneSvc: true},
		},
	},
	{
		stack: StackTGI, prefixes: []string{"tgi_"}, service: genericService,
		rules: []rule{
			{from: []string{"tgi_request_duration"}, to: sources.SvcLatency, kind: kHist, summaryTo: sources.SvcLatencyQuant},
			{from: []string{"tgi_request_queue_duration"}, to: sources.SvcQueueTime, kind: kHist},
			// Mean time per token includes prefill: an ITL proxy, the only one TGI has.
			{from: []string{"tgi_request_mean_time_per_token_duration"}, to: sources.SvcITL, kind: kHist},
			{from: []string{"tgi_request_success", "tgi_request_success_total"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			// Error rate = failures / requests, every err reason included
			// (validation too), as serving-metrics.md gives it.
			{from: []string{"tgi_request_failure", "tgi_request_failure_total"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeError)},
			{from: []string{"tgi_request_input_length"}, to: sources.SvcTokens, kind: kHistSum, kindOf: static("prompt")},
			{from: []string{"tgi_request_generated_tokens"}, to: sources.SvcTokens, kind: kHistSum, kindOf: static("generation")},
			{from: []string{"tgi_queue_size"}, to: sources.SvcQueueDepth},
			{from: []string{"tgi_batch_current_size"}, to: sources.SvcRunning},
		},
		svcBy: []string{"service", "job"},
		queries: []query{
			{to: sources.SvcLatencyQuant, kind: qDist, from: []string{"tgi_request_duration"}},
			{to: sources.SvcLatencyQuant, kind: qGauge, from: []string{"tgi_request_duration"}, agg: aggMax, keep: summaryQuantile},
			{to: sources.SvcITLQuant, kind: qDist, from: []string{"tgi_request_mean_time_per_token_duration"}, tier: TierDetail},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"tgi_request_success", "tgi_request_success_total"},
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"tgi_request_failure", "tgi_request_failure_total"},
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeError)},
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"tgi_request_input_length_sum"}, kindOf: static("prompt")},
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"tgi_request_generated_tokens_sum"}, kindOf: static("generation")},
			{to: sources.SvcQueueDepth, kind: qGauge, from: []string{"tgi_queue_size"}},
			{to: sources.SvcRunning, kind: qGauge, from: []string{"tgi_batch_current_size"}},
		},
	},
	{
		// SGLang's scheduler gauges repeat on every tp_rank (and pp_rank):
		// take the max, never the sum; data-parallel ranks (dp_rank) are
		// separate schedulers and stay apart, to be summed. It has no error
		// counter: the error rate is n/a.
		stack: StackSGLang, prefixes: []string{"sglang:"}, service: byLabel("model_name"),
		rules: []rule{
			{from: []string{"sglang:e2e_request_latency_seconds"}, to: sources.SvcLatency, kind: kHist},
			{from: []string{"sglang:time_to_first_token_seconds"}, to: sources.SvcTTFT, kind: kHist},
			{from: []string{"sglang:inter_token_latency_seconds", "sglang:time_per_output_token_seconds"}, to: sources.SvcITL, kind: kHist},
			{from: []string{"sglang:queue_time_seconds"}, to: sources.SvcQueueTime, kind: kHist},
			{from: []string{"sglang:num_queue_reqs"}, to: sources.SvcQueueDepth, agg: aggMax, keep: dpRank},
			{from: []string{"sglang:num_running_reqs"}, to: sources.SvcRunning, agg: aggMax, keep: dpRank},
			{from: []string{"sglang:token_usage"}, to: sources.SvcKVCache, agg: aggMax, keep: dpRank},
			{from: []string{"sglang:prompt_tokens_total"}, to: sources.SvcTokens, kind: kCounter, agg: aggMax, kindOf: static("prompt")},
			{from: []string{"sglang:generation_tokens_total"}, to: sources.SvcTokens, kind: kCounter, agg: aggMax, kindOf: static("generation")},
			{from: []string{"sglang:cached_tokens_total"}, to: sources.SvcTokens, kind: kCounter, agg: aggMax, kindOf: static(KindCached)},
			{from: []string{"sglang:num_requests_total"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeAbort}, outcome: static(sources.OutcomeOK)},
			{from: []string{"sglang:num_aborted_requests_total"}, to: SvcAborts, kind: kCounter},
			{from: []string{"sglang:num_aborted_requests_total"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeAbort}, outcome: static(sources.OutcomeAbort), minus: sources.OutcomeOK},
		},
		svcBy: []string{"model_name"},
		queries: []query{
			{to: sources.SvcLatencyQuant, kind: qDist, from: []string{"sglang:e2e_request_latency_seconds"}},
			{to: sources.SvcTTFTQuant, kind: qDist, from: []string{"sglang:time_to_first_token_seconds"}, tier: TierDetail},
			{to: sources.SvcITLQuant, kind: qDist, from: []string{"sglang:inter_token_latency_seconds", "sglang:time_per_output_token_seconds"}, tier: TierDetail},
			{to: sources.SvcQueueDepth, kind: qGauge, from: []string{"sglang:num_queue_reqs"}, agg: aggMax, by: []string{"dp_rank"}, keep: dpRank},
			{to: sources.SvcRunning, kind: qGauge, from: []string{"sglang:num_running_reqs"}, agg: aggMax, by: []string{"dp_rank"}, keep: dpRank},
			{to: sources.SvcKVCache, kind: qGauge, from: []string{"sglang:token_usage"}, agg: aggMax, by: []string{"dp_rank"}, keep: dpRank},
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"sglang:prompt_tokens_total"}, agg: aggMax, kindOf: static("prompt")},
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"sglang:generation_tokens_total"}, agg: aggMax, kindOf: static("generation")},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"sglang:num_requests_total"},
				outs: []string{sources.OutcomeOK, sources.OutcomeAbort}, outcome: static(sources.OutcomeOK)},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"sglang:num_aborted_requests_total"},
				outs: []string{sources.OutcomeOK, sources.OutcomeAbort}, outcome: static(sources.OutcomeAbort), minus: sources.OutcomeOK},
		},
	},
	{
		// Triton: per-model services (an ensemble is its own service, never
		// added to its composing models); cumulative microsecond counters give
		// means only; summaries and the first-response histogram are opt-in.
		stack: StackTriton, prefixes: []string{"nv_inference_", "nv_trt_llm_", "nv_gpu_", "nv_energy_", "nv_cache_", "nv_cpu_", "nv_pinned_"},
		service: byLabel("model"),
		rules: []rule{
			{from: []string{"nv_inference_request_success"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			// Error rate = failure / (success + failure), every reason
			// included, as serving-metrics.md gives it.
			{from: []string{"nv_inference_request_failure"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeError)},
			{from: []string{"nv_inference_request_duration_us"}, to: sources.SvcLatency, kind: kMeanSum, scale: 1e-6},
			{from: []string{"nv_inference_request_success"}, to: sources.SvcLatency, kind: kMeanCount,
				when: func(sc *scrape) bool { return sc.byName["nv_inference_request_duration_us"] != nil }},
			{from: []string{"nv_inference_queue_duration_us"}, to: sources.SvcQueueTime, kind: kMeanSum, scale: 1e-6},
			{from: []string{"nv_inference_request_success"}, to: sources.SvcQueueTime, kind: kMeanCount,
				when: func(sc *scrape) bool { return sc.byName["nv_inference_queue_duration_us"] != nil }},
			{from: []string{"nv_inference_request_summary_us"}, to: sources.SvcLatencyQuant, kind: kHist, summaryTo: sources.SvcLatencyQuant, scale: 1e-6},
			{from: []string{"nv_inference_first_response_histogram_ms"}, to: sources.SvcTTFT, kind: kHist, scale: 1e-3},
			{from: []string{"nv_inference_pending_request_count"}, to: sources.SvcQueueDepth},
			{from: []string{"nv_trt_llm_request_metrics"}, to: sources.SvcQueueDepth,
				when: func(sc *scrape) bool { return sc.byName["nv_inference_pending_request_count"] == nil },
				skip: func(_ *scrape, m *metric) bool { return label(m, "request_type") != "waiting" }},
			{from: []string{"nv_trt_llm_request_metrics"}, to: sources.SvcRunning,
				skip: func(_ *scrape, m *metric) bool { return label(m, "request_type") != "active" }},
			{from: []string{"nv_trt_llm_kv_cache_block_metrics"}, to: sources.SvcKVCache, agg: aggMax,
				skip: func(_ *scrape, m *metric) bool { return label(m, "kv_cache_block_type") != "fraction" }},
			{from: []string{"nv_gpu_utilization"}, to: sources.GPUUtilization, scope: scopeGPU},
			{from: []string{"nv_gpu_memory_used_bytes"}, to: sources.GPUMemoryUsed, scope: scopeGPU},
			{from: []string{"nv_gpu_memory_total_bytes"}, to: sources.GPUMemoryTotal, scope: scopeGPU},
			{from: []string{"nv_gpu_power_usage"}, to: sources.GPUPower, scope: scopeGPU},
			{from: []string{"nv_gpu_power_limit"}, to: sources.GPUPowerLimit, scope: scopeGPU},
			{from: []string{"nv_energy_consumption"}, to: sources.GPUEnergy, kind: kCounter, scope: scopeGPU},
		},
		svcBy: []string{"model"}, gpuBy: []string{"gpu_uuid"},
		queries: []query{
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"nv_inference_request_success"},
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"nv_inference_request_failure"},
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeError)},
			{to: sources.SvcLatencyQuant, kind: qMean, sumFrom: "nv_inference_request_duration_us", from: []string{"nv_inference_request_success"}, scale: 1e-6},
			{to: sources.SvcLatencyQuant, kind: qGauge, from: []string{"nv_inference_request_summary_us"}, agg: aggMax, keep: summaryQuantile, scale: 1e-6},
			{to: sources.SvcTTFTQuant, kind: qDist, from: []string{"nv_inference_first_response_histogram_ms"}, scale: 1e-3, tier: TierDetail},
			{to: sources.SvcQueueDepth, kind: qGauge, from: []string{"nv_inference_pending_request_count"}, alt: "queue"},
			{to: sources.SvcQueueDepth, kind: qGauge, from: []string{"nv_trt_llm_request_metrics"}, match: `request_type="waiting"`, alt: "queue", rank: 1},
			{to: sources.SvcRunning, kind: qGauge, from: []string{"nv_trt_llm_request_metrics"}, match: `request_type="active"`},
			{to: sources.SvcKVCache, kind: qGauge, from: []string{"nv_trt_llm_kv_cache_block_metrics"}, match: `kv_cache_block_type="fraction"`, agg: aggMax},
			{to: sources.GPUUtilization, kind: qGauge, scope: scopeGPU, from: []string{"nv_gpu_utilization"}},
			{to: sources.GPUMemoryUsed, kind: qGauge, scope: scopeGPU, from: []string{"nv_gpu_memory_used_bytes"}},
			{to: sources.GPUMemoryTotal, kind: qGauge, scope: scopeGPU, from: []string{"nv_gpu_memory_total_bytes"}},
			{to: sources.GPUPower, kind: qGauge, scope: scopeGPU, from: []string{"nv_gpu_power_usage"}},
			{to: sources.GPUPowerLimit, kind: qGauge, scope: scopeGPU, from: []string{"nv_gpu_power_limit"}, tier: TierDetail},
		},
	},
	{
		// TorchServe: the status counters carry no model, so they belong to
		// the one model when there is one, else to the target.
		stack: StackTorchServe, prefixes: []string{"ts_inference_", "ts_queue_"},
		names:      []string{"Requests2XX", "Requests4XX", "Requests5XX", "WorkerThreadTime", "QueueTime"},
		hostLabels: []string{"Hostname", "hostname"},
		service:    byLabel("model_name"),
		rules: []rule{
			{from: []string{"Requests2XX", "Requests2XX_total"}, to: sources.SvcRequests, kind: kCounter, service: tsService,
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			{from: []string{"Requests4XX", "Requests4XX_total"}, to: sources.SvcRequests, kind: kCounter, service: tsService,
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: static(OutcomeClientError)},
			{from: []string{"Requests5XX", "Requests5XX_total"}, to: sources.SvcRequests, kind: kCounter, service: tsService,
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: static(sources.OutcomeError)},
			{from: []string{"ts_inference_latency_microseconds"}, to: sources.SvcLatency, kind: kMeanSum, scale: 1e-6},
			{from: []string{"ts_inference_requests_total"}, to: sources.SvcLatency, kind: kMeanCount,
				when: func(sc *scrape) bool { return sc.byName["ts_inference_latency_microseconds"] != nil }},
			{from: []string{"ts_queue_latency_microseconds"}, to: sources.SvcQueueTime, kind: kMeanSum, scale: 1e-6},
			{from: []string{"ts_inference_requests_total"}, to: sources.SvcQueueTime, kind: kMeanCount,
				when: func(sc *scrape) bool { return sc.byName["ts_queue_latency_microseconds"] != nil }},
			{from: []string{"GPUUtilization"}, to: sources.GPUUtilization, scope: scopeGPU, scale: 0.01},
			// TorchServe states megabytes; it reads them from NVML in MiB.
			{from: []string{"GPUMemoryUsed"}, to: sources.GPUMemoryUsed, scope: scopeGPU, scale: mib},
		},
		svcBy: []string{"model_name"}, gpuBy: []string{"DeviceId"},
		queries: []query{
			{to: sources.SvcLatencyQuant, kind: qMean, sumFrom: "ts_inference_latency_microseconds", from: []string{"ts_inference_requests_total"}, scale: 1e-6},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"Requests2XX", "Requests2XX_total"}, service: tsQueryService,
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"Requests4XX", "Requests4XX_total"}, service: tsQueryService,
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: static(OutcomeClientError)},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"Requests5XX", "Requests5XX_total"}, service: tsQueryService,
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: static(sources.OutcomeError)},
			{to: sources.GPUUtilization, kind: qGauge, scope: scopeGPU, from: []string{"GPUUtilization"}, scale: 0.01},
			{to: sources.GPUMemoryUsed, kind: qGauge, scope: scopeGPU, from: []string{"GPUMemoryUsed"}, scale: mib},
		},
	},
	{
		stack: StackRayServe, prefixes: []string{"ray_serve_"},
		service: byLabel("application", "deployment", "route"),
		rules: []rule{
			// Error rate = error requests / requests (every non-2xx/3xx), as
			// serving-metrics.md gives it.
			{from: []string{"ray_serve_num_http_requests_total", "ray_serve_num_http_requests"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			{from: []string{"ray_serve_num_http_error_requests_total", "ray_serve_num_http_error_requests"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeError), minus: sources.OutcomeOK},
			{from: []string{"ray_serve_http_request_latency_ms"}, to: sources.SvcLatency, kind: kHist, scale: 1e-3},
			{from: []string{"ray_serve_num_grpc_requests_total", "ray_serve_num_grpc_requests"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			{from: []string{"ray_serve_num_grpc_error_requests_total", "ray_serve_num_grpc_error_requests"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeError), minus: sources.OutcomeOK},
			// Without the proxy's counts, the replicas' own (the same
			// requests counted again where both exist).
			{from: []string{"ray_serve_deployment_request_counter_total", "ray_serve_deployment_request_counter"}, to: sources.SvcRequests, kind: kCounter, when: noRayProxy,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			{from: []string{"ray_serve_deployment_error_counter_total", "ray_serve_deployment_error_counter"}, to: sources.SvcRequests, kind: kCounter, when: noRayProxy,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeError), minus: sources.OutcomeOK},
			{from: []string{"ray_serve_deployment_processing_latency_ms"}, to: sources.SvcLatency, kind: kHist, scale: 1e-3,
				when: func(sc *scrape) bool { return sc.byName["ray_serve_http_request_latency_ms"] == nil }},
			{from: []string{"ray_serve_deployment_queued_queries"}, to: sources.SvcQueueDepth},
			{from: []string{"ray_serve_replica_processing_queries"}, to: sources.SvcRunning},
		},
		svcBy: []string{"application", "deployment", "route"},
		queries: []query{
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"ray_serve_num_http_requests_total", "ray_serve_num_http_requests"}, alt: "requests",
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"ray_serve_num_http_error_requests_total", "ray_serve_num_http_error_requests"}, alt: "requests",
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeError), minus: sources.OutcomeOK},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"ray_serve_num_grpc_requests_total", "ray_serve_num_grpc_requests"}, alt: "requests",
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"ray_serve_num_grpc_error_requests_total", "ray_serve_num_grpc_error_requests"}, alt: "requests",
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeError), minus: sources.OutcomeOK},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"ray_serve_deployment_request_counter_total", "ray_serve_deployment_request_counter"}, alt: "requests", rank: 1,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeOK)},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"ray_serve_deployment_error_counter_total", "ray_serve_deployment_error_counter"}, alt: "requests", rank: 1,
				outs: []string{sources.OutcomeOK, sources.OutcomeError}, outcome: static(sources.OutcomeError), minus: sources.OutcomeOK},
			{to: sources.SvcLatencyQuant, kind: qDist, from: []string{"ray_serve_http_request_latency_ms"}, scale: 1e-3, alt: "latency"},
			{to: sources.SvcLatencyQuant, kind: qDist, from: []string{"ray_serve_deployment_processing_latency_ms"}, scale: 1e-3, alt: "latency", rank: 1},
			{to: sources.SvcQueueDepth, kind: qGauge, from: []string{"ray_serve_deployment_queued_queries"}},
			{to: sources.SvcRunning, kind: qGauge, from: []string{"ray_serve_replica_processing_queries"}},
		},
	},
	{
		stack: StackDCGM, prefixes: []string{"DCGM_FI_"}, hostLabels: []string{"Hostname", "hostname"}, blank: dcgmBlank,
		rules: []rule{
			{from: []string{"DCGM_FI_DEV_GPU_UTIL"}, to: sources.GPUUtilization, scope: scopeGPU, scale: 0.01},
			{from: []string{"DCGM_FI_DEV_MEM_COPY_UTIL"}, to: sources.GPUMemUtil, scope: scopeGPU, scale: 0.01},
			{from: []string{"DCGM_FI_DEV_FB_USED"}, to: sources.GPUMemoryUsed, scope: scopeGPU, scale: mib},
			{from: []string{"DCGM_FI_DEV_FB_TOTAL"}, to: sources.GPUMemoryTotal, scope: scopeGPU, scale: mib},
			// Without FB_TOTAL, total = used + free (reserved memory left out).
			{from: []string{"DCGM_FI_DEV_FB_USED"}, to: sources.GPUMemoryTotal, scope: scopeGPU, scale: mib, when: noFBTotal},
			{from: []string{"DCGM_FI_DEV_FB_FREE"}, to: sources.GPUMemoryTotal, scope: scopeGPU, scale: mib, when: noFBTotal},
			{from: []string{"DCGM_FI_DEV_GPU_TEMP"}, to: sources.GPUTemperature, scope: scopeGPU},
			{from: []string{"DCGM_FI_DEV_MEMORY_TEMP"}, to: sources.GPUMemTemp, scope: scopeGPU},
			{from: []string{"DCGM_FI_DEV_POWER_USAGE"}, to: sources.GPUPower, scope: scopeGPU},
			{from: []string{"DCGM_FI_DEV_ENFORCED_POWER_LIMIT", "DCGM_FI_DEV_POWER_MGMT_LIMIT"}, to: sources.GPUPowerLimit, scope: scopeGPU},
			{from: []string{"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"}, to: sources.GPUEnergy, kind: kCounter, scope: scopeGPU, scale: 1e-3},
			{from: []string{"DCGM_FI_DEV_SM_CLOCK"}, to: sources.GPUSMClock, scope: scopeGPU, scale: 1e6},
			{from: []string{"DCGM_FI_DEV_MEM_CLOCK"}, to: sources.GPUMemClock, scope: scopeGPU, scale: 1e6},
			{from: []string{"DCGM_FI_DEV_FAN_SPEED"}, to: sources.GPUFan, scope: scopeGPU, scale: 0.01},
			{from: []string{"DCGM_FI_DEV_PSTATE"}, to: sources.GPUPState, scope: scopeGPU},
			{from: []string{"DCGM_FI_DEV_CLOCKS_EVENT_REASONS", "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS"}, to: sources.GPUThrottle, scope: scopeGPU},
			// XID is a gauge holding the last code; err_code/err_msg change
			// with it, so they are not part of the series.
			{from: []string{"DCGM_FI_DEV_XID_ERRORS"}, to: sources.GPUXIDLast, scope: scopeGPU, agg: aggMax},
			{from: []string{"DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL"}, to: sources.GPUECCErrors, kind: kCounter, scope: scopeGPU, set: []string{"type", "corrected"}},
			{from: []string{"DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL"}, to: sources.GPUECCErrors, kind: kCounter, scope: scopeGPU, set: []string{"type", "uncorrected"}},
			{from: []string{"DCGM_FI_DEV_PCIE_REPLAY_COUNTER"}, to: sources.GPUPCIeReplay, kind: kCounter, scope: scopeGPU},
			{from: []string{"DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS"}, to: sources.GPURemappedRows, scope: scopeGPU, set: []string{"state", "uncorrectable"}},
			{from: []string{"DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS"}, to: sources.GPURemappedRows, scope: scopeGPU, set: []string{"state", "correctable"}},
			{from: []string{"DCGM_FI_DEV_ROW_REMAP_FAILURE"}, to: sources.GPURemappedRows, scope: scopeGPU, set: []string{"state", "failed"}},
			{from: []string{"DCGM_FI_DEV_ROW_REMAP_PENDING"}, to: sources.GPURemappedRows, scope: scopeGPU, set: []string{"state", "pending"}},
			{from: []string{"DCGM_FI_PROF_GR_ENGINE_ACTIVE"}, to: GPUSMActive, scope: scopeGPU},
			{from: []string{"DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"}, to: GPUTensorActive, scope: scopeGPU},
			{from: []string{"DCGM_FI_PROF_DRAM_ACTIVE"}, to: GPUDRAMActive, scope: scopeGPU},
		},
		queries: []query{
			// The GPUs' identities (UUID, model, pod, the machine's name),
			// for an eighth of the instances each poll (all of them on the
			// first poll and when instances are new): the figures group by
			// instance and index only and are joined onto them, to stay
			// small.
			{kind: qIdent, scope: scopeGPU, from: []string{"DCGM_FI_DEV_GPU_TEMP"}, every: 8, shard: true},
			{to: sources.GPUTemperature, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_GPU_TEMP"}},
			{to: sources.GPUUtilization, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_GPU_UTIL"}, scale: 0.01},
			// Memory used barely moves while a model is loaded: each GPU
			// every 4th poll (a quarter of the instances each poll), the
			// total every 8th, so that no poll carries all of either.
			{to: sources.GPUMemoryUsed, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_FB_USED"}, scale: mib, every: 4, phase: 3, shard: true},
			{to: sources.GPUMemoryTotal, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_FB_TOTAL"}, scale: mib, alt: "fb", every: 8, phase: 4, shard: true},
			// Without FB_TOTAL, total = used + free (reserved memory left out).
			{to: sources.GPUMemoryTotal, kind: qExpr, scope: scopeGPU, scale: mib, alt: "fb", rank: 1, every: 8, phase: 4, shard: true,
				expr: `max by ({G}) (DCGM_FI_DEV_FB_USED{S}) + max by ({G}) (DCGM_FI_DEV_FB_FREE{S})`},
			{to: sources.GPUPower, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_POWER_USAGE"}},
			// Throttle reasons and the last XID are 0 nearly always: asked
			// where not 0 only, the zeros known from the identity query's
			// record of which GPUs export them (n/a for those that don't).
			{to: sources.GPUThrottle, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_CLOCKS_EVENT_REASONS", "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS"}, filter: "!= 0", has: 1},
			{to: sources.GPUXIDLast, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_XID_ERRORS"}, filter: "!= 0", has: 2},
			// Uncorrected ECC errors: 0 on nearly every GPU, asked where
			// not 0 only, as throttle and XID, and on every poll.
			{to: sources.GPUECCErrors, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL"}, set: []string{"type", "uncorrected"}, filter: "!= 0", has: 4},
			{to: sources.GPUMemUtil, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_MEM_COPY_UTIL"}, scale: 0.01, tier: TierDetail},
			{to: sources.GPUMemTemp, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_MEMORY_TEMP"}, tier: TierDetail},
			{to: sources.GPUPowerLimit, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_ENFORCED_POWER_LIMIT", "DCGM_FI_DEV_POWER_MGMT_LIMIT"}, tier: TierDetail},
			{to: sources.GPUEnergy, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"}, scale: 1e-3, tier: TierDetail},
			{to: sources.GPUSMClock, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_SM_CLOCK"}, scale: 1e6, tier: TierDetail},
			{to: sources.GPUMemClock, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_MEM_CLOCK"}, scale: 1e6, tier: TierDetail},
			{to: sources.GPUFan, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_FAN_SPEED"}, scale: 0.01, tier: TierDetail},
			{to: sources.GPUPState, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_PSTATE"}, tier: TierDetail},
			{to: sources.GPUECCErrors, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL"}, set: []string{"type", "corrected"}, tier: TierDetail},
			{to: sources.GPUPCIeReplay, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_PCIE_REPLAY_COUNTER"}, tier: TierDetail},
			{to: sources.GPURemappedRows, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS"}, set: []string{"state", "uncorrectable"}, tier: TierDetail},
			{to: sources.GPURemappedRows, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS"}, set: []string{"state", "correctable"}, tier: TierDetail},
			{to: sources.GPURemappedRows, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_ROW_REMAP_FAILURE"}, set: []string{"state", "failed"}, tier: TierDetail},
			{to: sources.GPURemappedRows, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_DEV_ROW_REMAP_PENDING"}, set: []string{"state", "pending"}, tier: TierDetail},
			{to: GPUSMActive, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_PROF_GR_ENGINE_ACTIVE"}, tier: TierDetail},
			{to: GPUTensorActive, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"}, tier: TierDetail},
			{to: GPUDRAMActive, kind: qGauge, scope: scopeGPU, from: []string{"DCGM_FI_PROF_DRAM_ACTIVE"}, tier: TierDetail},
		},
	},
	{
		stack: StackNode, prefixes: []string{"node_"}, also: []string{"node_uname_info"},
		rules: []rule{
			{from: []string{"node_cpu_seconds_total"}, to: sources.HostCPUSeconds, kind: kCounter, scope: scopeHost, keep: []string{"cpu", "cpu", "mode", "mode"}},
			{from: []string{"node_load1"}, to: sources.HostLoad1, scope: scopeHost},
			{from: []string{"node_load5"}, to: sources.HostLoad5, scope: scopeHost},
			{from: []string{"node_load15"}, to: sources.HostLoad15, scope: scopeHost},
			{from: []string{"node_memory_MemTotal_bytes"}, to: sources.HostMemTotal, scope: scopeHost},
			{from: []string{"node_memory_MemAvailable_bytes"}, to: sources.HostMemAvailable, scope: scopeHost},
			{from: []string{"node_filesystem_size_bytes"}, to: sources.HostFSSize, scope: scopeHost, agg: aggMax, keep: []string{"mountpoint", "mountpoint"}, skip: pseudoFS},
			{from: []string{"node_filesystem_avail_bytes"}, to: sources.HostFSAvail, scope: scopeHost, agg: aggMax, keep: []string{"mountpoint", "mountpoint"}, skip: pseudoFS},
			{from: []string{"node_boot_time_seconds"}, to: sources.HostBootTime, scope: scopeHost},
			{from: []string{"node_time_seconds"}, to: sources.HostTime, scope: scopeHost},
			{from: []string{"node_network_receive_bytes_total"}, to: sources.HostNetRx, kind: kCounter, scope: scopeHost, keep: []string{"device", "device"}, skip: loopback},
			{from: []string{"node_network_transmit_bytes_total"}, to: sources.HostNetTx, kind: kCounter, scope: scopeHost, keep: []string{"device", "device"}, skip: loopback},
			{from: []string{"node_disk_read_bytes_total"}, to: sources.HostDiskRead, kind: kCounter, scope: scopeHost, keep: []string{"device", "device"}},
			{from: []string{"node_disk_written_bytes_total"}, to: sources.HostDiskWritten, kind: kCounter, scope: scopeHost, keep: []string{"device", "device"}},
		},
		queries: []query{
			// CPU busy as the rule above reads it: 1 − Δ(idle+iowait)/Δall,
			// the series read once (a host's CPUs × modes are a tenth of
			// its series): the engine sums the idle modes' rates and the
			// others', vigil divides. Each host every 4th poll (a quarter
			// of the hosts each poll): the rate window's length at the
			// default interval, so no minute goes unseen.
			{to: sources.HostCPUBusy, kind: qBusy, scope: scopeHost, every: 4, shard: true,
				expr: `sum by ({G}, ` + FigureLabel + `) (label_replace(max without (job) (rate(node_cpu_seconds_total{mode!=""{M}}[{W}])), "` + FigureLabel + `", "` + tagIdle + `", "mode", "idle|iowait"))`},
			// The figures that barely change (and the network rates, every
			// 2nd poll) are sharded too: each poll carries a share of the
			// hosts, not one poll all of them.
			{to: sources.HostCPUCount, kind: qExpr, scope: scopeHost, every: 8, phase: 2, shard: true, expr: `count by ({G}) (max without (job) (node_cpu_seconds_total{mode="idle"{M}}))`},
			{to: sources.HostLoad1, kind: qGauge, scope: scopeHost, from: []string{"node_load1"}},
			{to: sources.HostMemTotal, kind: qGauge, scope: scopeHost, from: []string{"node_memory_MemTotal_bytes"}, every: 8, phase: 6, shard: true},
			{to: sources.HostMemAvailable, kind: qGauge, scope: scopeHost, from: []string{"node_memory_MemAvailable_bytes"}},
			{to: sources.HostFSSize, kind: qGauge, scope: scopeHost, from: []string{"node_filesystem_size_bytes"}, match: realFSMatch, keep: []string{"mountpoint", "mountpoint"}, every: 8, phase: 6, shard: true},
			{to: sources.HostFSAvail, kind: qGauge, scope: scopeHost, from: []string{"node_filesystem_avail_bytes"}, match: realFSMatch, keep: []string{"mountpoint", "mountpoint"}},
			{to: sources.HostBootTime, kind: qGauge, scope: scopeHost, from: []string{"node_boot_time_seconds"}, every: 8, phase: 6, shard: true},
			{to: sources.HostTime, kind: qGauge, scope: scopeHost, from: []string{"node_time_seconds"}},
			{to: sources.HostNetRxBps, kind: qExpr, scope: scopeHost, every: 2, phase: 1, shard: true, expr: `sum by ({G}) (max without (job) (rate(node_network_receive_bytes_total{device!="lo"{M}}[{W}])))`},
			{to: sources.HostNetTxBps, kind: qExpr, scope: scopeHost, every: 2, phase: 1, shard: true, expr: `sum by ({G}) (max without (job) (rate(node_network_transmit_bytes_total{device!="lo"{M}}[{W}])))`},
		},
	},
	{
		// OpenTelemetry GenAI metrics after the Prometheus translation (dots
		// to underscores, unit suffixes), or with dotted UTF-8 names. A row
		// is one model × operation (genaiService, operationLabels): chat
		// and embeddings never share a latency distribution or an error
		// ratio.
		stack: StackOTelGenAI, prefixes: []string{"gen_ai_"}, service: genaiService,
		rules: []rule{
			// A service that measures itself (server durations) is read from
			// those; its client-side durations would count requests twice.
			{from: otelServerDuration, to: sources.SvcLatency, kind: kHist},
			{from: otelClientDuration, to: sources.SvcLatency, kind: kHist, skip: serverMeasured},
			{from: otelServerDuration, to: sources.SvcRequests, kind: kHistCount, outs: otelOuts, outcome: otelOutcome},
			{from: otelClientDuration, to: sources.SvcRequests, kind: kHistCount, outs: otelOuts, outcome: otelOutcome, skip: serverMeasured},
			{from: []string{"gen_ai_server_time_to_first_token_seconds", "gen_ai_server_time_to_first_token"}, to: sources.SvcTTFT, kind: kHist},
			{from: []string{"gen_ai_server_time_per_output_token_seconds", "gen_ai_server_time_per_output_token"}, to: sources.SvcITL, kind: kHist},
			{from: []string{"gen_ai_client_token_usage", "gen_ai_client_token_usage_tokens"}, to: sources.SvcTokens, kind: kHistSum, kindOf: tokenKind},
		},
		svcBy: []string{"gen_ai_request_model", "gen_ai_response_model", "service", "job", "gen_ai_operation_name"},
		queries: []query{
			// Server-side durations where a service measures itself, else
			// the client's (dotted UTF-8 names are read only by scraping).
			{to: sources.SvcLatencyQuant, kind: qDist, from: otelServerDuration[:1], alt: "latency"},
			{to: sources.SvcLatencyQuant, kind: qDist, from: otelClientDuration[:1], alt: "latency", rank: 1},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{otelServerDuration[0] + "_count"}, by: []string{"error_type"}, alt: "requests", outs: otelOuts, outcome: otelOutcome},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{otelClientDuration[0] + "_count"}, by: []string{"error_type"}, alt: "requests", rank: 1, outs: otelOuts, outcome: otelOutcome},
			{to: sources.SvcTTFTQuant, kind: qDist, from: []string{"gen_ai_server_time_to_first_token_seconds"}, tier: TierDetail},
			{to: sources.SvcITLQuant, kind: qDist, from: []string{"gen_ai_server_time_per_output_token_seconds"}, tier: TierDetail},
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"gen_ai_client_token_usage_sum", "gen_ai_client_token_usage_tokens_sum"}, by: []string{"gen_ai_token_type"}, kindOf: tokenKind},
		},
	},
	{
		// Generic HTTP: any service with the conventional histogram and
		// status counter. The service is its service label, else job, else
		// the target.
		stack: StackHTTP, service: genericService,
		rules: []rule{
			{from: []string{"http_request_duration_seconds"}, to: sources.SvcLatency, kind: kHist,
				skip: func(sc *scrape, m *metric) bool { return ownedByVLLM(sc, m) || excludedHandler(m) }},
			{from: []string{"http_requests_total"}, to: sources.SvcRequests, kind: kCounter,
				skip: func(sc *scrape, m *metric) bool { return ownedByVLLM(sc, m) || excludedHandler(m) },
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: httpOutcome("code", "status", "status_code")},
			// OpenTelemetry's HTTP server histogram, when the classic pair is absent.
			{from: otelHTTP, to: sources.SvcLatency, kind: kHist, when: noClassicHTTP, skip: func(_ *scrape, m *metric) bool { return excludedHandler(m) }},
			{from: []string{"http_server_duration_milliseconds"}, to: sources.SvcLatency, kind: kHist, scale: 1e-3,
				when: func(sc *scrape) bool { return noClassicHTTP(sc) && !hasAny(sc, otelHTTP) }, skip: func(_ *scrape, m *metric) bool { return excludedHandler(m) }},
			{from: otelHTTPAll, to: sources.SvcRequests, kind: kHistCount, when: noClassicHTTP,
				skip: func(_ *scrape, m *metric) bool { return excludedHandler(m) },
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: httpOutcome("http_response_status_code", "http_status_code", "http.response.status_code")},
		},
		svcBy: []string{"service", "job"},
		queries: []query{
			{to: sources.SvcLatencyQuant, kind: qDist, from: []string{"http_request_duration_seconds"}, match: handlerMatch[2:], skip: ownedByVLLMQuery, unless: ownedByVLLMMatch, alt: "latency"},
			{to: sources.SvcLatencyQuant, kind: qDist, from: otelHTTP, match: handlerMatch[2:], alt: "latency", rank: 1},
			{to: sources.SvcLatencyQuant, kind: qDist, from: []string{"http_server_duration_milliseconds"}, scale: 1e-3, match: handlerMatch[2:], alt: "latency", rank: 2},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"http_requests_total"}, by: []string{"code", "status", "status_code"}, match: handlerMatch[2:],
				skip: ownedByVLLMQuery, unless: ownedByVLLMMatch, alt: "requests", outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: httpOutcome("code", "status", "status_code")},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"http_server_request_duration_seconds_count", "http_server_duration_seconds_count", "http_server_duration_milliseconds_count"},
				by: []string{"http_response_status_code", "http_status_code"}, match: handlerMatch[2:], alt: "requests", rank: 1,
				outs: []string{sources.OutcomeOK, OutcomeClientError, sources.OutcomeError}, outcome: httpOutcome("http_response_status_code", "http_status_code")},
		},
	},
	{
		// trtllm-serve (TensorRT-LLM's OpenAI server), vLLM-shaped names.
		stack: StackTRTLLM, prefixes: []string{"trtllm_"}, service: byLabel("model_name"),
		rules: []rule{
			{from: []string{"trtllm_e2e_request_latency_seconds"}, to: sources.SvcLatency, kind: kHist},
			{from: []string{"trtllm_time_to_first_token_seconds"}, to: sources.SvcTTFT, kind: kHist},
			{from: []string{"trtllm_inter_token_latency_seconds", "trtllm_time_per_output_token_seconds"}, to: sources.SvcITL, kind: kHist},
			{from: []string{"trtllm_request_queue_time_seconds"}, to: sources.SvcQueueTime, kind: kHist},
			{from: []string{"trtllm_num_requests_waiting"}, to: sources.SvcQueueDepth},
			{from: []string{"trtllm_num_requests_running"}, to: sources.SvcRunning},
			{from: []string{"trtllm_kv_cache_utilization"}, to: sources.SvcKVCache, agg: aggMax},
			{from: []string{"trtllm_prompt_tokens_total"}, to: sources.SvcTokens, kind: kCounter, kindOf: static("prompt")},
			{from: []string{"trtllm_generation_tokens_total"}, to: sources.SvcTokens, kind: kCounter, kindOf: static("generation")},
			{from: []string{"trtllm_request_success_total"}, to: SvcAborts, kind: kCounter, skip: notAbort},
			{from: []string{"trtllm_request_success_total"}, to: sources.SvcRequests, kind: kCounter,
				outs: []string{sources.OutcomeOK, sources.OutcomeError, sources.OutcomeAbort}, outcome: finishedReason},
		},
		svcBy: []string{"model_name"},
		queries: []query{
			{to: sources.SvcLatencyQuant, kind: qDist, from: []string{"trtllm_e2e_request_latency_seconds"}},
			{to: sources.SvcTTFTQuant, kind: qDist, from: []string{"trtllm_time_to_first_token_seconds"}, tier: TierDetail},
			{to: sources.SvcITLQuant, kind: qDist, from: []string{"trtllm_inter_token_latency_seconds", "trtllm_time_per_output_token_seconds"}, tier: TierDetail},
			{to: sources.SvcQueueDepth, kind: qGauge, from: []string{"trtllm_num_requests_waiting"}},
			{to: sources.SvcRunning, kind: qGauge, from: []string{"trtllm_num_requests_running"}},
			{to: sources.SvcKVCache, kind: qGauge, from: []string{"trtllm_kv_cache_utilization"}, agg: aggMax},
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"trtllm_prompt_tokens_total"}, kindOf: static("prompt")},
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"trtllm_generation_tokens_total"}, kindOf: static("generation")},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"trtllm_request_success_total"}, by: []string{"finished_reason"},
				outs: []string{sources.OutcomeOK, sources.OutcomeError, sources.OutcomeAbort}, outcome: finishedReason},
		},
	},
	{
		// llama.cpp's llama-server --metrics: one model per server, no labels.
		stack: StackLlamaCpp, prefixes: []string{"llamacpp:"}, service: genericService,
		rules: []rule{
			{from: []string{"llamacpp:prompt_tokens_total"}, to: sources.SvcTokens, kind: kCounter, kindOf: static("prompt")},
			{from: []string{"llamacpp:tokens_predicted_total"}, to: sources.SvcTokens, kind: kCounter, kindOf: static("generation")},
			{from: []string{"llamacpp:prompt_tokens_cached_total"}, to: sources.SvcTokens, kind: kCounter, kindOf: static(KindCached)},
			{from: []string{"llamacpp:requests_processing"}, to: sources.SvcRunning},
			{from: []string{"llamacpp:requests_deferred"}, to: sources.SvcQueueDepth},
			{from: []string{"llamacpp:kv_cache_usage_ratio"}, to: sources.SvcKVCache, agg: aggMax},
		},
		svcBy: []string{"service", "job"},
		queries: []query{
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"llamacpp:prompt_tokens_total"}, kindOf: static("prompt")},
			{to: sources.SvcTokenRate, kind: qRate, from: []string{"llamacpp:tokens_predicted_total"}, kindOf: static("generation")},
			{to: sources.SvcRunning, kind: qGauge, from: []string{"llamacpp:requests_processing"}},
			{to: sources.SvcQueueDepth, kind: qGauge, from: []string{"llamacpp:requests_deferred"}},
			{to: sources.SvcKVCache, kind: qGauge, from: []string{"llamacpp:kv_cache_usage_ratio"}, agg: aggMax},
		},
	},
	{
		// KServe's Python model server: stage histograms per model_name. It
		// counts no failures, so only successes are known (error rate n/a).
		stack: StackKServe, names: []string{"request_predict_seconds", "request_preprocess_seconds", "request_postprocess_seconds", "request_explain_seconds"},
		service: byLabel("model_name"),
		rules: []rule{
			{from: []string{"request_predict_seconds"}, to: sources.SvcLatency, kind: kHist},
			{from: []string{"request_predict_seconds"}, to: sources.SvcRequests, kind: kHistCount, outs: []string{sources.OutcomeOK}, outcome: static(sources.OutcomeOK)},
		},
		svcBy: []string{"model_name"},
		queries: []query{
			{to: sources.SvcLatencyQuant, kind: qDist, from: []string{"request_predict_seconds"}},
			{to: sources.SvcRequestRate, kind: qRate, from: []string{"request_predict_seconds_count"}, outs: []string{sources.OutcomeOK}, outcome: static(sources.OutcomeOK)},
		},
	},
	{stack: StackPrometheus, names: []string{"prometheus_build_info", "prometheus_tsdb_head_series"}},
}

var (
	otelHTTP    = []string{"http_server_request_duration_seconds", "http_server_duration_seconds"}
	otelHTTPAll = []string{"http_server_request_duration_seconds", "http_server_duration_seconds", "http_server_duration_milliseconds"}
)

func noClassicHTTP(sc *scrape) bool { return sc.byName["http_requests_total"] == nil }

func hasAny(sc *scrape, names []string) bool {
	for _, n := range names {
		if sc.byName[n] != nil {
			return true
		}
	}
	return false
}

func notAbort(_ *scrape, m *metric) bool { return label(m, "finished_reason") != "abort" }

// finishedReason is vLLM's (and trtllm-serve's) request outcome.
func finishedReason(m *metric) string {
	switch label(m, "finished_reason") {
	case "error":
		return sources.OutcomeError
	case "abort":
		return sources.OutcomeAbort
	}
	return sources.OutcomeOK
}

var (
	otelServerDuration = []string{"gen_ai_server_request_duration_seconds", "gen_ai_server_request_duration"}
	otelClientDuration = []string{"gen_ai_client_operation_duration_seconds", "gen_ai_client_operation_duration"}
	otelOuts           = []string{sources.OutcomeOK, sources.OutcomeError}
)

// genaiService names a GenAI series by the model it calls or serves
// (gen_ai.request.model, else gen_ai.response.model); without a model label,
// as any HTTP service: its service label, else job, else the target.
var genaiService = byLabel("gen_ai_request_model", "gen_ai.request.model", "gen_ai_response_model", "gen_ai.response.model", "service", "job")

// operationLabels are, per stack, the source labels that say which kind of
// call a sample measures; their value becomes the canonical operation label,
// part of the service's identity.
var operationLabels = map[string][]string{
	StackOTelGenAI: {"gen_ai_operation_name", "gen_ai.operation.name"},
}

// maxOperationLen caps an operation name (a custom one may be anything).
const maxOperationLen = 48

// operationName is the canonical operation of a source value: sanitised,
// trimmed and capped. Names beyond the conventions' (chat, text_completion,
// generate_content, embeddings, create_agent, invoke_agent, execute_tool) are
// kept as they are, each its own row.
func operationName(v string) string {
	v = strings.TrimSpace(sources.Sanitize(v))
	if r := []rune(v); len(r) > maxOperationLen {
		v = string(r[:maxOperationLen-1]) + "…"
	}
	return v
}

// otelOutcome: a duration recorded with error.type is a failed operation.
func otelOutcome(m *metric) string {
	if firstLabel(m, "error_type", "error.type") != "" {
		return sources.OutcomeError
	}
	return sources.OutcomeOK
}

// serverMeasured reports a client-side sample of a model and operation that
// also has server-side durations.
func serverMeasured(sc *scrape, m *metric) bool {
	if sc.serverSvcs == nil {
		sc.serverSvcs = map[string]bool{}
		for _, n := range otelServerDuration {
			if mf := sc.byName[n]; mf != nil {
				for _, x := range mf.metrics {
					sc.serverSvcs[genaiKey(sc, x)] = true
				}
			}
		}
	}
	return sc.serverSvcs[genaiKey(sc, m)]
}

func genaiKey(sc *scrape, m *metric) string {
	return sc.serviceOf(genaiService, m) + "\x00" + operationName(firstLabel(m, operationLabels[StackOTelGenAI]...))
}

var dpRank = []string{"dp_rank", "dp_rank"}

// summaryQuantile keeps a summary's quantile label (query mode reads a
// summary's quantiles as the figures they are).
var summaryQuantile = []string{sources.LabelQuantile, sources.LabelQuantile}

func noRayProxy(sc *scrape) bool {
	return !hasAny(sc, []string{"ray_serve_num_http_requests_total", "ray_serve_num_http_requests", "ray_serve_num_grpc_requests_total", "ray_serve_num_grpc_requests"})
}

func noFBTotal(sc *scrape) bool { return sc.byName["DCGM_FI_DEV_FB_TOTAL"] == nil }

func tsService(sc *scrape, m *metric) string { return sc.tsModel }

func loopback(_ *scrape, m *metric) bool { return label(m, "device") == "lo" }

// pseudoFS reports filesystems that are not disks (tmpfs, overlays, ...)
// and ones node_exporter could not read.
func pseudoFS(_ *scrape, m *metric) bool {
	if label(m, "device_error") != "" {
		return true
	}
	fs := label(m, "fstype")
	for _, x := range pseudoFSTypes {
		if fs == x {
			return true
		}
	}
	return false
}

var pseudoFSTypes = []string{"tmpfs", "devtmpfs", "ramfs", "overlay", "squashfs", "nsfs", "proc", "sysfs", "cgroup", "cgroup2", "autofs", "fuse.lxcfs", "rootfs"}

// realFSMatch is pseudoFS as PromQL matchers.
var realFSMatch = `device_error="", fstype!~"` + promAlternation(pseudoFSTypes) + `"`
