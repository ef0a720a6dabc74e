/* Small and nearly full stacks: the recorder must need no more room than a
 * few hundred bytes on whatever stack the program calls it from.
 *
 *   rec_smallstack measure        how much of a sigaltstack the handler
 *                                 below uses natively (stack painting)
 *   rec_smallstack alt SIZE N     N signals whose SA_ONSTACK handler mallocs,
 *                                 maps and touches fresh pages on a SIZE-byte
 *                                 sigaltstack
 *   rec_smallstack nearfull ROOM  a thread recurses until ROOM bytes of its
 *                                 stack are left, then does the same there
 *
 * The test runs `measure` natively and gives `alt` what the handler needed
 * plus a little: a CPU with a bigger signal frame gets a bigger stack, so
 * what is tested is the recorder's own need, on any machine. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES 8

static volatile unsigned long sink;
static unsigned long handled;

/* malloc, a fresh mapping touched page by page (page faults), free */
static __attribute__((noinline)) unsigned long work(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *small = malloc(100);
    char *m = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!small || m == MAP_FAILED)
        abort();
    unsigned long sum = 0;
    for (int i = 0; i < PAGES; i++) {
        m[i * page] = (char)i;
        sum += (unsigned char)m[i * page];
    }
    small[0] = 1;
    sum += small[0];
    munmap(m, PAGES * page);
    free(small);
    return sum;
}

/* uses 3 KiB of its own, as a handler with a buffer would */
static void on_signal(int sig)
{
    volatile char pad[3072];
    memset((char *)pad, sig, sizeof(pad));
    sink += pad[100] + work();
    handled++;
}

static void install(void *stack, size_t size)
{
    /* once outside the handler, so that binding its calls' symbols (the
     * loader's resolver saves every register on the stack) is not part of
     * what the handler needs */
    sink += work();
    stack_t ss = { .ss_sp = stack, .ss_size = size, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        exit(2);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    /* the program's view of its own action is what it asked for */
    struct sigaction back;
    sigaction(SIGUSR1, NULL, &back);
    printf("handler mask has SIGTRAP: %d\n", sigismember(&back.sa_mask, SIGTRAP));
}

static int measure(void)
{
    size_t size = 256 * 1024;
    unsigned char *s = malloc(size);
    memset(s, 0xa5, size);
    install(s, size);
    raise(SIGUSR1);
    size_t i = 0;
    while (i < size && s[i] == 0xa5)
        i++;
    printf("%zu\n", size - i);
    return 0;
}

/* the altstack sits above a guard page, so an overflow is a SIGSEGV rather
 * than a write into whatever lies below */
static void *guarded_stack(size_t size, size_t *page_out)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t span = (size + page - 1) / page * page;
    char *m = mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        abort();
    mprotect(m, page, PROT_NONE);
    *page_out = page;
    /* the usable stack is exactly size bytes, ending at the mapping's end */
    return m + page + span - size;
}

static int alt(size_t size, int n)
{
    size_t page;
    void *s = guarded_stack(size, &page);
    install(s, size);
    for (int i = 0; i < n; i++)
        raise(SIGUSR1);
    printf("handled %lu signals, sum %lu\n", handled, sink);
    return 0;
}

/* ---- nearly full: recurse until `room` bytes are left above the guard */
static uintptr_t stack_lo;
static size_t room;

static unsigned long deep(int level);
static unsigned long (*volatile deeper)(int) = deep;   /* no loop made of it */

static __attribute__((noinline)) unsigned long deep(int level)
{
    volatile char frame[256];
    frame[0] = (char)level;
    frame[1] = 0;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (sp - stack_lo > room + sizeof(frame) + 512)
        return deeper(level + 1) + (unsigned char)frame[1];
    unsigned long s = 0;
    for (int i = 0; i < 20; i++)
        s += work();
    return s;
}

static void *nearfull_thread(void *arg)
{
    (void)arg;
    /* bound first, as in install(): the loader's resolver at the bottom
     * would take a CPU-dependent share of the room (it saves the whole
     * register file there) */
    sink += work();
    return (void *)deep(0);
}

static int nearfull(size_t want_room)
{
    size_t size = 256 * 1024, page;
    void *s = guarded_stack(size, &page);
    stack_lo = (uintptr_t)s;
    room = want_room;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, s, size);
    pthread_t t;
    void *r;
    pthread_create(&t, &a, nearfull_thread, NULL);
    pthread_join(t, &r);
    printf("near the end of its stack: %lu\n", (unsigned long)(uintptr_t)r);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 2 && strcmp(argv[1], "measure") == 0)
        return measure();
    if (argc >= 4 && strcmp(argv[1], "alt") == 0)
        return alt(strtoul(argv[2], NULL, 10), atoi(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "nearfull") == 0)
        return nearfull(strtoul(argv[2], NULL, 10));
    fprintf(stderr, "usage: rec_smallstack measure | alt SIZE N | nearfull ROOM\n");
    return 2;
}
