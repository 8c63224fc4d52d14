package replay

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-dev/vigil/sources"
)

// OpenOptions tunes Open. The zero value is ready to use.
type OpenOptions struct {
	// Progress, when set, is called while files are scanned with the bytes
	// done so far and the total (bytes), from the opening goroutine.
	Progress func(done, total int64)
	// GapThreshold is the silence between two blocks that counts as a gap
	// (the recorder was off, or no source said anything); default 30 s.
	GapThreshold time.Duration
}

// Gap is a stretch of time with no data.
type Gap struct {
	From, To time.Time
}

// segFile is one segment file as the reader knows it.
type segFile struct {
	path    string
	f       *os.File
	major   uint16
	minor   uint16
	meta    Meta
	cat     []sources.Series
	srcs    []string
	end     int64 // offset after the last complete record read
	size    int64 // file size when last looked at
	footer  bool  // closed cleanly: complete, nothing more will come
	torn    int64 // bytes after end that do not form a complete record
	badScan int64 // bytes skipped as corrupt while scanning
	dictID  uint32
	dict    []byte
}

// setDict records a DICT record's payload: the dictionary's id and its
// zstd-compressed content.
func (r *Reader) setDict(sf *segFile, p []byte) {
	if len(p) < 4 {
		return
	}
	d, err := r.bd.plain.DecodeAll(p[4:], nil)
	if err != nil || len(d) > maxDictLen {
		r.warn(fmt.Sprintf("%s: dictionary unreadable; the blocks after the first will be skipped", filepath.Base(sf.path)))
		return
	}
	sf.dictID = binary.LittleEndian.Uint32(p)
	sf.dict = d
}

// blockRef locates one BLOCK record.
type blockRef struct {
	f       *segFile
	off     int64 // offset of the record header
	length  uint32
	tFirst  int64
	tLast   int64
	notable []Notable
}

// Reader reads a recording: one segment file or a directory of them. It is
// safe for concurrent use. A recording still being written is followed with
// Refresh.
type Reader struct {
	path  string
	isDir bool
	opts  OpenOptions

	mu       sync.Mutex
	files    []*segFile
	known    map[string]bool // paths looked at in a directory
	blocks   []blockRef      // sorted by tFirst
	marks    []Notable       // from MARK records
	warnings []string
	bad      map[string]bool // blocks (path:offset) already reported bad
	bd       *blockDecoder   // used under mu
	pool     []*blockDecoder // idle decoders of parallel reads
	closed   bool
	live     sync.RWMutex // held (read) while blocks decode outside mu; Close takes it
	cache    []cached
	workers  int // most goroutines decoding for one Frames call (0: GOMAXPROCS, at most 4)
}

type cached struct {
	f      *segFile
	off    int64
	frames []sources.Frame
}

// Open opens a recording file or directory with default options.
func Open(path string) (*Reader, error) { return OpenWith(path, OpenOptions{}) }

// OpenWith opens a recording file or directory. A single file that is not a
// readable recording is an error (ErrNotRecording, ErrNewerVersion, wrapped);
// in a directory, files that are not recordings are skipped with a warning
// (see Info.Warnings), and only a directory with no usable file is an error.
func OpenWith(path string, opts OpenOptions) (*Reader, error) {
	if opts.GapThreshold <= 0 {
		opts.GapThreshold = 30 * time.Second
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("replay: open: %w", err)
	}
	bd, err := newBlockDecoder()
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	r := &Reader{path: path, isDir: st.IsDir(), opts: opts, known: map[string]bool{}, bad: map[string]bool{}, bd: bd}
	if !r.isDir {
		sf, err := r.openSeg(path, st.Size(), 0, st.Size())
		if err != nil {
			r.Close()
			return nil, err
		}
		r.known[path] = true
		r.add(sf, 0)
		return r, nil
	}
	if err := r.scanDir(); err != nil {
		r.Close()
		return nil, err
	}
	if len(r.files) == 0 {
		r.Close()
		msg := "no recordings (*" + Ext + ") in " + path
		if len(r.warnings) > 0 {
			msg += ": " + strings.Join(r.warnings, "; ")
		}
		return nil, fmt.Errorf("replay: %s", msg)
	}
	return r, nil
}

