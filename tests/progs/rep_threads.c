#define _GNU_SOURCE
/* rep_threads: 4 named threads each do 1000 malloc(32)/free pairs in
 * worker(); then the process forks and the child leaks 5 blocks of 128 in
 * child_work().  For the analyzer's per-thread, per-process and format tests. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEP(p) __asm__ volatile("" :: "r"(p) : "memory")

__attribute__((noinline)) static void *worker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "rep-worker");
    for (int i = 0; i < 1000; i++) {
        void *p = malloc(32);
        KEEP(p);
        free(p);
    }
    return NULL;
}

__attribute__((noinline)) static void child_work(void)
{
    for (int i = 0; i < 5; i++) {
        void *p = malloc(128);
        KEEP(p);
    }
}

int main(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    pid_t pid = fork();
    if (pid == 0) {
        child_work();
        exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return 0;
}
