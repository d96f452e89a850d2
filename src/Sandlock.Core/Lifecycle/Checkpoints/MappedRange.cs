namespace Sandlock.Lifecycle.Checkpoints;

/// <summary>A line of /proc/PID/maps with its permissions ("rw-p", "r-xs"), which checkpointing needs.</summary>
internal sealed record MappedRange(ulong Start, ulong End, string Permissions, string Name)
{
    public ulong Length => End - Start;
    public bool IsShared => Permissions[3] == 's';

    /// <summary>The vDSO and the kernel data pages it reads; they cannot be copied, only moved.</summary>
    public bool IsKernelMapping => Name is "[vdso]" || Name.StartsWith("[vvar", StringComparison.Ordinal);

    public bool IsVsyscall => Name == "[vsyscall]";

    public static IReadOnlyList<MappedRange> Read(int pid) =>
        [.. Supervision.MemoryMapping.Read(pid).Select(m => new MappedRange(m.Start, m.End, m.Permissions, m.Path))];
}
