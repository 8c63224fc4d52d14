package replay

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

func TestParseAt(t *testing.T) {
	ref := time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)
	berlin := time.FixedZone("CET", 3600)
	for _, c := range []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"14:02", time.UTC, time.Date(2026, 11, 25, 14, 2, 0, 0, time.UTC)},
		{"14:02:05.25", time.UTC, time.Date(2026, 11, 25, 14, 2, 5, 250e6, time.UTC)},
		{"23:50", time.UTC, time.Date(2026, 11, 25, 23, 50, 0, 0, time.UTC)},
		{"01:10", time.UTC, time.Date(2026, 11, 26, 1, 10, 0, 0, time.UTC)}, // nearest: the next day
		{"15:02", berlin, time.Date(2026, 11, 25, 14, 2, 0, 0, time.UTC)},
		{"-10m", time.UTC, ref.Add(-10 * time.Minute)},
		{"+1h30m", time.UTC, ref.Add(90 * time.Minute)},
		{"10m", time.UTC, ref.Add(-10 * time.Minute)},
		{"3m ago", time.UTC, ref.Add(-3 * time.Minute)},
		{"now", time.UTC, ref},
		{"2026-11-25T14:02:00Z", time.UTC, time.Date(2026, 11, 25, 14, 2, 0, 0, time.UTC)},
		{"2026-11-25T15:02:00.5+01:00", time.UTC, time.Date(2026, 11, 25, 14, 2, 0, 5e8, time.UTC)},
		{"2026-11-25 15:02", berlin, time.Date(2026, 11, 25, 14, 2, 0, 0, time.UTC)},
		{"1764079320", time.UTC, time.Unix(1764079320, 0)},
		{"@1764079320.5", time.UTC, time.Unix(1764079320, 5e8)},
		{"1764079320123", time.UTC, time.UnixMilli(1764079320123)},
		{"1764079320123456789", time.UTC, time.Unix(0, 1764079320123456789)},
	} {
		got, err := ParseAt(c.in, ref, c.loc)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseAt(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "tomorrowish", "25:99", "1h ago ago", "-", "12:", "99999999999999999999"} {
		if got, err := ParseAt(bad, ref, time.UTC); err == nil {
			t.Errorf("ParseAt(%q) = %v, want an error", bad, got)
		}
	}
}

func TestNotableJSON(t *testing.T) {
	n := Notable{At: time.Unix(1764079320, 0).UTC(), Kind: NotableMarker, Severity: sources.SevWarning, Text: "deploy"}
	b, err := json.Marshal(n)
	if err != nil || string(b) != `{"at":"2025-11-25T14:02:00Z","kind":"marker","severity":"warning","text":"deploy"}` {
		t.Fatalf("%s %v", b, err)
	}
	var back Notable
	if err := json.Unmarshal(b, &back); err != nil || back != n {
		t.Fatalf("%+v %v", back, err)
	}
}
