/* Torture program: processes.  Every process does a known number of
 * allocations in a function of its own, so that each trace can be checked:
 *   tort_proc leaf N             leaf_work: N malloc+free; print "leaf N"
 *   tort_proc forkthreads K      4 threads allocate (spin_work) while the
 *                                main thread forks K children one after the
 *                                other; each child does child_work (100
 *                                malloc+free) and exits; the threads' total
 *                                goes to stderr as "spin N"
 *   tort_proc chain D            fork a child, which forks a child... D deep;
 *                                each does child_work (100) and waits
 *   tort_proc spawn              posix_spawn "tort_proc leaf 50"
 *   tort_proc vfork              vfork + execv "tort_proc leaf 60"
 *   tort_proc system             system("tort_proc leaf 70")
 *   tort_proc exec PROG [ARGS]   main_work (10 malloc+free), then execv PROG */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static void *volatile sink;
static const char *self;

/* Different sizes, so that gcc -O2 (-fipa-icf) does not fold them into one */
#define WORK(name, base)                               \
    __attribute__((noinline)) static void name(long n) \
    {                                                  \
        for (long i = 0; i < n; i++) {                 \
            char *p = malloc(base + (size_t)(i & 63)); \
            p[0] = 1;                                  \
            sink = p;                                  \
            free(p);                                   \
        }                                              \
    }
WORK(leaf_work, 40)
WORK(child_work, 50)
WORK(main_work, 60)

static volatile int stop;
static long spun[4];

__attribute__((noinline)) static long spin_work(void)
{
    long n = 0;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        char *p = malloc(100 + (size_t)(n & 255));
        p[0] = 2;
        sink = p;
        free(p);
        n++;
    }
    return n;
}

static void *spinner(void *arg)
{
    spun[(long)arg] = spin_work();
    return NULL;
}

static int wait_child(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int fork_threads(int k)
{
    pthread_t t[4];
    int bad = 0;
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, spinner, (void *)i);
    for (int i = 0; i < k; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            child_work(100);
            printf("child %d ok\n", i);
            exit(0);
        }
        if (pid < 0 || wait_child(pid) != 0)
            bad++;
    }
    stop = 1;
    long total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += spun[i];
    }
    fprintf(stderr, "spin %ld\n", total);
    printf("forked %d bad %d\n", k, bad);
    return bad != 0;
}

static int chain(int d, int level)
{
    child_work(100);
    printf("level %d pid-ok\n", level);
    if (level == d)
        return 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        exit(chain(d, level + 1));
    int rc = wait_child(pid);
    return rc;
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc >= 3 && strcmp(argv[1], "leaf") == 0) {
        leaf_work(atol(argv[2]));
        printf("leaf %s\n", argv[2]);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "forkthreads") == 0)
        return fork_threads(atoi(argv[2]));
    if (argc >= 3 && strcmp(argv[1], "chain") == 0) {
        int rc = chain(atoi(argv[2]), 0);
        printf("chain rc %d\n", rc);
        return rc;
    }
    if (argc >= 2 && strcmp(argv[1], "spawn") == 0) {
        char *args[] = {(char *)self, "leaf", "50", NULL};
        pid_t pid;
        fflush(stdout);
        int err = posix_spawn(&pid, self, NULL, NULL, args, environ);
        if (err != 0) {
            printf("posix_spawn: %s\n", strerror(err));
            return 1;
        }
        printf("spawned rc %d\n", wait_child(pid));
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "vfork") == 0) {
        char *args[] = {(char *)self, "leaf", "60", NULL};
        fflush(stdout);
        pid_t pid = vfork();
        if (pid == 0) {
            execv(self, args);
            _exit(127);
        }
        printf("vforked rc %d\n", wait_child(pid));
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "system") == 0) {
        char cmd[4096];
        snprintf(cmd, sizeof(cmd), "'%s' leaf 70", self);
        fflush(stdout);
        int st = system(cmd);
        printf("system rc %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
        main_work(10);
        printf("exec %s\n", argv[2]);
        fflush(stdout);
        execv(argv[2], argv + 2);
        perror("execv");
        return 127;
    }
    fprintf(stderr, "usage: see the comment at the top of tort_proc.c\n");
    return 2;
}
