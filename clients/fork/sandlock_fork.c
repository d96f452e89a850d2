/* Client of the Sandlock fork template protocol: see sandlock_fork.h and docs/fork-protocol.md. */
#define _GNU_SOURCE
#include "sandlock_fork.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define SANDLOCK_FORK_FD_VARIABLE "SANDLOCK_FORK_FD"

static int send_text(int control, const char *text)
{
    ssize_t length = (ssize_t)strlen(text);
    ssize_t sent;
    do sent = send(control, text, (size_t)length, MSG_NOSIGNAL); while (sent < 0 && errno == EINTR);
    return sent == length ? 0 : -1;
}

/* One request: "FORK <id>" with the clone's stdout as the one fd it carries. -1 at EOF (errno 0) or on error. */
static int receive_request(int control, unsigned *clone_id, int *stdout_fd)
{
    char text[64];
    union { struct cmsghdr align; char space[CMSG_SPACE(sizeof(int))]; } control_data;
    struct iovec iov = { .iov_base = text, .iov_len = sizeof text - 1 };
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control_data.space, .msg_controllen = sizeof control_data.space };
    ssize_t n;
    do n = recvmsg(control, &message, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
    if (n <= 0) {
        if (n == 0) errno = 0;
        return -1;
    }
    text[n] = '\0';
    *stdout_fd = -1;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (header && header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS && header->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(stdout_fd, CMSG_DATA(header), sizeof(int));
    if (sscanf(text, "FORK %u", clone_id) != 1 || *stdout_fd < 0 || (message.msg_flags & MSG_CTRUNC)) {
        if (*stdout_fd >= 0) close(*stdout_fd);
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int sandlock_fork_serve(void)
{
    const char *variable = getenv(SANDLOCK_FORK_FD_VARIABLE);
    if (!variable) { errno = ENOTCONN; return -1; }
    int control = atoi(variable);
    if (send_text(control, "READY") != 0) return -1;
    /* What the template wrote so far must not be written again by every clone. */
    fflush(NULL);
    for (;;) {
        unsigned clone_id;
        int stdout_fd;
        if (receive_request(control, &clone_id, &stdout_fd) != 0) return -1;
        /* CLONE_PARENT: the clone is the supervisor's child, so the kernel tells the supervisor how it ended. glibc's
         * fork() cannot take that flag; the raw call leaves glibc's cached thread id stale, as after vfork, which
         * glibc itself tolerates for raise() and abort(). */
        long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) {
            close(control);
            if (dup2(stdout_fd, STDOUT_FILENO) < 0) _exit(127);
            close(stdout_fd);
            char id_text[16];
            snprintf(id_text, sizeof id_text, "%u", clone_id);
            setenv("CLONE_ID", id_text, 1);
            unsetenv(SANDLOCK_FORK_FD_VARIABLE);
            return (int)clone_id;
        }
        int error = errno;
        close(stdout_fd);
        char reply[64];
        if (pid > 0) snprintf(reply, sizeof reply, "CLONE %u %ld", clone_id, pid);
        else snprintf(reply, sizeof reply, "FAILED %u %d", clone_id, error);
        if (send_text(control, reply) != 0) return -1;
    }
}
