namespace Sandlock.Supervision;

/// <summary>An open, openat or openat2 the supervisor holds, decoded: where, what, and how.</summary>
internal sealed record HeldOpen(int DirFd, string Path, ulong Flags, ulong Resolve)
{
    public const int AtFdCwd = -100;
    private const ulong AccessModeMask = 3, Creat = 0x40, Trunc = 0x200;

    public static IReadOnlyCollection<string> Syscalls { get; } = ["open", "openat", "openat2"];

    public bool Writes => (Flags & AccessModeMask) != 0 || (Flags & (Creat | Trunc)) != 0;

    /// <summary>
    /// Null when the child's memory could not be read (the caller is gone or passed a bad pointer). Read once per call,
    /// for all its handlers, unless one of them writes to the caller's memory in between.
    /// </summary>
    public static HeldOpen? Read(SupervisedSession session, SyscallEvent call)
    {
        if (call.TryGetOpen(out var read)) return read;
        var open = Decode(session, call);
        call.RememberOpen(open);
        return open;
    }

    private static HeldOpen? Decode(SupervisedSession session, SyscallEvent call)
    {
        switch (call.Name)
        {
            case "open":
                return ChildAccess.ReadString(session, call, call.Args[0]) is { } openPath ? new(AtFdCwd, openPath, call.Args[1], 0) : null;
            case "openat":
                return ChildAccess.ReadString(session, call, call.Args[1]) is { } atPath ? new((int)call.Args[0], atPath, call.Args[2], 0) : null;
            case "openat2":
                Span<byte> how = stackalloc byte[24];
                if (call.Args[3] < 24 || !ChildAccess.Read(session, call, call.Args[2], how)) return null;
                return ChildAccess.ReadString(session, call, call.Args[1]) is { } at2Path
                    ? new((int)call.Args[0], at2Path, BitConverter.ToUInt64(how), BitConverter.ToUInt64(how[16..]))
                    : null;
            default:
                return null;
        }
    }

    // A relative path's base is two /proc links of the caller (~12 us); the view, the carved folders and the recorded
    // refusals each want it for the same held call.
    private (int Pid, string? Path)? _absolute;

    /// <summary>
    /// The path made absolute (see <see cref="ChildPaths.Absolute"/>); null when its base cannot be read. Found once
    /// per held call, as the path is read once: every handler of the call decides on the same place. Null for an
    /// empty path too.
    /// </summary>
    public string? Absolute(int pid)
    {
        if (Path.StartsWith('/')) return Path;
        // An empty path names nothing (the kernel's ENOENT), not the base it would be joined to.
        if (Path.Length == 0) return null;
        if (_absolute is { } known && known.Pid == pid) return known.Path;
        var found = ChildPaths.Absolute(pid, DirFd, Path);
        _absolute = (pid, found);
        return found;
    }
}
