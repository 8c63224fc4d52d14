package traces

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// pollRun polls p at each of times and gathers the spans, failing on an
// error or on a span imported twice.
type pollRun struct {
	t      *testing.T
	p      *Poller
	spans  map[string]bool // trace id + span id
	traces map[string]bool
	last   *sources.Health
}

func newRun(t *testing.T, b Backend, opts PollerOptions) *pollRun {
	return &pollRun{t: t, p: NewPoller(b, opts), spans: map[string]bool{}, traces: map[string]bool{}}
}

func (r *pollRun) poll(now time.Time) sources.Frame {
	r.t.Helper()
	f, err := r.p.Poll(context.Background(), now)
	if err != nil {
		r.t.Fatalf("poll at %s: %v", now.Format("15:04:05"), err)
	}
	for _, s := range f.Spans {
		k := s.TraceID + "/" + s.SpanID
		if r.spans[k] {
			r.t.Errorf("span %s imported twice", k)
		}
		r.spans[k] = true
		r.traces[s.TraceID] = true
	}
	r.last = f.Health
	return f
}

// tracesOf counts the imported traces whose id starts with the burst's base.
func (r *pollRun) tracesOf(base string) int {
	n := 0
	for id := range r.traces {
		if strings.HasPrefix(id, base) {
			n++
		}
	}
	return n
}

var pollT0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// theBurst is issue 15's: 300 traces sent to one service within a few
// seconds, and four quieter services beside it.
func theBurst() *fakeBackend {
	b := &fakeBackend{}
	b.add(burst("chat-api", 300, pollT0.Add(-20*time.Second), 10*time.Millisecond, 1)...)
	for i, svc := range []string{"embedder", "ranker", "tokenizer", "vllm"} {
		b.add(burst(svc, 3, pollT0.Add(-40*time.Second), time.Second, 10+i)...)
	}
	return b
}

// TestPollBurst: every trace of the burst and of the other services comes
// in on the first poll, through Jaeger's and Tempo's APIs alike, and the
// second poll adds nothing. Before, vigil took 50 a poll, newest first,
// and the rest were lost for good.
func TestPollBurst(t *testing.T) {
	for _, kind := range []string{"jaeger", "tempo"} {
		t.Run(kind, func(t *testing.T) {
			fb := theBurst()
			r := newRun(t, startFake(t, kind, fb), PollerOptions{})
			f := r.poll(pollT0)
			if got := r.tracesOf("0000000000000001"); got != 300 {
				t.Errorf("burst: %d of 300 traces imported", got)
			}
			if len(r.traces) != 312 || len(f.Spans) != 624 {
				t.Errorf("%d traces, %d spans; want 312, 624", len(r.traces), len(f.Spans))
			}
			searches, fetches := fb.counts()
			t.Logf("%s: 312 traces (300 in one service) in %d search requests and %d trace fetches: %s", kind, searches, fetches, r.last.Detail)
			if strings.Contains(r.last.Detail, DetailBehind) || !strings.HasPrefix(r.last.Detail, "312 new traces (624 spans)") || r.last.Series != 312 {
				t.Errorf("health %+v", r.last)
			}
			f = r.poll(pollT0.Add(15 * time.Second))
			if len(f.Spans) != 0 {
				t.Errorf("second poll imported %d spans again", len(f.Spans))
			}
		})
	}
}

// TestPollCapsCarryOver: with small caps, a poll takes what its caps
// allow, says what it left for later and how far behind each service is,
// gives every service a turn, and the following polls bring in the rest.
func TestPollCapsCarryOver(t *testing.T) {
	for _, kind := range []string{"jaeger", "tempo"} {
		t.Run(kind, func(t *testing.T) {
			fb := theBurst()
			opts := PollerOptions{PageSize: 20, MaxPages: 6}
			if kind == "tempo" {
				// Tempo's search grain is a second, and the burst puts 100
				// in a second: the cap that bites is the fetches'.
				opts = PollerOptions{PageSize: 250, MaxPages: 40, PerPoll: 60}
			}
			r := newRun(t, startFake(t, kind, fb), opts)
			r.poll(pollT0)
			h := r.last
			if !strings.Contains(h.Detail, DetailBehind) || !strings.Contains(h.Detail, "cap hit") {
				t.Fatalf("a capped poll does not say so: %s", h.Detail)
			}
			if kind == "jaeger" {
				// Fair turns: each quiet service got its first request.
				for _, svc := range []string{"embedder", "ranker", "tokenizer", "vllm"} {
					if !strings.Contains(h.Detail, "from 5 services") || strings.Contains(h.Detail, svc+" ") {
						t.Errorf("%s still waits after the first poll: %s", svc, h.Detail)
					}
				}
				if !strings.Contains(h.Detail, "still to search: chat-api") {
					t.Errorf("detail %s", h.Detail)
				}
			} else if !strings.Contains(h.Detail, "traces found, to fetch") {
				t.Errorf("detail %s", h.Detail)
			}
			t.Logf("first poll: %s", h.Detail)
			now, polls := pollT0, 1
			for ; polls < 40 && strings.Contains(r.last.Detail, DetailBehind); polls++ {
				now = now.Add(15 * time.Second)
				r.poll(now)
			}
			if len(r.traces) != 312 || strings.Contains(r.last.Detail, DetailBehind) {
				t.Fatalf("after %d polls: %d of 312 traces; %s", polls, len(r.traces), r.last.Detail)
			}
			t.Logf("caught up after %d polls", polls)
		})
	}
}

