package replay

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Problem is one piece of damage Verify found.
type Problem struct {
	File   string    `json:"file"`
	Offset int64     `json:"offset"`          // where the damaged record (or stretch) starts
	Block  int       `json:"block,omitempty"` // the block's number in its file (1 = first), 0 when not a block
	From   time.Time `json:"from,omitzero"`   // the block's times, when its header can be trusted
	To     time.Time `json:"to,omitzero"`
	What   string    `json:"what"`
}

// String is the problem on one line: file, block, offset, times, what.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(filepath.Base(p.File))
	if p.Block > 0 {
		fmt.Fprintf(&b, ": block %d", p.Block)
	}
	fmt.Fprintf(&b, " at offset %d", p.Offset)
	if !p.From.IsZero() {
		fmt.Fprintf(&b, " (%s – %s)", p.From.UTC().Format(time.RFC3339), p.To.UTC().Format(time.RFC3339))
	}
	return sources.OneLine(b.String() + ": " + p.What)
}

// VerifyReport is what Verify found in a recording.
type VerifyReport struct {
	Path     string    `json:"path"`
	Files    int       `json:"files"`
	Bytes    int64     `json:"size_bytes"`
	Blocks   int       `json:"blocks"`      // block records found
	Good     int       `json:"good_blocks"` // blocks that passed every check
	Frames   int       `json:"frames"`      // frames in the good blocks
	Problems []Problem `json:"problems"`
	Notes    []string  `json:"notes"` // what is not damage but worth saying (no footer, ...)
}

// Damaged reports whether Verify found any problem.
func (v VerifyReport) Damaged() bool { return len(v.Problems) > 0 }

// maxProblems bounds the problems listed per file: a file of garbage is
// one long list otherwise.
const maxProblems = 100

// Verify reads every record of the recording at path (a segment file or a
// directory of them) from the first byte, trusting neither the footer
// index nor any length or time it has not checked: each record's header
// and payload checksums, that each catalogue, dictionary and marker
// parses, that each block's times are plausible and within the file's
// declared range, that each block decompresses and decodes whole with
// every frame within its times, and that the footer index lists exactly
// the records the file holds. progress, when not nil, is called with the
// bytes checked so far and the total.
func Verify(path string, progress func(done, total int64)) (VerifyReport, error) {
	return verify(path, progress, true)
}

// Check is Verify without decompressing and decoding the blocks: it reads
// every record and checks its checksums and times, the catalogues,
// dictionaries and markers, and the footer index against the records, at
// the speed of reading the file. It is what `vigil replay --info` runs, so
// that damage the index does not show is still named. Frames stays 0.
func Check(path string, progress func(done, total int64)) (VerifyReport, error) {
	return verify(path, progress, false)
}

func verify(path string, progress func(done, total int64), decode bool) (VerifyReport, error) {
	rep := VerifyReport{Path: sources.Sanitize(path), Problems: []Problem{}, Notes: []string{}}
	st, err := os.Stat(path)
	if err != nil {
		return rep, fmt.Errorf("replay: verify: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return rep, fmt.Errorf("replay: verify: %w", err)
		}
		files = files[:0]
		for _, e := range ents {
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), Ext) {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		if len(files) == 0 {
			return rep, fmt.Errorf("replay: verify: no recordings (*%s) in %s", Ext, path)
		}
	}
	var total int64
	sizes := make([]int64, len(files))
	for i, f := range files {
		if fi, err := os.Stat(f); err == nil {
			sizes[i] = fi.Size()
			total += fi.Size()
		}
	}
	bd, err := newBlockDecoder()
	if err != nil {
		return rep, fmt.Errorf("replay: %w", err)
	}
	defer bd.close()
	var done int64
	for i, f := range files {
		v := verifier{rep: &rep, bd: bd, path: f, done: done, total: total, progress: progress, decode: decode}
		v.file()
		done += sizes[i]
		if progress != nil && total > 0 {
			progress(done, total)
		}
	}
	rep.Files = len(files)
	rep.Bytes = total
	return rep, nil
}

