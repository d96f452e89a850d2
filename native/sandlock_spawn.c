/* The only C in Sandlock: what must run between fork and exec, in the child, where managed code cannot run.
 * Everything (argv, envp, the Landlock ruleset fd, the seccomp program, rlimits) is prepared by C# in the parent;
 * this file only applies it. The child is created with vfork semantics, so it shares the parent's memory until
 * execve and reports a failed step through that shared memory instead of a pipe. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <termios.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/capability.h>
#include <linux/securebits.h>

#include "sandlock_spawn.h"

#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#endif

struct child_outcome {
    volatile int step;
    volatile int error;
    volatile int listener;           /* the child's fd number of its seccomp listener */
    volatile int reached_exec;       /* set just before execve: EOF on the exec pipe without it means the child died */
};

static void __attribute__((noreturn)) fail(struct child_outcome *outcome, int step)
{
    outcome->error = errno ? errno : EINVAL;
    outcome->step = step;
    _exit(127);
}

/* Writes all of text to a /proc file, as one write (the id map files accept exactly one). */
static int write_proc_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int error = errno;
    close(fd);
    if (written == (ssize_t)length) return 0;
    errno = written < 0 ? error : EIO;
    return -1;
}

/* The command keeps no capability, as under bubblewrap: a root sandbox would otherwise make device nodes, reconfigure
 * the host's network through netlink, override file modes or raise its limits. Emptying the bounding set (which
 * needs CAP_SETPCAP, so only a child that has it can and must) keeps an execve by uid 0 from getting them back;
 * SECBIT_NOROOT, locked, says the same to the kernel. An ordinary user has none to drop. */
