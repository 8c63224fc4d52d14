//go:build linux && cgo && glibc228

package glibc228

import "testing"

// scripts/dist runs this test linked as the release binary is.
func TestConstructorsRunOnce(t *testing.T) {
	if n := Constructors(); n != 1 {
		t.Fatalf("the C constructor ran %d times, want 1", n)
	}
}

func TestDlopenThroughWrappers(t *testing.T) {
	if v := DlopenCos(); v != 1 {
		t.Fatalf("cos(0) through dlopen/dlsym = %v, want 1", v)
	}
}
