package replay

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// sampleRecording is the committed recording of the demo's incidents: a
// real recording, written by vigil record.
var sampleRecording = filepath.Join("..", "..", "testdata", "demo-incident.vrec")

// recordAt is one record of a file as a header-to-header walk finds it.
type recordAt struct {
	off int64
	h   recHdr
}

func (r recordAt) end() int64 { return r.off + recHeaderLen + int64(r.h.length) }

// walk lists the records of a sound file.
func walk(t *testing.T, b []byte) []recordAt {
	t.Helper()
	var out []recordAt
	for off := int64(fileHeaderLen); off < int64(len(b)); {
		h, ok := parseRecHdr(b[off:])
		if !ok {
			t.Fatalf("no record at offset %d", off)
		}
		out = append(out, recordAt{off, h})
		off += recHeaderLen + int64(h.length)
	}
	return out
}

// verifyBytes runs Verify on b, and Check, which must name no damage that
// Verify does not (it may name less: what only decoding finds), and returns
// both reports.
func verifyBytes(t *testing.T, b []byte) (VerifyReport, VerifyReport) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "v"+Ext)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	chk, err := Check(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	named := map[int64]bool{}
	for _, p := range rep.Problems {
		named[p.Offset] = true
	}
	for _, p := range chk.Problems {
		if !named[p.Offset] {
			t.Errorf("Check names damage Verify does not: %v", p)
		}
	}
	if chk.Good < rep.Good || chk.Blocks != rep.Blocks || chk.Frames != 0 {
		t.Errorf("Check: %d of %d blocks good, %d frames; Verify: %d of %d", chk.Good, chk.Blocks, chk.Frames, rep.Good, rep.Blocks)
	}
	// Whatever the damage, replay reads around it: no panic, and what it
	// plays is within plausible times.
	if r, err := Open(p); err == nil {
		r.Info()
		from, to := r.Span()
		r.Frames(from, to, func(f sources.Frame) bool {
			if !f.At.IsZero() && (f.At.UnixNano() < minTime || f.At.UnixNano() >= maxTime) {
				t.Errorf("a frame at %v was played", f.At)
			}
			return true
		})
		r.Close()
	}
	return rep, chk
}

// TestVerifySound verifies the sample recording (format 1) and a fresh
// format 2 one: no problem, every block good.
func TestVerifySound(t *testing.T) {
	fresh := filepath.Join(t.TempDir(), "fresh"+Ext)
	if err := WriteFile(fresh, append(richFrames(), accessLogs(300).frames...), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{sampleRecording, fresh} {
		rep, err := Verify(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Damaged() || rep.Blocks == 0 || rep.Good != rep.Blocks || rep.Frames == 0 || len(rep.Notes) != 0 {
			t.Errorf("%s: %+v", p, rep)
		}
	}
}

// TestVerifyBitFlips flips one bit in each of 16 places of the sample
// recording (file header, each kind of record's header and payload, block
// times, index and trailer) and zeroes 8 KiB in its middle: Verify names
// the damaged record by its offset (and block) every time, and Check
// (what --info runs) the same. --info, when it trusted the index, noticed
// 9 of the flips and the zeroing not at all.
func TestVerifyBitFlips(t *testing.T) {
	sound, err := os.ReadFile(sampleRecording)
	if err != nil {
		t.Fatal(err)
	}
	recs := walk(t, sound)
	var blocks []recordAt
	first := map[uint8]recordAt{}
	for _, r := range recs {
		if r.h.typ == recBlock {
			blocks = append(blocks, r)
		}
		if _, ok := first[r.h.typ]; !ok {
			first[r.h.typ] = r
		}
	}
	if len(blocks) < 4 || first[recIndex].off == 0 || first[recTrailer].off == 0 {
		t.Fatalf("the sample lacks blocks or its footer: %d blocks", len(blocks))
	}
	mid, last := blocks[len(blocks)/2], blocks[len(blocks)-1]
	payload := func(r recordAt, frac float64) int64 { return r.off + recHeaderLen + int64(float64(r.h.length-1)*frac) }
	cases := []struct {
		name   string
		at     int64 // the byte flipped
		record int64 // the offset Verify must name
		bit    byte
	}{
		{"file magic", 2, 0, 0x40},
		{"file header checksum", 13, 0, 0x40},
		{"header record length", first[recHeader].off + 4, first[recHeader].off, 0x40},
		{"header record payload", payload(first[recHeader], 0.5), first[recHeader].off, 0x40},
		{"catalogue payload", payload(first[recSchema], 0.3), first[recSchema].off, 0x40},
		{"dictionary payload", payload(first[recDict], 0.5), first[recDict].off, 0x40},
		{"first block's time, bit 62 (2116)", blocks[0].off + 8 + 7, blocks[0].off, 0x40},
		{"first block's preamble", payload(blocks[0], 0), blocks[0].off, 0x01},
		{"first block's body", payload(blocks[0], 0.6), blocks[0].off, 0x40},
		{"a block's header checksum", mid.off + 29, mid.off, 0x40},
		{"a block's payload checksum", mid.off + 25, mid.off, 0x40},
		{"a block's body", payload(mid, 0.4), mid.off, 0x40},
		{"the last block's last byte", payload(last, 1), last.off, 0x40},
		{"index header", first[recIndex].off + 16, first[recIndex].off, 0x40},
		{"index payload", payload(first[recIndex], 0.5), first[recIndex].off, 0x40},
		{"trailer payload", payload(first[recTrailer], 0), first[recTrailer].off, 0x04},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := append([]byte(nil), sound...)
			b[c.at] ^= c.bit
			rep, chk := verifyBytes(t, b)
			if !rep.Damaged() {
				t.Fatalf("flip at %d not found: %+v", c.at, rep)
			}
			for _, r := range []VerifyReport{rep, chk} {
				var named bool
				for _, p := range r.Problems {
					named = named || p.Offset == c.record
				}
				if !named {
					t.Fatalf("flip at %d in the record at %d; problems: %v", c.at, c.record, r.Problems)
				}
			}
			for _, p := range rep.Problems {
				if p.Offset == c.record && c.record == blocks[0].off && p.Block != 1 && !strings.Contains(p.What, "before the first block") {
					t.Errorf("the first block's problem names block %d: %v", p.Block, p)
				}
			}
		})
	}

	t.Run("8 KiB zeroed", func(t *testing.T) {
		b := append([]byte(nil), sound...)
		from, to := int64(len(b)/2), int64(len(b)/2+8192)
		clear(b[from:to])
		rep, chk := verifyBytes(t, b)
		var hit []recordAt // the records the zeroes fall in
		lost := 0
		for _, r := range recs {
			if r.off < to && r.end() > from {
				hit = append(hit, r)
				if r.h.typ == recBlock {
					lost++
				}
			}
		}
		for _, rp := range []VerifyReport{rep, chk} {
			for _, r := range hit {
				var named bool
				for _, p := range rp.Problems {
					named = named || p.Offset == r.off
				}
				if !named {
					t.Errorf("zeroes in the record at %d not named: %v", r.off, rp.Problems)
				}
			}
			if rp.Good != len(blocks)-lost || lost == 0 {
				t.Errorf("%d good blocks of %d; %d hit by the zeroes", rp.Good, len(blocks), lost)
			}
		}
	})
}

