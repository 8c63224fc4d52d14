package sources

// The store's index of its series by name, and by host within a name.
//
// It was three levels of maps keyed by each series' full key (name → key →
// series, and name → host → key → entry), about 300 bytes a series beside
// the series map: 60 MB of a console's heap at 1,000 hosts (190,000 series).
// A name now lists its series, and each host's among them, in slices of
// 16-byte entries pointing at the series' data, which remembers where it
// sits in both (indexSlots) so that it leaves in constant time, the last
// entry taking its place. The order within a list is none: Select sorts.

// indexEntry is one series in the index: its points or its histograms.
type indexEntry struct {
	pts  *seriesData // one of the two
	hist *histData
}

// series is the entry's series.
func (e indexEntry) series() *Series {
	if e.pts != nil {
		return &e.pts.series
	}
	return &e.hist.series
}

// slots is where the entry sits in its name's lists.
func (e indexEntry) slots() *indexSlots {
	if e.pts != nil {
		return &e.pts.at
	}
	return &e.hist.at
}

// indexSlots is where a series sits in its name's list (all) and in its
// host's (hosts[host]; -1 when it has no host label).
type indexSlots struct{ name, host int32 }

// nameIndex is one name's series, all and by host.
type nameIndex struct {
	all   []indexEntry
	hosts map[string][]indexEntry
}

// index adds a new series to the index.
func (s *Store) index(e indexEntry) {
	s.sets++
	ser := e.series()
	ni := s.byName[ser.Name]
	if ni == nil {
		ni = &nameIndex{}
		s.byName[ser.Name] = ni
		s.kinds++
	}
	at := e.slots()
	at.name = int32(len(ni.all))
	ni.all = append(ni.all, e)
	at.host = -1
	if h := ser.Label(LabelHost); h != "" {
		if ni.hosts == nil {
			ni.hosts = map[string][]indexEntry{}
		}
		l := ni.hosts[h]
		at.host = int32(len(l))
		ni.hosts[h] = append(l, e)
	}
}

// unindex takes a series that goes out of the index.
func (s *Store) unindex(e indexEntry) {
	s.sets++
	ser := e.series()
	ni := s.byName[ser.Name]
	if ni == nil {
		return
	}
	at := e.slots()
	ni.all = cutEntry(ni.all, int(at.name), func(m indexEntry, i int) { m.slots().name = int32(i) })
	if len(ni.all) == 0 {
		delete(s.byName, ser.Name)
		s.kinds++
		return
	}
	if h := ser.Label(LabelHost); h != "" && at.host >= 0 {
		l := cutEntry(ni.hosts[h], int(at.host), func(m indexEntry, i int) { m.slots().host = int32(i) })
		if len(l) == 0 {
			delete(ni.hosts, h)
		} else {
			ni.hosts[h] = l
		}
	}
}

// cutEntry removes l[i], the last entry taking its place (moved tells it
// where it now is), and gives the list back to the allocator in part when
// it has become less than a quarter full.
func cutEntry(l []indexEntry, i int, moved func(indexEntry, int)) []indexEntry {
	n := len(l) - 1
	if i < 0 || i > n {
		return l
	}
	if i != n {
		l[i] = l[n]
		moved(l[i], i)
	}
	l[n] = indexEntry{}
	l = l[:n]
	if c := cap(l); c > 16 && n < c/4 {
		l = append(make([]indexEntry, 0, 2*n), l...)
	}
	return l
}
