package pick

import (
	"strings"
	"testing"
)

func TestFilter(t *testing.T) {
	all := []string{"gpu-a/0", "gpu-a/1", "gpu-b/0", "gpu-b/1"}
	id := func(s *string) string { return *s }
	onB := func(s *string) bool { return strings.HasPrefix(*s, "gpu-b") }
	for _, c := range []struct {
		keep    func(*string) bool
		key     string
		rows    string
		wantSel int
	}{
		{onB, "gpu-b/1", "gpu-b/0 gpu-b/1", 1}, // the selection follows its item
		{onB, "gpu-a/1", "gpu-b/0 gpu-b/1", 0}, // filtered away: the first
		{func(*string) bool { return true }, "gpu-b/0", "gpu-a/0 gpu-a/1 gpu-b/0 gpu-b/1", 2},
		{func(*string) bool { return false }, "gpu-a/0", "", 0},
	} {
		rows, sel := Filter(make([]string, 0, 1), all, c.keep, id, c.key)
		if got := strings.Join(rows, " "); got != c.rows || sel != c.wantSel {
			t.Errorf("key %s: rows %q sel %d, want %q %d", c.key, got, sel, c.rows, c.wantSel)
		}
	}
}

func TestMoveStep(t *testing.T) {
	for _, c := range []struct{ sel, d, n, want int }{{0, 1, 3, 1}, {2, 1, 3, 2}, {1, -5, 3, 0}, {0, 10, 3, 2}, {0, 0, 1, 0}} {
		if got := Move(c.sel, c.d, c.n); got != c.want {
			t.Errorf("Move(%d, %d, %d) = %d, want %d", c.sel, c.d, c.n, got, c.want)
		}
	}
	for _, c := range []struct {
		sel, n int
		back   bool
		want   int
	}{{0, 3, false, 1}, {2, 3, false, 0}, {0, 3, true, 2}, {1, 3, true, 0}, {0, 1, true, 0}} {
		if got := Step(c.sel, c.n, c.back); got != c.want {
			t.Errorf("Step(%d, %d, %v) = %d, want %d", c.sel, c.n, c.back, got, c.want)
		}
	}
}
