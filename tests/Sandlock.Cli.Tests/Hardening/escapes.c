/* Attempts the escapes of the hardening review from inside a sandbox; prints one line per attempt, "ok" or the errno
 * text, and exits 0 when the attempt succeeded. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int report(const char *what, int result)
{
    printf("%s: %s\n", what, result < 0 ? strerror(errno) : "ok");
    return result < 0 ? 1 : 0;
}

static int connect_tcp(int protocol, int port)
{
    int s = socket(AF_INET, SOCK_STREAM, protocol);
    if (s < 0) return report("socket", -1);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    return report("connect", connect(s, (struct sockaddr *)&a, sizeof a));
}

static int listen_tcp(int protocol, int port)
{
    int s = socket(AF_INET, SOCK_STREAM, protocol);
    if (s < 0) return report("socket", -1);
    if (port > 0) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) return report("bind", -1);
    }
    return report("listen", listen(s, 4));
}

/* RTM_NEWADDR 10.254.254.1/32 on lo: what `ip addr add` sends. */
static int add_address(void)
{
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0) return report("socket", -1);
    struct {
        struct nlmsghdr header;
        struct ifaddrmsg message;
        struct rtattr attribute;
        struct in_addr address;
    } request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = RTM_NEWADDR;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    request.message.ifa_family = AF_INET;
    request.message.ifa_prefixlen = 32;
    request.message.ifa_index = if_nametoindex("lo");
    request.attribute.rta_type = IFA_LOCAL;
    request.attribute.rta_len = RTA_LENGTH(sizeof(struct in_addr));
    inet_pton(AF_INET, "10.254.254.1", &request.address);
    if (send(s, &request, sizeof request, 0) < 0) return report("send", -1);
    char reply[4096];
    ssize_t n = recv(s, reply, sizeof reply, 0);
    if (n < 0) return report("recv", -1);
    struct nlmsghdr *answer = (struct nlmsghdr *)reply;
    if (answer->nlmsg_type == NLMSG_ERROR) {
        int error = ((struct nlmsgerr *)NLMSG_DATA(answer))->error;
        errno = -error;
        return report("netlink add address", error == 0 ? 0 : -1);
    }
    return report("netlink add address", 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    const char *what = argv[1];
    int number = argc > 2 ? atoi(argv[2]) : 0;
    if (!strcmp(what, "tcp-connect")) return connect_tcp(IPPROTO_TCP, number);
    if (!strcmp(what, "mptcp-connect")) return connect_tcp(IPPROTO_MPTCP, number);
    if (!strcmp(what, "tcp-listen")) return listen_tcp(IPPROTO_TCP, number);
    if (!strcmp(what, "mptcp-listen")) return listen_tcp(IPPROTO_MPTCP, number);
    if (!strcmp(what, "socket")) return report("socket", socket(number, atoi(argv[3]), atoi(argv[4])));
    if (!strcmp(what, "netlink-add-address")) return add_address();
    if (!strcmp(what, "mknod-char")) return report("mknod", mknod(argv[2], S_IFCHR | 0600, makedev(1, 11)));
    if (!strcmp(what, "mknod-block")) return report("mknod", mknod(argv[2], S_IFBLK | 0600, makedev(7, 0)));
    if (!strcmp(what, "mknod-fifo")) return report("mknod", mknod(argv[2], S_IFIFO | 0600, 0));
    if (!strcmp(what, "capabilities")) {
        FILE *status = fopen("/proc/self/status", "r");
        char line[256];
        while (status && fgets(line, sizeof line, status))
            if (!strncmp(line, "Cap", 3)) fputs(line, stdout);
        return 0;
    }
    return 2;
}
