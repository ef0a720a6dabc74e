/* Threads whose first call is pthread_getattr_np, as the JVM, Ruby and
 * Rust's std make it (they ask for their stack bounds first thing).  glibc
 * holds the thread's own lock while pthread_getattr_np reallocs its cpu
 * set: a recorder that asked glibc for the stack at that realloc waited on
 * that lock for ever.  Threads made three ways: pthread_create (seen by the
 * shim), libc's own pthread_create looked up past the shim, and C11's
 * thrd_create (glibc calls its pthread_create inside, unseen).  Each thread
 * then makes one block of 4000 + its number bytes.
 *
 *   rec_getattr N   N threads of each kind */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

static void *blocks[3][64];

static __attribute__((noinline)) size_t stack_size_of_self(void)
{
    pthread_attr_t a;
    void *lo;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstack(&a, &lo, &size);
        pthread_attr_destroy(&a);
    }
    return size;
}

static __attribute__((noinline)) void *thread_block(int kind, long i)
{
    return blocks[kind][i] = malloc(4000 + (size_t)(kind * 64 + i));
}

static void *by_pthread(void *arg)
{
    long i = (long)arg;
    size_t s = stack_size_of_self();
    thread_block(0, i);
    return (void *)(size_t)(s > 0);
}

static void *by_libc(void *arg)
{
    long i = (long)arg;
    size_t s = stack_size_of_self();
    thread_block(1, i);
    return (void *)(size_t)(s > 0);
}

static int by_c11(void *arg)
{
    long i = (long)arg;
    size_t s = stack_size_of_self();
    thread_block(2, i);
    return s > 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 4;
    if (n < 1 || n > 64)
        n = 4;
    /* libc's own pthread_create, as code that does not go through the PLT */
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    int (*libc_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) =
        libc ? (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))
                   dlsym(libc, "pthread_create")
             : NULL;
    if (!libc_create) {
        fprintf(stderr, "no pthread_create in libc.so.6\n");
        return 2;
    }
    int ok[3] = { 0, 0, 0 };
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *r;
        if (pthread_create(&t, NULL, by_pthread, (void *)i) == 0 && pthread_join(t, &r) == 0)
            ok[0] += r != NULL;
        if (libc_create(&t, NULL, by_libc, (void *)i) == 0 && pthread_join(t, &r) == 0)
            ok[1] += r != NULL;
        thrd_t c;
        int cr;
        if (thrd_create(&c, by_c11, (void *)i) == thrd_success && thrd_join(c, &cr) == thrd_success)
            ok[2] += cr;
    }
    printf("stack bounds known: pthread_create %d, libc's %d, thrd_create %d of %ld each\n",
           ok[0], ok[1], ok[2], n);
    for (int k = 0; k < 3; k++)
        for (long i = 0; i < n; i++)
            free(blocks[k][i]);
    return 0;
}