// verifier checks one segment file.
type verifier struct {
	rep      *VerifyReport
	bd       *blockDecoder
	path     string
	f        *os.File
	size     int64
	done     int64 // bytes of the files before this one
	total    int64
	progress func(done, total int64)
	decode   bool // decompress and decode each block (Verify), not only check it (Check)

	major    uint16
	cat      []sources.Series
	dictID   uint32
	dict     []byte
	noDict   bool // a DICT record was damaged: blocks after it cannot decode
	blocks   int
	declared [2]int64      // the file's range, from its footer (when it checks out)
	blockNo  map[int64]int // block numbers by offset, from the footer index (when it checks out)
	footer   bool
	problems int
	held     []indexEntry // what the file holds, as the index would list it
	index    []indexEntry // what its index lists
	indexOff int64        // offset of its INDEX record, -1 when none
}

func (v *verifier) problem(off int64, block int, tFirst, tLast int64, format string, a ...any) {
	v.problems++
	if v.problems > maxProblems {
		if v.problems == maxProblems+1 {
			v.rep.Problems = append(v.rep.Problems, Problem{File: sources.Sanitize(v.path), Offset: off, What: "more problems not listed"})
		}
		return
	}
	p := Problem{File: sources.Sanitize(v.path), Offset: off, Block: block, What: fmt.Sprintf(format, a...)}
	if tFirst != 0 || tLast != 0 {
		p.From, p.To = time.Unix(0, tFirst), time.Unix(0, tLast)
	}
	v.rep.Problems = append(v.rep.Problems, p)
}

func (v *verifier) note(format string, a ...any) {
	v.rep.Notes = append(v.rep.Notes, sources.OneLine(filepath.Base(v.path)+": "+fmt.Sprintf(format, a...)))
}

func (v *verifier) file() {
	f, err := os.Open(v.path)
	if err != nil {
		v.problem(0, 0, 0, 0, "cannot open: %v", err)
		return
	}
	defer f.Close()
	v.f = f
	st, err := f.Stat()
	if err != nil {
		v.problem(0, 0, 0, 0, "cannot stat: %v", err)
		return
	}
	v.size = st.Size()
	var hb [fileHeaderLen]byte
	n, _ := f.ReadAt(hb[:], 0)
	major, _, err := parseFileHeader(hb[:n])
	if err != nil {
		v.problem(0, 0, 0, 0, "file header: %v", err)
		return
	}
	v.major = major
	v.indexOff = -1
	v.readDeclared()
	v.records()
	v.checkIndex()
	if !v.footer {
		v.note("no footer index (the recorder was stopped by a crash, or is still writing): the index is rebuilt when it is opened")
	}
}

// readDeclared reads the file's declared time range from its trailer and
// index headers, and the blocks its index lists (to name them by their
// number), when these check out. Nothing else is taken from the index
// before the walk has checked it.
func (v *verifier) readDeclared() {
	if v.size < fileHeaderLen+2*trailerLen {
		return
	}
	th, tp, err := readRecord(v.f, v.size-trailerLen, v.size)
	if err != nil || th.typ != recTrailer || len(tp) != 8 {
		return
	}
	ih, ip, err := readRecord(v.f, int64(getU64(tp)), v.size)
	if err != nil || ih.typ != recIndex {
		return
	}
	if checkTimes(ih.tFirst, ih.tLast) == nil {
		v.declared = [2]int64{ih.tFirst, ih.tLast}
	}
	if es, err := parseIndex(ip); err == nil {
		v.blockNo = map[int64]int{}
		for _, e := range es {
			if e.typ == recBlock {
				v.blockNo[e.off] = len(v.blockNo) + 1
			}
		}
	}
}

// number is the block at off's number: as the index lists it when it
// does, else as the walk counts.
func (v *verifier) number(off int64) int {
	if n, ok := v.blockNo[off]; ok {
		return n
	}
	if v.blockNo != nil {
		return 0 // not in the index: its offset names it
	}
	return v.blocks
}

