using System.Globalization;

namespace Sandlock.Bench;

internal static class ProcessCpu
{
    // sysconf(_SC_CLK_TCK) is 100 on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100;

    /// <summary>
    /// User and system time of this process (the supervisor's threads) and of the children it has reaped, with theirs
    /// (/proc/self/stat utime, stime, cutime, cstime), in milliseconds.
    /// </summary>
    public static double Milliseconds()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = fields[11..15].Sum(f => long.Parse(f, CultureInfo.InvariantCulture));
        return ticks * 1000.0 / ClockTicksPerSecond;
    }
}
