/* The peer of the HTTP proxy in `Sandlock.Bench http`: a minimal relay, the fastest kind bench/relay-ceiling.sh found
 * here (recv/send through a 4 MiB buffer, blocking, a thread per direction). Relays each connection on a loopback
 * port it prints to 127.0.0.1:TARGET, both ways, each end's close passed on as a half-close; runs until killed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BufferBytes = 4 << 20 };
static int target;

struct direction { int from, to; };

static void *forward(void *argument)
{
    struct direction *d = argument;
    char *buffer = malloc(BufferBytes);
    for (long n; buffer && (n = recv(d->from, buffer, BufferBytes, 0)) > 0;)
        for (long at = 0, m; at < n; at += m)
            if ((m = send(d->to, buffer + at, n - at, MSG_NOSIGNAL)) <= 0) goto done;
done:
    shutdown(d->to, SHUT_WR);
    free(buffer);
    return 0;
}

static void *connection(void *argument)
{
    int client = (int)(long)argument, server = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(target)};
    if (server >= 0 && connect(server, (void *)&a, sizeof a) == 0) {
        struct direction up = {client, server}, down = {server, client};
        pthread_t thread;
        pthread_create(&thread, 0, forward, &up);
        forward(&down);
        pthread_join(thread, 0);
    }
    close(server);
    close(client);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: tcp_relay TARGET_PORT\n"); return 2; }
    target = atoi(argv[1]);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof a;
    if (listener < 0 || bind(listener, (void *)&a, sizeof a) || listen(listener, 64) || getsockname(listener, (void *)&a, &length)) { perror("listen"); return 1; }
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (int client; (client = accept(listener, 0, 0)) >= 0;) {
        pthread_t thread;
        pthread_create(&thread, 0, connection, (void *)(long)client);
        pthread_detach(thread);
    }
    return 1;
}
