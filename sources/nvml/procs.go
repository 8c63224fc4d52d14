package nvml

import (
	"bufio"
	"bytes"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/vigil-dev/vigil/sources"
)

// procInfo is what /proc says about a PID, cached while the PID holds a GPU.
type procInfo struct {
	visible   bool
	user      string
	container string
	pod       string
	command   string
	seen      time.Time
}

// readProcs lists the GPU's processes with their memory and SM share.
func (g *gpu) readProcs(now time.Time) {
	if !g.hasSym["GetComputeRunningProcesses"] {
		return
	}
	byPID := map[uint32]nvml.ProcessInfo{}
	g.enter("GetComputeRunningProcesses")
	cp, r := g.dev.GetComputeRunningProcesses()
	if r == nvml.ERROR_GPU_IS_LOST {
		g.set(fUtil, 0, r, now)
		return
	}
	if r != nvml.SUCCESS {
		return
	}
	for _, p := range cp {
		byPID[p.Pid] = p
	}
	if g.hasSym["GetGraphicsRunningProcesses"] {
		g.enter("GetGraphicsRunningProcesses")
		if gp, r := g.dev.GetGraphicsRunningProcesses(); r == nvml.SUCCESS {
			for _, p := range gp {
				if q, ok := byPID[p.Pid]; !ok || p.UsedGpuMemory > q.UsedGpuMemory {
					byPID[p.Pid] = p
				}
			}
		}
	}
	sm := map[uint32]float64{}
	g.mu.Lock()
	last, migOn := g.procTS, g.migOn
	g.mu.Unlock()
	if !migOn && g.hasSym["GetProcessUtilization"] && len(byPID) > 0 {
		if last == 0 {
			// Without a previous timestamp the driver averages over its whole
			// buffer; ask for the last interval instead (nvitop does the same).
			last = uint64(time.Now().Add(-g.c.opts.Processes).UnixMicro())
		}
		g.enter("GetProcessUtilization")
		samples, r := g.dev.GetProcessUtilization(last)
		if r == nvml.SUCCESS {
			newest := last
			for _, s := range samples {
				if s.TimeStamp > newest {
					newest = s.TimeStamp
				}
				sm[s.Pid] = max(sm[s.Pid], float64(s.SmUtil)/100)
			}
			g.mu.Lock()
			g.procTS = newest
			g.mu.Unlock()
		}
	}
	out := make([]sources.GPUProcess, 0, len(byPID))
	idx := strconv.Itoa(g.idx)
	for pid, p := range byPID {
		info := g.c.lookupProc(pid, now)
		gp := sources.GPUProcess{Host: g.c.opts.Host, GPU: idx, UUID: g.uuid, PID: pid, MemBytes: p.UsedGpuMemory,
			User: info.user, Container: info.container, Pod: info.pod, Command: info.command, Visible: info.visible}
		if p.GpuInstanceId != 0xFFFFFFFF && migOn {
			gp.MIG = "GI " + strconv.Itoa(int(p.GpuInstanceId)) + " CI " + strconv.Itoa(int(p.ComputeInstanceId))
		}
		if v, ok := sm[pid]; ok {
			gp.SMUtil, gp.SMUtilOK = v, true
		}
		out = append(out, gp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	g.mu.Lock()
	g.procs = out
	g.mu.Unlock()
}

// lookupProc returns the cached /proc facts of pid, reading them the first
// time the PID is seen.
func (c *Collector) lookupProc(pid uint32, now time.Time) procInfo {
	c.procMu.Lock()
	if p, ok := c.procCache[pid]; ok {
		p.seen = now
		out := *p
		c.procMu.Unlock()
		return out
	}
	c.procMu.Unlock()
	p := c.readProc(pid)
	p.seen = now
	cp := p
	c.procMu.Lock()
	c.procCache[pid] = &cp
	// Forget PIDs not seen for a while, so PID reuse and churn stay bounded.
	if len(c.procCache) > 64 {
		for k, v := range c.procCache {
			if now.Sub(v.seen) > time.Minute {
				delete(c.procCache, k)
			}
		}
	}
	c.procMu.Unlock()
	return p
}

// procSimulator is implemented by simulated libraries (nvmlmock) whose
// PIDs exist in no /proc: they describe their processes themselves.
type procSimulator interface {
	SimulatedProcess(pid uint32) (user, command string, ok bool)
}

// readProc reads a PID's owner, cgroup and command line under ProcRoot.
func (c *Collector) readProc(pid uint32) procInfo {
	if sim, ok := c.lib.(procSimulator); ok {
		var p procInfo
		user, cmd, found := sim.SimulatedProcess(pid)
		p.visible, p.user, p.command = found, sources.OneLine(user), sources.OneLine(cmd)
		return p
	}
	dir := filepath.Join(c.opts.ProcRoot, strconv.FormatUint(uint64(pid), 10))
	var p procInfo
	st, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return p // not in our PID namespace (or gone)
	}
	p.visible = true
	p.user = c.userOf(uidOf(st))
	if cg, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
		p.container, p.pod = parseCgroup(cg)
	}
	if cl, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		cl = bytes.TrimRight(cl, "\x00")
		p.command = sources.OneLine(string(bytes.ReplaceAll(cl, []byte{0}, []byte{' '})))
	}
	if p.command == "" {
		if comm, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
			p.command = "[" + sources.OneLine(string(comm)) + "]"
		}
	}
	if len(p.command) > 512 {
		p.command = p.command[:512]
	}
	return p
}

// uidOf returns the real UID from /proc/<pid>/status, or "".
func uidOf(status []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Uid:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

func (c *Collector) userOf(uid string) string {
	if uid == "" {
		return ""
	}
	c.procMu.Lock()
	name, ok := c.userCache[uid]
	c.procMu.Unlock()
	if ok {
		return name
	}
	name = uid
	if u, err := user.LookupId(uid); err == nil {
		name = u.Username
	}
	c.procMu.Lock()
	c.userCache[uid] = name
	c.procMu.Unlock()
	return name
}

var (
	reContainer = regexp.MustCompile(`(?:docker|cri-containerd|crio|containerd|libpod|conmon)[-/:]([0-9a-f]{12,64})`)
	reBareID    = regexp.MustCompile(`/([0-9a-f]{64})(?:\.scope)?$`)
	rePod       = regexp.MustCompile(`pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})`)
)

// parseCgroup finds a container id (first 12 hex digits) and a Kubernetes
// pod UID in /proc/<pid>/cgroup; both are "" for a host process.
func parseCgroup(b []byte) (container, pod string) {
	for _, line := range strings.Split(string(b), "\n") {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		path := parts[2]
		if m := rePod.FindStringSubmatch(path); m != nil && pod == "" {
			pod = strings.ReplaceAll(m[1], "_", "-")
		}
		if container == "" {
			if m := reContainer.FindStringSubmatch(path); m != nil {
				container = m[1]
			} else if m := reBareID.FindStringSubmatch(path); m != nil {
				container = m[1]
			}
		}
	}
	if len(container) > 12 {
		container = container[:12]
	}
	return container, pod
}
