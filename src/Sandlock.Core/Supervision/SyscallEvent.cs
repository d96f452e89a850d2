namespace Sandlock.Supervision;

/// <summary>A held syscall as handlers see it: the caller and the raw arguments.</summary>
internal sealed class SyscallEvent
{
    internal SyscallEvent(ulong id, int pid, int number, string name, ulong[] args)
    {
        Id = id;
        Pid = pid;
        Number = number;
        Name = name;
        Args = args;
    }

    /// <summary>The kernel's notification id, valid while the caller waits.</summary>
    public ulong Id { get; }
    public int Pid { get; }
    public int Number { get; }
    public string Name { get; }
    public IReadOnlyList<ulong> Args { get; }

    // The decoded open, read from the caller once for every handler of the call: each read is a process_vm_readv and a
    // validity ioctl, a quarter of a test child's supervision when four handlers read it in turn.
    private bool _openRead;
    private HeldOpen? _open;

    internal bool TryGetOpen(out HeldOpen? open)
    {
        open = _open;
        return _openRead;
    }

    internal void RememberOpen(HeldOpen? open) => (_open, _openRead) = (open, true);

    /// <summary>A handler wrote to the caller's memory: what was read from it before is read again.</summary>
    internal void CallerMemoryWritten() => (_open, _openRead) = (null, false);
}
