using System.Globalization;

namespace Sandlock.Testing.Bench;

/// <summary>
/// CPU time (user and system) of this process's waited-for descendants: a run's whole tree (the dotnet CLI,
/// vstest.console, the test host and the children it reaps) as the kernel counted it. Steadier than wall time on a
/// VM whose runs of the same command scatter by most of a second.
/// </summary>
internal static class ChildrenCpu
{
    // sysconf(_SC_CLK_TCK) is 100 on every Linux build the SDK runs on.
    private const double TicksPerSecond = 100;

    public static TimeSpan Now()
    {
        // /proc/self/stat: "pid (comm) state ..." where field 16 is cutime and 17 cstime; comm may hold spaces.
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state): cutime (16) and cstime (17) are fields[13] and fields[14].
        var ticks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
