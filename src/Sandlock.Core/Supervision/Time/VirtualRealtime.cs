using System.Buffers.Binary;
using Sandlock.Confinement.Seccomp;
using Sandlock.Interop;

namespace Sandlock.Supervision.Time;

/// <summary>
/// Answers the syscalls that read the realtime clocks (clock_gettime of the realtime family, gettimeofday, time)
/// from the <see cref="VirtualClock"/>, writing the result into the caller. Reads of other clocks are not held.
/// </summary>
internal sealed class VirtualRealtime(VirtualClock clock) : SyscallHandler, IRestartable
{
    public void Restart(ulong seed, SupervisedSession session) => clock.Restart();

    public override IReadOnlyCollection<string> Syscalls { get; } = ["clock_gettime", "gettimeofday", "time"];

    public override IReadOnlyDictionary<string, ArgumentMatch> WantedWhen { get; } = new Dictionary<string, ArgumentMatch>
    {
        ["clock_gettime"] = ArgumentMatch.OneOf(0, VirtualClock.Realtime, VirtualClock.RealtimeCoarse, VirtualClock.RealtimeAlarm, VirtualClock.Tai),
    };

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
        ValueTask.FromResult(call.Name switch
        {
            "clock_gettime" => ClockGettime(call, session),
            "gettimeofday" => GetTimeOfDay(call, session),
            _ => Time(call, session),
        });

    private SyscallDecision ClockGettime(SyscallEvent call, SupervisedSession session)
    {
        var (seconds, nanoseconds) = VirtualClock.Split(clock.Now((int)call.Args[0]));
        Span<byte> timespec = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(timespec, seconds);
        BinaryPrimitives.WriteInt64LittleEndian(timespec[8..], nanoseconds);
        return ChildAccess.Write(session, call, call.Args[1], timespec) ? SyscallDecision.Result(0) : SyscallDecision.Deny(Errno.EFAULT);
    }

    private SyscallDecision GetTimeOfDay(SyscallEvent call, SupervisedSession session)
    {
        var (timeval, timezone) = (call.Args[0], call.Args[1]);
        if (timeval != 0)
        {
            var (seconds, nanoseconds) = VirtualClock.Split(clock.Now(VirtualClock.Realtime));
            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, seconds);
            BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], nanoseconds / 1000);
            if (!ChildAccess.Write(session, call, timeval, bytes)) return SyscallDecision.Deny(Errno.EFAULT);
        }
        if (timezone != 0)
        {
            var (minutesWest, dstTime) = Clocks.TimeZone();
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, minutesWest);
            BinaryPrimitives.WriteInt32LittleEndian(bytes[4..], dstTime);
            if (!ChildAccess.Write(session, call, timezone, bytes)) return SyscallDecision.Deny(Errno.EFAULT);
        }
        return SyscallDecision.Result(0);
    }

    private SyscallDecision Time(SyscallEvent call, SupervisedSession session)
    {
        var (seconds, _) = VirtualClock.Split(clock.Now(VirtualClock.Realtime));
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, seconds);
        if (call.Args[0] != 0 && !ChildAccess.Write(session, call, call.Args[0], bytes)) return SyscallDecision.Deny(Errno.EFAULT);
        return SyscallDecision.Result(seconds);
    }
}