// TestPollMoreThanAsked: a backend that answers more traces than asked
// loses nothing and imports none twice; the detail says it happened.
func TestPollMoreThanAsked(t *testing.T) {
	for _, kind := range []string{"jaeger", "tempo"} {
		t.Run(kind, func(t *testing.T) {
			fb := theBurst()
			fb.extra = 7
			opts := PollerOptions{PageSize: 50}
			if kind == "tempo" {
				opts.PageSize = 150 // over the 100 in a second
			}
			r := newRun(t, startFake(t, kind, fb), opts)
			r.poll(pollT0)
			if len(r.traces) != 312 {
				t.Errorf("%d of 312 traces", len(r.traces))
			}
			if !strings.Contains(r.last.Detail, "held more traces than asked") {
				t.Errorf("detail %s", r.last.Detail)
			}
		})
	}
}

// TestPollSameTraceTwice: a backend whose answers spill over the window's
// edges gives the same traces to neighbouring requests and polls; each is
// imported once (pollRun fails on a span imported twice), none is lost.
// One that ignores the window altogether gives the same page to every
// request: nothing is imported twice and the detail says the windows
// could not be told apart.
func TestPollSameTraceTwice(t *testing.T) {
	for _, kind := range []string{"jaeger", "tempo"} {
		t.Run(kind, func(t *testing.T) {
			fb := &fakeBackend{spill: 5 * time.Second}
			fb.add(burst("chat-api", 60, pollT0.Add(-90*time.Second), 2*time.Second, 1)...)
			fb.add(burst("ranker", 5, pollT0.Add(-time.Minute), time.Second, 2)...)
			r := newRun(t, startFake(t, kind, fb), PollerOptions{PageSize: 10})
			for i := 0; i < 3; i++ {
				r.poll(pollT0.Add(time.Duration(i) * 15 * time.Second))
			}
			if len(r.traces) != 65 {
				t.Errorf("%d of 65 traces", len(r.traces))
			}
		})
		t.Run(kind+"/ignoring the window", func(t *testing.T) {
			fb := &fakeBackend{ignoreTime: true}
			fb.add(burst("chat-api", 30, pollT0.Add(-time.Hour), time.Second, 1)...)
			r := newRun(t, startFake(t, kind, fb), PollerOptions{PageSize: 10, MaxPages: 30})
			r.poll(pollT0)
			r.poll(pollT0.Add(15 * time.Second))
			if len(r.traces) != 10 || !strings.Contains(r.last.Detail, "some may be missing") {
				t.Errorf("%d traces; %s", len(r.traces), r.last.Detail)
			}
		})
	}
}

// TestPollLateSpans: a trace polled before its child span reached the
// backend gets the child on the next poll (the overlap), not a second copy.
func TestPollLateSpans(t *testing.T) {
	fb := &fakeBackend{}
	srv := startFake(t, "jaeger", fb)
	fb.add(fakeTrace{id: "0000000000000001" + "00000000000000aa", svc: "chat-api", start: pollT0.Add(-5 * time.Second), dur: time.Second})
	r := newRun(t, srv, PollerOptions{})
	r.poll(pollT0)
	// Only the root was there: drop the child from the first import.
	if len(r.spans) != 2 {
		t.Fatalf("%d spans", len(r.spans))
	}
	// The same trace answered again in the overlap adds nothing.
	f := r.poll(pollT0.Add(15 * time.Second))
	if len(f.Spans) != 0 {
		t.Errorf("re-imported %d spans", len(f.Spans))
	}
}

