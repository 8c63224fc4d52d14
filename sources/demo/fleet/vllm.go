package fleet

import (
	"math"
)

// vLLM's bucket layouts (vllm/v1/metrics/loggers.py, ≥ 0.12).
var (
	layE2E    = newLayout(0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680)
	layTTFT   = newLayout(0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560)
	layITL    = newLayout(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80)
	layTokens = newLayout(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
	layIter   = newLayout(1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
	layN      = newLayout(1, 2, 5, 10, 20)
)

// fam is one family's names and help text.
type fam struct {
	name, help, typ    string
	created            string // the _created twin's name; "" for none
	sum, bucket, count string // a histogram's sample names
}

func counterFam(base, help string) fam {
	return fam{name: base + "_total", help: help, typ: "counter", created: base + "_created"}
}

func gaugeFam(name, help string) fam { return fam{name: name, help: help, typ: "gauge"} }

func histFam(name, help string) fam {
	return fam{name: name, help: help, typ: "histogram", created: name + "_created",
		sum: name + "_sum", bucket: name + "_bucket", count: name + "_count"}
}

var (
	fPythonInfo   = gaugeFam("python_info", "Python platform information")
	fRSS          = gaugeFam("process_resident_memory_bytes", "Resident memory size in bytes.")
	fProcStart    = gaugeFam("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
	fHTTP         = counterFam("http_requests", "Total number of requests by method, status and handler.")
	fRunning      = gaugeFam("vllm:num_requests_running", "Number of requests in model execution batches.")
	fWaiting      = gaugeFam("vllm:num_requests_waiting", "Number of requests waiting to be processed.")
	fSleep        = gaugeFam("vllm:engine_sleep_state", "Engine sleep state; awake = 0 means engine is sleeping; awake = 1 means engine is awake; weights_offloaded = 1 means sleep level 1; discard_all = 1 means sleep level 2.")
	fKV           = gaugeFam("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.")
	fPrefixQ      = counterFam("vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.")
	fPrefixH      = counterFam("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.")
	fPreempt      = counterFam("vllm:num_preemptions", "Cumulative number of preemption from the engine.")
	fPrompt       = counterFam("vllm:prompt_tokens", "Number of prefill tokens processed.")
	fCached       = counterFam("vllm:prompt_tokens_cached", "Number of cached prompt tokens (local + external).")
	fGen          = counterFam("vllm:generation_tokens", "Number of generation tokens processed.")
	fSuccess      = counterFam("vllm:request_success", "Count of successfully processed requests.")
	fReqPrompt    = histFam("vllm:request_prompt_tokens", "Number of prefill tokens processed.")
	fReqGen       = histFam("vllm:request_generation_tokens", "Number of generation tokens processed.")
	fIterTokens   = histFam("vllm:iteration_tokens_total", "Histogram of number of tokens per engine_step.")
	fMaxGen       = histFam("vllm:request_max_num_generation_tokens", "Histogram of maximum number of requested generation tokens.")
	fParamsN      = histFam("vllm:request_params_n", "Histogram of the n request parameter.")
	fParamsMax    = histFam("vllm:request_params_max_tokens", "Histogram of the max_tokens request parameter.")
	fTTFT         = histFam("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.")
	fITL          = histFam("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.")
	fTPOT         = histFam("vllm:request_time_per_output_token_seconds", "Histogram of time_per_output_token_seconds per request.")
	fE2E          = histFam("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.")
	fQueue        = histFam("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.")
	fPrefill      = histFam("vllm:request_prefill_time_seconds", "Histogram of time spent in PREFILL phase for request.")
	fDecode       = histFam("vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.")
	fCacheConfig  = gaugeFam("vllm:cache_config_info", "Information of the LLMEngine CacheConfig")
	httpStatusLbl = [3]string{`handler="/v1/chat/completions",method="POST",status="2xx"`, `handler="/v1/chat/completions",method="POST",status="4xx"`, `handler="/v1/chat/completions",method="POST",status="5xx"`}
)

// The fixed distributions' tables.
var (
	tPrompt    = newTable(distPrompt, &layTokens)
	tGen       = newTable(distGen, &layTokens)
	tMaxTokens = newTable(distMaxTokens, &layTokens)
	tN         = newTable(distN, &layN)
	tIterToks  = newTable(distIterToks, &layIter)
	tITL       = newTable(distITL, &layITL)
	tTPOT      = newTable(distTPOT, &layITL)
	tPrefill   = newTable(distPrefill, &layE2E)
	tDecode    = newTable(distDecode, &layE2E)
)

// hostTables are a host's own latency tables: calm, then slow (queued).
type hostTables struct {
	ttft, e2e, queue [2]*table
}

func (h *host) newTables() {
	for k, slow := range []bool{false, true} {
		h.tabs.ttft[k] = newTable(h.ttft(slow), &layTTFT)
		h.tabs.e2e[k] = newTable(h.e2e(slow), &layE2E)
		h.tabs.queue[k] = newTable(h.queueTime(slow), &layE2E)
	}
}

// vllmSeries is the number of series vllm writes.
const vllmSeries = 298

const cacheConfigLabels = `block_size="16",cache_dtype="auto",calculate_kv_scales="False",cpu_offload_gb="0",enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",num_cpu_blocks="None",num_gpu_blocks="27545",prefix_caching_hash_algo="sha256",swap_space="4"`

func (o *out) gauge(f *fam, labels string, v float64) {
	o.family(f.name, f.help, f.typ)
	o.sample(f.name, "", labels, v)
}

// counter writes a counter family with one series and its _created twin.
func (o *out) counter(f *fam, labels string, v, created float64) {
	o.family(f.name, f.help, f.typ)
	o.sample(f.name, "", labels, v)
	o.family(f.created, f.help, "gauge")
	o.sample(f.created, "", labels, created)
}

func (o *out) histogram(f *fam, labels string, l *layout, m *mix, created float64) {
	o.family(f.name, f.help, f.typ)
	o.sample(f.sum, "", labels, m.sum())
	for i := range l.bounds {
		o.sample(f.bucket, l.les[i], labels, m.bucket(i))
	}
	o.sample(f.bucket, "+Inf", labels, m.count)
	o.sample(f.count, "", labels, m.count)
	o.family(f.created, f.help, "gauge")
	o.sample(f.created, "", labels, created)
}

// running is the engine's batch at u.
func (h *host) running(u float64) float64 {
	if u < h.proc || h.stalled(u) {
		return 0
	}
	n := noise(key(h.seed, 1), u)
	calm := h.rate * h.load.at(u) * h.e2e(false).mean()
	calm = math.Max(0, math.Round(calm+4*(n-0.5)))
	q := h.queueLevel(u)
	return math.Round(math.Min(maxRunning, (1-q)*calm+q*maxRunning))
}

// waiting is the queue at u.
func (h *host) waiting(u float64) float64 {
	if u < h.proc {
		return 0
	}
	n := noise(key(h.seed, 2), u)
	calm := 0.0
	if n > 0.82 {
		calm = math.Floor((n - 0.82) * 22) // 0..3, now and then
	}
	if h.stalled(u) {
		calm += math.Floor(h.rate * h.load.at(u) * (u - h.xidAt) * 0.5)
	}
	q := h.queueLevel(u)
	if q == 0 {
		return calm
	}
	return math.Max(0, math.Round((1-q)*calm+q*(queueTarget+6*(n-0.5))))
}

func (h *host) kvCache(u float64) float64 {
	if u < h.proc {
		return 0
	}
	n := noise(key(h.seed, 3), u)
	v := 0.1 + 0.78*h.running(u)/maxRunning + 0.02*(n-0.5) + 0.002*h.waiting(u)
	return math.Round(clamp(v, 0, 0.995)*1e4) / 1e4
}

// writeVLLM writes vLLM's /metrics at u.
func (h *host) writeVLLM(o *out, u float64) {
	lbl := h.vllmLbl
	created := h.start + h.proc
	oc := h.outcomes(u)
	n := oc.total()
	prompt := h.promptTokens(u)
	gen := h.genTokens(u)
	cached := math.Floor(cachedShare * prompt)
	calm, slow := h.calm(u)+h.xidFailed(u), h.slow(u)
	http4xx := math.Floor(share4xx * h.requests(u))

	o.gauge(&fPythonInfo, `implementation="CPython",major="3",minor="12",patchlevel="11",version="3.12.11"`, 1)
	o.gauge(&fRSS, "", math.Round(9.6e9+4e8*noise(key(h.seed, 4), u)))
	o.gauge(&fProcStart, "", math.Round(created*100)/100)
	o.family(fHTTP.name, fHTTP.help, fHTTP.typ)
	o.sample(fHTTP.name, "", httpStatusLbl[0], oc.stop+oc.length+oc.abort)
	o.sample(fHTTP.name, "", httpStatusLbl[1], http4xx)
	o.sample(fHTTP.name, "", httpStatusLbl[2], oc.errors)
	o.family(fHTTP.created, fHTTP.help, "gauge")
	for _, l := range httpStatusLbl {
		o.sample(fHTTP.created, "", l, created)
	}
	o.gauge(&fRunning, lbl, h.running(u))
	o.gauge(&fWaiting, lbl, h.waiting(u))
	o.family(fSleep.name, fSleep.help, fSleep.typ)
	o.sample(fSleep.name, "", lbl+`,sleep_state="awake"`, 1)
	o.sample(fSleep.name, "", lbl+`,sleep_state="weights_offloaded"`, 0)
	o.sample(fSleep.name, "", lbl+`,sleep_state="discard_all"`, 0)
	o.gauge(&fKV, lbl, h.kvCache(u))
	o.counter(&fPrefixQ, lbl, prompt, created)
	o.counter(&fPrefixH, lbl, cached, created)
	o.counter(&fPreempt, lbl, math.Floor(0.0015*h.requests(u)+0.05*slow), created)
	o.counter(&fPrompt, lbl, prompt, created)
	o.counter(&fCached, lbl, cached, created)
	o.counter(&fGen, lbl, gen, created)
	o.family(fSuccess.name, fSuccess.help, fSuccess.typ)
	o.sample(fSuccess.name, "", lbl+`,finished_reason="stop"`, oc.stop)
	o.sample(fSuccess.name, "", lbl+`,finished_reason="length"`, oc.length)
	o.sample(fSuccess.name, "", lbl+`,finished_reason="abort"`, oc.abort)
	o.sample(fSuccess.name, "", lbl+`,finished_reason="error"`, oc.errors)
	o.family(fSuccess.created, fSuccess.help, "gauge")
	for _, r := range [...]string{"stop", "length", "abort", "error"} {
		o.sample(fSuccess.created, "", lbl+`,finished_reason="`+r+`"`, created)
	}

	pm := one(n, tPrompt)
	pmSum := prompt
	o.family(fReqPrompt.name, fReqPrompt.help, fReqPrompt.typ)
	o.sample(fReqPrompt.sum, "", lbl, pmSum)
	for i := range layTokens.bounds {
		o.sample(fReqPrompt.bucket, layTokens.les[i], lbl, pm.bucket(i))
	}
	o.sample(fReqPrompt.bucket, "+Inf", lbl, n)
	o.sample(fReqPrompt.count, "", lbl, n)
	o.family(fReqPrompt.created, fReqPrompt.help, "gauge")
	o.sample(fReqPrompt.created, "", lbl, created)

	gm := one(n, tGen)
	o.family(fReqGen.name, fReqGen.help, fReqGen.typ)
	o.sample(fReqGen.sum, "", lbl, gen)
	for i := range layTokens.bounds {
		o.sample(fReqGen.bucket, layTokens.les[i], lbl, gm.bucket(i))
	}
	o.sample(fReqGen.bucket, "+Inf", lbl, n)
	o.sample(fReqGen.count, "", lbl, n)
	o.family(fReqGen.created, fReqGen.help, "gauge")
	o.sample(fReqGen.created, "", lbl, created)

	steps := h.steps(u)
	o.histogram(&fIterTokens, lbl, &layIter, one(steps, tIterToks), created)
	o.histogram(&fMaxGen, lbl, &layTokens, one(n, tMaxTokens), created)
	o.histogram(&fParamsN, lbl, &layN, one(n, tN), created)
	o.histogram(&fParamsMax, lbl, &layTokens, one(n, tMaxTokens), created)
	o.histogram(&fTTFT, lbl, &layTTFT, two(n, calm, slow, h.tabs.ttft[0], h.tabs.ttft[1]), created)
	itl := h.itlCount(u)
	o.histogram(&fITL, lbl, &layITL, one(itl, tITL), created)
	o.histogram(&fTPOT, lbl, &layITL, one(n, tTPOT), created)
	o.histogram(&fE2E, lbl, &layE2E, two(n, calm, slow, h.tabs.e2e[0], h.tabs.e2e[1]), created)
	o.histogram(&fQueue, lbl, &layE2E, two(n, calm, slow, h.tabs.queue[0], h.tabs.queue[1]), created)
	o.histogram(&fPrefill, lbl, &layE2E, one(n, tPrefill), created)
	o.histogram(&fDecode, lbl, &layE2E, one(n, tDecode), created)
	o.gauge(&fCacheConfig, cacheConfigLabels, 1)
}
