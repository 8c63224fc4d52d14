package replay

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// enc is an append-only byte buffer with varint helpers.
type enc struct{ b []byte }

func (e *enc) uv(v uint64)   { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) sv(v int64)    { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) u8(v uint8)    { e.b = append(e.b, v) }
func (e *enc) f64(v float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) raw(s string)  { e.uv(uint64(len(s))); e.b = append(e.b, s...) }

// timeRel writes t relative to ref (Unix ns): 0 for the zero time, else
// 1 + zigzag(t - ref).
func (e *enc) timeRel(t time.Time, ref int64) {
	if t.IsZero() {
		e.uv(0)
		return
	}
	d := t.UnixNano() - ref
	e.uv(uint64(d<<1^d>>63) + 1)
}

// term writes s followed by a 0 byte, escaping the bytes 0 and 1 as
// 1 followed by the byte: text then needs no length prefixes, which cost a
// byte per log line after compression.
func (e *enc) term(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 1 {
			e.b = append(e.b, 1, c)
		} else {
			e.b = append(e.b, c)
		}
	}
	e.b = append(e.b, 0)
}

// appendPlanes appends vs as 8 byte planes, most significant first: the
// bytes that rarely change end up in long runs.
func appendPlanes(dst []byte, vs []uint64) []byte {
	n := len(vs)
	start := len(dst)
	dst = slices.Grow(dst, n*8)[:start+n*8]
	p := dst[start:]
	for k, v := range vs {
		for j := 0; j < 8; j++ {
			p[j*n+k] = byte(v >> (56 - 8*j))
		}
	}
	return dst
}

// planeAt reads value k of n from byte planes.
func planeAt(p []byte, n, k int) uint64 {
	var v uint64
	for j := 0; j < 8; j++ {
		v |= uint64(p[j*n+k]) << (56 - 8*j)
	}
	return v
}

var errShort = errors.New("truncated data")

// dec reads what enc wrote; the first error sticks and later reads return zeros.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *dec) uv() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) sv() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) u8() uint8 {
	if len(d.b) < 1 {
		d.fail(errShort)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) f64() float64 {
	if len(d.b) < 8 {
		d.fail(errShort)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *dec) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) raw() string { return string(d.bytes(d.uv())) }

// term reads what enc.term wrote.
func (d *dec) term() string {
	end := bytes.IndexByte(d.b, 0)
	if end < 0 {
		d.fail(errShort)
		return ""
	}
	if bytes.IndexByte(d.b[:end], 1) < 0 {
		s := string(d.b[:end])
		d.b = d.b[end+1:]
		return s
	}
	out := make([]byte, 0, end)
	for i := 0; i < len(d.b); i++ {
		switch c := d.b[i]; c {
		case 0:
			d.b = d.b[i+1:]
			return string(out)
		case 1:
			if i+1 >= len(d.b) {
				d.fail(errShort)
				return ""
			}
			i++
			out = append(out, d.b[i])
		default:
			out = append(out, c)
		}
	}
	d.fail(errShort)
	return ""
}

// count reads a length and checks it against what is left, so that a
// corrupt count cannot make the decoder allocate without bound. Each item
// takes at least min bytes.
func (d *dec) count(min int) int {
	n := d.uv()
	if min < 1 {
		min = 1
	}
	if n > uint64(len(d.b)/min) {
		d.fail(fmt.Errorf("count %d exceeds the data left", n))
		return 0
	}
	return int(n)
}

func (d *dec) timeRel(ref int64) time.Time {
	v := d.uv()
	if v == 0 {
		return time.Time{}
	}
	u := v - 1
	x := int64(u>>1) ^ -int64(u&1)
	return time.Unix(0, ref+x)
}

// sub reads a length-prefixed section.
func (d *dec) sub() dec { return dec{b: d.bytes(d.uv())} }
