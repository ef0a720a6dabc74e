/* Test program that shows what the launcher handed it: its pid, its
 * arguments and the variables faultprof sets, one per line, as "pid=N",
 * "arg I=VALUE", then "NAME=value" or "NAME unset". */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const names[] = {
    "LD_PRELOAD", "FAULTPROF_OUTPUT", "FAULTPROF_FOLLOW", "FAULTPROF_DEPTH",
    "FAULTPROF_RUSAGE_EVERY", "FAULTPROF_BUFFER_KB", "FAULTPROF_FLUSH_MS",
    "FAULTPROF_SAMPLE_BYTES", "FAULTPROF_FAULT_PERIOD", "FAULTPROF_FAULTS",
    "FAULTPROF_REGISTRY",
};

int main(int argc, char **argv)
{
    printf("pid=%d\n", (int)getpid());
    for (int i = 1; i < argc; i++)
        printf("arg %d=%s\n", i, argv[i]);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = getenv(names[i]);
        if (v)
            printf("%s=%s\n", names[i], v);
        else
            printf("%s unset\n", names[i]);
    }
    return 0;
}