// scanDir opens the segment files of the directory not yet known.
func (r *Reader) scanDir() error {
	ents, err := os.ReadDir(r.path)
	if err != nil {
		return fmt.Errorf("replay: read dir: %w", err)
	}
	type cand struct {
		path string
		size int64
	}
	var cands []cand
	var total int64
	for _, e := range ents {
		p := filepath.Join(r.path, e.Name())
		if r.known[p] || !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), Ext) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		cands = append(cands, cand{p, info.Size()})
		total += info.Size()
	}
	var done int64
	for _, c := range cands {
		sf, err := r.openSeg(c.path, c.size, done, total)
		done += c.size
		if err != nil {
			if errors.Is(err, ErrNotRecording) && c.size < fileHeaderLen+recHeaderLen {
				// Empty or nearly: a recorder is creating it, or died
				// before its header reached the disk. Look again later.
				r.warn(fmt.Sprintf("%s: empty", filepath.Base(c.path)))
				continue
			}
			r.known[c.path] = true
			r.warn(fmt.Sprintf("%s: skipped: %v", filepath.Base(c.path), err))
			continue
		}
		r.known[c.path] = true
		r.add(sf, len(r.blocks))
	}
	return nil
}

// warn records a warning once; the list is bounded.
func (r *Reader) warn(s string) {
	s = sources.OneLine(s) // it may name files from outside
	if slices.Contains(r.warnings, s) {
		return
	}
	if len(r.warnings) >= 200 {
		r.warnings = slices.Delete(r.warnings, 0, 1)
	}
	r.warnings = append(r.warnings, s)
}

// add merges a file's blocks and marks into the reader's lists; the blocks
// from index from on are new.
func (r *Reader) add(sf *segFile, _ int) {
	if !slices.Contains(r.files, sf) {
		r.files = append(r.files, sf)
	}
}

func (r *Reader) progress(done, total int64) {
	if r.opts.Progress != nil && total > 0 {
		r.opts.Progress(done, total)
	}
}

// openSeg opens and indexes one segment file.
func (r *Reader) openSeg(path string, size, done, total int64) (*segFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	var hb [fileHeaderLen]byte
	n, _ := f.ReadAt(hb[:], 0)
	if n == 0 {
		f.Close()
		return nil, fmt.Errorf("%w: %s is empty", ErrNotRecording, filepath.Base(path))
	}
	major, minor, err := parseFileHeader(hb[:n])
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("replay: %s: %w", filepath.Base(path), err)
	}
	sf := &segFile{path: path, f: f, major: major, minor: minor, end: fileHeaderLen, size: size}
	if !r.readFooter(sf) {
		r.scan(sf, done, total)
	}
	r.progress(done+size, total)
	return sf, nil
}

// readRecord reads the record at off: header and payload, both checked.
func readRecord(f *os.File, off, size int64) (recHdr, []byte, error) {
	var hb [recHeaderLen]byte
	if _, err := f.ReadAt(hb[:], off); err != nil {
		return recHdr{}, nil, err
	}
	h, ok := parseRecHdr(hb[:])
	if !ok {
		return h, nil, errors.New("bad record header")
	}
	if h.length > maxRecordLen || off+recHeaderLen+int64(h.length) > size {
		return h, nil, errors.New("record overruns the file")
	}
	p := make([]byte, h.length)
	if _, err := f.ReadAt(p, off+recHeaderLen); err != nil {
		return h, nil, err
	}
	if crc(p) != h.pcrc {
		return h, nil, errors.New("checksum mismatch")
	}
	return h, p, nil
}

// readFooter loads the footer index of a cleanly closed segment. It reports
// false when there is none (or it is damaged), and the file must be scanned.
func (r *Reader) readFooter(sf *segFile) bool {
	if sf.size < fileHeaderLen+2*trailerLen {
		return false
	}
	th, tp, err := readRecord(sf.f, sf.size-trailerLen, sf.size)
	if err != nil || th.typ != recTrailer || len(tp) != 8 {
		return false
	}
	ioff := int64(getU64(tp))
	ih, ip, err := readRecord(sf.f, ioff, sf.size)
	if err != nil || ih.typ != recIndex || ioff+recHeaderLen+int64(len(ip)) != sf.size-trailerLen {
		return false
	}
	es, err := parseIndex(ip)
	if err != nil {
		return false
	}
	var blocks []blockRef
	var marks []Notable
	cat, srcs := sf.cat, sf.srcs
	meta := sf.meta
	for _, e := range es {
		switch e.typ {
		case recBlock:
			blocks = append(blocks, blockRef{f: sf, off: e.off, length: e.length, tFirst: e.tFirst, tLast: e.tLast, notable: e.notable})
		case recHeader, recSchema, recMark, recDict:
			_, p, err := readRecord(sf.f, e.off, sf.size)
			if err != nil {
				return false
			}
			switch e.typ {
			case recDict:
				r.setDict(sf, p)
			case recHeader:
				json.Unmarshal(p, &meta)
			case recSchema:
				var add []string
				cat, add, err = parseSchema(p, cat)
				if err != nil {
					return false
				}
				srcs = append(srcs, add...)
			case recMark:
				if m, ok := parseMark(p); ok {
					marks = append(marks, m)
				}
			}
		}
	}
	sf.cat, sf.srcs, sf.meta = cat, srcs, meta
	sf.end, sf.footer = sf.size, true
	r.blocks = append(r.blocks, blocks...)
	r.marks = append(r.marks, marks...)
	r.sortBlocks()
	return true
}

