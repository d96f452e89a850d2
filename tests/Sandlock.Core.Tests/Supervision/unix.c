// Reaches a unix socket by path: "connect PATH" (stream, writes "hi"), "send PATH" (datagram sendto), "sendmsg PATH",
// "send-high PATH" (sendto with the address at 0x100000000, whose low 32 bits are 0), each optionally after chdir to a
// third argument; "self DIR" binds a stream and a datagram socket in DIR and reaches both; "pair -" uses a socketpair; "abstract NAME" binds an abstract name and connects to it. Prints "ok" or the errno.
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int report(const char *what, int result)
{
    printf("%s %s\n", what, result < 0 ? strerrorname_np(errno) : "ok");
    return 0;
}

static socklen_t address_of(struct sockaddr_un *address, const char *path)
{
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    strncpy(address->sun_path, path, sizeof address->sun_path - 1);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static int reach(const char *how, const char *path)
{
    struct sockaddr_un address;
    socklen_t length = address_of(&address, path);
    if (strcmp(how, "connect") == 0) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&address, length) < 0) return -1;
        return write(s, "hi\n", 3) == 3 ? 0 : -1;
    }
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (s < 0) return -1;
    if (strcmp(how, "send") == 0) return (int)sendto(s, "hi\n", 3, 0, (struct sockaddr *)&address, length);
    if (strcmp(how, "send-high") == 0) {
        void *high = mmap((void *)0x100000000UL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (high != (void *)0x100000000UL) { fprintf(stderr, "no mapping at 0x100000000\n"); return -1; }
        memcpy(high, &address, sizeof address);
        return (int)sendto(s, "hi\n", 3, 0, (struct sockaddr *)high, length);
    }
    struct iovec data = { "hi\n", 3 };
    struct msghdr message = { .msg_name = &address, .msg_namelen = length, .msg_iov = &data, .msg_iovlen = 1 };
    return (int)sendmsg(s, &message, 0);
}

static int self(const char *dir)
{
    char stream_path[512], dgram_path[512];
    snprintf(stream_path, sizeof stream_path, "%s/stream.sock", dir);
    snprintf(dgram_path, sizeof dgram_path, "%s/dgram.sock", dir);
    unlink(stream_path);
    unlink(dgram_path);
    struct sockaddr_un address;
    socklen_t length = address_of(&address, stream_path);
    int server = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(server, (struct sockaddr *)&address, length) < 0 || listen(server, 1) < 0) return report("stream-bind", -1);
    report("stream", reach("connect", stream_path));
    length = address_of(&address, dgram_path);
    int receiver = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (bind(receiver, (struct sockaddr *)&address, length) < 0) return report("dgram-bind", -1);
    report("dgram", reach("send", dgram_path));
    report("dgram-sendmsg", reach("sendmsg", dgram_path));
    char buffer[8];
    report("dgram-received", (int)recv(receiver, buffer, sizeof buffer, MSG_DONTWAIT));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "self") == 0) return self(argv[2]);
    if (argc == 3 && strcmp(argv[1], "pair") == 0) {
        int pair[2];
        char c;
        int ok = socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0 && write(pair[0], "x", 1) == 1 && read(pair[1], &c, 1) == 1;
        return report("socketpair", ok ? 0 : -1);
    }
    if (argc == 3 && strcmp(argv[1], "abstract") == 0) {
        // An abstract name of its own: bound in the sandbox, so Landlock's scope lets the sandbox reach it.
        struct sockaddr_un address = { .sun_family = AF_UNIX };
        int length = snprintf(address.sun_path + 1, sizeof address.sun_path - 1, "sandlock-test-%s-%d", argv[2], getpid());
        socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length);
        int server = socket(AF_UNIX, SOCK_STREAM, 0), client = socket(AF_UNIX, SOCK_STREAM, 0);
        if (bind(server, (struct sockaddr *)&address, size) < 0 || listen(server, 1) < 0) return report("abstract-bind", -1);
        return report("abstract", connect(client, (struct sockaddr *)&address, size));
    }
    if (argc < 3) return 2;
    if (argc == 4 && chdir(argv[3]) < 0) { perror("chdir"); return 3; }
    return report(argv[1], reach(argv[1], argv[2]));
}