// records walks the file record by record from its header.
func (v *verifier) records() {
	off := int64(fileHeaderLen)
	lastProgress := off
	var hb [recHeaderLen]byte
	for off < v.size {
		if v.progress != nil && off-lastProgress > 8<<20 {
			v.progress(v.done+off, v.total)
			lastProgress = off
		}
		n, _ := v.f.ReadAt(hb[:], off)
		if n < recHeaderLen {
			v.problem(off, 0, 0, 0, "the last %d bytes are less than a record header (a torn tail: the recorder stopped while writing)", v.size-off)
			return
		}
		h, ok := parseRecHdr(hb[:])
		if !ok || h.length > maxRecordLen {
			next := resyncFile(v.f, off+1, v.size)
			if n := v.blockNo[off]; n > 0 && next > 0 {
				v.blocks++
				v.rep.Blocks++
				v.problem(off, n, 0, 0, "its record header is damaged: %d bytes to the next record (offset %d) are skipped", next-off, next)
				off = next
				continue
			}
			if next < 0 {
				if v.torn(off) {
					return
				}
				v.problem(off, 0, 0, 0, "%d bytes to the end of the file, %s, hold no record (a record header is damaged)", v.size-off, v.where())
				return
			}
			v.problem(off, 0, 0, 0, "%d bytes %s hold no record (a record header is damaged); the next record is at offset %d", next-off, v.where(), next)
			off = next
			continue
		}
		end := off + recHeaderLen + int64(h.length)
		if end > v.size {
			n := 0
			if h.typ == recBlock {
				v.blocks++
				n = v.number(off)
			}
			v.problem(off, n, 0, 0, "a record of %d bytes runs past the end of the file by %d bytes (a torn tail: the recorder stopped while writing)", h.length, end-v.size)
			return
		}
		v.record(off, h)
		off = end
	}
}

// where places damage among the blocks read so far.
func (v *verifier) where() string {
	if v.blocks == 0 {
		return "before the first block"
	}
	return fmt.Sprintf("after block %d", v.blocks)
}

// torn reports (and says) whether the damaged bytes at off are the start
// of a record cut short at the end of the file.
func (v *verifier) torn(off int64) bool {
	if v.size-off >= recHeaderLen {
		return false
	}
	v.problem(off, 0, 0, 0, "the last %d bytes are less than a record header (a torn tail: the recorder stopped while writing)", v.size-off)
	return true
}

// record checks one record whose header checked out.
func (v *verifier) record(off int64, h recHdr) {
	e := indexEntry{typ: h.typ, off: off, length: h.length, tFirst: h.tFirst, tLast: h.tLast}
	block := 0
	if h.typ == recBlock {
		v.blocks++
		v.rep.Blocks++
		block = v.number(off)
	}
	_, p, err := readRecordInto(v.f, off, v.size, v.bd.payload)
	if err != nil {
		if h.typ == recDict {
			v.noDict = true
		}
		v.problem(off, block, h.tFirst, h.tLast, "%s record: %v", recName(h.typ), err)
		v.held = append(v.held, e)
		return
	}
	v.bd.payload = p[:0]
	switch h.typ {
	case recHeader:
		var m Meta
		if err := json.Unmarshal(p, &m); err != nil {
			v.problem(off, 0, 0, 0, "header record: %v", err)
		}
	case recSchema:
		cat, _, err := parseSchema(p, v.cat)
		if err != nil {
			v.problem(off, 0, 0, 0, "catalogue record: %v", err)
		}
		v.cat = cat
	case recDict:
		d, err := v.bd.plain.DecodeAll(p[min(4, len(p)):], nil)
		switch {
		case len(p) < 4 || err != nil:
			v.noDict = true
			v.problem(off, 0, 0, 0, "dictionary record does not decompress: %v", err)
		case len(d) > maxDictLen:
			v.noDict = true
			v.problem(off, 0, 0, 0, "dictionary of %d bytes, more than %d", len(d), maxDictLen)
		default:
			v.dictID, v.dict = binary.LittleEndian.Uint32(p), d
		}
	case recMark:
		if _, ok := parseMark(p); !ok {
			v.problem(off, 0, 0, 0, "marker record does not parse")
		}
	case recBlock:
		v.block(off, block, h, p, &e)
	case recIndex:
		v.indexOff = off
		es, err := parseIndex(p)
		if err != nil {
			v.problem(off, 0, 0, 0, "index record: %v", err)
		}
		v.index = es
		return // not in the index it is
	case recTrailer:
		if off+recHeaderLen+int64(h.length) != v.size {
			v.problem(off, 0, 0, 0, "trailer record is not the last record of the file")
		} else if len(p) != 8 || int64(getU64(p)) != v.indexOff || v.indexOff < 0 {
			v.problem(off, 0, 0, 0, "trailer record does not point to the index record")
		} else {
			v.footer = true
		}
		return
	}
	v.held = append(v.held, e)
}

