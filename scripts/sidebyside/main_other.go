//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "sidebyside: Linux only (it reads /proc)")
	os.Exit(1)
}
