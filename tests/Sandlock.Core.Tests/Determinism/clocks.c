// Reads the clocks every way a program can, for TimeStartTests. Usage: clocks read | sleep | timerfd | vdso-getrandom
// Built by the tests at run time (dynamic and static); prints "key value" lines.
#define _GNU_SOURCE
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

// Finds a vDSO function the way a loader does: the image at AT_SYSINFO_EHDR, its dynamic symbols and DT_HASH.
static void *vdso_function(const char *name)
{
    const unsigned char *base = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
    if (!base) return NULL;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
    long bias = 0;
    const Elf64_Dyn *dyn = NULL;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) bias = (long)base - (long)ph[i].p_vaddr;
        if (ph[i].p_type == PT_DYNAMIC) dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
    }
    if (!dyn) return NULL;
    const Elf64_Sym *symbols = NULL;
    const char *strings = NULL;
    const uint32_t *hash = NULL;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        if (dyn->d_tag == DT_SYMTAB) symbols = (const Elf64_Sym *)(dyn->d_un.d_ptr + bias);
        if (dyn->d_tag == DT_STRTAB) strings = (const char *)(dyn->d_un.d_ptr + bias);
        if (dyn->d_tag == DT_HASH) hash = (const uint32_t *)(dyn->d_un.d_ptr + bias);
    }
    if (!symbols || !strings || !hash) return NULL;
    for (uint32_t i = 0; i < hash[1]; i++)
        if (symbols[i].st_shndx != SHN_UNDEF && strcmp(strings + symbols[i].st_name, name) == 0)
            return (void *)(symbols[i].st_value + bias);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "read";
    struct timespec t;
    if (strcmp(mode, "read") == 0) {
        clock_gettime(CLOCK_REALTIME, &t); printf("realtime %lld\n", ns(t));
        clock_gettime(CLOCK_REALTIME_COARSE, &t); printf("realtime_coarse %lld\n", ns(t));
        clock_gettime(CLOCK_TAI, &t); printf("tai %lld\n", ns(t));
        struct timeval tv; gettimeofday(&tv, NULL); printf("gettimeofday %lld\n", tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL);
        printf("time %lld\n", (long long)time(NULL) * 1000000000LL);
        syscall(SYS_clock_gettime, CLOCK_REALTIME, &t); printf("raw_clock_gettime %lld\n", ns(t));
        syscall(SYS_gettimeofday, &tv, NULL); printf("raw_gettimeofday %lld\n", tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL);
        printf("raw_time %lld\n", (long long)syscall(SYS_time, NULL) * 1000000000LL);
        int (*vdso_gettime)(clockid_t, struct timespec *) = vdso_function("__vdso_clock_gettime");
        if (vdso_gettime) { vdso_gettime(CLOCK_REALTIME, &t); printf("vdso_clock_gettime %lld\n", ns(t)); }
        clock_gettime(CLOCK_MONOTONIC, &t); printf("monotonic %lld\n", ns(t));
        clock_gettime(CLOCK_REALTIME, &t); printf("realtime_again %lld\n", ns(t));
    } else if (strcmp(mode, "sleep") == 0) {
        clock_gettime(CLOCK_REALTIME, &t);
        struct timespec deadline = t;
        deadline.tv_sec += 1;
        int rc = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &deadline, NULL);
        clock_gettime(CLOCK_REALTIME, &t);
        printf("slept %d deadline %lld now %lld\n", rc, ns(deadline), ns(t));
    } else if (strcmp(mode, "timerfd") == 0) {
        int fd = timerfd_create(CLOCK_REALTIME, 0);
        clock_gettime(CLOCK_REALTIME, &t);
        struct itimerspec setting = { { 0, 0 }, { t.tv_sec + 1, t.tv_nsec } }, old;
        int rc = timerfd_settime(fd, TFD_TIMER_ABSTIME, &setting, &old);
        uint64_t expirations = 0;
        if (rc == 0 && read(fd, &expirations, sizeof expirations) != sizeof expirations) rc = -2;
        clock_gettime(CLOCK_REALTIME, &t);
        printf("fired %d %llu deadline %lld now %lld\n", rc, (unsigned long long)expirations, ns(setting.it_value), ns(t));
    } else if (strcmp(mode, "vdso-getrandom") == 0) {
        long (*vgetrandom)(void *, size_t, unsigned, void *, size_t) = vdso_function("__vdso_getrandom");
        if (!vgetrandom) { printf("none\n"); return 0; }
        unsigned char params[64] = { 0 }, bytes[16];
        printf("probe %ld\n", vgetrandom(NULL, 0, 0, params, ~0UL));
        printf("read %ld", vgetrandom(bytes, sizeof bytes, 0, NULL, 0));
        for (unsigned i = 0; i < sizeof bytes; i++) printf(" %02x", bytes[i]);
        printf("\n");
    } else {
        fprintf(stderr, "usage: clocks read | sleep | timerfd | vdso-getrandom\n");
        return 2;
    }
    return 0;
}
