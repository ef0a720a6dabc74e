/* The functions libfaultprof.so interposes, listed once.  struct fp_real
 * (fp.h), the dlsym resolution in fp_resolve (real.c) and the export map
 * (build/exports.map, made by the Makefile from exports.map.in) follow
 * from these lists; each hook itself is written in hooks_*.c, threads.c,
 * faults.c or unwind_mask.c with FP_EXPORT.  Macros only: the Makefile
 * runs the C preprocessor over this file to make the linker's version
 * script. */
#ifndef FP_HOOKS_H
#define FP_HOOKS_H

/* X(name, return type, parameter types, attributes): hooks whose next
 * definition is resolved at start and called through fp_real.name */
#define FP_HOOKS_REAL(X)                                                              \
    X(malloc,         void *, (size_t), )                                             \
    X(calloc,         void *, (size_t, size_t), )                                     \
    X(realloc,        void *, (void *, size_t), )                                     \
    X(free,           void,   (void *), )                                             \
    X(posix_memalign, int,    (void **, size_t, size_t), )                            \
    X(aligned_alloc,  void *, (size_t, size_t), )                                     \
    X(memalign,       void *, (size_t, size_t), )                                     \
    X(valloc,         void *, (size_t), )                                             \
    X(pvalloc,        void *, (size_t), )                                             \
    X(mmap,           void *, (void *, size_t, int, int, int, off_t), )               \
    X(munmap,         int,    (void *, size_t), )                                     \
    X(mremap,         void *, (void *, size_t, size_t, int, ...), )                   \
    X(madvise,        int,    (void *, size_t, int), )                                \
    X(mprotect,       int,    (void *, size_t, int), )                                \
    X(brk,            int,    (void *), )                                             \
    X(sbrk,           void *, (intptr_t), )                                           \
    X(fork,           pid_t,  (void), )                                               \
    X(_exit,          void,   (int), __attribute__((noreturn)))                       \
    X(_Exit,          void,   (int), __attribute__((noreturn)))                       \
    X(abort,          void,   (void), __attribute__((noreturn)))                      \
    X(execve,         int,    (const char *, char *const[], char *const[]), )         \
    X(execvpe,        int,    (const char *, char *const[], char *const[]), )         \
    X(fexecve,        int,    (int, char *const[], char *const[]), )                  \
    X(execveat,       int,    (int, const char *, char *const[], char *const[], int), ) \
    X(dlopen,         void *, (const char *, int), )                                  \
    X(dlmopen,        void *, (long, const char *, int), )                            \
    X(dlclose,        int,    (void *), )                                             \
    X(prctl,          int,    (int, ...), )                                           \
    X(sigprocmask,    int,    (int, const sigset_t *, sigset_t *), )                  \
    X(pthread_create, int,    (pthread_t *, const pthread_attr_t *,                   \
                               void *(*)(void *), void *), )

/* X(name): hooks that reach the next definition through another hook's
 * real function (reallocarray: realloc; mmap64: mmap; the exec family
 * built on execve and execvpe) */
#define FP_HOOKS_VIA(X)                                                               \
    X(reallocarray) X(mmap64)                                                         \
    X(execv) X(execvp) X(execl) X(execlp) X(execle)

/* X(name): hooks that look up their next definition themselves, at first
 * use (faults.c: the signal functions; hooks_proc.c: the longjmps) */
#define FP_HOOKS_LAZY(X)                                                              \
    X(sigaction) X(signal) X(bsd_signal) X(sysv_signal)                               \
    X(longjmp) X(_longjmp) X(siglongjmp) X(__longjmp_chk)

#endif /* FP_HOOKS_H */
