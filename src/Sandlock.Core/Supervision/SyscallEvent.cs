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
}
