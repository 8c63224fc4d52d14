package panetest

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a test that records its failures instead of failing.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any) { r.msgs = append(r.msgs, fmt.Sprint(args...)) }

func TestGolden(t *testing.T) {
	Golden(t, "frame", "line one\nline two\n")
	if Updating() {
		t.Skip("-update rewrites testdata/frame.golden; the mismatch is not checked")
	}
	r := &recorder{TB: t}
	Golden(r, "frame", "line one\nline 2\n")
	if len(r.msgs) != 1 || !strings.Contains(r.msgs[0], "-line two\n+line 2") {
		t.Errorf("a changed line gave %q, want one failure with its diff", r.msgs)
	}
	r = &recorder{TB: t}
	Golden(r, "absent", "x")
	if len(r.msgs) != 1 || !strings.Contains(r.msgs[0], "testdata/absent.golden") || !strings.Contains(r.msgs[0], "-update") {
		t.Errorf("a missing golden file gave %q, want one failure naming it", r.msgs)
	}
}

func TestCheckSize(t *testing.T) {
	CheckSize(t, "ab\ncd", 2, 2)
	CheckSize(t, "日本\nab  ", 4, 2) // wide runes count two cells
	for _, c := range []struct {
		view string
		w, h int
		want string
	}{
		{"ab\ncd", 2, 3, "2 lines, want 3"},
		{"ab\nc", 2, 2, "line 1 is 1 cells, want 2"},
		{"\x1b[1mab\x1b[0m\nabc", 2, 2, "line 1 is 3 cells"},
	} {
		r := &recorder{TB: t}
		CheckSize(r, c.view, c.w, c.h)
		if len(r.msgs) != 1 || !strings.Contains(r.msgs[0], c.want) {
			t.Errorf("CheckSize(%q, %d, %d) reported %q, want %q", c.view, c.w, c.h, r.msgs, c.want)
		}
	}
}
