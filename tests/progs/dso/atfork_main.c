/* The program of torture_fork_gate.sh, linked with libatforklate.so (whose
 * atfork prepare handler runs after the shim's fork gate has closed).
 * Three threads allocate in a tight loop (spin_alloc) while the main
 * thread forks; each child does child_alloc (100 malloc+free) and exits 7.
 *   atfork_main sleep MS FORKS   the handler sleeps MS ms
 *   atfork_main lock FORKS       the handler takes the lock that each
 *                                thread holds around its allocations
 *   atfork_main sem FORKS        the handler waits on a semaphore that a
 *                                thread posts after its next allocation
 *   atfork_main spin FORKS       the same, spinning on a flag
 * stdout: "forked N, ok N"; stderr: "spin N", the threads' allocations. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void atfork_late_mode(int ms, int lock_it);
void atfork_late_lock(void);
void atfork_late_unlock(void);
void atfork_late_wait_mode(int kind);
int atfork_late_waiting(void);
void atfork_late_release(void);

#define THREADS 3
static atomic_int stop;
static atomic_long made;
static int locked;
static long spun[THREADS];
static void *volatile sink;

__attribute__((noinline)) static long spin_alloc(void)
{
    long n = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        int release = atfork_late_waiting();   /* then after these allocations */
        if (locked)
            atfork_late_lock();
        for (int i = 0; i < 8; i++, n++) {
            char *p = malloc(64 + (size_t)(n & 63));
            if (!p)
                abort();
            p[0] = 1;
            sink = p;
            free(p);
        }
        if (locked)
            atfork_late_unlock();
        if (release)
            atfork_late_release();
        atomic_fetch_add_explicit(&made, 8, memory_order_relaxed);
    }
    return n;
}

static void *spinner(void *arg)
{
    spun[(long)arg] = spin_alloc();
    return NULL;
}

__attribute__((noinline)) static void child_alloc(int n)
{
    for (int i = 0; i < n; i++) {
        char *p = malloc(200 + (size_t)i);
        if (!p)
            _exit(1);
        p[0] = 2;
        sink = p;
        free(p);
    }
}

int main(int argc, char **argv)
{
    int sleep_mode = argc == 4 && strcmp(argv[1], "sleep") == 0;
    int wait_kind = argc == 3 ? (strcmp(argv[1], "sem") == 0 ? 1 : strcmp(argv[1], "spin") == 0 ? 2 : 0)
                              : 0;
    if (!sleep_mode && !wait_kind && !(argc == 3 && strcmp(argv[1], "lock") == 0)) {
        fprintf(stderr, "usage: atfork_main sleep MS FORKS | lock FORKS | sem FORKS | spin FORKS\n");
        return 2;
    }
    int forks = atoi(argv[argc - 1]);
    locked = !sleep_mode && !wait_kind;
    atfork_late_mode(sleep_mode ? atoi(argv[2]) : 0, locked);
    if (wait_kind)
        atfork_late_wait_mode(wait_kind);
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, spinner, (void *)i);
    int ok = 0;
    for (int i = 0; i < forks; i++) {
        /* each fork while the threads are at work */
        long want = atomic_load(&made) + 400;
        while (atomic_load(&made) < want)
            sched_yield();
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            child_alloc(100);
            _exit(7);
        }
        int st;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7)
            ok++;
    }
    atomic_store(&stop, 1);
    long total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        total += spun[i];
    }
    fprintf(stderr, "spin %ld\n", total);
    printf("forked %d, ok %d\n", forks, ok);
    return 0;
}
