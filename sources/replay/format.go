// Package replay records what vigil sees to compact, crash-safe files and
// plays them back through the hub under a virtual clock, so that replay at
// time T shows what live showed at T.
//
// A recording is a directory of segment files (or one file). Each segment is
// a file header followed by typed, length-prefixed, CRC32C-checked records:
// a metadata header, series catalogue additions, zstd-compressed blocks of
// frames (each block decodes on its own: a keyframe), markers, and on a
// clean close a footer index. FORMAT.md beside this file is the reference.
package replay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// Format version written by this package. A reader accepts any minor
// version of its major version (unknown record types are skipped by length)
// and every older major version, and refuses a newer major version with
// ErrNewerVersion. Version 2 stores log records as templates over their
// fields (block codec 1, logcodec.go); version 1 recordings are read as
// they were written.
const (
	VersionMajor = 2
	VersionMinor = 0
)

// Ext is the file name extension of a segment file.
const Ext = ".vrec"

// fileMagic opens every segment file.
var fileMagic = [8]byte{'V', 'I', 'G', 'I', 'L', 'R', 'E', 'C'}

const (
	fileHeaderLen = 16 // magic(8) major(2) minor(2) crc32c(4)
	recHeaderLen  = 32 // see recHeader
	recMagic      = 0x5256
	trailerLen    = recHeaderLen + 8
	// maxRecordLen bounds a record's payload so that a corrupt length cannot
	// make a reader allocate without limit (bytes).
	maxRecordLen = 64 << 20
	// maxBodyLen bounds a block's decompressed body (bytes).
	maxBodyLen = 256 << 20
)

// Record types. Readers skip types they do not know.
const (
	recHeader  = 1 // JSON metadata about the writer
	recSchema  = 2 // series catalogue additions
	recBlock   = 3 // a compressed block of frames (a keyframe)
	recMark    = 4 // a user marker
	recIndex   = 5 // footer index of every record before it
	recTrailer = 6 // fixed-size pointer to the index; the last record
	recDict    = 7 // the segment's zstd dictionary (raw content)
)

// maxDictLen bounds the dictionary a segment primes its blocks with (bytes).
const maxDictLen = 128 << 10

// Record flags.
const (
	flagZstd = 1 << 0 // the block body is zstd-compressed
	// flagDictBody: the block's body is its segment's dictionary (DICT,
	// written just before it): the payload is the preamble alone. The first
	// block of a format 2 segment is stored so when its body fits in a
	// dictionary, rather than twice.
	flagDictBody = 1 << 1
)

// Plausible times: a block whose times fall outside [minTime, maxTime), or
// run backwards, is damaged (a flipped high bit of a time reads as 1970 or
// as 2116, a negative one as 1823) and is neither played nor trusted, even
// when its checksums hold.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
)

// checkTimes says what is wrong with a block's times, or nil.
func checkTimes(tFirst, tLast int64) error {
	switch {
	case tFirst > tLast:
		return fmt.Errorf("its times run backwards (%s)", timesText(tFirst, tLast))
	case tFirst < minTime || tLast >= maxTime:
		return fmt.Errorf("its times (%s) are not plausible: outside 2000–2100", timesText(tFirst, tLast))
	}
	return nil
}

