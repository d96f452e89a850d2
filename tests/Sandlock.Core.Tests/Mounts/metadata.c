/* Changes metadata under the folder given: a FIFO, a device node, ownership and extended attributes of FOLDER/file.
 * Prints each outcome as 0 or the errno, so a test can compare the lines. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static int outcome(int result) { return result == 0 ? 0 : errno; }

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    char fifo[4096], file[4096], device[4096], value[64];
    snprintf(fifo, sizeof fifo, "%s/fifo", argv[1]);
    snprintf(file, sizeof file, "%s/file", argv[1]);
    snprintf(device, sizeof device, "%s/device", argv[1]);
    struct stat st;
    printf("mkfifo %d\n", outcome(mkfifo(fifo, 0600)));
    printf("is fifo %d\n", stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    printf("chown %d\n", outcome(chown(file, getuid(), getgid())));
    printf("setxattr %d\n", outcome(setxattr(file, "user.sandlock", "v1", 2, 0)));
    ssize_t n = getxattr(file, "user.sandlock", value, sizeof value);
    printf("getxattr %.*s\n", (int)(n > 0 ? n : 0), value);
    n = listxattr(file, value, sizeof value);
    printf("listed %d\n", n > 0 && memmem(value, (size_t)n, "user.sandlock", 13) != NULL);
    printf("removexattr %d\n", outcome(removexattr(file, "user.sandlock")));
    printf("mknod device %d\n", outcome(mknod(device, S_IFCHR | 0600, makedev(1, 3))));
    return 0;
}
