/* A program to checkpoint: prints 1, 2, ... one line per step up to LIMIT, then exits 0. LIMIT/STOP stops the
 * program (SIGSTOP to itself) after line STOP, so that a test checkpoints it at a known step.
 *   counter LIMIT                 counts
 *   counter LIMIT read FILE       and prints, per step, the next 4-byte record of FILE (kept open across steps)
 *   counter LIMIT probe FILE      and tries, per step, to open FILE and to unshare a user namespace
 *   counter LIMIT alloc           and allocates, fills and checks 64 KiB per step (below the mmap threshold: brk)
 *   counter LIMIT signals         blocks SIGUSR2, ignores SIGUSR1, and prints per step whether they still are
 *   counter LIMIT thread|socket|fork|pipe|handler|pending   holds what a checkpoint must refuse */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void *idle(void *arg) { (void)arg; for (;;) pause(); return NULL; }
static void on_signal(int s) { (void)s; }

int main(int argc, char **argv)
{
    char *rest = NULL;
    long limit = argc > 1 ? strtol(argv[1], &rest, 10) : 10;
    long stop_at = rest != NULL && *rest == '/' ? atol(rest + 1) : 0;
    const char *mode = argc > 2 ? argv[2] : "count";
    const char *file = argc > 3 ? argv[3] : NULL;
    int fd = -1;
    if (strcmp(mode, "read") == 0 && (fd = open(file, O_RDONLY)) < 0) { perror(file); return 2; }
    if (strcmp(mode, "thread") == 0) { pthread_t t; pthread_create(&t, NULL, idle, NULL); }
    if (strcmp(mode, "socket") == 0) fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (strcmp(mode, "fork") == 0 && fork() == 0) for (;;) pause();
    if (strcmp(mode, "pipe") == 0) { int p[2]; if (pipe(p) != 0) return 2; }
    if (strcmp(mode, "handler") == 0) signal(SIGUSR1, on_signal);
    if (strcmp(mode, "signals") == 0 || strcmp(mode, "pending") == 0) {
        sigset_t usr2;
        sigemptyset(&usr2);
        sigaddset(&usr2, SIGUSR2);
        sigprocmask(SIG_BLOCK, &usr2, NULL);
        signal(SIGUSR1, SIG_IGN);
        if (strcmp(mode, "pending") == 0) raise(SIGUSR2);
    }
    volatile double scale = 1.5; /* lives in a callee-saved or vector register across the loop */
    for (long n = 1; n <= limit; n++) {
        printf("%ld", (long)(n * scale / 1.5));
        if (fd >= 0 && strcmp(mode, "read") == 0) {
            char record[5] = { 0 };
            if (read(fd, record, 4) == 4) printf(" %.3s", record);
        }
        if (strcmp(mode, "alloc") == 0) {
            unsigned char *block = malloc(64 << 10);
            if (block == NULL) { printf(" alloc:failed\n"); return 3; }
            memset(block, (int)n, 64 << 10);
            printf(" alloc:%s", block[(64 << 10) - 1] == (unsigned char)n ? "ok" : "corrupt");
        }
        if (strcmp(mode, "signals") == 0) {
            sigset_t now;
            struct sigaction usr1;
            sigprocmask(SIG_BLOCK, NULL, &now);
            sigaction(SIGUSR1, NULL, &usr1);
            printf(" blocked:%d ignored:%d", sigismember(&now, SIGUSR2), usr1.sa_handler == SIG_IGN);
        }
        if (strcmp(mode, "probe") == 0) {
            int probe = open(file, O_RDONLY);
            printf(" open:%s", probe >= 0 ? "ok" : strerror(errno));
            if (probe >= 0) close(probe);
            printf(" unshare:%s", unshare(CLONE_NEWUSER) == 0 ? "ok" : strerror(errno));
        }
        printf("\n");
        fflush(stdout);
        if (n == stop_at) raise(SIGSTOP);
        struct timespec step = { 0, 20 * 1000 * 1000 };
        nanosleep(&step, NULL);
    }
    return 0;
}
