using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>The clock and timer calls the virtual clock needs on the parent's side.</summary>
internal static unsafe partial class Clocks
{
    public const int CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_TAI = 11;

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGettime(int clock, long* timespec);

    /// <summary>(seconds, nanoseconds) of <paramref name="clock"/>.</summary>
    public static (long Seconds, long Nanoseconds) Now(int clock)
    {
        var ts = stackalloc long[2];
        if (ClockGettime(clock, ts) != 0) throw new IOException($"clock_gettime({clock}) failed: {Libc.ErrorText(Libc.LastError)}");
        return (ts[0], ts[1]);
    }

    [LibraryImport("libc", EntryPoint = "gettimeofday", SetLastError = true)]
    private static partial int GetTimeOfDay(long* timeval, int* timezone);

    /// <summary>The kernel's struct timezone (minutes west, dst type), as gettimeofday reports it.</summary>
    public static (int MinutesWest, int DstTime) TimeZone()
    {
        var tz = stackalloc int[2];
        return GetTimeOfDay(null, tz) == 0 ? (tz[0], tz[1]) : (0, 0);
    }

    [LibraryImport("libc", EntryPoint = "timerfd_settime", SetLastError = true)]
    private static partial int TimerfdSettime(int fd, int flags, long* newValue, long* oldValue);

    /// <summary>timerfd_settime on <paramref name="fd"/> with struct itimerspec as four longs; 0 or the errno.</summary>
    public static int SetTimer(SafeHandle fd, int flags, ReadOnlySpan<long> value, Span<long> old)
    {
        fixed (long* v = value)
        fixed (long* o = old)
            return TimerfdSettime((int)fd.DangerousGetHandle(), flags, v, o) == 0 ? 0 : Libc.LastError;
    }
}
