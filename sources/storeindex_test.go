package sources

import (
	"math/rand"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestIndexChurn: series come and go in any order (the sweep takes those
// without a sample for a retention); Select by name and by host answers
// what is held, sorted, and the index keeps nothing of what went.
func TestIndexChurn(t *testing.T) {
	st := NewStore(StoreOptions{Retention: 10 * time.Second})
	rng := rand.New(rand.NewSource(7))
	at := time.Unix(1_700_000_000, 0)
	live := map[string]time.Time{} // key → last sample
	sers := map[string]Series{}
	for step := range 200 {
		at = at.Add(time.Second)
		var pts []Point
		for range 20 {
			h, g := rng.Intn(6), rng.Intn(4)
			kv := []string{"gpu", strconv.Itoa(g)}
			if h > 0 {
				kv = append(kv, "host", "h"+strconv.Itoa(h))
			}
			ser := NewSeries("temp", Gauge, kv...)
			if step > 120 && h == 3 {
				continue // h3 stops: its series go after the retention
			}
			pts = append(pts, Point{Series: ser, At: at, Value: 1})
			live[ser.Key()], sers[ser.Key()] = at, ser
		}
		st.Ingest(Frame{At: at, Points: pts})
		st.mu.RLock()
		cut := time.Unix(0, st.swept).Add(-10 * time.Second)
		st.mu.RUnlock()
		for k, last := range live {
			if last.Before(cut) {
				delete(live, k)
			}
		}
		want := map[string][]string{}
		for k := range live {
			h := sers[k].Label(LabelHost)
			want[""] = append(want[""], k)
			if h != "" {
				want[h] = append(want[h], k)
			}
		}
		for h := range 7 {
			host := ""
			var match []Label
			if h > 0 {
				host = "h" + strconv.Itoa(h)
				match = []Label{{Name: LabelHost, Value: host}}
			}
			var got []string
			for _, s := range st.Select("temp", match...) {
				got = append(got, s.Key())
			}
			w := want[host]
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Fatalf("step %d, host %q: Select %v, want %v", step, host, got, w)
			}
		}
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	if _, ok := st.byName["temp"].hosts["h3"]; ok {
		t.Error("h3 stays in the index after its series went")
	}
	for i, e := range st.byName["temp"].all {
		if int(e.slots().name) != i {
			t.Fatalf("entry %d says it is at %d", i, e.slots().name)
		}
	}
}