func (r *Reader) sortBlocks() {
	if !sort.SliceIsSorted(r.blocks, func(i, j int) bool { return r.blocks[i].tFirst < r.blocks[j].tFirst }) {
		sort.SliceStable(r.blocks, func(i, j int) bool { return r.blocks[i].tFirst < r.blocks[j].tFirst })
	}
	if !sort.SliceIsSorted(r.marks, func(i, j int) bool { return r.marks[i].At.Before(r.marks[j].At) }) {
		sort.SliceStable(r.marks, func(i, j int) bool { return r.marks[i].At.Before(r.marks[j].At) })
	}
}

func parseMark(p []byte) (Notable, bool) {
	d := &dec{b: p}
	t := d.sv()
	note := d.raw()
	if d.err != nil {
		return Notable{}, false
	}
	return Notable{At: time.Unix(0, t), Kind: NotableMarker, Text: sources.OneLine(note)}, true
}

// scan walks a segment from sf.end record by record (the footer is missing:
// a crash, or the file is still being written), hopping over block payloads.
// It stops at a torn tail; a corrupt stretch in the middle is skipped up to
// the next valid record header, with a warning.
func (r *Reader) scan(sf *segFile, done, total int64) {
	const peek = 96
	buf := make([]byte, recHeaderLen+peek)
	off := sf.end
	lastBlock := -1
	lastProgress := off
	for off < sf.size {
		if off-lastProgress > 4<<20 {
			r.progress(done+off, total)
			lastProgress = off
		}
		n, _ := sf.f.ReadAt(buf, off)
		if n < recHeaderLen {
			break
		}
		h, ok := parseRecHdr(buf[:n])
		if !ok || h.length > maxRecordLen {
			next := r.resync(sf, off+1)
			if next < 0 {
				break // nothing valid after: a torn or garbage tail
			}
			sf.badScan += next - off
			r.warn(fmt.Sprintf("%s: %d corrupt bytes at offset %d skipped", filepath.Base(sf.path), next-off, off))
			off = next
			continue
		}
		recEnd := off + recHeaderLen + int64(h.length)
		if recEnd > sf.size {
			break // torn tail: the record was being written
		}
		switch h.typ {
		case recHeader, recSchema, recMark, recDict:
			_, p, err := readRecord(sf.f, off, sf.size)
			if err != nil {
				r.warn(fmt.Sprintf("%s: record at offset %d skipped: %v", filepath.Base(sf.path), off, err))
				break
			}
			switch h.typ {
			case recDict:
				r.setDict(sf, p)
			case recHeader:
				json.Unmarshal(p, &sf.meta)
			case recSchema:
				cat, add, err := parseSchema(p, sf.cat)
				if err != nil {
					r.warn(fmt.Sprintf("%s: catalogue at offset %d: %v", filepath.Base(sf.path), off, err))
				}
				sf.cat = cat
				sf.srcs = append(sf.srcs, add...)
			case recMark:
				if m, ok := parseMark(p); ok {
					r.marks = append(r.marks, m)
				}
			}
		case recBlock:
			pre := buf[recHeaderLen:n]
			if int64(len(pre)) > int64(h.length) {
				pre = pre[:h.length]
			}
			d := &dec{b: pre}
			ns, _ := parsePreamble(d, h.tFirst)
			if d.err != nil && int64(len(pre)) < int64(h.length) {
				// A long preamble: read the whole payload.
				if _, p, err := readRecord(sf.f, off, sf.size); err == nil {
					d = &dec{b: p}
					ns, _ = parsePreamble(d, h.tFirst)
				}
			}
			r.blocks = append(r.blocks, blockRef{f: sf, off: off, length: h.length, tFirst: h.tFirst, tLast: h.tLast, notable: ns})
			lastBlock = len(r.blocks) - 1
		case recTrailer:
			sf.footer = true
		}
		off = recEnd
		sf.end = off
	}
	sf.torn = sf.size - sf.end
	// The last block of a crashed file may hold garbage of the right length
	// (power loss): check it now rather than when it is played.
	if lastBlock >= 0 && !sf.footer {
		b := r.blocks[lastBlock]
		if _, _, err := readRecord(sf.f, b.off, sf.size); err != nil {
			r.blocks = slices.Delete(r.blocks, lastBlock, lastBlock+1)
			sf.torn += recHeaderLen + int64(b.length)
			sf.end = b.off
			r.warn(fmt.Sprintf("%s: last block dropped: %v", filepath.Base(sf.path), err))
		}
	}
	r.sortBlocks()
}

