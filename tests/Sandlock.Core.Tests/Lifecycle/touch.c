/* Uses what a kind of sandbox serves, so the parent makes what it makes for it: reads a byte of each path named
 * (a directory is only opened), for "connect" connects to 127.0.0.1:9, where nothing listens, and for "bind"
 * binds a TCP socket to 127.0.0.1:18080. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_discard(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) { perror("socket"); return 1; }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int failed = connect(s, (struct sockaddr *)&to, sizeof to) != 0 && errno != ECONNREFUSED;
    if (failed) perror("connect 127.0.0.1:9");
    close(s);
    return failed;
}

static int bind_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) { perror("socket"); return 1; }
    struct sockaddr_in at = { .sin_family = AF_INET, .sin_port = htons(18080), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int failed = bind(s, (struct sockaddr *)&at, sizeof at) != 0;
    if (failed) perror("bind 127.0.0.1:18080");
    close(s);
    return failed;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "connect") == 0 || strcmp(argv[i], "bind") == 0) {
            if (argv[i][0] == 'c' ? connect_discard() : bind_port()) return 1;
            continue;
        }
        int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) { perror(argv[i]); return 1; }
        char byte;
        if (read(fd, &byte, 1) < 0 && errno != EISDIR) { perror(argv[i]); return 1; }
        close(fd);
    }
    return 0;
}