// TestWildTimesRejected: blocks whose checksums hold but whose times are
// wild (1970, 2116, backwards) or outside the file's declared range are
// neither played nor trusted, and Verify and Check name them.
func TestWildTimesRejected(t *testing.T) {
	frames := loadFrames(40) // 40 s: 4 blocks of 10 s
	path := filepath.Join(t.TempDir(), "w"+Ext)
	if err := WriteFile(path, frames, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	sound, _ := os.ReadFile(path)
	recs := walk(t, sound)
	var blocks []recordAt
	var index recordAt
	for _, r := range recs {
		switch r.h.typ {
		case recBlock:
			blocks = append(blocks, r)
		case recIndex:
			index = r
		}
	}
	from, to := frames[0].At, frames[len(frames)-1].At
	// setTimes rewrites the times of the record at r and its header's
	// checksum, as a writer with a broken clock (or a forger) would.
	setTimes := func(b []byte, r recordAt, tFirst, tLast int64) {
		binary.LittleEndian.PutUint64(b[r.off+8:], uint64(tFirst))
		binary.LittleEndian.PutUint64(b[r.off+16:], uint64(tLast))
		binary.LittleEndian.PutUint32(b[r.off+28:], crc(b[r.off:r.off+28]))
	}
	year := func(y int) int64 { return time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC).UnixNano() }
	b2 := blocks[2]
	cases := []struct {
		name           string
		tFirst, tLast  int64
		footer         bool
		wantPlayedUpTo time.Time
	}{
		{"2116", b2.h.tFirst | 1<<62, b2.h.tLast | 1<<62, true, to},
		{"1970", b2.h.tFirst &^ (1 << 60), b2.h.tLast, true, to},
		{"backwards", b2.h.tLast, b2.h.tFirst, true, to},
		{"2116 without footer", b2.h.tFirst | 1<<62, b2.h.tLast | 1<<62, false, to},
		{"1970 without footer", 0, b2.h.tLast, false, to},
		{"2099, outside the declared range", year(2099), year(2099) + 1, true, to},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := append([]byte(nil), sound...)
			setTimes(b, b2, c.tFirst, c.tLast)
			if !c.footer {
				b = b[:index.off]
			}
			p := filepath.Join(t.TempDir(), "w"+Ext)
			os.WriteFile(p, b, 0o600)
			r, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if f, l := r.Span(); !f.Equal(time.Unix(0, from.UnixNano())) || l.After(to) {
				t.Errorf("span %v – %v, want within %v – %v", f, l, from, to)
			}
			n := 0
			r.Frames(time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64), func(f sources.Frame) bool {
				if t0 := f.At.UnixNano(); t0 < minTime || t0 >= maxTime {
					t.Errorf("frame at %v played", f.At)
				}
				n++
				return true
			})
			if n == 0 || n >= len(frames) {
				t.Errorf("%d of %d frames played: the wild block's must not be, the others must", n, len(frames))
			}
			if w := strings.Join(r.Warnings(), "; "); !strings.Contains(w, fmt.Sprint(b2.off)) {
				t.Errorf("no warning names the block at %d: %s", b2.off, w)
			}
			for _, check := range []func(string, func(int64, int64)) (VerifyReport, error){Verify, Check} {
				rep, err := check(p, nil)
				if err != nil {
					t.Fatal(err)
				}
				var named bool
				for _, pr := range rep.Problems {
					named = named || pr.Offset == b2.off && pr.Block == 3 && strings.Contains(pr.What, "not played")
				}
				if !named || rep.Good != len(blocks)-1 {
					t.Errorf("verify: %d good of %d; %v", rep.Good, len(blocks), rep.Problems)
				}
			}
		})
	}
}
