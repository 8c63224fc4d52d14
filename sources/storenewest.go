package sources

import (
	"maps"
	"strings"
	"sync"
	"time"
)

// newestMemo keeps NewestByHost's last answer while the store is unchanged:
// a live console asks every second and the store changes at every poll.
type newestMemo struct {
	mu    sync.Mutex
	gen   uint64
	names string
	hosts map[string]int64
}

// NewestByHost returns, for every value of the host label among the series
// called any of names (points and histograms), the time in Unix
// nanoseconds of its newest sample at or before at, however old (the
// retention bounds it), as LastSeen would for each series. It reads the
// host index in one pass under one lock, and for an instant at or after
// the newest sample ingested (live) answers from the last pass while the
// store is unchanged: a fleet's presence costs its series once per ingest,
// not a sorted Select and a lookup each per refresh. Series without a host
// label are left out. The map is the caller's.
func (s *Store) NewestByHost(at time.Time, names ...string) map[string]int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := at.UnixNano()
	live := t >= s.newest
	key := strings.Join(names, "\x00")
	if live {
		s.presence.mu.Lock()
		if s.presence.hosts != nil && s.presence.gen == s.gen && s.presence.names == key {
			out := maps.Clone(s.presence.hosts)
			s.presence.mu.Unlock()
			return out
		}
		s.presence.mu.Unlock()
	}
	out := map[string]int64{}
	for _, name := range names {
		ni := s.byName[name]
		if ni == nil {
			continue
		}
		for host, keys := range ni.hosts {
			newest, ok := out[host]
			for _, e := range keys {
				var last int64
				switch {
				case e.pts != nil:
					last = newestAt(&e.pts.ring, t)
				case e.hist != nil:
					last = newestAt(&e.hist.ring, t)
				}
				if last != 0 && (!ok || last > newest) {
					newest, ok = last, true
				}
			}
			if ok {
				out[host] = newest
			}
		}
	}
	if live {
		s.presence.mu.Lock()
		s.presence.gen, s.presence.names, s.presence.hosts = s.gen, key, maps.Clone(out)
		s.presence.mu.Unlock()
	}
	return out
}

// newestAt is the time of r's newest sample at or before t, or 0.
func newestAt[T any](r *ring[T], t int64) int64 {
	last, _, ok := r.last()
	if !ok {
		return 0
	}
	if last <= t {
		return last
	}
	i := r.search(t)
	if i == 0 {
		return 0
	}
	ts, _ := r.at(i - 1)
	return ts
}