static int drop_capabilities(void)
{
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct caps[2];
    if (syscall(SYS_capget, &header, caps) != 0) return -1;
    if (caps[0].effective & (1U << CAP_SETPCAP)) {
        /* A drop commits new credentials (~1.6 us each): a parent thread that forks only sandboxes has emptied its
         * own set already, so only what is left is dropped. */
        for (int cap = 0; cap < 64; cap++) {
            int bounded = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
            if (bounded < 0) {
                if (errno == EINVAL) break; /* past the kernel's last capability */
                return -1;
            }
            if (bounded == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return -1;
        }
        unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED
            | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
        if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) return -1;
    }
    /* Fails with EINVAL only on kernels before 4.3, which have no ambient set to clear. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    memset(caps, 0, sizeof caps);
    return (int)syscall(SYS_capset, &header, caps);
}

/* Sets the open-file limit (open_files = 1) or every other limit (0). */
static void set_rlimits(const struct sl_spawn_request *req, struct child_outcome *outcome, int open_files)
{
    for (int i = 0; i < req->rlimit_count; i++) {
        if ((req->rlimits[i].resource == RLIMIT_NOFILE) != open_files) continue;
        struct rlimit limit = { .rlim_cur = req->rlimits[i].soft, .rlim_max = req->rlimits[i].hard };
        if (setrlimit(req->rlimits[i].resource, &limit) != 0) fail(outcome, SL_STEP_RLIMIT);
    }
}

/* Puts req->extra_fds at 3, 4, ... A source may sit on another's target, and so may exec_pipe (whose early close
 * would tell the parent the execve happened): everything that matters is first copied above the targets. The
 * copies are close-on-exec; dup2 clears that flag on the targets only. */
static void place_extra_fds(const struct sl_spawn_request *req, struct child_outcome *outcome, int exec_pipe)
{
    int first_free = 3 + req->extra_fd_count;
    if (exec_pipe >= 0 && exec_pipe < first_free && fcntl(exec_pipe, F_DUPFD_CLOEXEC, first_free) < 0)
        fail(outcome, SL_STEP_STDIO);
    int lifted[req->extra_fd_count];
    for (int i = 0; i < req->extra_fd_count; i++) {
        lifted[i] = fcntl(req->extra_fds[i], F_DUPFD_CLOEXEC, first_free);
        if (lifted[i] < 0) fail(outcome, SL_STEP_STDIO);
    }
    for (int i = 0; i < req->extra_fd_count; i++)
        if (dup2(lifted[i], 3 + i) < 0) fail(outcome, SL_STEP_STDIO);
}

static void __attribute__((noreturn)) await_launch_and_exec(struct sl_prepared *prepared);

/* Runs in the vfork child; never returns. Only async-signal-safe calls. */
static void __attribute__((noinline, noreturn))
child_main(const struct sl_spawn_request *req, pid_t parent, struct child_outcome *outcome, int go_socket, int exec_pipe,
           struct sl_prepared *prepared)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    /* .NET installs handlers and ignores SIGPIPE; the command must start with default dispositions. */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction old;
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        if (sigaction(sig, NULL, &old) != 0) continue;
        /* A parent handler must not run in this child (it shares the parent's memory) once signals are unblocked
         * just before execve; ignored signals stay ignored across exec, except SIGPIPE which .NET ignores for itself. */
        if ((old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) || (sig == SIGPIPE && old.sa_handler == SIG_IGN))
            sigaction(sig, &dfl, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);

    /* Before anything can fork: every task of the sandbox is counted against the cgroup's pids.max. */
    if (req->cgroup_procs_fd >= 0 && write(req->cgroup_procs_fd, "0", 1) != 1) fail(outcome, SL_STEP_CGROUP);
    if (setpgid(0, 0) != 0) fail(outcome, SL_STEP_PROCESS_GROUP);
    /* A user namespace of its own makes RLIMIT_NPROC (set with the other rlimits below) count only this sandbox's
     * tasks: since Linux 5.14 the count is kept per (user namespace, uid). Before the parent-death signal, which a
     * credential change could clear. */
    if (req->uid_map && req->gid_map) {
        if (unshare(CLONE_NEWUSER) != 0) fail(outcome, SL_STEP_USER_NAMESPACE);
        if (write_proc_file("/proc/self/uid_map", req->uid_map) != 0) fail(outcome, SL_STEP_ID_MAPS);
        if (write_proc_file("/proc/self/setgroups", "deny") != 0) fail(outcome, SL_STEP_ID_MAPS);
        if (write_proc_file("/proc/self/gid_map", req->gid_map) != 0) fail(outcome, SL_STEP_ID_MAPS);
    }
    /* Needs CAP_SYS_CHROOT (root's, or ours in the user namespace above); before seccomp, which denies chroot. The
     * working directory must move inside at once, or it would stay a way out. */
    if (req->chroot_dir) {
        if (chroot(req->chroot_dir) != 0) fail(outcome, SL_STEP_CHROOT);
        if (chdir(req->cwd ? req->cwd : "/") != 0) fail(outcome, SL_STEP_CWD);
    }
    /* Signals are still blocked here, so SIGTTOU cannot stop us; a failure only means no terminal to take. */
    if (req->take_terminal) (void)tcsetpgrp(0, getpid());
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail(outcome, SL_STEP_PARENT_DEATH_SIGNAL);
    if (getppid() != parent) { errno = ESRCH; fail(outcome, SL_STEP_PARENT_DEATH_SIGNAL); }

    const int stdio[3] = { req->stdin_fd, req->stdout_fd, req->stderr_fd };
    for (int i = 0; i < 3; i++)
        if (stdio[i] >= 0 && dup2(stdio[i], i) < 0) fail(outcome, SL_STEP_STDIO);

    /* RLIMIT_NOFILE waits until after seccomp: the listener takes the lowest free fd, which is above every fd this
     * child still holds of the parent's, so a low limit would fail it. */
    set_rlimits(req, outcome, 0);
    if (req->personality >= 0 && personality((unsigned long)req->personality) == -1) fail(outcome, SL_STEP_PERSONALITY);
    if (req->disable_transparent_huge_pages && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) fail(outcome, SL_STEP_PERSONALITY);
    if (req->cwd && chdir(req->cwd) != 0) fail(outcome, SL_STEP_CWD);
    if (req->cwd_fd >= 0 && fchdir(req->cwd_fd) != 0) fail(outcome, SL_STEP_CWD);
    if (req->cpu_mask && syscall(SYS_sched_setaffinity, 0, (size_t)req->cpu_mask_words * 8, req->cpu_mask) != 0)
        fail(outcome, SL_STEP_CPU_AFFINITY);
    /* After the steps that may need a capability (cgroup, user namespace, chroot, raising a hard rlimit); the open-file
     * limit, set below, can then only be lowered, which is all a policy asks of it. */
    if (drop_capabilities() != 0) fail(outcome, SL_STEP_CAPABILITIES);

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(outcome, SL_STEP_NO_NEW_PRIVS);
    if (req->ruleset_fd >= 0 && syscall(SYS_landlock_restrict_self, req->ruleset_fd, req->landlock_restrict_flags) != 0)
        fail(outcome, SL_STEP_LANDLOCK);
    if (req->filter_len > 0) {
        struct sock_fprog prog = { .len = req->filter_len, .filter = (struct sock_filter *)req->filter };
        long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, req->seccomp_flags, &prog);
        if (listener < 0) fail(outcome, SL_STEP_SECCOMP);
        if (go_socket >= 0) {
            /* The parent must be serving the listener before execve, which may itself be a supervised syscall.
             * It takes the fd with pidfd_getfd: passing it with sendmsg could hit a held syscall nobody serves yet. */
            char go = 'L';
            outcome->listener = (int)listener;
            if (write(go_socket, &go, 1) != 1) fail(outcome, SL_STEP_LISTENER_HANDOFF);
            if (read(go_socket, &go, 1) != 1) { errno = ECANCELED; fail(outcome, SL_STEP_LISTENER_HANDOFF); }
        }
    }
    /* From here on req may be gone: the parent of a prepared child returns once the listener is handed over. */
    if (prepared) await_launch_and_exec(prepared);
    /* Last of the fd steps: every fd used above (ruleset, cgroup, working directory, go socket) may sit on a target. */
    if (req->extra_fd_count > 0) place_extra_fds(req, outcome, exec_pipe);
    set_rlimits(req, outcome, 1);

    /* Mark rather than close: the kernel closes them at execve, after every step above has used its fd. */
    if (syscall(SYS_close_range, 3U + (unsigned)req->extra_fd_count, ~0U, CLOSE_RANGE_CLOEXEC) != 0) fail(outcome, SL_STEP_CLOSE_FDS);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    outcome->reached_exec = 1;
    execve(req->path, req->argv, req->envp);
    fail(outcome, SL_STEP_EXEC);
}

