using System.Globalization;

namespace Sandlock.Supervision;

/// <summary>
/// One line of /proc/PID/maps: the address range, where in the file it starts, the inode of the file mapped (0 for
/// none) and its path, or a pseudo-name such as [vdso], [heap] or [stack] ("" for anonymous memory), and its
/// permissions ("rw-p", "r-xs").
/// </summary>
internal sealed record MemoryMapping(ulong Start, ulong End, ulong FileOffset, ulong Inode, string Path, string Permissions = "")
{
    public bool Contains(ulong address) => address >= Start && address < End;

    /// <summary>Memory mapped from a file (a program's or library's code and data), which is never freed.</summary>
    public bool IsFileBacked => Inode != 0 && Path.StartsWith('/');

    /// <summary>The lines of /proc/PID/maps; throws IOException when they cannot be read.</summary>
    public static IEnumerable<MemoryMapping> Read(int pid) => File.ReadLines($"/proc/{pid}/maps").Select(Parse);

    public static MemoryMapping Parse(string line)
    {
        // "start-end perms offset dev inode   pathname"
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        var range = fields[0].Split('-');
        return new MemoryMapping(
            ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            ulong.Parse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            ulong.Parse(fields[4], CultureInfo.InvariantCulture),
            fields.Length == 6 ? fields[5].Trim() : "",
            fields[1]);
    }
}
