/* Many-threads workload for the benchmark: WAVES waves of PER_WAVE threads
 * (default 4 x 16), each wave created together and joined before the next;
 * every thread runs alloc_heavy.c's thread body (PAIRS malloc/free pairs,
 * default 31250, about 13 frames deep), so per-thread cost compares directly
 * with alloc_heavy's 2 threads.  Checks its own count and prints it. */

/* The thread body is alloc_heavy.c's own, included rather than copied so the
 * two workloads cannot drift apart; its main() is renamed out of the way. */
#define main alloc_heavy_main
#include "alloc_heavy.c"
#undef main

int main(int argc, char **argv)
{
    int per_wave = argc > 1 ? atoi(argv[1]) : 16;
    int waves = argc > 2 ? atoi(argv[2]) : 4;

    per_thread = argc > 3 ? atol(argv[3]) : 31250;
    if (argc > 4 || per_wave < 1 || per_wave > 1024 || waves < 1 || per_thread < 1) {
        fprintf(stderr, "usage: many_threads [PER_WAVE [WAVES [PAIRS_PER_THREAD]]]\n");
        return 2;
    }
    pthread_t tid[1024];
    long total = 0;
    for (int w = 0; w < waves; w++) {
        for (int i = 0; i < per_wave; i++)
            if (pthread_create(&tid[i], NULL, thread_main,
                               (void *)(uintptr_t)(w * per_wave + i + 1)) != 0) {
                perror("pthread_create");
                return 1;
            }
        for (int i = 0; i < per_wave; i++) {
            void *r;
            pthread_join(tid[i], &r);
            total += (long)r;
        }
    }
    printf("%ld allocations in %d threads\n", total, waves * per_wave);
    return total == (long)waves * per_wave * per_thread ? 0 : 1;
}
