// The ceiling of any userspace TCP relay on this machine, as a peer of the HTTP proxy's row: one process holds a
// server that sends N MB from memory, relays of several kinds and a client that reads it all. Each round times a
// direct download and one through each relay, back to back; prints the median throughputs, their ratios to direct,
// and the CPU time each kind of run used (all threads of this process).
//
// The relays are the variants a fast relay could take: splice through a 1 MiB pipe (F_SETPIPE_SZ, SPLICE_F_MOVE),
// with SPLICE_F_MORE, with one thread per pipe end; recv/send through a 1 or 4 MiB buffer, with 4 MiB socket
// buffers, with SO_RCVLOWAT, with TCP_NODELAY, and non-blocking with poll (the shape of the proxy's Interop/SocketCopy).
// On this 2-vCPU VM (kernel 6.18) copying beat splicing in every run and none reached 0.9 of direct: see
// docs/benchmarks.md. What would: no second TCP connection in the data path (an in-kernel sockmap redirect,
// which needs CAP_BPF and CAP_NET_ADMIN), or a third core for the relay stage.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { Direct, Splice, Copy };
struct kind {
    const char *name;
    enum mode mode;
    long chunk;               // bytes per splice or recv
    int more, two_threads;    // splice: SPLICE_F_MORE on the write; one thread per pipe end
    int socket_buffer;        // SO_RCVBUF/SO_SNDBUF on the relay's sockets, 0 for the kernel's autotuning
    int low_water, no_delay, poll_wait;
    int port;
};
static struct kind kinds[] = {
    {.name = "direct", .mode = Direct},
    {.name = "splice 1M pipe", .mode = Splice, .chunk = 1 << 20},
    {.name = "splice MORE", .mode = Splice, .chunk = 1 << 20, .more = 1},
    {.name = "splice 2 threads", .mode = Splice, .chunk = 1 << 20, .two_threads = 1},
    {.name = "copy 1M", .mode = Copy, .chunk = 1 << 20},
    {.name = "copy 4M", .mode = Copy, .chunk = 4 << 20},
    {.name = "copy 4M, 4M sockbufs", .mode = Copy, .chunk = 4 << 20, .socket_buffer = 4 << 20},
    {.name = "copy 4M, rcvlowat", .mode = Copy, .chunk = 4 << 20, .low_water = 256 << 10},
    {.name = "copy 4M, nodelay", .mode = Copy, .chunk = 4 << 20, .no_delay = 1},
    {.name = "copy 4M, poll", .mode = Copy, .chunk = 4 << 20, .poll_wait = 1},
};
enum { Kinds = sizeof kinds / sizeof kinds[0] };
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

static void tune(int s, const struct kind *k)
{
    int one = 1;
    if (k->socket_buffer) {
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &k->socket_buffer, sizeof k->socket_buffer);
        setsockopt(s, SOL_SOCKET, SO_SNDBUF, &k->socket_buffer, sizeof k->socket_buffer);
    }
    if (k->no_delay) setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int dial(int port, const struct kind *k)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (k) tune(s, k);
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

struct drain { int pipe_read, client; };

static void *drain_pipe(void *argument)
{
    struct drain *d = argument;
    while (splice(d->pipe_read, 0, d->client, 0, 1 << 20, SPLICE_F_MOVE) > 0) {}
    return 0;
}

static void relay_splice(int server, int client, const struct kind *k)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC)) { perror("pipe2"); exit(1); }
    fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    if (k->two_threads) {
        struct drain d = {fds[0], client};
        pthread_t thread;
        pthread_create(&thread, 0, drain_pipe, &d);
        while (splice(server, 0, fds[1], 0, k->chunk, SPLICE_F_MOVE) > 0) {}
        close(fds[1]);
        pthread_join(thread, 0);
        close(fds[0]);
        return;
    }
    for (long n; (n = splice(server, 0, fds[1], 0, k->chunk, SPLICE_F_MOVE)) > 0;)
        for (long m; n > 0; n -= m)
            if ((m = splice(fds[0], 0, client, 0, n, SPLICE_F_MOVE | (k->more ? SPLICE_F_MORE : 0))) <= 0) goto done;
done:
    close(fds[0]);
    close(fds[1]);
}

static void relay_copy(int server, int client, const struct kind *k, char *buffer)
{
    if (k->low_water) setsockopt(server, SOL_SOCKET, SO_RCVLOWAT, &k->low_water, sizeof k->low_water);
    if (k->poll_wait) {
        fcntl(server, F_SETFL, O_NONBLOCK);
        fcntl(client, F_SETFL, O_NONBLOCK);
    }
    for (;;) {
        long n = recv(server, buffer, k->chunk, 0);
        if (n < 0 && k->poll_wait) { poll(&(struct pollfd){.fd = server, .events = POLLIN}, 1, -1); continue; }
        if (n <= 0) return;
        for (long at = 0, m; at < n;) {
            if ((m = send(client, buffer + at, n - at, MSG_NOSIGNAL)) > 0) at += m;
            else if (k->poll_wait) poll(&(struct pollfd){.fd = client, .events = POLLOUT}, 1, -1);
            else return;
        }
    }
}

static void *relay(void *argument)
{
    struct kind *k = argument;
    int port, listener = listen_loopback(&port);
    __atomic_store_n(&k->port, port, __ATOMIC_RELEASE);
    char *buffer = malloc(k->chunk);
    for (;;) {
        int client = accept(listener, 0, 0);
        tune(client, k);
        int server = dial(server_port, k);
        if (k->mode == Splice) relay_splice(server, client, k);
        else relay_copy(server, client, k, buffer);
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
    int s = dial(port, 0);
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
    int megabytes = argc > 1 ? atoi(argv[1]) : 100, rounds = argc > 2 ? atoi(argv[2]) : 15;
    total = (long)megabytes << 20;
    pthread_t thread;
    pthread_create(&thread, 0, serve, (void *)(long)listen_loopback(&server_port));
    kinds[Direct].port = server_port;
    for (int k = 1; k < Kinds; k++) pthread_create(&thread, 0, relay, &kinds[k]);
    for (int k = 1; k < Kinds; k++)
        while (!__atomic_load_n(&kinds[k].port, __ATOMIC_ACQUIRE)) usleep(1000);
    double rate[Kinds][rounds], cpu[Kinds][rounds];
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < Kinds; k++) rate[k][r] = download(kinds[k].port, &cpu[k][r]);
    printf("%d MB over loopback, median of %d interleaved rounds\n", megabytes, rounds);
    for (int k = 0; k < Kinds; k++) {
        qsort(rate[k], rounds, sizeof(double), by_value);
        qsort(cpu[k], rounds, sizeof(double), by_value);
    }
    for (int k = 0; k < Kinds; k++)
        printf("  %-21s %6.0f MB/s  ratio %.2f of direct  CPU %5.1f ms per run (%.2fx direct)\n", kinds[k].name, rate[k][rounds / 2],
               rate[k][rounds / 2] / rate[0][rounds / 2], cpu[k][rounds / 2] * 1000, cpu[k][rounds / 2] / cpu[0][rounds / 2]);
    return 0;
}
