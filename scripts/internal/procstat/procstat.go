//go:build linux

// Package procstat is what vigil's measurement scripts share: a process's
// CPU time and memory read from /proc, and programs run in a tmux server of
// their own at a fixed terminal size, the way a user watches them. Linux
// only.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Sample is one reading of a process.
type Sample struct {
	At      time.Time
	CPU     time.Duration // user + system time so far, all threads
	RSS     int64         // resident set, bytes
	HWM     int64         // the resident set's high-water mark (VmHWM), bytes
	Anon    int64         // its anonymous part (heap, stacks), bytes; RSS-Anon is the mapped binary and files
	Threads int
}

// userHZ is the unit of the times in /proc/PID/stat: fixed at 100 on
// every Linux ABI, whatever the kernel's internal tick.
const userHZ = 100

// Read samples the process pid.
func Read(pid int) (Sample, error) {
	s := Sample{At: time.Now()}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces: count fields after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return s, fmt.Errorf("procstat: /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("procstat: /proc/%d/stat: %d fields", pid, len(f))
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	s.CPU = time.Duration(ut+st) * time.Second / userHZ
	b, err = os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			s.RSS = n << 10
		case "VmHWM":
			s.HWM = n << 10
		case "RssAnon":
			s.Anon = n << 10
		case "Threads":
			s.Threads = int(n)
		}
	}
	return s, nil
}

// LoadAvg is the machine's load averages over 1, 5 and 15 minutes, as
// /proc/loadavg writes them, or "n/a": every figure a script prints on
// this shared machine goes with it.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

// CPURatio is the CPU the process used between a and b, as a ratio of one
// core (0.004 is 0.4 %).
func CPURatio(a, b Sample) float64 {
	wall := b.At.Sub(a.At)
	if wall <= 0 {
		return 0
	}
	return float64(b.CPU-a.CPU) / float64(wall)
}

// Tmux is a tmux server of the script's own: its sessions are the programs
// measured, each in a terminal of the size asked for. Close kills the
// server and with it every program started in it.
type Tmux struct{ sock string }

// NewTmux starts nothing yet: the server starts with the first session.
// Its socket is named after prefix, this process and a count, so that no
// two servers share one.
func NewTmux(prefix string) (*Tmux, error) {
	if _, err := exec.LookPath("tmux"); err != nil {
		return nil, fmt.Errorf("procstat: needs tmux (Debian package tmux)")
	}
	servers++
	return &Tmux{sock: fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), servers)}, nil
}

var servers int

// Start runs argv in a new detached session name of w×h cells, with env
// added to the environment, and returns its process id (the command is
// exec'd, so the pane's process is the program itself).
func (t *Tmux) Start(name string, w, h int, env []string, argv ...string) (int, error) {
	var cmd strings.Builder
	cmd.WriteString("exec env")
	for _, e := range env {
		cmd.WriteString(" " + Quote(e))
	}
	for _, a := range argv {
		cmd.WriteString(" " + Quote(a))
	}
	if _, err := t.output("new-session", "-d", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), "-s", name, cmd.String()); err != nil {
		return 0, err
	}
	out, err := t.output("display-message", "-p", "-t", name, "#{pane_pid}")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(out))
}

// Capture returns the visible screen of session name, as text.
func (t *Tmux) Capture(name string) (string, error) {
	return t.output("capture-pane", "-p", "-t", name)
}

// Keys sends keys (tmux key names: "S", "Escape", "q") to session name.
func (t *Tmux) Keys(name string, keys ...string) error {
	_, err := t.output(append([]string{"send-keys", "-t", name}, keys...)...)
	return err
}

// WaitFor polls session name's screen until it contains want, for at most d.
func (t *Tmux) WaitFor(name, want string, d time.Duration) (string, error) {
	deadline := time.Now().Add(d)
	for {
		s, err := t.Capture(name)
		if err == nil && strings.Contains(s, want) {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("procstat: %q not on %s's screen after %s", want, name, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Close kills the server and every program in it.
func (t *Tmux) Close() { _, _ = t.output("kill-server") }

func (t *Tmux) output(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", t.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("tmux %s: %v: %s", args[0], err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// Quote makes s one word for sh.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// MB formats bytes in units of 2^20, as top and ps count them (the
// scripts and vigil's docs write MB for these units).
func MB(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) }