int sl_spawn(const struct sl_spawn_request *req, struct sl_spawn_result *result)
{
    struct child_outcome outcome = { .step = 0, .error = 0, .listener = -1, .reached_exec = 0 };
    sigset_t all, old;
    sigfillset(&all);
    /* No handler of the parent may run in the child while it borrows the parent's memory. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t parent = getpid();
    pid_t pid = vfork();
    if (pid == 0) child_main(req, parent, &outcome, -1, -1, NULL);
    int spawn_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    memset(result, 0, sizeof *result);
    result->pidfd = -1;
    if (pid < 0) {
        result->failed_step = SL_STEP_FORK;
        result->error = spawn_errno;
        return -1;
    }
    result->pid = pid;
    if (outcome.step != 0) {
        /* The child has already _exit-ed: reap it here, while its pid cannot have been reused. */
        waitpid(pid, NULL, __WALL);
        result->failed_step = outcome.step;
        result->error = outcome.error;
        return -1;
    }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
        result->failed_step = SL_STEP_PIDFD;
        result->error = errno;
        return -1;
    }
    result->pidfd = pidfd;
    return 0;
}

/* ---- Supervised spawn: the child hands its seccomp listener to the parent before execve. ----
 * vfork cannot be used: the parent would stay suspended until execve, but execve may be a supervised syscall that
 * only the parent can answer. The child therefore runs on its own stack (still sharing memory, so nothing is copied)
 * and waits on a socket for the go signal; exec success is seen as EOF on a close-on-exec pipe. */

#define SL_CHILD_STACK_SIZE (256 * 1024)

struct supervised_child {
    const struct sl_spawn_request *req;
    pid_t parent;
    struct child_outcome *outcome;
    int go_socket;
    int exec_pipe;
    struct sl_prepared *prepared;
};

static int supervised_child_entry(void *arg)
{
    struct supervised_child *c = arg;
    child_main(c->req, c->parent, c->outcome, c->go_socket, c->exec_pipe, c->prepared);
}

