package sources

// Canonical signal names: the one place each is defined, with its unit.
// Presets translate every stack's dialect into these, so that panes never know
// which stack a number came from. GPU series are keyed by host, gpu (index),
// uuid and model; service series by host, service, stack and, where a stack
// serves several kinds of call, operation; host series by host.
//
// Raw signals (counters, histograms, gauges) come from scraping an exporter;
// the store and package view derive rates and quantiles from them over a
// window. Figure signals (the *Quant, *Rate and *Ratio names below) are values
// something else already derived — a query engine in fleet mode, or a stack
// that exports summaries — and are shown as they are.
const (
	GPUUtilization  = "gpu_utilization_ratio"          // ratio 0..1
	GPUMemUtil      = "gpu_memory_utilization_ratio"   // ratio 0..1 (memory controller busy)
	GPUMemoryUsed   = "gpu_memory_used_bytes"          // bytes
	GPUMemoryTotal  = "gpu_memory_total_bytes"         // bytes
	GPUTemperature  = "gpu_temperature_celsius"        // °C
	GPUMemTemp      = "gpu_memory_temperature_celsius" // °C (HBM)
	GPUPower        = "gpu_power_watts"                // W
	GPUPowerLimit   = "gpu_power_limit_watts"          // W
	GPUSMClock      = "gpu_sm_clock_hz"                // Hz
	GPUMemClock     = "gpu_memory_clock_hz"            // Hz
	GPUSMClockMax   = "gpu_sm_clock_max_hz"            // Hz
	GPUMemClockMax  = "gpu_memory_clock_max_hz"        // Hz
	GPUFan          = "gpu_fan_ratio"                  // ratio 0..1
	GPUPState       = "gpu_pstate"                     // 0..15
	GPUThrottle     = "gpu_throttle_reasons"           // NVML clock-event bitmask
	GPUXIDLast      = "gpu_xid_last"                   // last XID code, 0 for none
	GPUECCErrors    = "gpu_ecc_errors_total"           // counter; label type=corrected|uncorrected
	GPUPCIeReplay   = "gpu_pcie_replay_total"          // counter
	GPUPCIeTx       = "gpu_pcie_tx_bytes_per_second"   // B/s (opt-in: blocks ~20 ms per call)
	GPUPCIeRx       = "gpu_pcie_rx_bytes_per_second"   // B/s (opt-in)
	GPUEnergy       = "gpu_energy_joules_total"        // counter, J
	GPURemappedRows = "gpu_remapped_rows"              // label state=pending|failed|correctable|uncorrectable
)

// Service signals.
const (
	SvcLatency      = "svc_request_latency_seconds"          // histogram, seconds
	SvcTTFT         = "svc_ttft_seconds"                     // histogram, seconds
	SvcITL          = "svc_itl_seconds"                      // histogram, seconds
	SvcQueueTime    = "svc_queue_time_seconds"               // histogram, seconds
	SvcRequests     = "svc_requests_total"                   // counter; label outcome=ok|error|abort
	SvcTokens       = "svc_tokens_total"                     // counter; label kind=prompt|generation
	SvcQueueDepth   = "svc_queue_depth"                      // requests waiting
	SvcRunning      = "svc_running"                          // requests running
	SvcKVCache      = "svc_kv_cache_ratio"                   // ratio 0..1
	SvcLatencyQuant = "svc_request_latency_quantile_seconds" // figure, seconds; label quantile (0.5, 0.95, 0.99)
)

// Service figures a query engine computes over the rate window ending at the
// sample's time (query mode). Each latency-like family has the same three:
// quantiles (label quantile), the mean, and how many observations the window
// held. Rates are per second.
const (
	SvcLatencyMean  = "svc_request_latency_mean_seconds" // figure, seconds
	SvcLatencyObs   = "svc_request_latency_observations" // figure, observations in the window
	SvcTTFTQuant    = "svc_ttft_quantile_seconds"        // figure, seconds; label quantile
	SvcTTFTMean     = "svc_ttft_mean_seconds"            // figure, seconds
	SvcTTFTObs      = "svc_ttft_observations"            // figure, observations in the window
	SvcITLQuant     = "svc_itl_quantile_seconds"         // figure, seconds; label quantile
	SvcITLMean      = "svc_itl_mean_seconds"             // figure, seconds
	SvcITLObs       = "svc_itl_observations"             // figure, observations in the window
	SvcRequestRate  = "svc_request_rate_per_second"      // figure, requests/s; label outcome (the stack's rule)
	SvcTokenRate    = "svc_token_rate_per_second"        // figure, tokens/s; label kind=prompt|generation|cached
	SvcQueueTimeAvg = "svc_queue_time_mean_seconds"      // figure, seconds
)

