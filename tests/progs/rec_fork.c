/* A fork child and an exec'd image each leave their own trace: 10
 * allocations in parent_work, 20 in child_work (the fork child), 30 in
 * exec_work (the program run again through execv). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

/* each function allocates itself, so it is the site */
#define WORK(n, size)                                      \
    for (int i = 0; i < (n); i++) {                        \
        void *p = malloc(size);                            \
        __asm__ volatile("" : : "r"(p) : "memory");        \
        free(p);                                           \
    }

NOINLINE static void parent_work(void) { WORK(10, 32) }
NOINLINE static void child_work(void) { WORK(20, 48) }
NOINLINE static void exec_work(void) { WORK(30, 64) }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exec") == 0) {
        exec_work();
        printf("exec'd image done\n");
        return 0;
    }
    parent_work();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        child_work();
        printf("child done\n");
        exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("parent saw child exit %d\n", WEXITSTATUS(st));
    fflush(stdout);
    char *args[] = { argv[0], "exec", NULL };
    execv("/proc/self/exe", args);
    perror("execv");
    return 1;
}
