using Sandlock.Interop;

namespace Sandlock.Supervision.Time;

/// <summary>
/// time_start's clock: the realtime clocks read CLOCK_MONOTONIC plus an offset fixed when the sandbox starts, so
/// they begin at the given instant, advance at the real rate and ignore steps of the host's clock. Times are
/// nanoseconds since the epoch, which covers 1970 to 2262.
/// </summary>
internal sealed class VirtualClock
{
    public const int Realtime = 0, Monotonic = 1, RealtimeCoarse = 5, MonotonicCoarse = 6, RealtimeAlarm = 8, Tai = 11;

    public const long NanosecondsPerSecond = 1_000_000_000;

    private readonly long _startNanoseconds;
    private long _offsetNanoseconds;

    public VirtualClock(DateTimeOffset start)
    {
        _startNanoseconds = (start.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        Restart();
        // TAI runs a whole number of leap seconds ahead of UTC (0 until someone sets it); measured once, rounded.
        var tai = Read(Clocks.CLOCK_TAI) - Read(Clocks.CLOCK_REALTIME);
        TaiOffsetNanoseconds = (long)Math.Round(tai / (double)NanosecondsPerSecond) * NanosecondsPerSecond;
    }

    /// <summary>Virtual CLOCK_REALTIME minus CLOCK_MONOTONIC.</summary>
    public long OffsetNanoseconds => Volatile.Read(ref _offsetNanoseconds);

    /// <summary>From now on the realtime clocks read time_start again and advance from there.</summary>
    public void Restart() => Volatile.Write(ref _offsetNanoseconds, _startNanoseconds - Read(Clocks.CLOCK_MONOTONIC));

    public long TaiOffsetNanoseconds { get; }

    public static bool IsRealtimeFamily(int clockId) => clockId is Realtime or RealtimeCoarse or RealtimeAlarm or Tai;

    /// <summary>The virtual reading of a realtime-family clock.</summary>
    public long Now(int clockId) => clockId switch
    {
        RealtimeCoarse => Read(Clocks.CLOCK_MONOTONIC_COARSE) + OffsetNanoseconds,
        Tai => Read(Clocks.CLOCK_MONOTONIC) + OffsetNanoseconds + TaiOffsetNanoseconds,
        _ => Read(Clocks.CLOCK_MONOTONIC) + OffsetNanoseconds,
    };

    /// <summary>The CLOCK_MONOTONIC instant at which <paramref name="clockId"/> reads <paramref name="virtualTime"/>.</summary>
    public long MonotonicAt(int clockId, long virtualTime) =>
        virtualTime - OffsetNanoseconds - (clockId == Tai ? TaiOffsetNanoseconds : 0);

    /// <summary>The host's CLOCK_REALTIME reading at the moment the virtual realtime clock reads <paramref name="virtualTime"/>.</summary>
    public long HostRealtimeAt(long virtualTime) => virtualTime - (Now(Realtime) - Read(Clocks.CLOCK_REALTIME));

    public static long MonotonicNow() => Read(Clocks.CLOCK_MONOTONIC);

    public static long ToNanoseconds(long seconds, long nanoseconds) => seconds * NanosecondsPerSecond + nanoseconds;

    /// <summary>Seconds and nanoseconds (0 to 999999999), as struct timespec holds them.</summary>
    public static (long Seconds, long Nanoseconds) Split(long nanoseconds)
    {
        var (seconds, rest) = Math.DivRem(nanoseconds, NanosecondsPerSecond);
        return rest < 0 ? (seconds - 1, rest + NanosecondsPerSecond) : (seconds, rest);
    }

    private static long Read(int clock)
    {
        var (seconds, nanoseconds) = Clocks.Now(clock);
        return ToNanoseconds(seconds, nanoseconds);
    }
}
