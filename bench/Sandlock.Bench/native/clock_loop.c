/* The sandboxed side of the clock benchmark: times N reads of one clock the way libc reads it (through the vDSO),
   and prints nanoseconds per read. Usage: clock_loop realtime|monotonic|gettimeofday|time N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "realtime";
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    struct timespec a, b, t;
    struct timeval tv;
    volatile long sink = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (strcmp(which, "realtime") == 0) for (long i = 0; i < n; i++) { clock_gettime(CLOCK_REALTIME, &t); sink += t.tv_nsec; }
    else if (strcmp(which, "monotonic") == 0) for (long i = 0; i < n; i++) { clock_gettime(CLOCK_MONOTONIC, &t); sink += t.tv_nsec; }
    else if (strcmp(which, "gettimeofday") == 0) for (long i = 0; i < n; i++) { gettimeofday(&tv, NULL); sink += tv.tv_usec; }
    else if (strcmp(which, "time") == 0) for (long i = 0; i < n; i++) sink += time(NULL);
    else { fprintf(stderr, "unknown clock %s\n", which); return 2; }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
    return 0;
}
