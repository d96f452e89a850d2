using Sandlock.Policy.Learning;
using Sandlock.Supervision.Files;

namespace Sandlock.Supervision.Learning;

/// <summary>
/// Records every path a run opens (read, listed or written, by the open flags), executes (with the interpreter the
/// kernel starts for it), or changes (an entry made, removed or renamed in a folder), as the host path the kernel
/// finds for the caller (<see cref="CallerPath"/>: relative to its working directory or the directory fd it passed).
/// </summary>
internal sealed class PathObserver(RunRecorder recorder, string root) : ObservingHandler(recorder)
{
    private const ulong AccessModeMask = 3, Creat = 0x40, Excl = 0x80, Trunc = 0x200, EmptyPath = 0x1000;
    private const int AtFdCwd = HeldOpen.AtFdCwd;
    private static readonly ulong NoFollow = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? 0x8000UL : 0x20000UL;

    public override IReadOnlyCollection<string> Syscalls { get; } =
    [
        "open", "openat", "openat2", "creat", "execve", "execveat", "mkdir", "mkdirat", "mknod", "mknodat", "unlink", "unlinkat",
        "rmdir", "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "truncate",
    ];

    protected override void Observe(SyscallEvent call, SupervisedSession session)
    {
        var a = call.Args;
        switch (call.Name)
        {
            case "open" or "openat" or "openat2":
                if (HeldOpen.Read(session, call) is { } open) Open(call, open.DirFd, open.Path, open.Flags);
                break;
            case "creat": Open(call, AtFdCwd, Text(session, call, a[0]), (ulong)Interop.Libc.O_WRONLY | Creat | Trunc); break;
            case "execve": Execute(call, AtFdCwd, Text(session, call, a[0])); break;
            // AT_EMPTY_PATH runs the file an fd holds: its link names it.
            case "execveat": Execute(call, (a[4] & EmptyPath) != 0 ? AtFdCwd : (int)a[0], (a[4] & EmptyPath) != 0 ? $"/proc/{call.Pid}/fd/{(int)a[0]}" : Text(session, call, a[1])); break;
            case "mkdir" or "mknod": Made(call, AtFdCwd, Text(session, call, a[0])); break;
            case "mkdirat" or "mknodat": Made(call, (int)a[0], Text(session, call, a[1])); break;
            case "symlink": Made(call, AtFdCwd, Text(session, call, a[1])); break;
            case "symlinkat": Made(call, (int)a[1], Text(session, call, a[2])); break;
            case "unlink" or "rmdir": Removed(call, AtFdCwd, Text(session, call, a[0])); break;
            case "unlinkat": Removed(call, (int)a[0], Text(session, call, a[1])); break;
            case "rename":
                Removed(call, AtFdCwd, Text(session, call, a[0]));
                Made(call, AtFdCwd, Text(session, call, a[1]), replaces: true);
                break;
            case "renameat" or "renameat2":
                Removed(call, (int)a[0], Text(session, call, a[1]));
                Made(call, (int)a[2], Text(session, call, a[3]), replaces: true);
                break;
            case "link": Made(call, AtFdCwd, Text(session, call, a[1])); break;
            case "linkat": Made(call, (int)a[2], Text(session, call, a[3])); break;
            case "truncate":
                if (Find(call, AtFdCwd, Text(session, call, a[0]), followLast: true) is { Exists: true } file)
                    Recorder.Path(new ObservedPath(file.HostPath, PathUse.Modify, ProgramOf(call.Pid)));
                break;
        }
    }

    private static string? Text(SupervisedSession session, SyscallEvent call, ulong address) => ChildAccess.ReadString(session, call, address);

    private CallerPath? Find(SyscallEvent call, int directoryFd, string? named, bool followLast) =>
        named is null ? null : CallerPath.Find(call.Pid, directoryFd, named, followLast, root);

    private void Open(SyscallEvent call, int directoryFd, string? named, ulong flags)
    {
        // An O_PATH open reads nothing, and no rule is needed for it.
        if (named is null || (flags & (ulong)Interop.Libc.O_PATH) != 0) return;
        if (ProcPath(call, directoryFd, named)) return;
        if (Find(call, directoryFd, named, followLast: (flags & NoFollow) == 0) is not { } file) return;
        var program = ProgramOf(call.Pid);
        if (!file.Exists)
        {
            // Without O_CREAT the kernel answers ENOENT before any rule is asked.
            if ((flags & Creat) != 0) Recorder.Path(new ObservedPath(file.HostParent, PathUse.ChangeIn, program, Path.GetFileName(file.HostPath)));
            return;
        }
        if ((flags & (Creat | Excl)) == (Creat | Excl)) return;
        var use = (flags & AccessModeMask) != 0 || (flags & Trunc) != 0 ? PathUse.Modify : file.IsDirectory ? PathUse.List : PathUse.Read;
        Recorder.Path(new ObservedPath(file.HostPath, use, program));
    }

    /// <summary>/proc names the caller's own process in words only it can read; the grant is /proc, which the supervisor's view serves.</summary>
    private bool ProcPath(SyscallEvent call, int directoryFd, string named)
    {
        if (ChildPaths.Absolute(call.Pid, directoryFd, named) is not { } absolute || !Policy.PathTree.IsSameOrUnder(absolute, "/proc")) return false;
        Recorder.Path(new ObservedPath("/proc", PathUse.Read, ProgramOf(call.Pid)));
        return true;
    }

    private void Execute(SyscallEvent call, int directoryFd, string? named)
    {
        if (Find(call, directoryFd, named, followLast: true) is not { Exists: true } file) return;
        var program = ProgramOf(call.Pid);
        Recorder.Program(file.HostPath);
        Recorder.Path(new ObservedPath(file.HostPath, PathUse.Execute, program));
        // The kernel opens these itself, and Landlock checks them as executed.
        foreach (var interpreter in ProgramInterpreters.Of(file.HostPath, root))
            Recorder.Path(new ObservedPath(interpreter, PathUse.Execute, program));
    }

    private void Made(SyscallEvent call, int directoryFd, string? named, bool replaces = false)
    {
        if (Find(call, directoryFd, named, followLast: false) is not { } entry || (entry.Exists && !replaces)) return;
        Recorder.Path(new ObservedPath(entry.HostParent, PathUse.ChangeIn, ProgramOf(call.Pid), Path.GetFileName(entry.HostPath)));
    }

    private void Removed(SyscallEvent call, int directoryFd, string? named)
    {
        if (Find(call, directoryFd, named, followLast: false) is not { Exists: true } entry) return;
        Recorder.Path(new ObservedPath(entry.HostParent, PathUse.ChangeIn, ProgramOf(call.Pid), Path.GetFileName(entry.HostPath)));
    }
}
