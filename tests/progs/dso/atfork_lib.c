/* libatforklate.so for torture_fork_gate.sh: a library the program links,
 * so that its constructor runs before the shim's and its atfork prepare
 * handler, registered first, runs last: after the shim's fork gate has
 * closed (as jemalloc's prefork does when jemalloc is set up before us, or
 * every handler of a program that faultprof -p attaches to).  The handler
 * sleeps (the forking thread off the CPU) or takes the library's lock,
 * which the program's threads hold while they allocate. */
#include <pthread.h>
#include <time.h>

static int sleep_ms;
static int take_lock;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void atfork_late_mode(int ms, int lock_it)
{
    sleep_ms = ms;
    take_lock = lock_it;
}

void atfork_late_lock(void) { pthread_mutex_lock(&lock); }
void atfork_late_unlock(void) { pthread_mutex_unlock(&lock); }

static void prepare(void)
{
    if (sleep_ms) {
        struct timespec ts = { sleep_ms / 1000, (long)(sleep_ms % 1000) * 1000000 };
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    if (take_lock)
        pthread_mutex_lock(&lock);
}

static void after(void)
{
    if (take_lock)
        pthread_mutex_unlock(&lock);
}

__attribute__((constructor)) static void atfork_late_init(void)
{
    pthread_atfork(prepare, after, after);
}
