//go:build linux && cgo && glibc228

// See glibc228.go. Each WRAP(name, version) line defines __wrap_name, a
// jump to name@version (WRAPTO: to another name's version); scripts/dist
// reads these lines for its --wrap flags.

#include <stddef.h>

#if defined(__x86_64__)
#define BASE "GLIBC_2.2.5"
#define JUMP(sym) "\tjmp " sym "@PLT\n"
#define FUNC "@function"
#elif defined(__aarch64__)
#define BASE "GLIBC_2.17"
#define JUMP(sym) "\tb " sym "\n"
#define FUNC "%function"
#else
#error "glibc228: only amd64 and arm64"
#endif

#define WRAP(name, version) WRAPTO(name, name, version)
#define WRAPTO(name, target, version)                                   \
	__asm__(".symver glibc228_" #name ", " #target "@" version "\n" \
		"\t.text\n"                                             \
		"\t.globl __wrap_" #name "\n"                           \
		"\t.type __wrap_" #name ", " FUNC "\n"                  \
		"__wrap_" #name ":\n" JUMP("glibc228_" #name)           \
		"\t.size __wrap_" #name ", .-__wrap_" #name "\n");

// The Go runtime's cgo support (runtime/cgo).
WRAP(pthread_create, BASE)
WRAP(pthread_key_create, BASE)
WRAP(pthread_setspecific, BASE)
WRAP(pthread_attr_getstack, BASE)
WRAP(pthread_attr_getstacksize, BASE)
WRAP(pthread_getattr_np, BASE)
WRAP(pthread_sigmask, BASE)
// go-nvml: libnvidia-ml is opened at run time.
WRAP(dlopen, BASE)
WRAP(dlsym, BASE)
WRAP(dlclose, BASE)
WRAP(dlerror, BASE)
#if defined(__x86_64__)
WRAP(dlinfo, "GLIBC_2.3.3") // dlinfo came in glibc 2.3.3
#else
WRAP(dlinfo, BASE)
#endif
// net's cgo resolver: libresolv's __res_search before 2.34.
WRAPTO(res_search, __res_search, BASE)

// __libc_start_main: see glibc228.go.
typedef int (*main_fn)(int, char **, char **);
typedef void (*init_fn)(int, char **, char **);

extern int glibc228___libc_start_main(main_fn, int, char **, init_fn, void (*)(void), void (*)(void), void *);
__asm__(".symver glibc228___libc_start_main, __libc_start_main@" BASE);

extern void _init(void);
extern init_fn __init_array_start[] __attribute__((visibility("hidden")));
extern init_fn __init_array_end[] __attribute__((visibility("hidden")));

static void glibc228_csu_init(int argc, char **argv, char **envp) {
	_init();
	size_t n = (size_t)(__init_array_end - __init_array_start);
	for (size_t i = 0; i < n; i++) {
		__init_array_start[i](argc, argv, envp);
	}
}

int __wrap___libc_start_main(main_fn main, int argc, char **argv, init_fn init, void (*fini)(void),
			     void (*rtld_fini)(void), void *stack_end) {
	(void)init; // NULL from a glibc 2.34+ crt1.o
	return glibc228___libc_start_main(main, argc, argv, glibc228_csu_init, fini, rtld_fini, stack_end);
}

// For the package's test: a constructor that counts its runs (exactly one
// proves the init above runs .init_array, and only once), and a dlopen
// through the wrappers.
int glibc228_constructed = 0;
__attribute__((constructor)) static void glibc228_construct(void) { glibc228_constructed++; }
