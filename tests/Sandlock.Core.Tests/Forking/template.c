/* A fork template for the tests: template MODE [ARG]. It touches MEGABYTES of memory (mode "memory"), serves forks,
 * and each clone does what MODE says. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "clients/sandlock_fork.h"

int main(int argc, char **argv)
{
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
    if (strcmp(mode, "wait") == 0) {
        printf("clone %d waiting\n", id);
        fflush(stdout);
        for (;;) pause();
    }
    return 4;
}
