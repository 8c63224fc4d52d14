package gpu

// xidMeanings is a short reading of the common XID codes (NVIDIA's XID
// catalogue), for the detail view; the collector's events carry the same.
var xidMeanings = map[int]string{
	13:  "graphics engine exception",
	31:  "GPU memory page fault",
	32:  "invalid push buffer stream",
	43:  "GPU stopped processing",
	45:  "preemptive cleanup",
	48:  "double-bit ECC error",
	61:  "internal micro-controller breakpoint",
	62:  "internal micro-controller halt",
	63:  "ECC page retirement / row remap recorded",
	64:  "ECC page retirement / row remap failed",
	68:  "video processor exception",
	74:  "NVLink error",
	79:  "GPU fell off the bus",
	92:  "high single-bit ECC error rate",
	94:  "contained ECC error",
	95:  "uncontained ECC error",
	109: "context switch timeout",
	119: "GSP RPC timeout",
	120: "GSP error",
	140: "unrecovered ECC error",
}

// XIDMeaning is a short reading of an XID code, or "" when unknown.
func XIDMeaning(code int) string { return xidMeanings[code] }
