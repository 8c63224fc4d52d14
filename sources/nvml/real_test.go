//go:build nvml_real

package nvml

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// TestRealDriver runs the collector against the machine's NVIDIA driver and
// prints every field: go test -tags nvml_real -run TestRealDriver -v ./sources/nvml/
func TestRealDriver(t *testing.T) {
	host, _ := os.Hostname()
	c := New(Options{Host: host, PCIe: true, Medium: time.Second, Slow: time.Second, Processes: time.Second})
	defer c.Close()
	ctx := context.Background()
	var f sources.Frame
	var err error
	for i := 0; i < 3; i++ { // three polls: process utilisation needs a previous timestamp
		start := time.Now()
		f, err = c.Poll(ctx, time.Now())
		fmt.Printf("poll %d: %v, %d points, err %v\n", i, time.Since(start), len(f.Points), err)
		if i < 2 {
			time.Sleep(time.Second) // real hardware: let the driver's sample windows move
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if f.Health != nil {
		fmt.Printf("health: state=%v err=%q detail=%q duration=%v\n", f.Health.State, f.Health.Err, f.Health.Detail, f.Health.Duration)
	}
	sort.Slice(f.Points, func(i, j int) bool { return f.Points[i].Series.Key() < f.Points[j].Series.Key() })
	for _, p := range f.Points {
		fmt.Printf("%s = %v\n", p.Series.Key(), p.Value)
	}
	for _, g := range c.GPUInfos() {
		fmt.Printf("GPU %s %s uuid=%s bus=%s serial=%s driver=%s nvml=%s cuda=%s state=%s err=%q pcie=gen%d x%d mig=%v %+v poll=%v\n",
			g.Index, g.Model, g.UUID, g.BusID, g.Serial, g.Driver, g.NVML, g.CUDA, g.State, g.Err, g.PCIeGen, g.PCIeWidth, g.MIGEnabled, g.MIG, g.PollDuration)
		for _, fl := range g.Fields {
			fmt.Printf("  %-45s value=%-14v at=%s err=%q na=%q\n", fl.Name, fl.Value, fl.At.Format(time.RFC3339Nano), fl.Err, fl.NA)
		}
	}
	for _, p := range c.GPUProcesses() {
		fmt.Printf("process gpu=%s pid=%d user=%q container=%q pod=%q mem=%d sm=%v(%v) visible=%v cmd=%q\n",
			p.GPU, p.PID, p.User, p.Container, p.Pod, p.MemBytes, p.SMUtil, p.SMUtilOK, p.Visible, p.Command)
	}
	fmt.Printf("note: %q\n", c.GPUNote())
	if len(c.GPUInfos()) == 0 {
		t.Fatal("no GPU")
	}
}
