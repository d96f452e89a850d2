/* Starts /mounted/tool twice with posix_spawn (whose child shares this process's memory until the exec), naming it
 * by a fresh copy of the path ("copy") or by the string literal itself ("literal"), then prints the literal. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    static const char tool[] = "/mounted/tool";
    if (argc != 2) return 2;
    int copy = strcmp(argv[1], "copy") == 0;
    for (int i = 0; i < 2; i++) {
        char *path = copy ? strdup(tool) : (char *)tool;
        char *args[] = { path, "spawned", NULL };
        pid_t pid;
        int error = posix_spawn(&pid, path, NULL, NULL, args, environ);
        if (error == 0) waitpid(pid, NULL, 0);
        else printf("posix_spawn: %d\n", error);
        fflush(stdout);
        if (copy) free(path);
    }
    printf("path after: %s\n", tool);
    return 0;
}
