using System.Globalization;
using Sandlock.Interop;

namespace Sandlock.Supervision.Learning;

/// <summary>What a sandbox's processes use now, read from /proc: tasks, resident memory, private memory.</summary>
internal static class SandboxUsage
{
    private static readonly long PageSize = Environment.SystemPageSize;

    /// <summary>A process's peak resident memory (VmHWM) and its private writable memory now (VmData, what RLIMIT_DATA counts).</summary>
    public sealed record ProcessMemory(long PeakResident, long Data);

    public static IEnumerable<int> Processes(int root) => ProcessTree.Descendants(root).Prepend(root);

    public static int Tasks(int root) => Processes(root).Sum(pid =>
    {
        try { return Directory.GetDirectories($"/proc/{pid}/task").Length; }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    });

    /// <summary>Resident memory of all of them at once, as the memory limit's watchdog sums it.</summary>
    public static long Resident(int root) => Processes(root).Sum(pid =>
    {
        try { return long.Parse(File.ReadAllText($"/proc/{pid}/statm").Split(' ')[1], CultureInfo.InvariantCulture) * PageSize; }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
        catch (FormatException) { return 0; }
    });

    public static ProcessMemory? OfProcess(int pid)
    {
        long? peak = null, data = null;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line);
                else if (line.StartsWith("VmData:", StringComparison.Ordinal)) data = Kilobytes(line);
            }
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        return peak is { } p && data is { } d ? new ProcessMemory(p, d) : null;
    }

    private static long Kilobytes(string line) =>
        long.Parse(line[(line.IndexOf(':') + 1)..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) * 1024;
}
