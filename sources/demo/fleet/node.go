package fleet

import (
	"math"
	"strconv"
)

// nodeSeries is the number of series node writes for a host of cpus CPUs.
func nodeSeries(cpus int) int { return 34 + 8*cpus }

var (
	nBoot     = fam{name: "node_boot_time_seconds", help: "Node boot time, in unixtime.", typ: "gauge"}
	nCPU      = fam{name: "node_cpu_seconds_total", help: "Seconds the CPUs spent in each mode.", typ: "counter"}
	nDiskR    = fam{name: "node_disk_read_bytes_total", help: "The total number of bytes read successfully.", typ: "counter"}
	nDiskW    = fam{name: "node_disk_written_bytes_total", help: "The total number of bytes written successfully.", typ: "counter"}
	nBuild    = fam{name: "node_exporter_build_info", help: "A metric with a constant '1' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.", typ: "gauge"}
	nFSAvail  = fam{name: "node_filesystem_avail_bytes", help: "Filesystem space available to non-root users in bytes.", typ: "gauge"}
	nFSFree   = fam{name: "node_filesystem_free_bytes", help: "Filesystem free space in bytes.", typ: "gauge"}
	nFSRO     = fam{name: "node_filesystem_readonly", help: "Filesystem read-only status.", typ: "gauge"}
	nFSSize   = fam{name: "node_filesystem_size_bytes", help: "Filesystem size in bytes.", typ: "gauge"}
	nLoad1    = fam{name: "node_load1", help: "1m load average.", typ: "gauge"}
	nLoad15   = fam{name: "node_load15", help: "15m load average.", typ: "gauge"}
	nLoad5    = fam{name: "node_load5", help: "5m load average.", typ: "gauge"}
	nBuffers  = fam{name: "node_memory_Buffers_bytes", help: "Memory information field Buffers_bytes.", typ: "gauge"}
	nCached   = fam{name: "node_memory_Cached_bytes", help: "Memory information field Cached_bytes.", typ: "gauge"}
	nMemAvail = fam{name: "node_memory_MemAvailable_bytes", help: "Memory information field MemAvailable_bytes.", typ: "gauge"}
	nMemFree  = fam{name: "node_memory_MemFree_bytes", help: "Memory information field MemFree_bytes.", typ: "gauge"}
	nMemTotal = fam{name: "node_memory_MemTotal_bytes", help: "Memory information field MemTotal_bytes.", typ: "gauge"}
	nNetRx    = fam{name: "node_network_receive_bytes_total", help: "Network device statistic receive_bytes.", typ: "counter"}
	nNetTx    = fam{name: "node_network_transmit_bytes_total", help: "Network device statistic transmit_bytes.", typ: "counter"}
	nTime     = fam{name: "node_time_seconds", help: "System time in seconds since epoch (1970).", typ: "gauge"}
	nUname    = fam{name: "node_uname_info", help: "Labeled system information as provided by the uname system call.", typ: "gauge"}

	cpuModes = [8]string{"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"}
	// filesystems: device, fstype, mountpoint, size (bytes), share used at boot.
	filesystems = []struct {
		labels string
		size   float64
		used   float64
		growth float64 // bytes a second written and kept
	}{
		{`device="/dev/nvme0n1p2",device_error="",fstype="ext4",mountpoint="/"`, 1.967317549056e12, 0.31, 2e3},
		{`device="/dev/md0",device_error="",fstype="ext4",mountpoint="/raid"`, 1.5362990026752e13, 0.42, 4e4},
		{`device="tmpfs",device_error="",fstype="tmpfs",mountpoint="/run"`, 2.16396539904e11, 0.001, 0},
	}
)

const memTotal = 2.164663517184e12 // bytes (2 TB host)

// cpuShares are the shares of time CPU c spends in each mode (cpuModes'
// order) as a + b·level: constant parts and parts that follow the load.
func (h *host) cpuShares(c int) (a, b [8]float64) {
	f := 0.8 + 0.4*float64(mix64(h.seed^uint64(5000+c))>>11)/(1<<53)
	// iowait, irq, nice, softirq, steal, system, user
	a = [8]float64{0, 0.004, 0.001, 0.0005, 0.003 * f, 0, 0.02 * f, 0.06 * f}
	b = [8]float64{0, 0, 0, 0, 0.008 * f, 0, 0.05 * f, 0.22 * f}
	a[0], b[0] = 1, 0
	for m := 1; m < 8; m++ {
		a[0] -= a[m]
		b[0] -= b[m]
	}
	return a, b
}

// busy is the share of CPU time not idle at u, averaged over the CPUs.
func (h *host) busy(u float64) float64 {
	lv := h.load.level(u)
	v := 0.0
	for c := 0; c < h.cpus; c++ {
		a, b := h.cpuShares(c)
		v += 1 - (a[0] + b[0]*lv) - a[1]
	}
	return v / float64(h.cpus)
}