int sl_spawn_supervised(const struct sl_spawn_request *req, struct sl_spawn_result *result,
                        sl_listener_ready on_listener, void *context)
{
    struct child_outcome outcome = { .step = 0, .error = 0, .listener = -1, .reached_exec = 0 };
    memset(result, 0, sizeof *result);
    result->pid = -1;
    result->pidfd = -1;
    result->listener = -1;

    int sockets[2], exec_pipe[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
        result->failed_step = SL_STEP_FORK;
        result->error = errno;
        return -1;
    }
    if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
        result->failed_step = SL_STEP_FORK;
        result->error = errno;
        close(sockets[0]);
        close(sockets[1]);
        return -1;
    }
    void *stack = mmap(NULL, SL_CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        result->failed_step = SL_STEP_FORK;
        result->error = errno;
        close(sockets[0]); close(sockets[1]); close(exec_pipe[0]); close(exec_pipe[1]);
        return -1;
    }

    struct supervised_child child = { req, getpid(), &outcome, sockets[1], exec_pipe[1], NULL };
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = clone(supervised_child_entry, (char *)stack + SL_CHILD_STACK_SIZE, CLONE_VM | SIGCHLD, &child);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    /* The child has its own fd table: drop our copies of its ends so its death shows as EOF. */
    close(sockets[1]);
    close(exec_pipe[1]);

    int status = 0;
    if (pid < 0) {
        result->failed_step = SL_STEP_FORK;
        result->error = clone_errno;
        status = -1;
        goto done;
    }
    result->pid = pid;

    char ready;
    ssize_t got;
    do got = read(sockets[0], &ready, 1); while (got < 0 && errno == EINTR);
    if (got != 1) {
        /* The child failed before the hand-off and has reported why. */
        waitpid(pid, NULL, __WALL);
        result->failed_step = outcome.step ? outcome.step : SL_STEP_LISTENER_HANDOFF;
        result->error = outcome.error ? outcome.error : EPROTO;
        status = -1;
        goto done;
    }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int listener = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, outcome.listener, 0);
    if (listener >= 0) result->listener = listener;
    /* Once the listener is ours the child may go on: a held call it makes before the supervisor is attached waits in
     * the kernel until it is served, so attaching overlaps the child's way to execve instead of delaying it. */
    char go = 'g';
    if (listener < 0 || write(sockets[0], &go, 1) != 1 || on_listener(context, listener, pid) != 0) {
        int err = listener < 0 ? errno : ECANCELED;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, __WALL);
        if (pidfd >= 0) close(pidfd);
        if (listener >= 0) close(listener);
        result->listener = -1;
        result->failed_step = pidfd < 0 ? SL_STEP_PIDFD : SL_STEP_LISTENER_HANDOFF;
        result->error = err;
        status = -1;
        goto done;
    }
    result->pidfd = pidfd;
    /* EOF once execve has closed the write end, or once the child has exited after a failure. */
    char ignored;
    ssize_t n;
    do n = read(exec_pipe[0], &ignored, 1); while (n < 0 && errno == EINTR);
    if (outcome.step != 0) {
        waitpid(pid, NULL, __WALL);
        close(pidfd);
        result->pidfd = -1;
        result->failed_step = outcome.step;
        result->error = outcome.error;
        status = -1;
    }

done:
    close(sockets[0]);
    close(exec_pipe[0]);
    /* After execve (or exit) the child no longer uses our memory, so its stack can go. */
    munmap(stack, SL_CHILD_STACK_SIZE);
    return status;
}

/* ---- Prepared child: confined ahead of its command, so that a session's exec only hands it the command. ----
 * Loading a seccomp program costs ~0.3 ms of kernel time here (the BPF JIT patches kernel text), and the steps before
 * it as much again: a session pays that while nothing waits for it. The child shares our memory like any supervised
 * child, so it reads its launch request from it; what it cannot share (fds opened since it was cloned) comes with
 * the go message. It keeps no fd but stdio and its two channels while it waits, or it would hold other spawns'
 * pipes open. */

struct sl_prepared {
    struct child_outcome outcome;
    const struct sl_launch_request *volatile launch;
    void *stack;
    pid_t pid;
    int pidfd;
    int go_socket;
    int exec_pipe;
    int child_go_socket;
    int child_exec_pipe;
    int has_open_files_limit;
    struct rlimit open_files_limit;
};

