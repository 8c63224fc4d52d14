package fleet

import (
	"io"
	"math"
	"strconv"
)

// out writes Prometheus text exposition lines through a reused buffer.
// Exposition mode writes # HELP and # TYPE lines, as an exporter does;
// history mode adds the target's labels (instance, job, group labels) and a
// timestamp to every sample instead, as an engine stores the scrape.
type out struct {
	w     io.Writer
	buf   []byte
	err   error
	meta  bool   // write # HELP and # TYPE
	extra string // labels added to every sample, without braces
	ts    []byte // " <milliseconds>" after every sample, or empty
	n     int64  // samples written
}

const flushAt = 64 << 10

func (o *out) flush() {
	if o.err == nil && len(o.buf) > 0 {
		_, o.err = o.w.Write(o.buf)
	}
	o.buf = o.buf[:0]
}

func (o *out) family(name, help, typ string) {
	if !o.meta {
		return
	}
	o.buf = append(o.buf, "# HELP "...)
	o.buf = append(o.buf, name...)
	o.buf = append(o.buf, ' ')
	o.buf = append(o.buf, help...)
	o.buf = append(o.buf, "\n# TYPE "...)
	o.buf = append(o.buf, name...)
	o.buf = append(o.buf, ' ')
	o.buf = append(o.buf, typ...)
	o.buf = append(o.buf, '\n')
}

// sample writes name{le,labels,extra} v. le is a bucket bound's text or "".
func (o *out) sample(name, le, labels string, v float64) {
	b := append(o.buf, name...)
	if le != "" || labels != "" || o.extra != "" {
		b = append(b, '{')
		sep := false
		if le != "" {
			b = append(b, `le="`...)
			b = append(b, le...)
			b = append(b, '"')
			sep = true
		}
		if labels != "" {
			if sep {
				b = append(b, ',')
			}
			b = append(b, labels...)
			sep = true
		}
		if o.extra != "" {
			if sep {
				b = append(b, ',')
			}
			b = append(b, o.extra...)
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendValue(b, v)
	b = append(b, o.ts...)
	b = append(b, '\n')
	o.buf = b
	o.n++
	if len(o.buf) >= flushAt {
		o.flush()
	}
}

// appendValue formats v as a sample value: whole numbers without exponent
// (as far as 1e15), others in the shortest form that reads back exactly.
func appendValue(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// layout is a histogram's bucket bounds and their le texts.
type layout struct {
	bounds []float64 // finite, ascending
	les    []string  // le text of each bound, then "+Inf"
}

func newLayout(bounds ...float64) layout {
	l := layout{bounds: bounds}
	for _, b := range bounds {
		s := strconv.FormatFloat(b, 'f', -1, 64)
		if b == math.Trunc(b) {
			s += ".0" // as prometheus_client writes them
		}
		l.les = append(l.les, s)
	}
	l.les = append(l.les, "+Inf")
	return l
}
