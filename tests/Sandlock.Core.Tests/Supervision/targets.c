// Calls that act on another process, aimed at a target given by pid ("outside PID") or at the program's own threads,
// child and group ("own"). Prints one line per call: its name and "ok" or the errno's name.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *name, long result)
{
    const char *error = errno == ESRCH ? "ESRCH" : errno == EPERM ? "EPERM" : strerror(errno);
    printf("%s %s\n", name, result < 0 ? error : "ok");
    fflush(stdout);
}

// Each call sets what the target already has, so a call that wrongly succeeds changes nothing.
static void act_on(pid_t target, int group)
{
    struct rlimit limit;
    errno = 0;
    report("prlimit64-read", syscall(SYS_prlimit64, target, RLIMIT_NOFILE, NULL, &limit));
    if (group) {
        errno = 0;
        int nice = getpriority(PRIO_PGRP, target);
        report("setpriority-pgrp", errno ? -1 : setpriority(PRIO_PGRP, target, nice));
        errno = 0;
        long io = syscall(SYS_ioprio_get, 2, target);
        report("ioprio_set-pgrp", io < 0 ? -1 : syscall(SYS_ioprio_set, 2, target, io));
        return;
    }
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, target);
    report("setpriority", errno ? -1 : setpriority(PRIO_PROCESS, target, nice));
    cpu_set_t cpus;
    report("sched_setaffinity", sched_getaffinity(target, sizeof cpus, &cpus) < 0 ? -1 : sched_setaffinity(target, sizeof cpus, &cpus));
    struct sched_param param;
    int policy = sched_getscheduler(target);
    report("sched_setscheduler", policy < 0 || sched_getparam(target, &param) < 0 ? -1 : sched_setscheduler(target, policy, &param));
    report("sched_setparam", sched_getparam(target, &param) < 0 ? -1 : sched_setparam(target, &param));
    long io = syscall(SYS_ioprio_get, 1, target);
    report("ioprio_set", io < 0 ? -1 : syscall(SYS_ioprio_set, 1, target, io));
    void *head; size_t length;
    report("get_robust_list", syscall(SYS_get_robust_list, target, &head, &length));
    long pidfd = syscall(SYS_pidfd_open, target, 0x80 /* PIDFD_THREAD: a tid will do */);
    report("pidfd_open", pidfd);
    if (pidfd >= 0) close((int)pidfd);
}

static int ready[2], done[2];
static pid_t worker_tid;

static void *worker(void *unused)
{
    (void)unused;
    worker_tid = (pid_t)syscall(SYS_gettid);
    char c;
    if (write(ready[1], "r", 1) != 1 || read(done[0], &c, 1) < 0) return NULL;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "outside") == 0) { act_on(atoi(argv[2]), 0); return 0; }
    if (argc == 3 && strcmp(argv[1], "outside-group") == 0) { act_on(atoi(argv[2]), 1); return 0; }
    if (argc == 2 && strcmp(argv[1], "user") == 0) {
        errno = 0;
        int nice = getpriority(PRIO_USER, 0);
        report("setpriority-user", setpriority(PRIO_USER, 0, nice));
        long io = syscall(SYS_ioprio_get, 3, 0);
        report("ioprio_set-user", io < 0 ? -1 : syscall(SYS_ioprio_set, 3, 0, io));
        return 0;
    }
    if (argc != 2 || strcmp(argv[1], "own") != 0) return 2;

    // Another thread of this process, by its tid.
    if (pipe(ready) < 0 || pipe(done) < 0) return 3;
    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, NULL) != 0) return 3;
    char c;
    if (read(ready[0], &c, 1) != 1) return 3;
    act_on(worker_tid, 0);
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    errno = pthread_setaffinity_np(thread, sizeof cpus, &cpus);
    report("pthread_setaffinity_np", errno ? -1 : 0);
    errno = 0;
    report("setpriority-lower", setpriority(PRIO_PROCESS, worker_tid, 5));
    struct sched_param none = {0};
    report("sched_setscheduler-batch", sched_setscheduler(worker_tid, SCHED_BATCH, &none));
    report("ioprio_set-be", syscall(SYS_ioprio_set, 1, worker_tid, (2 << 13) | 4));
    if (write(done[1], "x", 1) != 1) return 3;
    pthread_join(thread, NULL);

    // A child process, and the sandbox's own process group.
    pid_t child = fork();
    if (child == 0) { pause(); _exit(0); }
    act_on(child, 0);
    act_on(getpgrp(), 1);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 0;
}
