/* A fork template for the tests: template MODE [ARG]. It touches MEGABYTES of memory (mode "memory"), serves forks,
 * and each clone does what MODE says. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "clients/sandlock_fork.h"

static const char *opens(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return strerror(errno);
    close(fd);
    return "ok";
}

/* Whether listing /proc shows the process PID. */
static int listed(pid_t pid)
{
    char name[16];
    snprintf(name, sizeof name, "%d", (int)pid);
    DIR *proc = opendir("/proc");
    if (!proc) return -errno;
    int found = 0;
    for (struct dirent *entry; (entry = readdir(proc)) != NULL;) found |= strcmp(entry->d_name, name) == 0;
    closedir(proc);
    return found;
}

int main(int argc, char **argv)
{
    pid_t template = getpid();
    const char *mode = argc > 1 ? argv[1] : "echo";
    char *memory = NULL;
    size_t size = 0;
    if (strcmp(mode, "memory") == 0) {
        size = (size_t)atoi(argv[2]) << 20;
        memory = malloc(size);
        if (!memory) return 2;
        for (size_t i = 0; i < size; i += 4096) memory[i] = (char)(i >> 12);
    }
    if (strcmp(mode, "not-ready") == 0) return 0;
    if (strcmp(mode, "silent") == 0) for (;;) pause();
    int id = sandlock_fork_serve();
    if (id < 0) return errno ? 1 : 0;

    if (strcmp(mode, "echo") == 0) {
        printf("clone %d CLONE_ID=%s\n", id, getenv("CLONE_ID"));
        return 3;
    }
    if (strcmp(mode, "number") == 0) {
        printf("%d\n", id);
        return 0;
    }
    if (strcmp(mode, "read") == 0) {
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) { printf("clone %d: %s: %s\n", id, argv[2], strerror(errno)); return 1; }
        char text[256];
        ssize_t n = read(fd, text, sizeof text - 1);
        text[n > 0 ? n : 0] = '\0';
        printf("clone %d read: %s", id, text);
        return 0;
    }
    if (strcmp(mode, "memory") == 0) {
        /* Reads the inherited memory (no copy), stops itself so the test knows it got this far, and stays until killed. */
        unsigned sum = 0;
        for (size_t i = 0; i < size; i += 4096) sum += (unsigned char)memory[i];
        printf("clone %d sum %u\n", id, sum);
        fflush(stdout);
        kill(getpid(), SIGSTOP);
        for (;;) pause();
    }
    if (strcmp(mode, "proc") == 0 || strcmp(mode, "proc-now") == 0) {
        /* "proc" first waits for the file ARG, made once the test holds the clone's handle (the supervisor has
         * adopted it); "proc-now" is denied at once, possibly before the supervisor knows the clone. */
        pid_t self = (pid_t)syscall(SYS_getpid);
        printf("clone %d init:%s", id, opens("/proc/1/status"));
        if (strcmp(mode, "proc-now") == 0) { printf("\n"); return 0; }
        while (access(argv[2], F_OK) != 0) usleep(1000);
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/status", (int)self);
        printf(" own:%s", opens(path));
        snprintf(path, sizeof path, "/proc/%d/status", (int)template);
        printf(" template:%s", opens(path));
        struct rlimit limit;
        printf(" prlimit:%s", prlimit(self, RLIMIT_NOFILE, NULL, &limit) == 0 ? "ok" : strerror(errno));
        printf(" listed:%d,%d\n", listed(self), listed(template));
        return 0;
    }
    if (strcmp(mode, "wait") == 0) {
        printf("clone %d waiting\n", id);
        fflush(stdout);
        for (;;) pause();
    }
    return 4;
}