/* close_range over everything from 3 up but two fds. */
static int close_from_3_except(int a, int b)
{
    int keep[2] = { a < b ? a : b, a < b ? b : a };
    unsigned next = 3;
    for (int i = 0; i < 2; i++) {
        if (keep[i] < (int)next) continue;
        if ((unsigned)keep[i] > next && syscall(SYS_close_range, next, (unsigned)keep[i] - 1, 0) != 0) return -1;
        next = (unsigned)keep[i] + 1;
    }
    return (int)syscall(SYS_close_range, next, ~0U, 0);
}

static void __attribute__((noreturn)) await_launch_and_exec(struct sl_prepared *prepared)
{
    struct child_outcome *outcome = &prepared->outcome;
    if (close_from_3_except(prepared->child_go_socket, prepared->child_exec_pipe) != 0) fail(outcome, SL_STEP_CLOSE_FDS);
    /* What ps shows while it waits (it shares our command line); execve names it after the command. */
    (void)prctl(PR_SET_NAME, "sandlock-ready", 0, 0, 0);

    char go = 0;
    struct iovec iov = { .iov_base = &go, .iov_len = 1 };
    union { char buffer[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr align; } control;
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof control.buffer };
    ssize_t got;
    do got = recvmsg(prepared->child_go_socket, &message, MSG_CMSG_CLOEXEC); while (got < 0 && errno == EINTR);
    /* EOF: discarded, nobody waits for an outcome. */
    if (got != 1 || go != 'x') _exit(0);
    const struct sl_launch_request *launch = prepared->launch;

    int received[3], count = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && count < 3; i++)
                memcpy(&received[count++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    const int stdio[3] = { launch->stdin_fd, launch->stdout_fd, launch->stderr_fd };
    int next = 0;
    for (int i = 0; i < 3; i++) {
        if (stdio[i] < 0) continue;
        if (next >= count) { errno = EBADF; fail(outcome, SL_STEP_STDIO); }
        /* Above 2 first: a received fd may sit on a target another one still needs. */
        int lifted = fcntl(received[next++], F_DUPFD_CLOEXEC, 3);
        if (lifted < 0 || dup2(lifted, i) < 0) fail(outcome, SL_STEP_STDIO);
    }
    if (launch->cwd && chdir(launch->cwd) != 0) fail(outcome, SL_STEP_CWD);
    if (prepared->has_open_files_limit && setrlimit(RLIMIT_NOFILE, &prepared->open_files_limit) != 0) fail(outcome, SL_STEP_RLIMIT);
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) fail(outcome, SL_STEP_CLOSE_FDS);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    outcome->reached_exec = 1;
    execve(launch->path, launch->argv, launch->envp);
    fail(outcome, SL_STEP_EXEC);
}

static void release_prepared(struct sl_prepared *p)
{
    close(p->go_socket);
    close(p->exec_pipe);
    /* The child has exec-ed or died: it no longer runs on this stack. */
    munmap(p->stack, SL_CHILD_STACK_SIZE);
    free(p);
}

