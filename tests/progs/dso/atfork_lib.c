/* libatforklate.so for torture_fork_gate.sh: a library the program links,
 * so that its constructor runs before the shim's and its atfork prepare
 * handler, registered first, runs last: after the shim's fork gate has
 * closed (as jemalloc's prefork does when jemalloc is set up before us, or
 * every handler of a program that faultprof -p attaches to).  The handler
 * sleeps (the forking thread off the CPU) or takes the library's lock,
 * which the program's threads hold while they allocate; or it waits for a
 * thread to allocate once more and then release it, blocked on a semaphore
 * (a wait whose owner nobody can know) or spinning (a forking thread that
 * looks busy). */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>

static int sleep_ms;
static int take_lock;
static int wait_kind;              /* 1 semaphore, 2 spin */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t sem;
static atomic_int waiting, released;

void atfork_late_mode(int ms, int lock_it)
{
    sleep_ms = ms;
    take_lock = lock_it;
}

void atfork_late_wait_mode(int kind)
{
    wait_kind = kind;
    sem_init(&sem, 0, 0);
}

void atfork_late_lock(void) { pthread_mutex_lock(&lock); }
void atfork_late_unlock(void) { pthread_mutex_unlock(&lock); }

/* The handler is waiting: a thread that allocated since it began lets it go
 * on (one thread, once per fork). */
int atfork_late_waiting(void) { return atomic_load(&waiting); }
void atfork_late_release(void)
{
    if (atomic_exchange(&waiting, 0)) {
        if (wait_kind == 1)
            sem_post(&sem);
        else
            atomic_store(&released, 1);
    }
}

static void prepare(void)
{
    if (sleep_ms) {
        struct timespec ts = { sleep_ms / 1000, (long)(sleep_ms % 1000) * 1000000 };
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    if (take_lock)
        pthread_mutex_lock(&lock);
    if (wait_kind) {
        atomic_store(&released, 0);
        atomic_store(&waiting, 1);
        if (wait_kind == 1)
            while (sem_wait(&sem) != 0)
                ;
        else
            while (!atomic_load(&released))
                ;
    }
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