// resync finds the next offset ≥ from holding a valid record header that
// fits in the file, or -1.
func (r *Reader) resync(sf *segFile, from int64) int64 {
	const chunk = 64 << 10
	buf := make([]byte, chunk+recHeaderLen)
	for off := from; off < sf.size; off += chunk {
		n, _ := sf.f.ReadAt(buf, off)
		if n < recHeaderLen {
			return -1
		}
		b := buf[:n]
		for i := 0; i+recHeaderLen <= len(b); i++ {
			j := bytes.IndexByte(b[i:len(b)-recHeaderLen+1], 0x56)
			if j < 0 {
				break
			}
			i += j
			if h, ok := parseRecHdr(b[i:]); ok && h.length <= maxRecordLen && off+int64(i)+recHeaderLen+int64(h.length) <= sf.size {
				return off + int64(i)
			}
		}
	}
	return -1
}

// Refresh picks up data written since the last look: new records in
// segments without a footer and, for a directory, new segment files. It
// reports whether anything was added.
func (r *Reader) Refresh() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	nb, nm := len(r.blocks), len(r.marks)
	for _, sf := range r.files {
		if sf.footer {
			continue
		}
		st, err := sf.f.Stat()
		if err != nil || st.Size() == sf.size {
			continue
		}
		sf.size = st.Size()
		r.scan(sf, 0, 0)
	}
	if r.isDir {
		if err := r.scanDir(); err != nil {
			return false, err
		}
	}
	return len(r.blocks) != nb || len(r.marks) != nm, nil
}

// Close releases the files.
func (r *Reader) Close() error {
	r.live.Lock() // no block decoding outside mu
	defer r.live.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sf := range r.files {
		sf.f.Close()
	}
	r.files = nil
	if !r.closed {
		r.closed = true
		r.bd.close()
		for _, d := range r.pool {
			d.close()
		}
		r.pool = nil
	}
	return nil
}

// decode returns the frames of block i (cached). A block that fails its
// checksum or does not decode yields no frames and a warning, once.
func (r *Reader) decode(i int) []sources.Frame {
	b := r.blocks[i]
	if frames, ok := r.cachedLocked(b); ok {
		return frames
	}
	frames, err := r.decodeBlock(b)
	return r.keepLocked(b, frames, err)
}

// cachedLocked returns the frames of b when the cache holds them.
func (r *Reader) cachedLocked(b blockRef) ([]sources.Frame, bool) {
	for _, c := range r.cache {
		if c.f == b.f && c.off == b.off {
			return c.frames, true
		}
	}
	return nil, false
}

// keepLocked caches what decoding b gave: its frames, or none and a
// warning (once) when it failed.
func (r *Reader) keepLocked(b blockRef, frames []sources.Frame, err error) []sources.Frame {
	if err != nil {
		key := fmt.Sprintf("%s:%d", b.f.path, b.off)
		if !r.bad[key] {
			r.bad[key] = true
			r.warn(fmt.Sprintf("%s: block at %s (offset %d) skipped: %v", filepath.Base(b.f.path),
				time.Unix(0, b.tFirst).UTC().Format(time.RFC3339), b.off, err))
		}
		frames = nil
	}
	if len(r.cache) >= 8 {
		r.cache = r.cache[1:]
	}
	r.cache = append(r.cache, cached{b.f, b.off, frames})
	return frames
}

