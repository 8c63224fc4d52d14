package replay

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-dev/vigil/sources"
)

// indexEntry is one record of a segment as the footer index lists it.
type indexEntry struct {
	typ     uint8
	off     int64
	length  uint32 // payload bytes
	tFirst  int64
	tLast   int64
	notable []Notable // BLOCK records only
}

// segment writes one file: a header, records and, on Close, the footer.
// It is not safe for concurrent use.
type segment struct {
	path    string
	f       *os.File
	size    int64
	cat     catalogue
	blk     *blockEnc
	zenc    *zstd.Encoder // without dictionary: the first block
	dict    []byte        // the segment's dictionary, once its first block is written
	dictID  uint32
	denc    *zstd.Encoder // with the dictionary: later blocks that hold numbers
	dencLog *zstd.Encoder // with the dictionary: later blocks of log lines alone
	dencWin [2]int        // their windows (encWindow)
	entries []indexEntry
	buf     []byte
	body    []byte
	tFirst  int64 // first frame time in the file (Unix ns), 0 before any
	tLast   int64

	// Stats of what this segment holds.
	samples, logs, frames int
}

// createSegment creates path exclusively and writes its headers.
func createSegment(path string, meta Meta, zenc *zstd.Encoder) (*segment, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("replay: create segment: %w", err)
	}
	s := &segment{path: path, f: f, zenc: zenc}
	s.blk = newBlockEnc(&s.cat)
	mj, _ := json.Marshal(meta)
	b := fileHeader()
	b = appendRecord(b, recHeader, 0, 0, 0, mj)
	if err := s.write(b, indexEntry{typ: recHeader, off: fileHeaderLen, length: uint32(len(mj))}); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	syncDir(filepath.Dir(path))
	return s, nil
}

// write appends b (whole records) in one write call, and remembers e.
// A short write leaves a torn tail that readers ignore; the segment is then
// unusable and the caller starts a new one.
func (s *segment) write(b []byte, es ...indexEntry) error {
	n, err := s.f.Write(b)
	s.size += int64(n)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("replay: write %s: %w", filepath.Base(s.path), err)
	}
	s.entries = append(s.entries, es...)
	return nil
}

// flushBlock writes the pending block (after any new catalogue entries).
func (s *segment) flushBlock() error {
	if s.blk.empty() {
		return nil
	}
	b := s.buf[:0]
	var es []indexEntry
	if sp := s.cat.schemaPayload(); sp != nil {
		es = append(es, indexEntry{typ: recSchema, off: s.size + int64(len(b)), length: uint32(len(sp))})
		b = appendRecord(b, recSchema, 0, 0, 0, sp)
	}
	s.body = s.blk.body(s.body[:0])
	payload := preamble(nil, s.blk.tFirst, s.blk.notable, len(s.body))
	flags := uint8(flagZstd)
	var dict []byte
	switch {
	case s.dict != nil:
		z, err := s.dictEncoder(s.blk.samples > 0 || s.samples > 0)
		if err != nil {
			return err
		}
		payload = z.EncodeAll(s.body, payload)
	case len(s.body) <= maxDictLen:
		// The first block primes the compression of the others: its body
		// becomes the segment's dictionary, so that each later block, while
		// still decoding on its own, does not pay again for the series,
		// strings and log templates it shares with the first. The block
		// itself is then its dictionary, stored once (DICT, before it).
		dict = slices.Clone(s.body)
		flags = flagDictBody
	default:
		payload = s.zenc.EncodeAll(s.body, payload)
		dict = slices.Clone(s.body[:maxDictLen])
	}
	var dictRec []byte
	if dict != nil {
		id := crc(dict) | 1
		var e enc
		e.b = binary.LittleEndian.AppendUint32(e.b, id)
		e.b = s.zenc.EncodeAll(dict, e.b)
		dictRec = e.b
		s.dict, s.dictID = dict, id
	}
	addDict := func() {
		es = append(es, indexEntry{typ: recDict, off: s.size + int64(len(b)), length: uint32(len(dictRec))})
		b = appendRecord(b, recDict, flagZstd, 0, 0, dictRec)
	}
	if flags&flagDictBody != 0 {
		addDict() // before the block that is it
	}
	notable := append([]Notable(nil), s.blk.notable...)
	es = append(es, indexEntry{typ: recBlock, off: s.size + int64(len(b)), length: uint32(len(payload)),
		tFirst: s.blk.tFirst, tLast: s.blk.tLast, notable: notable})
	b = appendRecord(b, recBlock, flags, s.blk.tFirst, s.blk.tLast, payload)
	if dictRec != nil && flags&flagDictBody == 0 {
		addDict()
	}
	if s.tFirst == 0 || s.blk.tFirst < s.tFirst {
		s.tFirst = s.blk.tFirst
	}
	s.tLast = max(s.tLast, s.blk.tLast)
	s.samples += s.blk.samples
	s.logs += s.blk.logs
	s.frames += s.blk.frames
	s.blk.reset()
	s.buf = b
	return s.write(b, es...)
}

