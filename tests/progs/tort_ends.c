/* Torture program: the ways a process ends.
 *   tort_ends MODE N [T]
 * T threads (default 0) and the main thread each do N malloc+free in
 * before_end_work, then the main thread prints "did TOTAL" (the number of
 * malloc calls) and ends by MODE: return, exit, _exit, abort, segv (NULL
 * store), kill (SIGKILL itself), hang (pause forever, for timeout(1)), or
 * threadexit (T threads keep allocating in spin_work; one of them calls
 * exit(7) after 50 ms). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;
static long n;
static pthread_barrier_t done;

__attribute__((noinline)) static void before_end_work(long k)
{
    for (long i = 0; i < k; i++) {
        char *p = malloc(32 + (size_t)(i & 127));
        p[0] = 1;
        sink = p;
        free(p);
    }
}

__attribute__((noinline)) static void spin_work(void)
{
    for (;;) {
        char *p = malloc(64);
        p[0] = 2;
        sink = p;
        free(p);
    }
}

static void *worker(void *arg)
{
    before_end_work(n);
    pthread_barrier_wait(&done);
    pause();                    /* alive, with its buffer, when main ends */
    return NULL;
}

static void *spinner(void *arg)
{
    if (arg) {
        usleep(50000);
        printf("thread calls exit\n");
        exit(7);
    }
    spin_work();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tort_ends MODE N [THREADS]\n");
        return 2;
    }
    const char *mode = argv[1];
    n = atol(argv[2]);
    int t = argc > 3 ? atoi(argv[3]) : 0;
    pthread_t tid;

    if (strcmp(mode, "threadexit") == 0) {
        for (int i = 0; i < t; i++)
            pthread_create(&tid, NULL, spinner, NULL);
        pthread_create(&tid, NULL, spinner, (void *)1);
        before_end_work(n);
        for (;;)
            spin_work();
    }
    pthread_barrier_init(&done, NULL, (unsigned)t + 1);
    for (int i = 0; i < t; i++)
        pthread_create(&tid, NULL, worker, NULL);
    before_end_work(n);
    pthread_barrier_wait(&done);
    printf("did %ld\n", n * (t + 1));
    fflush(stdout);

    if (strcmp(mode, "return") == 0)
        return 3;
    if (strcmp(mode, "exit") == 0)
        exit(4);
    if (strcmp(mode, "_exit") == 0)
        _exit(5);
    if (strcmp(mode, "abort") == 0)
        abort();
    if (strcmp(mode, "segv") == 0) {
        int *volatile bad = (int *)16;
        *bad = 1;
    }
    if (strcmp(mode, "kill") == 0)
        raise(SIGKILL);
    if (strcmp(mode, "hang") == 0)
        for (;;)
            pause();
    fprintf(stderr, "tort_ends: unknown mode %s\n", mode);
    return 2;
}
