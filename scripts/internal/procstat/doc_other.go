//go:build !linux

// Package procstat is Linux only: it reads /proc.
package procstat
