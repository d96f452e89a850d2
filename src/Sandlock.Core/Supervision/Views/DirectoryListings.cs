using System.Buffers.Binary;
using System.Collections.Concurrent;
using Sandlock.Interop;

namespace Sandlock.Supervision.Views;

/// <summary>
/// Directory listings the supervisor serves itself. <c>deterministic_dirs</c>: getdents64 returns the directory's
/// entries sorted by name, whatever order the filesystem keeps them in. Mounts: the parent of a mount point lists it,
/// as a real mount point would be listed. A listing is a snapshot taken when a reader starts (or rewinds) a
/// directory and served from there, so a directory changed while it is being read still lists every name once. The
/// child's directory position is the index into that snapshot, which keeps rewinddir, telldir and seekdir working.
/// </summary>
internal sealed class DirectoryListings : SyscallHandler
{
    private const int HeaderSize = 19;
    private readonly ConcurrentDictionary<(int Pid, int Fd), Snapshot> _snapshots = new();
    private readonly bool _sorted;
    private readonly Func<string, IReadOnlyList<DirectoryEntry>>? _addedEntries;
    private readonly Func<string, SupervisedSession, IReadOnlyList<DirectoryEntry>?>? _served;

    private sealed record Snapshot(ulong Device, ulong Inode, DirectoryEntry[] Entries);

    /// <param name="sorted">Every listing sorted by name (deterministic_dirs); otherwise only those with added entries are served.</param>
    /// <param name="addedEntries">Entries to list in a directory (by its host path) besides its own, such as mount points.</param>
    /// <param name="served">The whole listing of a directory (by its host path) where someone else knows it, such as a workdir's merged folders; null where not.</param>
    public DirectoryListings(bool sorted, Func<string, IReadOnlyList<DirectoryEntry>>? addedEntries = null,
        Func<string, SupervisedSession, IReadOnlyList<DirectoryEntry>?>? served = null)
    {
        _sorted = sorted;
        _addedEntries = addedEntries;
        _served = served;
    }

    public override IReadOnlyCollection<string> Syscalls { get; } = ["getdents64"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var fd = (int)call.Args[0];
        var capacity = (int)Math.Min(call.Args[2], 1 << 20);
        using var directory = ChildAccess.DuplicateFd(session, call, fd);
        if (directory is null) return Done(SyscallDecision.Deny(Errno.EBADF));
        var identity = FileIdentity.Of($"/proc/self/fd/{(int)directory.DangerousGetHandle()}");
        if (identity is not var (device, inode)) return Done(SyscallDecision.Deny(Errno.EBADF));
        var position = DirectoryCalls.Position(directory);
        if (position < 0) return Done(SyscallDecision.Deny(Errno.ENOTDIR));

        var key = (call.Pid, fd);
        // A read from the start (a new open, or a rewind) takes a fresh snapshot; later reads continue the old one.
        if (position == 0 || !_snapshots.TryGetValue(key, out var snapshot) || snapshot.Device != device || snapshot.Inode != inode)
        {
            var host = _addedEntries is null && _served is null ? null : new FileInfo($"/proc/self/fd/{(int)directory.DangerousGetHandle()}").LinkTarget;
            var served = host is null || _served is null ? null : _served(host, session);
            var added = _addedEntries is null || host is null ? [] : _addedEntries(host);
            if (!_sorted && added.Count == 0 && served is null)
            {
                _snapshots.TryRemove(key, out _);
                return Done(SyscallDecision.Allow);
            }
            var entries = served?.ToList() ?? DirectoryCalls.ReadAll(directory)?.Select(e => new DirectoryEntry(e.Inode, e.Type, e.Name)).ToList();
            if (entries is null) return Done(SyscallDecision.Deny(Errno.ENOTDIR));
            entries.AddRange(added.Where(a => !entries.Any(e => e.Name.AsSpan().SequenceEqual(a.Name))));
            if (_sorted) entries.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
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
        if (used == 0 && index < snapshot.Entries.Length) return Done(SyscallDecision.Deny(Errno.EINVAL));
        if (used > 0 && !ChildAccess.Write(session, call, call.Args[1], buffer.AsSpan(0, used))) return Done(SyscallDecision.Deny(Errno.EFAULT));
        DirectoryCalls.MoveTo(directory, index);
        if (index >= snapshot.Entries.Length && used == 0) _snapshots.TryRemove(key, out _);
        return Done(SyscallDecision.Result(used));
    }

    private static ValueTask<SyscallDecision> Done(SyscallDecision decision) => ValueTask.FromResult(decision);
}

/// <summary>One entry of a listing, as getdents64 returns it: inode, d_type and name.</summary>
internal sealed record DirectoryEntry(ulong Inode, byte Type, byte[] Name);
