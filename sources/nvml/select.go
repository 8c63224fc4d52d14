package nvml

import (
	"strconv"
	"strings"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/vigil-dev/vigil/sources"
)

// ParseGPUList splits a --gpus or CUDA_VISIBLE_DEVICES value ("0,3",
// "GPU-8f2c..., 1") into its entries, trimmed, empty ones dropped.
func ParseGPUList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// selection keeps the GPUs named by --gpus and, when asked,
// CUDA_VISIBLE_DEVICES. An entry is an NVML index or a UUID prefix.
type selection struct {
	lists [][]string // every list must keep a GPU; empty: none given
}

func newSelection(gpus []string, cuda string, useCUDA bool) (selection, string) {
	var s selection
	var notes []string
	if len(gpus) > 0 {
		s.lists = append(s.lists, gpus)
	}
	if useCUDA {
		var l []string
		for _, e := range ParseGPUList(cuda) {
			if strings.HasPrefix(e, "MIG-") {
				notes = append(notes, "CUDA_VISIBLE_DEVICES entry "+e+" is a MIG device: its parent GPU is not selected by it")
				continue
			}
			if _, err := strconv.Atoi(e); err != nil && !strings.HasPrefix(e, "GPU-") {
				// CUDA stops at the first invalid entry.
				notes = append(notes, "CUDA_VISIBLE_DEVICES entry "+e+" is not an index or a GPU UUID: ignored from there on")
				break
			}
			l = append(l, e)
		}
		if cuda != "" {
			if l == nil {
				l = []string{} // set but nothing usable: no GPU
			}
			s.lists = append(s.lists, l)
		}
	}
	return s, strings.Join(notes, "; ")
}

func (s selection) keep(idx int, uuid string) bool {
	for _, l := range s.lists {
		ok := false
		for _, e := range l {
			if n, err := strconv.Atoi(e); err == nil {
				if n == idx {
					ok = true
				}
			} else if uuid != "" && strings.HasPrefix(uuid, e) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (s selection) describe() string {
	var parts []string
	for _, l := range s.lists {
		parts = append(parts, strings.Join(l, ","))
	}
	return "selected: " + strings.Join(parts, " and ")
}

// pcieLoop reads PCIe throughput in the background (each call blocks about
// 20 ms) every Medium, one GPU after the other.
func (c *Collector) pcieLoop(gpus []*gpu, stop <-chan struct{}) {
	defer func() { _ = recover() }()
	t := sources.NewBeat(c.opts.Medium)
	defer t.Stop()
	for {
		for _, g := range gpus {
			if g.dev == nil || g.skip(fPCIeTx) || g.isLost() {
				continue
			}
			now := c.opts.Clock.Now()
			tx, r := g.dev.GetPcieThroughput(nvml.PCIE_UTIL_TX_BYTES)
			g.set(fPCIeTx, float64(tx)*1024, r, now)
			rx, r := g.dev.GetPcieThroughput(nvml.PCIE_UTIL_RX_BYTES)
			g.set(fPCIeRx, float64(rx)*1024, r, now)
		}
		t.Next()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}
