package replay

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// FuzzReader feeds arbitrary bytes to the reader as a recording file: it
// must never panic, hang or allocate without bound, whatever it is given.
func FuzzReader(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "seed"+Ext)
	if err := WriteFile(p, richFrames()[:12], 2*time.Second); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(p)
	f.Add(good)
	f.Add(good[:len(good)-trailerLen])
	f.Add(good[:len(good)/2])
	f.Add(good[:fileHeaderLen+recHeaderLen+3])
	f.Add([]byte{})
	f.Add([]byte("VIGILREC"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "f"+Ext)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(path, nil); err != nil {
			t.Fatalf("verify of a readable file: %v", err)
		}
		r, err := Open(path)
		if err != nil {
			return
		}
		defer r.Close()
		r.Info()
		r.Notables()
		n := 0
		r.Frames(time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64), func(fr sources.Frame) bool {
			n++
			return n < 100000
		})
		r.Refresh()
		from, to := r.Span()
		st := sources.NewStore(sources.StoreOptions{})
		r.Load(st, to, to.Sub(from)+1)
	})
}

// FuzzDecodeBody feeds arbitrary bytes to the block decoder directly,
// past the checksums that keep most garbage out of it in FuzzReader.
func FuzzDecodeBody(f *testing.F) {
	cat := &catalogue{}
	b := newBlockEnc(cat)
	for _, fr := range richFrames()[:8] {
		b.add(&fr)
	}
	f.Add(b.body(nil))
	b = newBlockEnc(cat)
	for _, fr := range accessLogs(20).frames {
		b.add(&fr)
	}
	f.Add(b.body(nil))
	b = newBlockEnc(cat)
	for _, fr := range plainLogs(3).frames {
		b.add(&fr)
	}
	f.Add(b.body(nil))
	f.Add([]byte{0, 0, 1})
	// A scratch lent across inputs must not change what any input decodes
	// to: compare with a fresh one.
	var shared scratch
	f.Fuzz(func(t *testing.T, body []byte) {
		want, werr := decodeBody(body, 0, cat.series, nil)
		got, gerr := decodeBody(body, 0, cat.series, &shared)
		if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(canonAll(want), canonAll(got)) {
			t.Fatalf("with a used scratch: %v, %v; fresh: %v, %v", got, gerr, want, werr)
		}
	})
}

// canonAll makes decoded frames comparable with DeepEqual: points in one
// form, NaNs as their bits.
func canonAll(fs []sources.Frame) any {
	type pt struct {
		key string
		at  int64
		v   uint64
	}
	out := make([]any, 0, len(fs))
	for _, f := range fs {
		var ps []pt
		for _, p := range f.AllPoints() {
			ps = append(ps, pt{p.Series.Key(), p.At.UnixNano(), math.Float64bits(p.Value)})
		}
		var h sources.Health
		if f.Health != nil {
			h = *f.Health
		}
		f.Points, f.Samples, f.Health = nil, nil, nil
		out = append(out, ps, fmt.Sprintf("%#v %#v", f, h))
	}
	return out
}
