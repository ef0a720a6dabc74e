/* Torture program: threads that allocate.  Counts on stdout are the ones a
 * trace must hold for the functions named (see torture_threads.sh):
 *   tort_threads loop ROUNDS N   ROUNDS times: start 64 threads, each does N
 *                                malloc+free in thread_churn; join them
 *   tort_threads leak N          64 threads each keep N blocks from
 *                                thread_leak and exit without freeing them
 *   tort_threads cross N         4 producers allocate N blocks each in
 *                                cross_alloc, 4 consumers free them */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 64

static void *volatile sink;

__attribute__((noinline)) static void thread_churn(long n)
{
    for (long i = 0; i < n; i++) {
        char *p = malloc(16 + (size_t)(i % 512));
        p[0] = (char)i;
        sink = p;
        free(p);
    }
}

__attribute__((noinline)) static void thread_leak(long n)
{
    for (long i = 0; i < n; i++) {
        char *p = malloc(32 + (size_t)i);
        p[0] = 1;
        sink = p;              /* kept: the thread exits with it live */
    }
}

static long arg_n;

static void *churn_main(void *arg)
{
    thread_churn(arg_n);
    return NULL;
}

static void *leak_main(void *arg)
{
    thread_leak(arg_n);
    return NULL;
}

/* --- cross-thread frees through a mutex-protected ring */
#define RING 256
static void *ring[RING];
static unsigned ring_head, ring_tail;
static pthread_mutex_t ring_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ring_cv = PTHREAD_COND_INITIALIZER;
static long consumed;

__attribute__((noinline)) static void *cross_alloc(long i)
{
    char *p = malloc(24 + (size_t)(i % 100));
    memset(p, 0x5a, 24);
    sink = p;
    return p;
}

static void ring_put(void *p)
{
    pthread_mutex_lock(&ring_mu);
    while (ring_head - ring_tail == RING)
        pthread_cond_wait(&ring_cv, &ring_mu);
    ring[ring_head++ % RING] = p;
    pthread_cond_broadcast(&ring_cv);
    pthread_mutex_unlock(&ring_mu);
}

static void *ring_get(void)
{
    void *p;
    pthread_mutex_lock(&ring_mu);
    while (ring_head == ring_tail)
        pthread_cond_wait(&ring_cv, &ring_mu);
    p = ring[ring_tail++ % RING];
    pthread_cond_broadcast(&ring_cv);
    pthread_mutex_unlock(&ring_mu);
    return p;
}

static void *producer(void *arg)
{
    for (long i = 0; i < arg_n; i++)
        ring_put(cross_alloc(i));
    return NULL;
}

static void *consumer(void *arg)
{
    for (long i = 0; i < arg_n; i++) {
        char *p = ring_get();
        if (p[0] != 0x5a)
            abort();
        free(p);
        __atomic_add_fetch(&consumed, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static int run_threads(int n, void *(*fn)(void *))
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, fn, NULL) != 0) {
            perror("pthread_create");
            return -1;
        }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "loop") == 0) {
        long rounds = atol(argv[2]);
        arg_n = atol(argv[3]);
        for (long r = 0; r < rounds; r++)
            if (run_threads(NTHREADS, churn_main) != 0)
                return 1;
        printf("loop rounds=%ld threads=%d thread_churn=%ld\n", rounds, NTHREADS,
               rounds * NTHREADS * arg_n);
    } else if (argc >= 3 && strcmp(argv[1], "leak") == 0) {
        arg_n = atol(argv[2]);
        if (run_threads(NTHREADS, leak_main) != 0)
            return 1;
        printf("leak threads=%d thread_leak=%ld\n", NTHREADS, NTHREADS * arg_n);
    } else if (argc >= 3 && strcmp(argv[1], "cross") == 0) {
        pthread_t p[4], c[4];
        arg_n = atol(argv[2]);
        for (int i = 0; i < 4; i++) {
            pthread_create(&p[i], NULL, producer, NULL);
            pthread_create(&c[i], NULL, consumer, NULL);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(p[i], NULL);
            pthread_join(c[i], NULL);
        }
        printf("cross cross_alloc=%ld freed=%ld\n", 4 * arg_n, consumed);
    } else {
        fprintf(stderr, "usage: tort_threads loop ROUNDS N | leak N | cross N\n");
        return 2;
    }
    return 0;
}
