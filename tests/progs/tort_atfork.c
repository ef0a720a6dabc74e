/* fork while other threads allocate under a lock that the program's own
 * atfork handler takes (as jemalloc's prefork takes its arena locks).  The
 * recorder's fork gate is closed while glibc runs the atfork handlers: a
 * thread that waited at the gate with the lock held stopped the fork, and
 * the fork stopped the thread, for ever.
 *
 *   tort_atfork FORKS */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stop;
static atomic_long made;

static void prepare(void) { pthread_mutex_lock(&lock); }
static void release(void) { pthread_mutex_unlock(&lock); }

static __attribute__((noinline)) void *locked_work(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        pthread_mutex_lock(&lock);
        for (int i = 0; i < 8; i++) {
            void *p = malloc(64 + (size_t)i * 16);
            if (!p)
                abort();
            *(volatile char *)p = 1;
            free(p);
            atomic_fetch_add(&made, 1);
        }
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int forks = argc > 1 ? atoi(argv[1]) : 50;
    pthread_atfork(prepare, release, release);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, locked_work, NULL);
    int ok = 0;
    for (int i = 0; i < forks; i++) {
        while (atomic_load(&made) < (long)(i + 1) * 50)
            sched_yield();
        pid_t pid = fork();
        if (pid == 0) {
            void *p = malloc(100);
            _exit(p ? 7 : 1);
        }
        int st;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7)
            ok++;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("forked %d, ok %d\n", forks, ok);
    return 0;
}
