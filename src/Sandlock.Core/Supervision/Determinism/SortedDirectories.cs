using System.Buffers.Binary;
using System.Collections.Concurrent;
using Sandlock.Interop;

namespace Sandlock.Supervision.Determinism;

/// <summary>
/// <c>deterministic_dirs</c>: getdents64 is answered by the supervisor with the directory's entries sorted by name,
/// whatever order the filesystem keeps them in. A listing is a snapshot taken when a reader starts (or rewinds) a
/// directory and served from there, so a directory changed while it is being read still lists every name once. The
/// child's directory position is the index into that snapshot, which keeps rewinddir, telldir and seekdir working.
/// </summary>
public sealed class SortedDirectories : SyscallHandler
{
    private const int Efault = 14, Ebadf = 9, Einval = 22, Enotdir = 20;
    private const int HeaderSize = 19;
    private readonly ConcurrentDictionary<(int Pid, int Fd), Snapshot> _snapshots = new();

    private sealed record Snapshot(ulong Device, ulong Inode, (ulong Inode, byte Type, byte[] Name)[] Entries);

    public override IReadOnlyCollection<string> Syscalls { get; } = ["getdents64"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var fd = (int)call.Args[0];
        var capacity = (int)Math.Min(call.Args[2], 1 << 20);
        using var directory = ChildAccess.DuplicateFd(session, call, fd);
        if (directory is null) return Done(SyscallDecision.Deny(Ebadf));
        var identity = FileIdentity.Of($"/proc/self/fd/{(int)directory.DangerousGetHandle()}");
        if (identity is not var (device, inode)) return Done(SyscallDecision.Deny(Ebadf));
        var position = DirectoryCalls.Position(directory);
        if (position < 0) return Done(SyscallDecision.Deny(Enotdir));

        var key = (call.Pid, fd);
        // A read from the start (a new open, or a rewind) takes a fresh snapshot; later reads continue the old one.
        if (position == 0 || !_snapshots.TryGetValue(key, out var snapshot) || snapshot.Device != device || snapshot.Inode != inode)
        {
            var entries = DirectoryCalls.ReadAll(directory);
            if (entries is null) return Done(SyscallDecision.Deny(Enotdir));
            entries.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
            snapshot = new Snapshot(device, inode, [.. entries]);
            _snapshots[key] = snapshot;
        }

        var buffer = new byte[capacity];
        var used = 0;
        var index = (int)Math.Min(position, snapshot.Entries.Length);
        while (index < snapshot.Entries.Length)
        {
            var (entryInode, type, name) = snapshot.Entries[index];
            var length = (HeaderSize + name.Length + 1 + 7) & ~7;
            if (used + length > capacity) break;
            var record = buffer.AsSpan(used, length);
            BinaryPrimitives.WriteUInt64LittleEndian(record, entryInode);
            // d_off is where the next read starts: the next index.
            BinaryPrimitives.WriteInt64LittleEndian(record[8..], index + 1);
            BinaryPrimitives.WriteUInt16LittleEndian(record[16..], (ushort)length);
            record[18] = type;
            name.CopyTo(record[HeaderSize..]);
            used += length;
            index++;
        }
        if (used == 0 && index < snapshot.Entries.Length) return Done(SyscallDecision.Deny(Einval));
        if (used > 0 && !ChildAccess.Write(session, call, call.Args[1], buffer.AsSpan(0, used))) return Done(SyscallDecision.Deny(Efault));
        DirectoryCalls.MoveTo(directory, index);
        if (index >= snapshot.Entries.Length && used == 0) _snapshots.TryRemove(key, out _);
        return Done(SyscallDecision.Result(used));
    }

    private static ValueTask<SyscallDecision> Done(SyscallDecision decision) => ValueTask.FromResult(decision);
}
