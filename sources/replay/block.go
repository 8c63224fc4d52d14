package replay

import "math"

// A block body (FORMAT.md, BLOCK) is a sequence of sections, each but the
// codec version and the frame count length-prefixed:
//
//	codec version | strings | frame count | frame times | meta | column modes | float planes | integers | aux | text | ids
//
// Codec 0 (format 1.x) has no ids section and its own log records; codec
// 1 (format 2.x) stores log records as logcodec.go describes.
// encode.go writes it (blockEnc) and decode.go reads it (bodyDecoder); what
// both must agree on beyond the section order is here.

// noTime stands for a frame's zero time among the encoder's frame times.
const noTime = math.MinInt64

// blockCodec is the block codec this package writes; it reads 0 and 1.
const blockCodec = 1

// Frame flags in a block's meta section.
const (
	ffPoints = 1 << iota
	ffHists
	ffLogs
	ffSpans
	ffEvents
	ffExemplars
	ffHealth
	ffPointsAt // every point is stamped with the frame's time
	ffHistsAt  // every histogram is stamped with the frame's time
)

// maxScale is the most decimal digits a decimal column keeps: its mode byte
// is 1+scale, 0 being a float column.
const maxScale = 6

var pow10 = [maxScale + 1]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6}
