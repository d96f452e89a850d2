/* Installs seccomp filters of its own inside a sandbox, then asks for random bytes (held when the policy seeds them).
 * argv[1] "listener": a filter that hands getrandom to a listener of its own (which would answer it in the
 * supervisor's stead); "narrowing": a filter that refuses uname, which only takes rights away. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static int install(int nr, unsigned int action, unsigned int flags)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, action),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

int main(int argc, char **argv)
{
    if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 2;
    if (strcmp(argv[1], "listener") == 0)
    {
        int listener = install(SYS_getrandom, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
        /* Nobody here answers it, and stdio's first buffer (malloc) asks for random bytes too: say so without them. */
        if (listener >= 0) { static const char said[] = "listener installed\n"; (void)!write(1, said, sizeof said - 1); _exit(1); }
        printf("listener refused: %s\n", strerror(errno));
    }
    else
    {
        struct utsname name;
        if (install(SYS_uname, SECCOMP_RET_ERRNO | EPERM, 0) != 0) { printf("narrowing refused: %s\n", strerror(errno)); return 1; }
        printf("uname after narrowing: %s\n", uname(&name) == 0 ? "allowed" : strerror(errno));
    }
    unsigned char bytes[8];
    if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) return 3;
    for (size_t i = 0; i < sizeof bytes; i++) printf("%02x", bytes[i]);
    printf("\n");
    return 0;
}
