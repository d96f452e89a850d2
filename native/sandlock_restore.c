/* The restore stub: a static program (no libc) the sandbox execs, confined by the restoring sandbox's own Landlock
 * ruleset and seccomp filter, that rebuilds a checkpointed process inside itself. It decides nothing: the supervisor
 * (Lifecycle/Checkpoints/Restorer.cs) traces it, writes a list of operations into `plan` and the memory contents
 * into the regions this stub maps, and finally sets the saved registers. What the stub does with files (open,
 * chdir) it does as a confined process, so a checkpoint folder cannot open what the policy refuses.
 *
 * Protocol (x86_64 only):
 *   1. _start moves to a stack in .bss and loops in pause(); rdi = &plan, rsi = &run, rdx = plan capacity,
 *      r8 = the address of its syscall instruction, r9 and r10 = where the stub's own image begins and ends.
 *      The supervisor seizes and interrupts it and reads those registers.
 *   2. The supervisor writes the plan, points rip at `run` and continues. `run` executes the operations in order;
 *      OP_STOP and the end raise int3, where the supervisor writes memory, or makes the stub unmap itself through
 *      that syscall instruction (stopping at the syscall's exit) and sets the saved registers and detaches.
 *   3. A failing operation stores its index and errno in the plan header and stops at int3; the supervisor reads them,
 *      kills the sandbox and names the operation. */
#include <stdint.h>

#ifndef __x86_64__
#error "the restore stub is x86_64 only"
#endif

enum {
    OP_MUNMAP = 1,      /* a: address, b: length */
    OP_MREMAP = 2,      /* a: from, b: length, c: to */
    OP_MAP = 3,         /* a: address, b: length, c: 1 for a stack that grows down */
    OP_STOP = 4,        /* int3: the supervisor writes the memory contents */
    OP_PROTECT = 5,     /* a: address, b: length, c: PROT_* */
    OP_OPEN = 6,        /* a: path address, b: open flags, c: offset or -1, d: fd number */
    OP_CHDIR = 7,       /* a: path address */
    OP_IGNORE = 8,      /* a: signal number */
    OP_ROBUST_LIST = 9, /* a: head, b: length */
    OP_RSEQ = 10,       /* a: address, b: length, c: signature */
    OP_NAME = 11,       /* a: name address (PR_SET_NAME) */
};

struct op { uint64_t kind, a, b, c, d; };

struct plan {
    uint64_t count;
    int64_t failed;     /* index of the failing operation, -1 while none */
    int64_t error;      /* its errno */
    struct op ops[];
};

#define PLAN_BYTES (1u << 20)
#define STACK_BYTES (64u << 10)

static union { struct plan plan; unsigned char bytes[PLAN_BYTES]; } plan_area __attribute__((aligned(4096)));
static unsigned char stack_area[STACK_BYTES] __attribute__((aligned(16), used));
void run(void);

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

#define SYS_lseek 8
#define SYS_mmap 9
#define SYS_mprotect 10
#define SYS_munmap 11
#define SYS_rt_sigaction 13
#define SYS_mremap 25
#define SYS_close 3
#define SYS_chdir 80
#define SYS_openat 257
#define SYS_dup3 292
#define SYS_set_robust_list 273
#define SYS_rseq 334
#define SYS_prctl 157
#define PR_SET_NAME 15

#define PROT_RW 3
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define O_CLOEXEC 0x80000
#define AT_FDCWD (-100)
#define SIG_IGN 1

struct kernel_sigaction { uint64_t handler, flags, restorer, mask; };

static long apply(const struct op *op)
{
    long r;
    switch (op->kind) {
    case OP_MUNMAP:
        return sys6(SYS_munmap, op->a, op->b, 0, 0, 0, 0);
    case OP_MREMAP:
        r = sys6(SYS_mremap, op->a, op->b, op->b, MREMAP_MAYMOVE | MREMAP_FIXED, op->c, 0);
        return r == (long)op->c ? 0 : (r < 0 ? r : -14);
    case OP_MAP:
        r = sys6(SYS_mmap, op->a, op->b, PROT_RW,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | (op->c ? MAP_GROWSDOWN : 0), -1, 0);
        return r == (long)op->a ? 0 : (r < 0 ? r : -17);
    case OP_STOP:
        __asm__ volatile("int3" ::: "memory");
        return 0;
    case OP_PROTECT:
        return sys6(SYS_mprotect, op->a, op->b, op->c, 0, 0, 0);
    case OP_OPEN: {
        long fd = sys6(SYS_openat, AT_FDCWD, op->a, op->b, 0, 0, 0);
        if (fd < 0) return fd;
        if ((int64_t)op->c >= 0 && (r = sys6(SYS_lseek, fd, op->c, 0 /* SEEK_SET */, 0, 0, 0)) < 0) return r;
        if (fd == (long)op->d) return 0;
        if ((r = sys6(SYS_dup3, fd, op->d, op->b & O_CLOEXEC, 0, 0, 0)) < 0) return r;
        return sys6(SYS_close, fd, 0, 0, 0, 0, 0);
    }
    case OP_CHDIR:
        return sys6(SYS_chdir, op->a, 0, 0, 0, 0, 0);
    case OP_IGNORE: {
        struct kernel_sigaction action = { SIG_IGN, 0, 0, 0 };
        return sys6(SYS_rt_sigaction, op->a, (long)&action, 0, 8, 0, 0);
    }
    case OP_ROBUST_LIST:
        return sys6(SYS_set_robust_list, op->a, op->b, 0, 0, 0, 0);
    case OP_RSEQ:
        return sys6(SYS_rseq, op->a, op->b, 0, op->c, 0, 0);
    case OP_NAME:
        return sys6(SYS_prctl, PR_SET_NAME, op->a, 0, 0, 0, 0);
    default:
        return -22;
    }
}

void run(void)
{
    struct plan *plan = &plan_area.plan;
    plan->failed = -1;
    for (uint64_t i = 0; i < plan->count; i++) {
        long r = apply(&plan->ops[i]);
        if (r < 0) {
            plan->failed = (int64_t)i;
            plan->error = -r;
            break;
        }
    }
    for (;;) __asm__ volatile("int3" ::: "memory");
}

__asm__(
    ".text\n"
    ".global _start\n"
    "_start:\n"
    "    lea stack_area+65536(%rip), %rsp\n"
    "    lea plan_area(%rip), %rdi\n"
    "    lea run(%rip), %rsi\n"
    "    mov $1048576, %edx\n"
    "    lea .Lpause(%rip), %r8\n"
    "    lea __ehdr_start(%rip), %r9\n"
    "    lea _end(%rip), %r10\n"
    "1:  mov $34, %eax\n" /* pause */
    ".Lpause:\n"
    "    syscall\n"
    "    jmp 1b\n");
