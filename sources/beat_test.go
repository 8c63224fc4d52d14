package sources

import (
	"testing"
	"time"
)

func TestUntilBeat(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		now  string
		iv   time.Duration
		want time.Duration
	}{
		{"2026-12-07T12:00:00.300Z", time.Second, 700 * time.Millisecond},
		{"2026-12-07T12:00:00.000Z", time.Second, time.Second},                       // on a beat: the next one
		{"2026-12-07T12:00:00.980Z", time.Second, 1020 * time.Millisecond},           // a hair before: the one after
		{"2026-12-07T12:00:00.940Z", time.Second, 60 * time.Millisecond},             // not a hair
		{"2026-12-07T12:00:00.300Z", 0, 700 * time.Millisecond},                      // 0 is 1 s
		{"2026-12-07T12:00:04.500Z", 3 * time.Second, 1500 * time.Millisecond},       // 12:00:06, a multiple of 3 s
		{"2026-12-07T12:00:00.100Z", 250 * time.Millisecond, 150 * time.Millisecond}, // quarter beats land on whole seconds too
	} {
		if got := UntilBeat(at(c.now), c.iv); got != c.want {
			t.Errorf("UntilBeat(%s, %s) = %s, want %s", c.now, c.iv, got, c.want)
		}
	}
	// Loops of the same interval started at different instants share
	// their beats.
	a, b := at("2026-12-07T12:00:00.123Z"), at("2026-12-07T12:00:00.871Z")
	if a.Add(UntilBeat(a, time.Second)) != b.Add(UntilBeat(b, time.Second)) {
		t.Error("two 1 s loops started in the same second have different beats")
	}
}
