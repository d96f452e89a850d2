/* Calls the shim directly with extra fds whose sources sit on each other's targets: our fd 3 holds pipe A, fd 4 pipe
 * B, and the child must get B as its 3 and A as its 4. A naive dup2 in order would give it B twice. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "sandlock_spawn.h"

static int pipe_with(const char *text)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    if (write(fds[1], text, strlen(text)) != (ssize_t)strlen(text)) return -1;
    close(fds[1]);
    return fds[0];
}

int main(void)
{
    int a = pipe_with("from our fd 3\n");
    int b = pipe_with("from our fd 4\n");
    if (a != 3 || b != 4) { fprintf(stderr, "expected the pipes at 3 and 4, got %d and %d\n", a, b); return 2; }
    char *argv[] = { "sh", "-c", "cat <&3; cat <&4; ls /proc/self/fd | sort -n | tr '\\n' ' '", NULL };
    char *envp[] = { "PATH=/usr/bin:/bin", NULL };
    int32_t extra[] = { 4, 3 };
    struct sl_spawn_request req;
    memset(&req, 0, sizeof req);
    req.path = "/bin/sh";
    req.argv = argv;
    req.envp = envp;
    req.stdin_fd = req.stdout_fd = req.stderr_fd = -1;
    req.ruleset_fd = -1;
    req.personality = -1;
    req.cgroup_procs_fd = -1;
    req.cwd_fd = -1;
    req.extra_fd_count = 2;
    req.extra_fds = extra;
    struct sl_spawn_result result;
    if (sl_spawn(&req, &result) != 0) { fprintf(stderr, "spawn failed at step %d: %s\n", result.failed_step, strerror(result.error)); return 3; }
    int status;
    waitpid(result.pid, &status, 0);
    close(result.pidfd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
}
