//go:build linux && cgo && glibc228

package main

// Release builds run on glibc 2.28 and later: see internal/glibc228.
import _ "github.com/vigil-dev/vigil/cmd/vigil/internal/glibc228"
