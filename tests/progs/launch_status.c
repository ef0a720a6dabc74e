/* Test program for the launcher's exit-status and signal handling:
 *   launch_status exit N          allocate a little, exit with status N
 *   launch_status kill SIG        allocate a little, kill itself with SIG
 *   launch_status wait FILE [trap]  create FILE, then wait for a signal;
 *                                 with "trap", SIGTERM/SIGHUP/SIGINT exit 40+sig
 *   launch_status fork N          fork a child that allocates; exit N after it
 *   launch_status count FILE      create FILE, count SIGINTs for 2 s, print
 *                                 "SIGINT N" and exit 0 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink;
static volatile sig_atomic_t sigints;

static void churn(void)
{
    for (int i = 0; i < 100; i++) {
        sink = malloc(64 + i);
        free(sink);
    }
    sink = malloc(1 << 20);
    memset(sink, 1, 1 << 20);
}

static void on_signal(int sig)
{
    _exit(40 + sig);
}

static void on_sigint_count(int sig)
{
    sigints++;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: launch_status exit N | kill SIG | wait FILE [trap] | fork N | count FILE\n");
        return 100;
    }
    churn();
    if (strcmp(argv[1], "exit") == 0)
        exit(atoi(argv[2]));
    if (strcmp(argv[1], "kill") == 0) {
        kill(getpid(), atoi(argv[2]));
        return 101;  /* only when the signal does not kill */
    }
    if (strcmp(argv[1], "wait") == 0) {
        FILE *f;
        if (argc > 3 && strcmp(argv[3], "trap") == 0) {
            signal(SIGTERM, on_signal);
            signal(SIGHUP, on_signal);
            signal(SIGINT, on_signal);
        }
        f = fopen(argv[2], "w");
        if (!f)
            return 102;
        fclose(f);
        for (int i = 0; i < 600; i++)
            sleep(1);
        return 103;
    }
    if (strcmp(argv[1], "count") == 0) {
        struct timespec left = { 2, 0 };
        FILE *f;
        signal(SIGINT, on_sigint_count);
        f = fopen(argv[2], "w");
        if (!f)
            return 102;
        fclose(f);
        while (nanosleep(&left, &left) != 0)
            ;
        printf("SIGINT %d\n", (int)sigints);
        return 0;
    }
    if (strcmp(argv[1], "fork") == 0) {
        int st;
        pid_t pid = fork();
        if (pid == 0) {
            churn();
            _exit(0);
        }
        if (pid < 0 || waitpid(pid, &st, 0) < 0)
            return 104;
        return atoi(argv[2]);
    }
    return 100;
}