func (r *Reader) decodeBlock(b blockRef) ([]sources.Frame, error) {
	return r.bd.block(b, b.f.view())
}

// fileView is what decoding a block needs of its file, read under the
// reader's lock (a followed file's catalogue and size grow).
type fileView struct {
	key    *segFile
	f      *os.File
	size   int64
	cat    []sources.Series
	dictID uint32
	dict   []byte
}

func (sf *segFile) view() fileView {
	return fileView{sf, sf.f, sf.size, sf.cat, sf.dictID, sf.dict}
}

// blockDecoder holds what decoding blocks takes besides the file: buffers
// and zstd decoders (a plain one, and one per file with a dictionary). One
// goroutine uses it at a time.
type blockDecoder struct {
	sc    scratch
	plain *zstd.Decoder
	dicts map[*segFile]*zstd.Decoder
}

func newBlockDecoder() (*blockDecoder, error) {
	z, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxBodyLen))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return &blockDecoder{plain: z, dicts: map[*segFile]*zstd.Decoder{}}, nil
}

func (bd *blockDecoder) close() {
	bd.plain.Close()
	for _, z := range bd.dicts {
		z.Close()
	}
}

// block reads, checks and decodes one block.
func (bd *blockDecoder) block(b blockRef, fv fileView) ([]sources.Frame, error) {
	h, p, err := readRecord(fv.f, b.off, fv.size)
	if err != nil {
		return nil, err
	}
	d := &dec{b: p}
	_, rawLen := parsePreamble(d, b.tFirst)
	if d.err != nil {
		return nil, fmt.Errorf("preamble: %w", d.err)
	}
	if rawLen > maxBodyLen {
		return nil, fmt.Errorf("body of %d bytes too large", rawLen)
	}
	body := d.b
	if h.flags&flagZstd != 0 {
		zd := bd.plain
		if fv.dict != nil {
			if zd = bd.dicts[fv.key]; zd == nil {
				zd, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxBodyLen),
					zstd.WithDecoderDictRaw(fv.dictID, fv.dict))
				if err != nil {
					return nil, fmt.Errorf("dictionary: %w", err)
				}
				bd.dicts[fv.key] = zd
			}
		}
		buf := bd.sc.body
		if uint64(cap(buf)) < rawLen {
			buf = make([]byte, 0, rawLen)
		}
		body, err = zd.DecodeAll(d.b, buf[:0])
		bd.sc.body = body[:0]
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
	}
	if uint64(len(body)) != rawLen {
		return nil, fmt.Errorf("body is %d bytes, %d expected", len(body), rawLen)
	}
	return decodeBody(body, b.tFirst, fv.cat, &bd.sc)
}

// firstBlock returns the index of the first block that may hold frames at
// or after t.
func (r *Reader) firstBlock(t int64) int {
	i := sort.Search(len(r.blocks), func(i int) bool { return r.blocks[i].tFirst > t })
	// Blocks before i start at or before t; the last of them may reach t.
	for i > 0 && r.blocks[i-1].tLast >= t {
		i--
	}
	return i
}

// Frames calls fn for every frame with from ≤ At ≤ to, in recorded order
// (time order for a recording from one recorder), until fn returns false.
// Damaged blocks are skipped (see Warnings).
func (r *Reader) Frames(from, to time.Time, fn func(sources.Frame) bool) {
	r.mu.Lock()
	lo, hi := from.UnixNano(), to.UnixNano()
	i := r.firstBlock(lo)
	j := i
	for j < len(r.blocks) && r.blocks[j].tFirst <= hi {
		j++
	}
	refs := slices.Clone(r.blocks[i:j])
	r.mu.Unlock()
	if len(refs) >= minParallel && r.workerCount(len(refs)) > 1 {
		// Many blocks: decode them on several goroutines, then go on
		// from there (a followed recording may have grown).
		if !r.framesParallel(refs, lo, hi, fn) {
			return
		}
		i = j
	}
	for ; ; i++ {
		r.mu.Lock()
		if i >= len(r.blocks) || r.blocks[i].tFirst > hi {
			r.mu.Unlock()
			return
		}
		frames := r.decode(i)
		r.mu.Unlock()
		for k := range frames {
			t := frames[k].At.UnixNano()
			if t < lo || t > hi {
				continue
			}
			if !fn(frames[k]) {
				return
			}
		}
	}
}