// block checks one block record whose checksums held.
func (v *verifier) block(off int64, n int, h recHdr, p []byte, e *indexEntry) {
	if err := checkTimes(h.tFirst, h.tLast); err != nil {
		v.problem(off, n, 0, 0, "%v; the block is not played", err)
		return
	}
	if v.declared != [2]int64{} && (h.tFirst < v.declared[0] || h.tLast > v.declared[1]) {
		v.problem(off, n, h.tFirst, h.tLast, "its times are outside the file's (%s); the block is not played",
			timesText(v.declared[0], v.declared[1]))
		return
	}
	d := &dec{b: p}
	ns, rawLen := parsePreamble(d, h.tFirst)
	if d.err == nil && rawLen > maxBodyLen {
		d.err = fmt.Errorf("body of %d bytes too large", rawLen)
	}
	if d.err != nil {
		v.problem(off, n, h.tFirst, h.tLast, "preamble: %v", d.err)
		return
	}
	e.notable = ns
	for _, x := range ns {
		if t := x.At.UnixNano(); t < h.tFirst || t > h.tLast {
			v.problem(off, n, h.tFirst, h.tLast, "a %s at %s is outside the block's times", x.KindName(), stamp(t))
			return
		}
	}
	if v.noDict && h.flags&flagDictBody != 0 {
		v.problem(off, n, h.tFirst, h.tLast, "the segment's dictionary, which this block is, is damaged")
		return
	}
	if !v.decode {
		if v.noDict && h.flags&flagZstd != 0 {
			v.problem(off, n, h.tFirst, h.tLast, "it is compressed with the segment's dictionary, which is damaged")
			return
		}
		v.rep.Good++
		return
	}
	key := &segFile{} // a decoder per dictionary
	fv := fileView{key: key, f: v.f, size: v.size, cat: v.cat, dictID: v.dictID, dict: v.dict}
	frames, err := v.bd.decodePayload(h, p, fv)
	if z := v.bd.dicts[key]; z != nil {
		z.Close()
		delete(v.bd.dicts, key)
	}
	if err != nil {
		v.problem(off, n, h.tFirst, h.tLast, "does not decode: %v", err)
		return
	}
	v.rep.Good++
	v.rep.Frames += len(frames)
}

// checkIndex compares the footer index with the records the file holds.
func (v *verifier) checkIndex() {
	if v.indexOff < 0 {
		return
	}
	if v.index == nil {
		return // damaged, said
	}
	held := make(map[int64]indexEntry, len(v.held))
	for _, e := range v.held {
		held[e.off] = e
	}
	listed := make(map[int64]bool, len(v.index))
	for k, x := range v.index {
		listed[x.off] = true
		e, ok := held[x.off]
		switch {
		case !ok:
			v.problem(v.indexOff, 0, 0, 0, "index entry %d names a %s record at offset %d that the file does not hold there", k+1, recName(x.typ), x.off)
		case e.typ != x.typ || e.length != x.length || e.tFirst != x.tFirst || e.tLast != x.tLast:
			v.problem(v.indexOff, 0, 0, 0, "index entry %d (a %s record at offset %d) does not match the record there", k+1, recName(x.typ), x.off)
		case x.typ == recBlock && e.notable != nil && !sameNotables(e.notable, x.notable):
			v.problem(v.indexOff, 0, 0, 0, "index entry %d lists other alerts and markers than the block at offset %d", k+1, x.off)
		}
	}
	for _, e := range v.held {
		if !listed[e.off] && e.typ != recIndex && e.typ != recTrailer {
			v.problem(v.indexOff, 0, 0, 0, "the %s record at offset %d is not in the index", recName(e.typ), e.off)
		}
	}
}

func sameNotables(a, b []Notable) bool {
	return slices.EqualFunc(a, b, func(x, y Notable) bool {
		return x.At.Equal(y.At) && x.Kind == y.Kind && x.Severity == y.Severity && x.Text == y.Text
	})
}

func recName(typ uint8) string {
	switch typ {
	case recHeader:
		return "header"
	case recSchema:
		return "catalogue"
	case recBlock:
		return "block"
	case recMark:
		return "marker"
	case recIndex:
		return "index"
	case recTrailer:
		return "trailer"
	case recDict:
		return "dictionary"
	}
	return fmt.Sprintf("type-%d", typ)
}

// resyncFile finds the next offset ≥ from holding a valid record header
// that fits in the file, or -1.
func resyncFile(f *os.File, from, size int64) int64 {
	r := &Reader{}
	return r.resync(&segFile{f: f, size: size}, from)
}
