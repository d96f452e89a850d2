// The ceiling of any TCP relay on this machine, as a peer of the HTTP proxy's row: one process holds a server that
// sends N MB from memory, a relay (splice through a pipe, or read/write through a buffer) and a client that reads
// it all. Each round times a direct download and one through each relay, back to back; prints the median
// throughputs, their ratios to direct, and the CPU time each kind of run used (all threads of this process).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { Direct, Splice, Copy, Kinds };
static const char *names[Kinds] = {"direct", "splice relay", "copy relay"};
static long total;
static int server_port;

static int listen_loopback(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof a;
    if (s < 0 || bind(s, (void *)&a, sizeof a) || listen(s, 8) || getsockname(s, (void *)&a, &length)) { perror("listen"); exit(1); }
    *port = ntohs(a.sin_port);
    return s;
}

static int dial(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(port)};
    if (s < 0 || connect(s, (void *)&a, sizeof a)) { perror("connect"); exit(1); }
    return s;
}

static void *serve(void *listener)
{
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    for (;;) {
        int c = accept((int)(long)listener, 0, 0);
        for (long sent = 0, n; sent < total; sent += n)
            if ((n = send(c, block, total - sent < (long)sizeof block ? total - sent : (long)sizeof block, 0)) <= 0) break;
        close(c);
    }
    return 0;
}

static void *relay(void *argument)
{
    int listener = (int)(long)argument >> 1, splicing = (int)(long)argument & 1;
    static char buffer[1 << 20];
    for (;;) {
        int client = accept(listener, 0, 0), server = dial(server_port), pipe_fds[2];
        if (splicing && pipe2(pipe_fds, O_CLOEXEC) == 0) {
            fcntl(pipe_fds[1], F_SETPIPE_SZ, 1 << 20);
            for (long n; (n = splice(server, 0, pipe_fds[1], 0, 1 << 20, SPLICE_F_MOVE)) > 0;)
                for (long m; n > 0; n -= m)
                    if ((m = splice(pipe_fds[0], 0, client, 0, n, SPLICE_F_MOVE)) <= 0) goto done;
        done:
            close(pipe_fds[0]);
            close(pipe_fds[1]);
        } else {
            for (long n; (n = recv(server, buffer, sizeof buffer, 0)) > 0;)
                for (long at = 0, m; at < n; at += m)
                    if ((m = send(client, buffer + at, n - at, 0)) <= 0) break;
        }
        close(client);
        close(server);
    }
    return 0;
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static double download(int port, double *cpu)
{
    static char buffer[1 << 20];
    double started = seconds(), cpu_started = cpu_seconds();
    int s = dial(port);
    long received = 0;
    for (long n; (n = recv(s, buffer, sizeof buffer, 0)) > 0;) received += n;
    close(s);
    *cpu = cpu_seconds() - cpu_started;
    if (received != total) { fprintf(stderr, "received %ld of %ld bytes\n", received, total); exit(1); }
    return received / (seconds() - started) / 1e6;
}

static int by_value(const void *a, const void *b) { return (*(double *)a > *(double *)b) - (*(double *)a < *(double *)b); }

int main(int argc, char **argv)
{
    int megabytes = argc > 1 ? atoi(argv[1]) : 100, rounds = argc > 2 ? atoi(argv[2]) : 15, ports[Kinds];
    total = (long)megabytes << 20;
    pthread_t thread;
    pthread_create(&thread, 0, serve, (void *)(long)listen_loopback(&server_port));
    ports[Direct] = server_port;
    pthread_create(&thread, 0, relay, (void *)(long)(listen_loopback(&ports[Splice]) << 1 | 1));
    pthread_create(&thread, 0, relay, (void *)(long)(listen_loopback(&ports[Copy]) << 1));
    double rate[Kinds][rounds], cpu[Kinds][rounds];
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < Kinds; k++) rate[k][r] = download(ports[k], &cpu[k][r]);
    printf("%d MB over loopback, median of %d interleaved rounds\n", megabytes, rounds);
    for (int k = 0; k < Kinds; k++) {
        qsort(rate[k], rounds, sizeof(double), by_value);
        qsort(cpu[k], rounds, sizeof(double), by_value);
    }
    for (int k = 0; k < Kinds; k++)
        printf("  %-13s %6.0f MB/s  ratio %.2f of direct  CPU %5.1f ms per run (%.2fx direct)\n", names[k], rate[k][rounds / 2],
               rate[k][rounds / 2] / rate[Direct][rounds / 2], cpu[k][rounds / 2] * 1000, cpu[k][rounds / 2] / cpu[Direct][rounds / 2]);
    return 0;
}
