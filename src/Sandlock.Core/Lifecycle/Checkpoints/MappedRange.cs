using System.Globalization;

namespace Sandlock.Lifecycle.Checkpoints;

/// <summary>A line of /proc/PID/maps with its permissions ("rw-p", "r-xs"), which checkpointing needs.</summary>
internal sealed record MappedRange(ulong Start, ulong End, string Permissions, string Name)
{
    public ulong Length => End - Start;
    public bool IsShared => Permissions[3] == 's';

    /// <summary>The vDSO and the kernel data pages it reads; they cannot be copied, only moved.</summary>
    public bool IsKernelMapping => Name is "[vdso]" || Name.StartsWith("[vvar", StringComparison.Ordinal);

    public bool IsVsyscall => Name == "[vsyscall]";

    public static IReadOnlyList<MappedRange> Read(int pid) => [.. File.ReadLines($"/proc/{pid}/maps").Select(Parse)];

    private static MappedRange Parse(string line)
    {
        // "start-end perms offset dev inode   pathname"
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        var range = fields[0].Split('-');
        return new MappedRange(
            ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            fields[1],
            fields.Length == 6 ? fields[5].Trim() : "");
    }
}