// writeNode writes node-exporter's /metrics at u.
func (h *host) writeNode(o *out, u float64) {
	up := math.Max(0, u-h.boot)
	lvInt := h.load.integral(h.boot, u) / loadMax // ∫ level since boot
	hund := func(x float64) float64 { return math.Floor(x*100) / 100 }

	o.gauge(&nBoot, "", math.Round(h.start+h.boot))
	o.family(nCPU.name, nCPU.help, nCPU.typ)
	for c := 0; c < h.cpus; c++ {
		a, b := h.cpuShares(c)
		cl := `cpu="` + strconv.Itoa(c) + `",mode="`
		for m, mode := range cpuModes {
			o.sample(nCPU.name, "", cl+mode+`"`, hund(a[m]*up+b[m]*lvInt))
		}
	}
	req := h.requests(u)
	o.family(nDiskR.name, nDiskR.help, nDiskR.typ)
	o.sample(nDiskR.name, "", `device="nvme0n1"`, math.Floor(4.1e5*up))
	o.sample(nDiskR.name, "", `device="nvme1n1"`, math.Floor(2.3e7*up))
	o.family(nDiskW.name, nDiskW.help, nDiskW.typ)
	o.sample(nDiskW.name, "", `device="nvme0n1"`, math.Floor(1.9e6*up))
	o.sample(nDiskW.name, "", `device="nvme1n1"`, math.Floor(3.6e6*up))
	o.gauge(&nBuild, `branch="HEAD",goarch="amd64",goos="linux",goversion="go1.22.5",revision="f1e0e8360aa60b6cb5e5cc1560bed348fc2c1895",tags="unknown",version="1.8.2"`, 1)
	avail := func(i int) float64 {
		fs := filesystems[i]
		return math.Max(0, math.Floor(fs.size*(1-fs.used)-fs.growth*up))
	}
	o.family(nFSAvail.name, nFSAvail.help, nFSAvail.typ)
	for i, fs := range filesystems {
		o.sample(nFSAvail.name, "", fs.labels, avail(i))
	}
	o.family(nFSFree.name, nFSFree.help, nFSFree.typ)
	for i, fs := range filesystems {
		reserve := 0.05 * fs.size // root's reserve on ext4
		if i == 2 {
			reserve = 0
		}
		o.sample(nFSFree.name, "", fs.labels, math.Floor(math.Min(fs.size, avail(i)+reserve)))
	}
	o.family(nFSRO.name, nFSRO.help, nFSRO.typ)
	for _, fs := range filesystems {
		o.sample(nFSRO.name, "", fs.labels, 0)
	}
	o.family(nFSSize.name, nFSSize.help, nFSSize.typ)
	for _, fs := range filesystems {
		o.sample(nFSSize.name, "", fs.labels, fs.size)
	}
	cpus := float64(h.cpus)
	loadAvg := func(at float64, k uint64) float64 {
		return hund(cpus * h.busy(at) * (0.95 + 0.1*noise(key(h.seed, 6000+k), u)))
	}
	o.gauge(&nLoad1, "", loadAvg(u, 1))
	o.gauge(&nLoad15, "", loadAvg(u-450, 15))
	o.gauge(&nLoad5, "", loadAvg(u-150, 5))
	lv := h.load.level(u)
	memAvail := math.Floor(memTotal * (0.8 - 0.06*lv + 0.004*noise(key(h.seed, 6100), u)))
	memFree := math.Floor(memAvail * 0.56)
	buffers := math.Floor(3.2e9 + 1e8*noise(key(h.seed, 6101), u))
	o.gauge(&nBuffers, "", buffers)
	o.gauge(&nCached, "", memAvail-memFree-buffers)
	o.gauge(&nMemAvail, "", memAvail)
	o.gauge(&nMemFree, "", memFree)
	o.gauge(&nMemTotal, "", memTotal)
	o.family(nNetRx.name, nNetRx.help, nNetRx.typ)
	o.sample(nNetRx.name, "", `device="eth0"`, math.Floor(1.2e6*up+4.5e3*req))
	o.sample(nNetRx.name, "", `device="ib0"`, math.Floor(3.1e7*up))
	o.sample(nNetRx.name, "", `device="lo"`, math.Floor(9e4*up))
	o.family(nNetTx.name, nNetTx.help, nNetTx.typ)
	o.sample(nNetTx.name, "", `device="eth0"`, math.Floor(8e5*up+1.1e3*h.genTokens(u)))
	o.sample(nNetTx.name, "", `device="ib0"`, math.Floor(2.9e7*up))
	o.sample(nNetTx.name, "", `device="lo"`, math.Floor(9e4*up))
	o.gauge(&nTime, "", math.Round((h.start+u)*1000)/1000)
	o.gauge(&nUname, `domainname="(none)",machine="x86_64",nodename="`+h.Name+`",release="6.8.0-45-generic",sysname="Linux",version="#45~22.04.1-Ubuntu SMP PREEMPT_DYNAMIC Wed Sep 11 15:25:05 UTC 2"`, 1)
}