// TestPollClockSkew: services whose clocks run minutes slow (their spans
// start minutes before vigil's now) or fast are followed poll after poll:
// the overlap grows with the lag seen.
func TestPollClockSkew(t *testing.T) {
	for _, kind := range []string{"jaeger", "tempo"} {
		for _, skew := range []time.Duration{-4 * time.Minute, 3 * time.Minute} {
			t.Run(kind+"/"+skew.String(), func(t *testing.T) {
				fb := &fakeBackend{}
				r := newRun(t, startFake(t, kind, fb), PollerOptions{})
				now := pollT0
				want := 0
				for i := 0; i < 12; i++ {
					// Each interval the service sends 20 traces stamped by its clock.
					fb.add(burst("skewed", 20, now.Add(skew-14*time.Second), 500*time.Millisecond, 100+i)...)
					fb.add(burst("steady", 2, now.Add(-10*time.Second), time.Second, 200+i)...)
					want += 22
					r.poll(now)
					now = now.Add(15 * time.Second)
				}
				// A clock running fast: its traces start after now and come
				// in as vigil's clock reaches them.
				if skew > 0 {
					for i := 0; i < 14; i++ {
						r.poll(now)
						now = now.Add(15 * time.Second)
					}
				}
				if len(r.traces) != want {
					t.Errorf("skew %s: %d of %d traces; %s", skew, len(r.traces), want, r.last.Detail)
				}
			})
		}
	}
}

// TestPollNarrowFullWindow: more than a page of traces in one grain of the
// search's time cannot be told apart by window: the detail says some may
// be missing.
func TestPollNarrowFullWindow(t *testing.T) {
	fb := &fakeBackend{}
	fb.add(burst("chat-api", 150, pollT0.Add(-30*time.Second), 0, 1)...)
	r := newRun(t, startFake(t, "jaeger", fb), PollerOptions{PageSize: 100})
	r.poll(pollT0)
	if got := len(r.traces); got != 100 {
		t.Errorf("%d traces", got)
	}
	if !strings.Contains(r.last.Detail, "too narrow to split, some may be missing") {
		t.Errorf("detail %s", r.last.Detail)
	}
}

// TestPollLeftBehind: windows the caps keep from being searched for longer
// than MaxBehind are given up, and the detail names them.
func TestPollLeftBehind(t *testing.T) {
	fb := &fakeBackend{}
	for i := 0; i < 40; i++ {
		fb.add(burst("chat-api", 50, pollT0.Add(time.Duration(i)*15*time.Second-10*time.Second), 100*time.Millisecond, 300+i)...)
	}
	r := newRun(t, startFake(t, "jaeger", fb), PollerOptions{PageSize: 10, MaxPages: 2, MaxBehind: 2 * time.Minute})
	left := false
	for i := 0; i < 20 && !left; i++ {
		r.poll(pollT0.Add(time.Duration(i) * 15 * time.Second))
		left = strings.Contains(r.last.Detail, "left behind (older than 2m0s, never searched): chat-api")
	}
	if !left {
		t.Errorf("never said what it left behind: %s", r.last.Detail)
	}
}

// TestPollOutOfTime: a poll whose time runs out mid-way is not an error:
// what it did not reach waits for the next poll, and the detail says why.
func TestPollOutOfTime(t *testing.T) {
	fb := theBurst()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(40 * time.Millisecond): // a slow backend
		case <-r.Context().Done():
			return
		}
		fb.serveJaeger(w, r)
	}))
	defer srv.Close()
	j, _ := NewJaeger(ClientOptions{URL: srv.URL})
	r := newRun(t, j, PollerOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	f, err := r.p.Poll(ctx, pollT0)
	cancel()
	if err != nil {
		t.Fatalf("a poll out of time is an error: %v", err)
	}
	if !strings.Contains(f.Health.Detail, "cap hit: the poll's time") {
		t.Errorf("detail %s", f.Health.Detail)
	}
	for _, s := range f.Spans {
		r.traces[s.TraceID] = true
	}
	for i := 1; i < 5 && len(r.traces) < 312; i++ {
		r.poll(pollT0.Add(time.Duration(i) * 15 * time.Second))
	}
	if len(r.traces) != 312 {
		t.Errorf("%d of 312 traces after the next polls", len(r.traces))
	}
}
