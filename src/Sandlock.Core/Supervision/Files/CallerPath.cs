using System.Runtime.InteropServices;
using Sandlock.Interop;

namespace Sandlock.Supervision.Files;

/// <summary>
/// A path a held caller named, found where the kernel will find it for that caller (its working directory or the
/// directory fd it passed, inside its root, symlinks followed the way the call follows them): the host path of the
/// file, or of the entry it would create, its folder, and its file type (0 when it does not exist). Null where that
/// cannot be told for sure (a /proc path, a magic link, a base that cannot be read, "." or ".." last): the kernel
/// then decides alone.
/// </summary>
internal sealed record CallerPath(string HostPath, string HostParent, uint Type)
{
    private const uint TypeMask = 0xF000, Directory = 0x4000, Regular = 0x8000, Symlink = 0xA000;
    private const int Enoent = 2, AtFdCwd = -100;
    private static readonly int NoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    public bool Exists => Type != 0;
    public bool IsDirectory => Type == Directory;
    public bool IsRegular => Type == Regular;

    public static CallerPath? Find(int pid, int directoryFd, string named, bool followLast, string root)
    {
        if (named.Length == 0 || ChildPaths.Absolute(pid, directoryFd, named) is not { } absolute) return null;
        var trimmed = absolute.Length > 1 ? absolute.TrimEnd('/') : absolute;
        // /proc names the caller's own process in words the supervisor would read as its own.
        if (trimmed == "/proc" || trimmed.StartsWith("/proc/", StringComparison.Ordinal)) return null;
        var rootFd = Libc.Open(root, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (rootFd < 0) return null;
        try
        {
            if (Entry(rootFd, trimmed) is not { } entry) return null;
            if (!followLast || entry.Type != Symlink) return entry;
            // A symlink last, followed: where it leads, resolved inside the caller's root again.
            var target = ResolvingOpen.OpenAt2(rootFd, trimmed, (ulong)(Libc.O_PATH | Libc.O_CLOEXEC), ResolvingOpen.ResolveInRoot | ResolvingOpen.ResolveNoMagicLinks);
            if (target >= 0) return Described(target);
            // A symlink to nothing yet: an O_CREAT through it creates its target.
            if (Libc.LastError != Enoent || new FileInfo(entry.HostPath).LinkTarget is not { } link) return null;
            var inside = link.StartsWith('/') ? link : $"{Path.GetDirectoryName(trimmed)?.TrimEnd('/')}/{link}";
            return Entry(rootFd, inside.Length > 1 ? inside.TrimEnd('/') : inside) is { Exists: false } made ? made : null;
        }
        finally { Libc.Close(rootFd); }
    }

    /// <summary>
    /// Where an absolute path lands for a caller that shares the supervisor's root and mounts (no chroot, no mounts of
    /// its own), with one open: the kernel resolves it as it will for the caller, symlinks included (the last one
    /// only with <paramref name="followLast"/>), magic links refused. Null where that one open cannot tell: the path
    /// is then found step by step (<see cref="Find"/>). A missing file is returned with type 0 and its folder unresolved:
    /// enough for a read, which the kernel answers with ENOENT before Landlock, not for a create.
    /// </summary>
    public static CallerPath? FindAbsolute(string absolute, bool followLast)
    {
        if (absolute == "/proc" || absolute.StartsWith("/proc/", StringComparison.Ordinal)) return null;
        var fd = ResolvingOpen.OpenAt2(AtFdCwd, absolute, (ulong)(Libc.O_PATH | Libc.O_CLOEXEC | (followLast ? 0 : NoFollow)),
            ResolvingOpen.ResolveNoMagicLinks);
        if (fd >= 0) return Described(fd);
        // Only a missing last entry: a missing folder on the way is ENOENT too, which needs no record either.
        return Libc.LastError == Enoent ? new CallerPath(absolute, Path.GetDirectoryName(absolute) ?? "/", 0) : null;
    }

    /// <summary>The last component of <paramref name="inside"/> itself (a symlink not followed), in its resolved folder.</summary>
    private static CallerPath? Entry(int rootFd, string inside)
    {
        var name = Path.GetFileName(inside);
        if (name is "" or "." or ".." || Path.GetDirectoryName(inside) is not { } parent) return null;
        // Magic links would resolve in the supervisor (its /proc/self, or a host process's root).
        var parentFd = ResolvingOpen.OpenAt2(rootFd, parent, (ulong)(Libc.O_PATH | Libc.O_CLOEXEC), ResolvingOpen.ResolveInRoot | ResolvingOpen.ResolveNoMagicLinks);
        if (parentFd < 0) return null;
        try
        {
            if (HostPathOf(parentFd) is not { } hostParent) return null;
            var hostPath = hostParent == "/" ? "/" + name : $"{hostParent}/{name}";
            var fd = ResolvingOpen.OpenAt2(parentFd, name, (ulong)(Libc.O_PATH | NoFollow | Libc.O_CLOEXEC), ResolvingOpen.ResolveBeneath);
            if (fd >= 0) return Described(fd) is { } found ? found with { HostPath = hostPath, HostParent = hostParent } : null;
            return Libc.LastError == Enoent ? new CallerPath(hostPath, hostParent, 0) : null;
        }
        finally { Libc.Close(parentFd); }
    }

    /// <summary>Reads the host path and type of <paramref name="fd"/>, and closes it.</summary>
    private static CallerPath? Described(int fd)
    {
        try
        {
            Span<byte> statx = stackalloc byte[256];
            if (HostPathOf(fd) is not { } hostPath || FileCalls.Statx(fd, 0, 1 /* STATX_TYPE */, statx) < 0) return null;
            var type = BitConverter.ToUInt16(statx[28..]) & TypeMask;
            return new CallerPath(hostPath, Path.GetDirectoryName(hostPath) ?? "/", (uint)type);
        }
        finally { Libc.Close(fd); }
    }

    private static string? HostPathOf(int fd) => new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
}