func (s *segment) mark(at time.Time, note string) error {
	var e enc
	e.sv(at.UnixNano())
	e.raw(note)
	t := at.UnixNano()
	en := indexEntry{typ: recMark, off: s.size, length: uint32(len(e.b)), tFirst: t, tLast: t,
		notable: []Notable{{At: at, Kind: NotableMarker, Text: note}}}
	return s.write(appendRecord(nil, recMark, 0, t, t, e.b), en)
}

// indexPayload encodes the footer index.
func indexPayload(es []indexEntry) []byte {
	var e enc
	e.uv(uint64(len(es)))
	var prevOff, prevT int64
	for _, x := range es {
		e.u8(x.typ)
		e.uv(uint64(x.off - prevOff))
		e.uv(uint64(x.length))
		e.sv(x.tFirst - prevT)
		e.sv(x.tLast - x.tFirst)
		prevOff, prevT = x.off, x.tFirst
		if x.typ == recBlock {
			e.b = preamble(e.b, x.tFirst, x.notable, 0)
		}
	}
	return e.b
}

func parseIndex(p []byte) ([]indexEntry, error) {
	d := &dec{b: p}
	n := d.count(5)
	es := make([]indexEntry, 0, n)
	var prevOff, prevT int64
	for i := 0; i < n && d.err == nil; i++ {
		x := indexEntry{typ: d.u8()}
		x.off = prevOff + int64(d.uv())
		l := d.uv()
		if l > maxRecordLen {
			return nil, fmt.Errorf("index entry %d: length %d too large", i, l)
		}
		x.length = uint32(l)
		x.tFirst = prevT + d.sv()
		x.tLast = x.tFirst + d.sv()
		prevOff, prevT = x.off, x.tFirst
		if x.typ == recBlock {
			x.notable, _ = parsePreamble(d, x.tFirst)
		}
		es = append(es, x)
	}
	if d.err != nil {
		return nil, fmt.Errorf("index: %w", d.err)
	}
	return es, nil
}

// close flushes, writes the footer index and trailer, syncs and closes.
func (s *segment) close() error {
	err := s.flushBlock()
	if err == nil {
		ip := indexPayload(s.entries)
		off := s.size
		b := appendRecord(nil, recIndex, 0, s.tFirst, s.tLast, ip)
		var tp [8]byte
		putU64(tp[:], uint64(off))
		b = appendRecord(b, recTrailer, 0, s.tFirst, s.tLast, tp[:])
		err = s.write(b)
	}
	if err == nil {
		err = s.f.Sync()
	}
	s.closeEnc()
	if cerr := s.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("replay: close %s: %w", filepath.Base(s.path), cerr)
	}
	return err
}

// abandon closes the file without a footer (after a write error).
func (s *segment) abandon() {
	s.f.Close()
	s.closeEnc()
}

// dictEncoder returns the encoder, with the segment's dictionary, of a
// block after the first, made on first use. Blocks that hold numbers are
// compressed at "better": with a dictionary, the best encoder holds its
// two match tables and their copies primed from the dictionary (76 MB of
// heap, measured) and copies the tables back on every block, which costs
// more than compressing the 10-second block itself, while the better
// encoder holds 16 MB and restores only the parts the last block touched;
// those blocks come out no larger (2% smaller with their logs, 0.5%
// without). Blocks of log lines alone keep "best": at "better" plain
// vLLM lines (mostly numbers no template takes out) came out 2.4% over
// zstd -3 of the same lines, the bound TestLogBytesBeatZstd3 holds. A
// segment that has held numbers (the demo's, a live console's) keeps
// "better" for every block, also one of logs and spans alone (a block an
// alert or a marker cuts short can be): such a block made the best
// encoder, 76 MB more for the rest of the segment, in the middle of a
// recording of the demo. A block is an ordinary zstd frame on the same raw
// dictionary either way.
//
// Each encoder's window is the least that holds the dictionary and the
// block (encWindow): the encoder is made again, with a larger one, for a
// block that needs it.
func (s *segment) dictEncoder(numbers bool) (*zstd.Encoder, error) {
	z, level, win := &s.dencLog, zstd.SpeedBestCompression, &s.dencWin[0]
	if numbers {
		z, level, win = &s.denc, zstd.SpeedBetterCompression, &s.dencWin[1]
	}
	if w := encWindow(len(s.dict) + len(s.body)); *z == nil || w > *win {
		e, err := newEncoder(zstd.WithEncoderDictRaw(s.dictID, s.dict), zstd.WithEncoderLevel(level), zstd.WithWindowSize(w))
		if err != nil {
			return nil, err
		}
		if *z != nil {
			(*z).Close()
		}
		*z, *win = e, w
	}
	return *z, nil
}