// Host signals, keyed by the host label. node_exporter's preset fills them;
// any other source of host figures may.
const (
	HostCPUSeconds   = "host_cpu_seconds_total"            // counter, seconds; labels cpu, mode
	HostMemUsedRatio = "host_memory_used_ratio"            // figure, ratio 0..1
	HostLoad1        = "host_load1"                        // 1-minute load average
	HostLoad5        = "host_load5"                        // 5-minute load average
	HostLoad15       = "host_load15"                       // 15-minute load average
	HostMemTotal     = "host_memory_total_bytes"           // bytes
	HostMemAvailable = "host_memory_available_bytes"       // bytes
	HostFSSize       = "host_filesystem_size_bytes"        // bytes; label mountpoint
	HostFSAvail      = "host_filesystem_avail_bytes"       // bytes available to non-root; label mountpoint
	HostBootTime     = "host_boot_time_seconds"            // Unix time, seconds
	HostTime         = "host_time_seconds"                 // the host's clock, Unix time, seconds
	HostNetRx        = "host_network_receive_bytes_total"  // counter, bytes; label device
	HostNetTx        = "host_network_transmit_bytes_total" // counter, bytes; label device
	HostDiskRead     = "host_disk_read_bytes_total"        // counter, bytes; label device
	HostDiskWritten  = "host_disk_written_bytes_total"     // counter, bytes; label device

	// Host figures a query engine computes (query mode).
	HostCPUBusy  = "host_cpu_busy_ratio"                   // figure, ratio 0..1: 1 − (idle+iowait)/all over the rate window
	HostCPUCount = "host_cpu_count"                        // figure, CPUs (distinct cpu labels)
	HostNetRxBps = "host_network_receive_bytes_per_second" // figure, B/s, every device but lo
	HostNetTxBps = "host_network_transmit_bytes_per_second"
)

// Query-mode signals about the engine's targets.
const (
	// TargetUp is the engine's up{} per scrape target: 1 up, 0 down; labels
	// host, instance and job.
	TargetUp = "prom_target_up"
	// TargetScrapeAge is how old the target's newest scrape was at the
	// engine's evaluation time, seconds; labels host, instance and job.
	TargetScrapeAge = "prom_target_scrape_age_seconds"
)

// vigil's own signals (package selfstat).
const (
	SelfCPU         = "vigil_cpu_ratio"           // vigil's own CPU, ratio of one core
	SelfRSS         = "vigil_rss_bytes"           // vigil's resident set, bytes
	SelfGoroutines  = "vigil_goroutines"          // count
	SelfPollLatency = "vigil_source_poll_seconds" // last poll duration per source, seconds; label source
)

// Canonical label names.
const (
	LabelHost      = "host"
	LabelGPU       = "gpu"
	LabelUUID      = "uuid"
	LabelModel     = "model"
	LabelService   = "service"
	LabelStack     = "stack"
	LabelOperation = "operation" // the kind of call a service serves (OTel GenAI: chat, embeddings, ...)
	LabelOutcome   = "outcome"
	LabelKind      = "kind"
	LabelQuantile  = "quantile"
	LabelInstance  = "instance" // the engine's scrape target (host:port)
	LabelJob       = "job"      // the engine's scrape job
)

// Alert transition events: a sources.Event of Kind EventAlert records one
// change of an alert's state. Its labels are the alert's own full label set
// (alertname, severity and the rest, as Alertmanager would see them) plus the
// alert* labels below, which say what happened and are not part of the
// alert's identity. The names follow Prometheus' ALERTS series (alertstate),
// so an alert's own label called "state" or "value" never collides.
const (
	EventAlert          = "alert"          // Event.Kind of an alert transition
	LabelAlertName      = "alertname"      // the rule's name
	LabelSeverity       = "severity"       // warning, critical, info
	LabelSource         = "source"         // who raised it: vigil's own alerts carry source="vigil", in vigil and in Alertmanager
	LabelSourceName     = "source_name"    // SourceDown: the vigil source that is down ("scrape 127.0.0.1:9100")
	LabelFeature        = "feature"        // FeatureDrift: the feature that drifted
	LabelAlertState     = "alertstate"     // the state entered: pending, firing, resolved, inactive, suppressed
	LabelAlertOrigin    = "alertorigin"    // where vigil read it: vigil (its engine), prometheus, alertmanager
	LabelAlertValue     = "alertvalue"     // the figure at the transition, when there is one
	LabelAlertThreshold = "alertthreshold" // the line it crossed, when there is one
	// LabelAlertStateV1 is the state label of recordings made before
	// alertstate; those recordings also put the origin in "source".
	LabelAlertStateV1 = "state"
)

// Outcome label values of SvcRequests.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
	OutcomeAbort = "abort"
)
