using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Sandlock.Confinement.Seccomp;
using Sandlock.Interop;

namespace Sandlock.Supervision.Time;

/// <summary>
/// Keeps absolute deadlines on the realtime clocks meaning virtual time: clock_nanosleep(TIMER_ABSTIME) of
/// CLOCK_REALTIME or CLOCK_TAI is answered once CLOCK_MONOTONIC reaches the matching instant (awaited, never on a
/// supervisor thread), and timerfd_settime(TFD_TIMER_ABSTIME) is done on the caller's behalf, on a duplicate of its
/// timerfd, with the deadline moved to the host's clock when the timer counts realtime.
/// </summary>
internal sealed class AbsoluteDeadlines(VirtualClock clock) : SyscallHandler
{
    private const uint TimerAbstime = 1, TfdTimerAbstime = 1;
    // A sleep checks this often whether its caller is still waiting, so a killed sandbox does not keep it.
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(1);

    public override IReadOnlyCollection<string> Syscalls { get; } = ["clock_nanosleep", "timerfd_settime"];

    public override IReadOnlyDictionary<string, ArgumentMatch> WantedWhen { get; } = new Dictionary<string, ArgumentMatch>
    {
        // CLOCK_REALTIME_ALARM sleeps are not held: the kernel checks CAP_WAKE_ALARM, which a sleep on the
        // supervisor's side would not.
        ["clock_nanosleep"] = ArgumentMatch.All(ArgumentMatch.OneOf(0, VirtualClock.Realtime, VirtualClock.Tai), ArgumentMatch.AnySet(1, TimerAbstime)),
        ["timerfd_settime"] = ArgumentMatch.AnySet(1, TfdTimerAbstime),
    };

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
        call.Name == "clock_nanosleep" ? SleepAsync(call, session) : ValueTask.FromResult(SetTimer(call, session));

    private async ValueTask<SyscallDecision> SleepAsync(SyscallEvent call, SupervisedSession session)
    {
        var request = new byte[16];
        if (!ChildAccess.Read(session, call, call.Args[2], request)) return SyscallDecision.Deny(Errno.EFAULT);
        if (ReadTimespec(request) is not { } deadline) return SyscallDecision.Deny(Errno.EINVAL);
        var wakeAt = clock.MonotonicAt((int)call.Args[0], deadline);
        while (true)
        {
            var left = wakeAt - VirtualClock.MonotonicNow();
            if (left <= 0) return SyscallDecision.Result(0);
            if (!SeccompNotify.IsValid(session.Listener, call.Id)) return SyscallDecision.Result(0);
            // Rounded up: waking early would only mean another turn of the loop.
            var wait = TimeSpan.FromTicks(Math.Min((left + 99) / 100, LongestWait.Ticks));
            await Task.Delay(wait).ConfigureAwait(false);
        }
    }

    private SyscallDecision SetTimer(SyscallEvent call, SupervisedSession session)
    {
        using SafeFileHandle? timer = ChildAccess.DuplicateFd(session, call, (int)call.Args[0]);
        if (timer is null) return SyscallDecision.Deny(Errno.EBADF);
        if (TimerClock(timer) is not { } clockId) return SyscallDecision.Deny(Errno.EINVAL);
        var bytes = new byte[32];
        if (!ChildAccess.Read(session, call, call.Args[2], bytes)) return SyscallDecision.Deny(Errno.EFAULT);
        // struct itimerspec { it_interval; it_value; }: only the first expiry is absolute.
        if (ReadTimespec(bytes) is not { } interval || ReadTimespec(bytes.AsSpan(16)) is not { } value) return SyscallDecision.Deny(Errno.EINVAL);
        if (value != 0 && clockId is VirtualClock.Realtime or VirtualClock.RealtimeAlarm)
            value = Math.Max(1, clock.HostRealtimeAt(value)); // 0 would disarm the timer; a past deadline fires at once
        Span<long> setting = stackalloc long[4];
        (setting[0], setting[1]) = VirtualClock.Split(interval);
        (setting[2], setting[3]) = VirtualClock.Split(value);
        Span<long> old = stackalloc long[4];
        var errno = Clocks.SetTimer(timer, (int)call.Args[1], setting, old);
        if (errno != 0) return SyscallDecision.Deny(errno);
        // The old setting is time left, not a deadline: nothing to convert.
        if (call.Args[3] != 0)
        {
            var oldBytes = new byte[32];
            for (var i = 0; i < 4; i++) BinaryPrimitives.WriteInt64LittleEndian(oldBytes.AsSpan(8 * i), old[i]);
            if (!ChildAccess.Write(session, call, call.Args[3], oldBytes)) return SyscallDecision.Deny(Errno.EFAULT);
        }
        return SyscallDecision.Result(0);
    }

    /// <summary>The clock of a timerfd (the clockid line of its fdinfo), or null when the fd is not a timerfd.</summary>
    private static int? TimerClock(SafeFileHandle timer)
    {
        foreach (var line in File.ReadLines($"/proc/self/fdinfo/{(int)timer.DangerousGetHandle()}"))
        {
            if (line.StartsWith("clockid:", StringComparison.Ordinal) && int.TryParse(line.AsSpan(8).Trim(), out var id)) return id;
        }
        return null;
    }

    /// <summary>A struct timespec in nanoseconds, or null when the kernel would refuse it as invalid.</summary>
    private static long? ReadTimespec(ReadOnlySpan<byte> bytes)
    {
        var seconds = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var nanoseconds = BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
        if (seconds < 0 || nanoseconds is < 0 or >= VirtualClock.NanosecondsPerSecond) return null;
        // Beyond 2262 is as good as never.
        const long latest = long.MaxValue / 2 / VirtualClock.NanosecondsPerSecond;
        return VirtualClock.ToNanoseconds(Math.Min(seconds, latest), nanoseconds);
    }
}
