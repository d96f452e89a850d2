/* Fork bench: a template whose clones exit at once (fork_template [MEGABYTES] touches that much memory first), and
 * with "floor N MEGABYTES", N plain forks of a process holding as much, then N waits, outside any sandbox and
 * protocol, timing itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "clients/sandlock_fork.h"

int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "floor") == 0) {
        int count = atoi(argv[2]);
        size_t held = (size_t)atoi(argv[3]) << 20;
        char *touched = held ? malloc(held) : NULL;
        for (size_t i = 0; i < held; i += 4096) touched[i] = 1;
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        /* As ForkAsync then WaitAsync: all forked first, then all reaped. */
        for (int i = 0; i < count; i++)
            if (fork() == 0) _exit(0);
        for (int i = 0; i < count; i++) wait(NULL);
        clock_gettime(CLOCK_MONOTONIC, &end);
        printf("%.1f\n", ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / 1e3 / count);
        return 0;
    }
    size_t size = argc > 1 ? (size_t)atoi(argv[1]) << 20 : 0;
    char *memory = size ? malloc(size) : NULL;
    for (size_t i = 0; i < size; i += 4096) memory[i] = 1;
    int id = sandlock_fork_serve();
    if (id < 0) return errno ? 1 : 0;
    return 0;
}