// stamp writes a Unix ns time in RFC 3339, UTC.
func stamp(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

func timesText(tFirst, tLast int64) string { return stamp(tFirst) + " – " + stamp(tLast) }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// ErrNewerVersion is returned (wrapped) when a file was written by a newer,
// incompatible vigil.
var ErrNewerVersion = errors.New("recording was written by a newer vigil")

// ErrNotRecording is returned (wrapped) for a file that is not a recording.
var ErrNotRecording = errors.New("not a vigil recording")

// recHdr is the fixed 32-byte head of every record:
//
//	0  magic u16 0x5256 ("VR" little-endian)
//	2  type u8
//	3  flags u8
//	4  payload length u32
//	8  tFirst i64 (Unix ns of the first frame it holds; 0 when none)
//	16 tLast i64
//	24 crc32c of the payload u32
//	28 crc32c of bytes 0..27 u32
type recHdr struct {
	typ    uint8
	flags  uint8
	length uint32
	tFirst int64
	tLast  int64
	pcrc   uint32
}

func (h recHdr) put(b []byte) {
	binary.LittleEndian.PutUint16(b[0:], recMagic)
	b[2] = h.typ
	b[3] = h.flags
	binary.LittleEndian.PutUint32(b[4:], h.length)
	binary.LittleEndian.PutUint64(b[8:], uint64(h.tFirst))
	binary.LittleEndian.PutUint64(b[16:], uint64(h.tLast))
	binary.LittleEndian.PutUint32(b[24:], h.pcrc)
	binary.LittleEndian.PutUint32(b[28:], crc(b[:28]))
}

// parseRecHdr decodes a record header, checking its magic and own CRC.
func parseRecHdr(b []byte) (recHdr, bool) {
	if len(b) < recHeaderLen || binary.LittleEndian.Uint16(b) != recMagic {
		return recHdr{}, false
	}
	if binary.LittleEndian.Uint32(b[28:]) != crc(b[:28]) {
		return recHdr{}, false
	}
	return recHdr{
		typ:    b[2],
		flags:  b[3],
		length: binary.LittleEndian.Uint32(b[4:]),
		tFirst: int64(binary.LittleEndian.Uint64(b[8:])),
		tLast:  int64(binary.LittleEndian.Uint64(b[16:])),
		pcrc:   binary.LittleEndian.Uint32(b[24:]),
	}, true
}

// appendRecord appends a whole record (header and payload) to dst.
func appendRecord(dst []byte, typ, flags uint8, tFirst, tLast int64, payload []byte) []byte {
	var h [recHeaderLen]byte
	recHdr{typ: typ, flags: flags, length: uint32(len(payload)), tFirst: tFirst, tLast: tLast, pcrc: crc(payload)}.put(h[:])
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

func fileHeader() []byte {
	b := make([]byte, fileHeaderLen)
	copy(b, fileMagic[:])
	binary.LittleEndian.PutUint16(b[8:], VersionMajor)
	binary.LittleEndian.PutUint16(b[10:], VersionMinor)
	binary.LittleEndian.PutUint32(b[12:], crc(b[:12]))
	return b
}

// parseFileHeader checks a segment's first 16 bytes and returns its version.
func parseFileHeader(b []byte) (major, minor uint16, err error) {
	if len(b) < fileHeaderLen {
		return 0, 0, fmt.Errorf("%w: file shorter than its header (%d bytes)", ErrNotRecording, len(b))
	}
	if [8]byte(b[:8]) != fileMagic {
		return 0, 0, fmt.Errorf("%w: bad magic", ErrNotRecording)
	}
	if binary.LittleEndian.Uint32(b[12:]) != crc(b[:12]) {
		return 0, 0, fmt.Errorf("%w: file header checksum mismatch", ErrNotRecording)
	}
	major = binary.LittleEndian.Uint16(b[8:])
	minor = binary.LittleEndian.Uint16(b[10:])
	if major > VersionMajor {
		return major, minor, fmt.Errorf("%w: format v%d.%d, this vigil reads v%d.x; upgrade vigil to replay it",
			ErrNewerVersion, major, minor, VersionMajor)
	}
	if major == 0 {
		return major, minor, fmt.Errorf("%w: format v0", ErrNotRecording)
	}
	return major, minor, nil
}

// Meta is the content of a segment's HEADER record (JSON).
type Meta struct {
	Created       int64  `json:"created"`        // Unix ns when the segment was created
	Host          string `json:"host,omitempty"` // hostname of the recorder
	Writer        string `json:"writer"`         // e.g. "vigil replay/1.0"
	BlockInterval int64  `json:"block_ns"`       // target block length, ns
	TZ            string `json:"tz,omitempty"`   // the recorder's time zone name
	Offset        int    `json:"tz_offset_s"`    // its UTC offset at creation, seconds
}
