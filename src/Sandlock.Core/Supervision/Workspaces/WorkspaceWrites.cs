using System.Buffers.Binary;
using Sandlock.Interop;

namespace Sandlock.Supervision.Workspaces;

/// <summary>
/// max_disk: the calls that can make a file longer are held; one that would grow a file of the upper folder past the
/// limit fails with ENOSPC before anything is written. Writes to anything else go on untouched.
/// </summary>
internal sealed class WorkspaceWrites(WorkspaceFiles files) : SyscallHandler
{
    private const int SeekCurrent = 1;
    private const ulong Append = 0x400, FallocKeepSize = 1;

    // The fd written to, for each call.
    private static readonly Dictionary<string, int> Target = new(StringComparer.Ordinal)
    {
        ["write"] = 0, ["pwrite64"] = 0, ["writev"] = 0, ["pwritev"] = 0, ["pwritev2"] = 0, ["fallocate"] = 0,
        ["ftruncate"] = 0, ["copy_file_range"] = 2, ["sendfile"] = 0, ["splice"] = 2,
    };

    public override IReadOnlyCollection<string> Syscalls { get; } = [.. Target.Keys];

    // A one-byte write is how the spawn's child tells the parent its listener is ready, before anyone serves it: those
    // go on unheld, and the run's end measures the layer, so growth they make past the limit is never committed.
    public override IReadOnlyDictionary<string, Confinement.Seccomp.ArgumentMatch> WantedWhen { get; } =
        new Dictionary<string, Confinement.Seccomp.ArgumentMatch> { ["write"] = Confinement.Seccomp.ArgumentMatch.AnySet(2, 0xFFFFFFFE) };

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var tree = files.Tree(session);
        using var fd = ChildAccess.DuplicateFd(session, call, (int)call.Args[Target[call.Name]]);
        if (fd is null || tree.Quota is not { } quota) return Done(SyscallDecision.Allow);
        var raw = (int)fd.DangerousGetHandle();
        if (FileStatus.Of(raw) is not { IsRegular: true } status || status.Device != tree.UpperDevice) return Done(SyscallDecision.Allow);
        if (new FileInfo($"/proc/self/fd/{raw}").LinkTarget is not { } host || !tree.InUpper(host)) return Done(SyscallDecision.Allow);
        if (End(session, call, fd) is not { } end) return Done(SyscallDecision.Deny(Errno.EFAULT));
        var growth = end - (long)status.Size;
        if (growth <= 0 || quota.TryCharge(growth)) return Done(SyscallDecision.Allow);
        session.Deny(new Denial(call.Name, tree.Layout.Shown(tree.RestOf(host)!), call.Pid, $"max_disk {new ByteSize(quota.Limit)}: the copy-on-write changes may grow no further"));
        return Done(SyscallDecision.Deny(Errno.ENOSPC));
    }

    /// <summary>Where the call would leave the file's end at most; null when the caller's memory cannot be read.</summary>
    private static long? End(SupervisedSession session, SyscallEvent call, Microsoft.Win32.SafeHandles.SafeFileHandle fd)
    {
        var a = call.Args;
        long Position() => (OpenFlags(call.Pid, (int)a[Target[call.Name]]) & Append) != 0
            ? long.MaxValue / 2
            : Math.Max(0, DirectoryCalls.Position(fd));
        switch (call.Name)
        {
            case "write": return Position() + (long)a[2];
            case "pwrite64": return (long)a[3] + (long)a[2];
            case "writev" or "pwritev" or "pwritev2":
                if (VectorLength(session, call, a[1], (int)Math.Min(a[2], 1024)) is not { } length) return null;
                return (call.Name == "writev" || (call.Name == "pwritev2" && (long)a[3] == -1) ? Position() : (long)a[3]) + length;
            case "fallocate": return (a[1] & FallocKeepSize) != 0 ? 0 : (long)a[2] + (long)a[3];
            case "ftruncate": return (long)a[1];
            case "sendfile": return Position() + (long)a[3];
            default:  // copy_file_range and splice: (.., fd_out, off_out*, len)
                if (a[3] == 0) return Position() + (long)a[4];
                Span<byte> offset = stackalloc byte[8];
                return ChildAccess.Read(session, call, a[3], offset) ? BinaryPrimitives.ReadInt64LittleEndian(offset) + (long)a[4] : null;
        }
    }

    /// <summary>The open flags of the caller's fd (/proc/PID/fdinfo), for O_APPEND; 0 when unreadable.</summary>
    private static ulong OpenFlags(int pid, int fd)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/fdinfo/{fd}"))
                if (line.StartsWith("flags:", StringComparison.Ordinal)) return Convert.ToUInt64(line[6..].Trim(), 8);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }

    private static long? VectorLength(SupervisedSession session, SyscallEvent call, ulong address, int count)
    {
        if (count <= 0) return 0;
        var vectors = new byte[16 * count];
        if (!ChildAccess.Read(session, call, address, vectors)) return null;
        long total = 0;
        for (var i = 0; i < count; i++) total += (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(vectors.AsSpan(16 * i + 8)), 1UL << 40);
        return total;
    }

    private static ValueTask<SyscallDecision> Done(SyscallDecision decision) => ValueTask.FromResult(decision);
}
