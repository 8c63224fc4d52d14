package replay

import (
	"fmt"

	"github.com/vigil-dev/vigil/sources"
)

// catalogue maps series to the ids of one segment file, and lists the
// sources whose frames it holds.
type catalogue struct {
	ids     map[string]uint32 // kind byte + key → id
	series  []sources.Series
	added   []sources.Series // since the last SCHEMA record
	srcs    map[string]bool
	srcsNew []string // since the last SCHEMA record
}

func (c *catalogue) source(name string) {
	if c.srcs[name] {
		return
	}
	if c.srcs == nil {
		c.srcs = make(map[string]bool)
	}
	c.srcs[name] = true
	c.srcsNew = append(c.srcsNew, name)
}

func catKey(s *sources.Series) string {
	return string(rune('0'+s.Kind)) + s.Key()
}

func (c *catalogue) id(s *sources.Series) uint32 {
	k := catKey(s)
	if id, ok := c.ids[k]; ok {
		return id
	}
	if c.ids == nil {
		c.ids = make(map[string]uint32)
	}
	id := uint32(len(c.series))
	c.ids[k] = id
	c.series = append(c.series, *s)
	c.added = append(c.added, *s)
	return id
}

// schemaPayload encodes the catalogue additions since the last call, the
// first of them having id first.
func (c *catalogue) schemaPayload() []byte {
	if len(c.added) == 0 && len(c.srcsNew) == 0 {
		return nil
	}
	var e enc
	e.uv(uint64(len(c.series) - len(c.added)))
	e.uv(uint64(len(c.added)))
	for _, s := range c.added {
		e.u8(uint8(s.Kind))
		e.raw(s.Name)
		e.uv(uint64(len(s.Labels)))
		for _, l := range s.Labels {
			e.raw(l.Name)
			e.raw(l.Value)
		}
	}
	e.uv(uint64(len(c.srcsNew)))
	for _, s := range c.srcsNew {
		e.raw(s)
	}
	c.added = c.added[:0]
	c.srcsNew = c.srcsNew[:0]
	return e.b
}

// parseSchema appends a SCHEMA record's series to list (ids must continue
// it) and returns the source names it adds.
func parseSchema(p []byte, list []sources.Series) ([]sources.Series, []string, error) {
	d := &dec{b: p}
	first := d.uv()
	n := d.count(2)
	if d.err == nil && first != uint64(len(list)) {
		return list, nil, fmt.Errorf("schema starts at id %d, expected %d", first, len(list))
	}
	for i := 0; i < n && d.err == nil; i++ {
		kind := sources.Kind(d.u8())
		// A recording is text from outside: sanitized as it is read.
		name := sources.Sanitize(d.raw())
		nl := d.count(2)
		ls := make([]sources.Label, nl)
		for j := range ls {
			ls[j] = sources.Label{Name: sources.Sanitize(d.raw()), Value: sources.Sanitize(d.raw())}
		}
		list = append(list, sources.SeriesOf(name, kind, ls))
	}
	var srcs []string
	if len(d.b) > 0 { // absent in a schema written before any frame had a source
		ns := d.count(1)
		for i := 0; i < ns && d.err == nil; i++ {
			srcs = append(srcs, sources.Sanitize(d.raw()))
		}
	}
	if d.err != nil {
		return list, nil, fmt.Errorf("schema: %w", d.err)
	}
	return list, srcs, nil
}
