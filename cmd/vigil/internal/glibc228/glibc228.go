//go:build linux && cgo && glibc228

// Package glibc228 lets a vigil linked against a newer glibc (Debian 12's
// 2.36) start on glibc 2.28 (RHEL/Rocky 8, Ubuntu 20.04 has 2.31), while it
// still loads libnvidia-ml at run time through dlopen.
//
// glibc 2.34 moved libpthread and libdl into libc and gave the moved
// functions (pthread_create, dlopen, ...) and __libc_start_main new symbol
// versions; a binary linked against 2.34 or later asks for GLIBC_2.34 and an
// older loader refuses it. This package defines __wrap_NAME for each such
// function, jumping to the function's original version (GLIBC_2.2.5 on
// x86_64, GLIBC_2.17 on arm64), and scripts/dist links with
// -Wl,--wrap=NAME for every NAME in shim.c, so that every object's
// reference (the Go runtime's, go-nvml's, crt1's) goes to the old version.
// It also links libpthread.so.0, libdl.so.2 and libresolv.so.2, where those
// versions live before 2.34 (from 2.34 on the first two are empty stubs).
//
// __libc_start_main is special: crt1.o from glibc 2.34 on passes no init
// function, because the new __libc_start_main finds the program's
// constructors itself; the old one only calls what it is passed. The
// wrapper passes an init that runs _init and .init_array as glibc's
// __libc_csu_init did, which the compatibility version of a new glibc calls
// too (in place of finding them itself), so constructors run once on both.
//
// It is only built with -tags glibc228 (scripts/dist); scripts/dist checks
// with objdump that no GLIBC_ version above 2.28 is left, and names the
// symbol to add to shim.c when a dependency starts calling a new one.
package glibc228

/*
#include <dlfcn.h>
#include <stdlib.h>

extern int glibc228_constructed;

// libmCos opens libm through dlopen and calls cos(0) through dlsym.
static double libmCos(void) {
	void *h = dlopen("libm.so.6", RTLD_NOW);
	if (h == NULL) {
		return -1;
	}
	double (*cosf)(double) = (double (*)(double))dlsym(h, "cos");
	double v = cosf == NULL ? -2 : cosf(0);
	dlclose(h);
	return v;
}
#cgo LDFLAGS: -ldl
*/
import "C"

// Constructors is how many times the package's C constructor ran: 1 when
// the init that __wrap___libc_start_main passes ran .init_array once.
func Constructors() int { return int(C.glibc228_constructed) }

// DlopenCos is cos(0) from libm, opened with dlopen and found with dlsym
// through the wrappers: 1 when they reach the library.
func DlopenCos() float64 { return float64(C.libmCos()) }