int sl_prepare_supervised(const struct sl_spawn_request *req, struct sl_spawn_result *result, struct sl_prepared **prepared)
{
    memset(result, 0, sizeof *result);
    result->pid = -1;
    result->pidfd = -1;
    result->listener = -1;
    *prepared = NULL;
    struct sl_prepared *p = calloc(1, sizeof *p);
    int sockets[2] = { -1, -1 }, exec_pipe[2] = { -1, -1 };
    if (!p || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0 || pipe2(exec_pipe, O_CLOEXEC) != 0) {
        result->failed_step = SL_STEP_FORK;
        result->error = errno;
        if (sockets[0] >= 0) { close(sockets[0]); close(sockets[1]); }
        free(p);
        return -1;
    }
    p->stack = mmap(NULL, SL_CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p->stack == MAP_FAILED) {
        result->failed_step = SL_STEP_FORK;
        result->error = errno;
        close(sockets[0]); close(sockets[1]); close(exec_pipe[0]); close(exec_pipe[1]);
        free(p);
        return -1;
    }
    p->outcome.listener = -1;
    p->go_socket = sockets[0];
    p->exec_pipe = exec_pipe[0];
    p->child_go_socket = sockets[1];
    p->child_exec_pipe = exec_pipe[1];
    p->pidfd = -1;
    for (int i = 0; i < req->rlimit_count; i++)
        if (req->rlimits[i].resource == RLIMIT_NOFILE) {
            p->has_open_files_limit = 1;
            p->open_files_limit.rlim_cur = req->rlimits[i].soft;
            p->open_files_limit.rlim_max = req->rlimits[i].hard;
        }

    struct supervised_child child = { req, getpid(), &p->outcome, sockets[1], exec_pipe[1], p };
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = clone(supervised_child_entry, (char *)p->stack + SL_CHILD_STACK_SIZE, CLONE_VM | SIGCHLD, &child);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(sockets[1]);
    close(exec_pipe[1]);
    if (pid < 0) {
        result->failed_step = SL_STEP_FORK;
        result->error = clone_errno;
        p->pid = -1;
        release_prepared(p);
        return -1;
    }
    p->pid = pid;
    result->pid = pid;

    char ready;
    ssize_t got;
    do got = read(p->go_socket, &ready, 1); while (got < 0 && errno == EINTR);
    int pidfd = got == 1 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    int listener = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, p->outcome.listener, 0);
    char go = 'g';
    if (got != 1 || listener < 0 || write(p->go_socket, &go, 1) != 1) {
        int err = errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, __WALL);
        result->failed_step = p->outcome.step ? p->outcome.step : pidfd < 0 && got == 1 ? SL_STEP_PIDFD : SL_STEP_LISTENER_HANDOFF;
        result->error = p->outcome.step ? p->outcome.error : err ? err : EPROTO;
        if (pidfd >= 0) close(pidfd);
        if (listener >= 0) close(listener);
        release_prepared(p);
        return -1;
    }
    p->pidfd = pidfd;
    result->pidfd = pidfd;
    result->listener = listener;
    *prepared = p;
    return 0;
}

int sl_launch_prepared(struct sl_prepared *p, const struct sl_launch_request *launch, struct sl_spawn_result *result)
{
    memset(result, 0, sizeof *result);
    result->pid = p->pid;
    result->pidfd = -1;
    result->listener = -1;
    p->launch = launch;

    int fds[3], count = 0;
    const int stdio[3] = { launch->stdin_fd, launch->stdout_fd, launch->stderr_fd };
    for (int i = 0; i < 3; i++) if (stdio[i] >= 0) fds[count++] = stdio[i];
    char go = 'x';
    struct iovec iov = { .iov_base = &go, .iov_len = 1 };
    union { char buffer[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (count > 0) {
        message.msg_control = control.buffer;
        message.msg_controllen = CMSG_SPACE(count * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&message);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(count * sizeof(int));
        memcpy(CMSG_DATA(c), fds, count * sizeof(int));
    }
    ssize_t sent;
    do sent = sendmsg(p->go_socket, &message, MSG_NOSIGNAL); while (sent < 0 && errno == EINTR);
    int status = 0;
    if (sent != 1) {
        int err = errno;
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, __WALL);
        close(p->pidfd);
        result->failed_step = SL_STEP_LISTENER_HANDOFF;
        result->error = err == EPIPE || err == ECONNRESET ? ECHILD : err;
        release_prepared(p);
        return -1;
    }
    char ignored;
    ssize_t n;
    do n = read(p->exec_pipe, &ignored, 1); while (n < 0 && errno == EINTR);
    if (p->outcome.step != 0 || !p->outcome.reached_exec) {
        waitpid(p->pid, NULL, __WALL);
        close(p->pidfd);
        result->failed_step = p->outcome.step ? p->outcome.step : SL_STEP_LISTENER_HANDOFF;
        result->error = p->outcome.step ? p->outcome.error : ECHILD;
        status = -1;
    } else {
        result->pidfd = p->pidfd;
    }
    release_prepared(p);
    return status;
}

void sl_discard_prepared(struct sl_prepared *p)
{
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, __WALL);
    close(p->pidfd);
    release_prepared(p);
}
