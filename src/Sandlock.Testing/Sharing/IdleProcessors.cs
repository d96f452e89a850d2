using System.Diagnostics;
using System.Globalization;

namespace Sandlock.Testing.Sharing;

/// <summary>
/// How many processors the machine left idle, on average, between two calls: the idle and I/O-wait time of
/// /proc/stat's first line (in USER_HZ ticks, 100 a second on Linux) over the time between them.
/// </summary>
internal sealed class IdleProcessors
{
    private const double TicksPerSecond = 100;
    private long _idleTicks = -1;
    private long _stamp;

    /// <summary>
    /// The average since the last call; 0 for the first (no window yet), and infinity when /proc/stat cannot be
    /// read (nothing is known, so nothing is held back).
    /// </summary>
    public double SinceLastCall()
    {
        var now = Stopwatch.GetTimestamp();
        if (ReadIdleTicks() is not { } idle) return double.PositiveInfinity;
        var (previous, since) = (_idleTicks, _stamp);
        (_idleTicks, _stamp) = (idle, now);
        var seconds = Stopwatch.GetElapsedTime(since, now).TotalSeconds;
        return previous < 0 || seconds <= 0 ? 0 : (idle - previous) / TicksPerSecond / seconds;
    }

    private static long? ReadIdleTicks()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            // "cpu  user nice system idle iowait irq softirq ..."
            var fields = reader.ReadLine()?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields is not ["cpu", _, _, _, var idle, var iowait, ..]) return null;
            return long.Parse(idle, CultureInfo.InvariantCulture) + long.Parse(iowait, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }
}