// encWindow is the zstd window for a dictionary and a block of n bytes
// together: the least power of two from 1 MiB that holds them, at most
// zstd's default of 8 MiB. The encoder's history buffer is its window, so
// the window is most of what a "better" encoder holds beyond its tables
// (16 MB at 8 MiB, 9 MB at 1 MiB, measured); a block whose dictionary and
// body fit the window compresses to the same bytes whatever the window
// (a match reaches back at most that far), and a block of the demo or of a
// console's 10 seconds is a few hundred KiB.
func encWindow(n int) int {
	w := 1 << 20
	for w < n && w < 8<<20 {
		w <<= 1
	}
	return w
}

func (s *segment) closeEnc() {
	for _, z := range []**zstd.Encoder{&s.denc, &s.dencLog} {
		if *z != nil {
			(*z).Close()
			*z = nil
		}
	}
}

func (s *segment) sync() error {
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("replay: sync %s: %w", filepath.Base(s.path), err)
	}
	return nil
}

func putU64(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}

func getU64(b []byte) uint64 {
	var v uint64
	for i := 0; i < 8; i++ {
		v |= uint64(b[i]) << (8 * i)
	}
	return v
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// segmentName is the file name of a segment whose first frame is at t;
// seq > 0 disambiguates files that would share a name.
func segmentName(t time.Time, seq int) string {
	n := "vigil-" + t.UTC().Format("20060102T150405Z")
	if seq > 0 {
		n += fmt.Sprintf("-%d", seq)
	}
	return n + Ext
}

// createUnique creates a segment named after t in dir, never reusing an
// existing file (a torn tail is never appended to).
func createUnique(dir string, t time.Time, meta Meta, zenc *zstd.Encoder) (*segment, error) {
	for seq := 0; seq < 1000; seq++ {
		s, err := createSegment(filepath.Join(dir, segmentName(t, seq)), meta, zenc)
		if err == nil || !errors.Is(err, os.ErrExist) {
			return s, err
		}
	}
	return nil, fmt.Errorf("replay: no free segment name for %s in %s", t.UTC().Format(time.RFC3339), dir)
}

// WriteFile writes frames to a new single-segment recording at path
// (which must not exist), with a footer. Frames should be in time order.
func WriteFile(path string, frames []sources.Frame, blockInterval time.Duration) error {
	if blockInterval <= 0 {
		blockInterval = 10 * time.Second
	}
	zenc, err := newEncoder()
	if err != nil {
		return err
	}
	defer zenc.Close()
	var created time.Time
	if len(frames) > 0 {
		created = frames[0].At
	}
	s, err := createSegment(path, defaultMeta(created, blockInterval, ""), zenc)
	if err != nil {
		return err
	}
	for i := range frames {
		f := &frames[i]
		if !s.blk.empty() && (f.At.UnixNano()-s.blk.tFirst >= int64(blockInterval)) {
			if err := s.flushBlock(); err != nil {
				s.abandon()
				return err
			}
		}
		s.blk.add(f)
	}
	return s.close()
}

// newEncoder makes a zstd encoder, by default at zstd's level 3: the
// encoder without a dictionary, which every segment shares, compresses the
// dictionary record and a first block too large to be one, once per
// segment; at "best" it would hold 42 MB for that (measured), at level 3
// 1.4 MB, and a recording comes out at most 1% larger.
func newEncoder(opts ...zstd.EOption) (*zstd.Encoder, error) {
	opts = append([]zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false), zstd.WithLowerEncoderMem(true)}, opts...)
	e, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		return nil, fmt.Errorf("replay: zstd encoder: %w", err)
	}
	return e, nil
}

func defaultMeta(created time.Time, block time.Duration, host string) Meta {
	if host == "" {
		host, _ = os.Hostname()
	}
	name, off := created.Zone()
	if created.IsZero() {
		name, off = time.Now().Zone()
	}
	var c int64
	if !created.IsZero() {
		c = created.UnixNano()
	}
	return Meta{Created: c, Host: host, Writer: fmt.Sprintf("vigil replay/%d.%d", VersionMajor, VersionMinor),
		BlockInterval: int64(block), TZ: name, Offset: off}
}
