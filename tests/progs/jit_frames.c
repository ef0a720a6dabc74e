/* jit_frames: code the program writes itself, as a JIT compiler does: no
 * unwind tables, and rbp used as a plain register holding the address of a
 * reserved (PROT_NONE) page, as JVM-compiled code may leave it.  An unwinder
 * that guesses a frame chain from rbp in such a frame reads that page.
 *
 *   jit_frames faults N   generated code writes to N fresh pages (page
 *                         faults taken inside it)
 *   jit_frames malloc N   generated code calls malloc and free N times
 *
 * Prints what it did; the output is the same natively and under faultprof.
 * x86_64 only (exits 77 elsewhere). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
/* Both keep a standard frame (push %rbp; mov %rsp,%rbp) but put the
 * reserved address where the caller's rbp is saved, restoring it before
 * they return.  An unwinder that steps out of them by the frame chain gets
 * that address as the caller's rbp, and the caller's unwind table (its CFA
 * is rbp + 16) then has it read the reserved page. */
/* touch(reserved, page): *page = 1 */
static const unsigned char touch_code[] = {
    0x55,                         /* push %rbp */
    0x48, 0x89, 0xe5,             /* mov %rsp,%rbp */
    0x4c, 0x8b, 0x55, 0x00,       /* mov 0(%rbp),%r10: the caller's rbp */
    0x48, 0x89, 0x7d, 0x00,       /* mov %rdi,0(%rbp) */
    0xc6, 0x06, 0x01,             /* movb $1,(%rsi): the page fault */
    0x4c, 0x89, 0x55, 0x00,       /* mov %r10,0(%rbp) */
    0x5d,                         /* pop %rbp */
    0xc3,                         /* ret */
};
/* call(reserved, fn, arg): fn(arg) */
static const unsigned char call_code[] = {
    0x55,                         /* push %rbp */
    0x48, 0x89, 0xe5,             /* mov %rsp,%rbp */
    0x4c, 0x8b, 0x55, 0x00,       /* mov 0(%rbp),%r10 */
    0x48, 0x89, 0x7d, 0x00,       /* mov %rdi,0(%rbp) */
    0x41, 0x52,                   /* push %r10 */
    0x41, 0x52,                   /* push %r10 (16-byte alignment for the call) */
    0x48, 0x89, 0xf0,             /* mov %rsi,%rax */
    0x48, 0x89, 0xd7,             /* mov %rdx,%rdi */
    0xff, 0xd0,                   /* call *%rax */
    0x41, 0x5a,                   /* pop %r10 */
    0x41, 0x5a,                   /* pop %r10 */
    0x4c, 0x89, 0x55, 0x00,       /* mov %r10,0(%rbp) */
    0x5d,                         /* pop %rbp */
    0xc3,                         /* ret */
};

static void (*touch)(char *, char *);
static void (*call)(char *, void (*)(void *), void *);

/* The generated code's callers: compiled with frame pointers, so that
 * their unwind tables define the CFA from rbp. */
__attribute__((noinline, optimize("no-omit-frame-pointer")))
static void touch_from_c(char *target, char *page)
{
    touch(target, page);
    __asm__ volatile("" ::: "memory");
}

static void one_malloc(void *unused)
{
    (void)unused;
    void *p = malloc(48);
    __asm__ volatile("" : : "r"(p) : "memory");
    free(p);
}

__attribute__((noinline, optimize("no-omit-frame-pointer")))
static void call_from_c(char *target)
{
    call(target, one_malloc, NULL);
    __asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "faults") && strcmp(argv[1], "malloc"))) {
        fprintf(stderr, "usage: jit_frames faults|malloc N\n");
        return 2;
    }
    long n = atol(argv[2]);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    /* a reservation, as a JVM makes for its heap: mapped, not readable */
    char *reserved = mmap(NULL, 16 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *code = mmap(NULL, pg, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (reserved == MAP_FAILED || code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    memcpy(code, touch_code, sizeof(touch_code));
    memcpy(code + 64, call_code, sizeof(call_code));
    touch = (void (*)(char *, char *))(void *)code;
    call = (void (*)(char *, void (*)(void *), void *))(void *)(code + 64);
    char *target = reserved + 8 * pg - 4;   /* a read of 8 bytes there faults */
    if (!strcmp(argv[1], "faults")) {
        char *pages = mmap(NULL, (size_t)n * pg, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pages == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        for (long i = 0; i < n; i++)
            touch_from_c(target, pages + (size_t)i * pg);
        long sum = 0;
        for (long i = 0; i < n; i++)
            sum += pages[(size_t)i * pg];
        printf("jit_frames: touched %ld pages from generated code, sum %ld\n", n, sum);
    } else {
        for (long i = 0; i < n; i++)
            call_from_c(target);
        printf("jit_frames: %ld malloc/free pairs called from generated code\n", n);
    }
    return 0;
}
#else
int main(void)
{
    printf("jit_frames: x86_64 only\n");
    return 77;
}
#endif
