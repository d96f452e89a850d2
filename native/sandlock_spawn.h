/* ABI between Sandlock.Core (Interop/NativeSpawn.cs) and the spawn shim. Keep both sides in step. */
#ifndef SANDLOCK_SPAWN_H
#define SANDLOCK_SPAWN_H
#include <stdint.h>

enum sl_step {
    SL_STEP_NONE = 0,
    SL_STEP_FORK = 1,
    SL_STEP_PROCESS_GROUP = 2,
    SL_STEP_PARENT_DEATH_SIGNAL = 3,
    SL_STEP_STDIO = 4,
    SL_STEP_RLIMIT = 5,
    SL_STEP_PERSONALITY = 6,
    SL_STEP_CWD = 7,
    SL_STEP_NO_NEW_PRIVS = 8,
    SL_STEP_LANDLOCK = 9,
    SL_STEP_SECCOMP = 10,
    SL_STEP_LISTENER_HANDOFF = 11,
    SL_STEP_CLOSE_FDS = 12,
    SL_STEP_EXEC = 13,
    SL_STEP_PIDFD = 14,
    SL_STEP_CPU_AFFINITY = 15,
    SL_STEP_CGROUP = 16,
    SL_STEP_USER_NAMESPACE = 17,
    SL_STEP_ID_MAPS = 18,
    SL_STEP_CHROOT = 19,
    SL_STEP_CAPABILITIES = 20,
};

struct sl_rlimit {
    int32_t resource;
    int32_t reserved;
    uint64_t soft;
    uint64_t hard;
};

struct sl_spawn_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;                 /* NULL: inherit */
    const void *filter;              /* struct sock_filter[filter_len]; NULL: no seccomp */
    const struct sl_rlimit *rlimits;
    const uint64_t *cpu_mask;        /* sched_setaffinity mask, cpu_mask_words 64-bit words; NULL: unchanged */
    const char *uid_map;             /* with gid_map: unshare a user namespace with these maps; NULL: none */
    const char *gid_map;
    const char *chroot_dir;          /* chroot here (after the user namespace) and chdir to cwd, or "/"; NULL: none */
    int32_t stdin_fd;                /* -1: inherit */
    int32_t stdout_fd;
    int32_t stderr_fd;
    int32_t ruleset_fd;              /* -1: no Landlock */
    uint32_t landlock_restrict_flags;
    uint32_t seccomp_flags;
    int32_t rlimit_count;
    int32_t cpu_mask_words;
    int32_t personality;             /* -1: unchanged */
    int32_t cgroup_procs_fd;         /* the sandbox cgroup's cgroup.procs, opened for writing; -1: stay in ours */
    int32_t cwd_fd;                  /* fchdir here after cwd (a folder the chroot cannot name); -1: none */
    uint16_t filter_len;
    uint8_t disable_transparent_huge_pages;
    uint8_t take_terminal;           /* make the child's group the foreground of the terminal on fd 0 */
    int32_t extra_fd_count;
    const int32_t *extra_fds;        /* extra_fds[i] becomes the child's fd 3+i (pipes of a gather, a fork control
                                      * socket); NULL: none */
};

struct sl_spawn_result {
    int32_t pid;
    int32_t pidfd;
    int32_t failed_step;             /* enum sl_step */
    int32_t error;                   /* errno of the failed step */
    int32_t listener;                /* seccomp listener fd (supervised spawns), else -1 */
};

/* What a prepared child (sl_prepare_supervised) still needs to become the command. */
struct sl_launch_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;                 /* NULL: where the parent was when the child was prepared */
    int32_t stdin_fd;                /* -1: the parent's own, as it was when the child was prepared */
    int32_t stdout_fd;
    int32_t stderr_fd;
};

/* A child confined ahead of its command (a session's next exec), waiting for sl_launch_prepared. */
struct sl_prepared;

/* Called in the parent once the child's seccomp listener arrived, before the child may execve: register it with
 * the supervisor and return 0, or non-zero to abort the spawn. */
typedef int (*sl_listener_ready)(void *context, int listener, int pid);

int sl_spawn(const struct sl_spawn_request *req, struct sl_spawn_result *result);
int sl_spawn_supervised(const struct sl_spawn_request *req, struct sl_spawn_result *result,
                        sl_listener_ready on_listener, void *context);
/* Clones a child and confines it with req (which must name no stdio, working directory, cgroup, chroot, user
 * namespace, terminal or extra fds: those belong to the launch), up to the hand-off of its listener, which result
 * holds with its pid and pidfd; the child then keeps only stdio and waits. req may be freed once this returns. */
int sl_prepare_supervised(const struct sl_spawn_request *req, struct sl_spawn_result *result, struct sl_prepared **prepared);
/* Hands the prepared child its command and stdio; it execs. Frees prepared whatever the outcome; on success
 * result->pidfd is the caller's. A child that died while it waited fails with SL_STEP_LISTENER_HANDOFF and ECHILD. */
int sl_launch_prepared(struct sl_prepared *prepared, const struct sl_launch_request *launch, struct sl_spawn_result *result);
/* Kills and reaps a prepared child that will not be launched, and frees it (not its listener: the caller's). */
void sl_discard_prepared(struct sl_prepared *prepared);
#endif
