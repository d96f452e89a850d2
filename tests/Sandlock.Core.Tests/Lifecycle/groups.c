/* Ways a process leaves its process group: what StragglerTests runs in a sandbox. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void sleep_as(const char *marker)
{
    execlp("sleep", "sleep", marker, (char *)NULL);
    _exit(127);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "daemon") == 0) {
        /* fork, setsid, fork again: the classic daemon, whose parent chain ends at the sandbox's first process. */
        if (fork() == 0) {
            setsid();
            if (fork() == 0) { setpgid(0, 0); sleep_as(argv[2]); }
            _exit(0);
        }
        usleep(300000);
        puts("daemon started");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "newgroup") == 0) {
        if (fork() == 0) {
            setpgid(0, 0);
            if (fork() == 0) sleep_as(argv[2]);
            _exit(0);
        }
        usleep(300000);
        puts("group started");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "join") == 0) {
        if (setpgid(0, atoi(argv[2])) == 0) puts("joined");
        else puts(errno == EPERM ? "refused" : strerror(errno));
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "jobs") == 0) {
        /* What a shell with job control does: a group per job, later processes of the job join it. */
        int gate[2];
        pid_t job[2];
        if (pipe(gate) != 0) return 1;
        for (int i = 0; i < 2; i++) {
            if ((job[i] = fork()) == 0) { char c; close(gate[1]); read(gate[0], &c, 1); _exit(0); }
            if (setpgid(job[i], job[0]) != 0) { perror("setpgid"); return 1; }
        }
        close(gate[1]);
        waitpid(job[0], NULL, 0);
        waitpid(job[1], NULL, 0);
        puts("groups made and joined");
        return 0;
    }
    fprintf(stderr, "usage: groups daemon|newgroup MARKER | join PGID | jobs\n");
    return 2;
}