// FrameTimes returns the distinct times of frames that carry samples
// (points or histograms) in [from, to], ascending: the steps of t and T.
func (r *Reader) FrameTimes(from, to time.Time) []time.Time {
	var out []time.Time
	r.Frames(from, to, func(f sources.Frame) bool {
		if f.NumPoints()+len(f.Histograms) == 0 {
			return true
		}
		if n := len(out); n == 0 || !out[n-1].Equal(f.At) {
			out = append(out, f.At)
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}

// Span returns the times of the first and last frames (zero when empty).
func (r *Reader) Span() (from, to time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.spanLocked()
}

func (r *Reader) spanLocked() (from, to time.Time) {
	if len(r.blocks) == 0 {
		return
	}
	lo, hi := r.blocks[0].tFirst, r.blocks[0].tLast
	for _, b := range r.blocks {
		hi = max(hi, b.tLast)
	}
	return time.Unix(0, lo), time.Unix(0, hi)
}

// Notables returns every alert, marker and critical event in the
// recording, in time order.
func (r *Reader) Notables() []Notable {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Notable
	for _, b := range r.blocks {
		out = append(out, b.notable...)
	}
	out = append(out, r.marks...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Gaps returns the stretches longer than the gap threshold with no block.
func (r *Reader) Gaps() []Gap {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Gap
	th := int64(r.opts.GapThreshold)
	var reach int64
	for i, b := range r.blocks {
		if i > 0 && b.tFirst-reach > th {
			out = append(out, Gap{From: time.Unix(0, reach), To: time.Unix(0, b.tFirst)})
		}
		reach = max(reach, b.tLast)
	}
	return out
}

// Warnings returns what was skipped or found damaged so far, one line each.
func (r *Reader) Warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.warnings)
}

// FileInfo describes one segment file.
type FileInfo struct {
	Path     string    `json:"path"`
	Size     int64     `json:"size_bytes"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Version  string    `json:"version"`
	Host     string    `json:"host,omitempty"`
	Complete bool      `json:"complete"`      // closed cleanly, with its footer index
	Torn     int64     `json:"ignored_bytes"` // bytes at the tail (or corrupt ones) not read
}

// Info summarises a recording.
type Info struct {
	Path     string        `json:"path"`
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	Duration time.Duration `json:"duration_ns"`
	Sources  []string      `json:"sources"`
	Series   int           `json:"series"`
	Size     int64         `json:"size_bytes"`
	Blocks   int           `json:"blocks"`
	Files    []FileInfo    `json:"files"`
	Gaps     []Gap         `json:"gaps"`
	Markers  []Notable     `json:"markers"` // alerts, markers and critical events
	Warnings []string      `json:"warnings"`
}

// Info summarises the recording as read so far.
func (r *Reader) Info() Info {
	gaps := r.Gaps()
	notes := r.Notables()
	r.mu.Lock()
	defer r.mu.Unlock()
	in := Info{Path: r.path, Gaps: gaps, Markers: notes, Blocks: len(r.blocks), Warnings: slices.Clone(r.warnings)}
	in.From, in.To = r.spanLocked()
	in.Duration = in.To.Sub(in.From)
	series := map[string]bool{}
	srcs := map[string]bool{}
	for _, sf := range r.files {
		fi := FileInfo{Path: sources.Sanitize(sf.path), Size: sf.size, Version: fmt.Sprintf("%d.%d", sf.major, sf.minor),
			Host: sources.Sanitize(sf.meta.Host), Complete: sf.footer, Torn: sf.torn + sf.badScan}
		for _, b := range r.blocks {
			if b.f != sf {
				continue
			}
			if fi.From.IsZero() || b.tFirst < fi.From.UnixNano() {
				fi.From = time.Unix(0, b.tFirst)
			}
			if b.tLast > fi.To.UnixNano() || fi.To.IsZero() {
				fi.To = time.Unix(0, b.tLast)
			}
		}
		in.Files = append(in.Files, fi)
		in.Size += sf.size
		for i := range sf.cat {
			series[catKey(&sf.cat[i])] = true
		}
		for _, s := range sf.srcs {
			srcs[s] = true
		}
	}
	in.Series = len(series)
	for s := range srcs {
		in.Sources = append(in.Sources, s)
	}
	sort.Strings(in.Sources)
	sort.Slice(in.Files, func(i, j int) bool { return in.Files[i].From.Before(in.Files[j].From) })
	return in
}

var _ io.Closer = (*Reader)(nil)
