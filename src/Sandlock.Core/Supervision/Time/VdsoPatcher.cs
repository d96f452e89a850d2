using Sandlock.Confinement.Seccomp;
using Sandlock.Interop;

namespace Sandlock.Supervision.Time;

/// <summary>
/// Programs read the clock (and, with newer libcs, random bytes) through the vDSO, without a syscall the filter could
/// hold. Every execve maps a fresh vDSO, and every libc, static or dynamic, and Go's runtime set the thread pointer
/// with arch_prctl(ARCH_SET_FS) before any user code runs: holding that call, the supervisor rewrites the vDSO's
/// functions with <see cref="VdsoStubs"/> through /proc/PID/mem (the kernel copies the page for that process; forked
/// children inherit the copy), then lets the call continue. Fails closed: a vDSO it cannot patch kills the sandbox.
/// </summary>
internal sealed class VdsoPatcher : SyscallHandler, IRestartable
{
    private const uint ArchSetFs = 0x1002;

    private readonly VirtualClock? _clock;
    private readonly bool _seededRandom;

    /// <param name="clock">time_start's clock, or null when only randomness is patched.</param>
    /// <param name="seededRandom">
    /// random_seed is set: the vDSO's getrandom must not bypass the seeded syscall, and its time must be the syscall,
    /// so the supervisor sees the clock-seeded generators (<see cref="Determinism.ClockSeededGenerators"/>).
    /// </param>
    public VdsoPatcher(VirtualClock? clock, bool seededRandom)
    {
        _clock = clock;
        _seededRandom = seededRandom;
    }

    public override IReadOnlyCollection<string> Syscalls { get; } = ["arch_prctl"];

    public override IReadOnlyDictionary<string, ArgumentMatch> WantedWhen { get; } = new Dictionary<string, ArgumentMatch>
    {
        ["arch_prctl"] = ArgumentMatch.OneOf(0, ArchSetFs),
    };

    /// <summary>One write into the vDSO mapping.</summary>
    public readonly record struct Write(int Offset, byte[] Code);

    /// <summary>
    /// The writes that patch <paramref name="image"/> (none when it is patched already), or why it cannot be.
    /// <paramref name="fast"/> tells whether the clock got the trampolines (reads at vDSO speed) or the plain stubs.
    /// </summary>
    public (List<Write> Writes, string? Failure) Plan(ElfImage vdso, ReadOnlySpan<byte> image, out bool fast)
    {
        var writes = new List<Write>();
        fast = false;
        if (_clock is not null)
        {
            var entries = new Dictionary<string, int>();
            foreach (var name in new[] { "__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time" })
            {
                if (!vdso.TryGetFunction(name, out var offset, out _)) return (writes, $"the vDSO has no {name}");
                entries[name] = offset;
            }
            var (clockGettime, getTimeOfDay, time) = (entries["__vdso_clock_gettime"], entries["__vdso_gettimeofday"], entries["__vdso_time"]);
            // Aliases (clock_gettime for __vdso_clock_gettime...) are the same code; a separate copy would escape.
            foreach (var (alias, of) in new[] { ("clock_gettime", clockGettime), ("gettimeofday", getTimeOfDay), ("time", time) })
                if (vdso.TryGetFunction(alias, out var at, out _) && at != of) return (writes, $"the vDSO's {alias} is not the same code as __vdso_{alias}");

            var cave = (vdso.ContentEnd + 15) & ~15;
            if (image[clockGettime] == 0xe9 && image.Slice(clockGettime, 5).SequenceEqual(VdsoStubs.Jump(cave - clockGettime - 5)))
                fast = true; // patched already (a thread of a patched process)
            else if (VdsoStubs.DisplaceableLength(image[clockGettime..]) is { } displaced
                && cave + VdsoStubs.TrampolineOriginal + displaced + 5 <= image.Length
                && !image[cave..].ContainsAnyExcept((byte)0))
            {
                fast = true;
                // The code first, then the jumps into it, so no thread can enter code that is not there yet.
                writes.Add(new(cave, VdsoStubs.Trampolines(_clock.OffsetNanoseconds, image.Slice(clockGettime, displaced), clockGettime - cave)));
                writes.Add(new(clockGettime, VdsoStubs.Jump(cave + VdsoStubs.TrampolineClockGettime - clockGettime - 5)));
                writes.Add(new(getTimeOfDay, VdsoStubs.Jump(cave + VdsoStubs.TrampolineGetTimeOfDay - getTimeOfDay - 5)));
                if (!_seededRandom) writes.Add(new(time, VdsoStubs.Jump(cave + VdsoStubs.TrampolineTime - time - 5)));
            }
            else
            {
                // An unfamiliar vDSO: plain stubs in place, which cost a syscall per read but hold on any layout.
                foreach (var (name, code) in new[] { ("__vdso_clock_gettime", VdsoStubs.ClockGettime(_clock.OffsetNanoseconds)),
                    ("__vdso_gettimeofday", VdsoStubs.GetTimeOfDay), ("__vdso_time", VdsoStubs.Time) })
                {
                    vdso.TryGetFunction(name, out var offset, out var size);
                    if (size < code.Length) return (writes, $"the vDSO's {name} is {size} bytes, too short for the {code.Length}-byte replacement");
                    writes.Add(new(offset, code));
                }
            }
        }
        // random_seed: time is the bare syscall (the plain stubs above made it so already), held for the generators seeded from it.
        if (_seededRandom && (_clock is null || fast))
        {
            if (!vdso.TryGetFunction("__vdso_time", out var time, out var timeSize)) return (writes, "the vDSO has no __vdso_time");
            if (vdso.TryGetFunction("time", out var alias, out _) && alias != time) return (writes, "the vDSO's time is not the same code as __vdso_time");
            if (timeSize < VdsoStubs.Time.Length) return (writes, $"the vDSO's __vdso_time is {timeSize} bytes, too short for its replacement");
            writes.Add(new(time, VdsoStubs.Time));
        }
        if (_seededRandom && vdso.TryGetFunction("__vdso_getrandom", out var getRandom, out var getRandomSize))
        {
            if (vdso.TryGetFunction("getrandom", out var alias, out _) && alias != getRandom) return (writes, "the vDSO's getrandom is not the same code as __vdso_getrandom");
            if (getRandomSize < VdsoStubs.GetRandom.Length) return (writes, $"the vDSO's __vdso_getrandom is {getRandomSize} bytes, too short for its replacement");
            writes.Add(new(getRandom, VdsoStubs.GetRandom));
        }
        var needed = new List<Write>();
        foreach (var write in writes)
            if (!image.Slice(write.Offset, write.Code.Length).SequenceEqual(write.Code)) needed.Add(write);
        return (needed, null);
    }

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var failure = Patch(call, session);
        if (failure is null) return ValueTask.FromResult(SyscallDecision.Allow);
        // A fatal signal is all that takes a received call from its caller (the filter waits killably): one killed
        // meanwhile, say with its group over max_processes, never runs again, and its memory may be gone already.
        if (Confinement.KernelFeatures.Current.SeccompWaitKillable && !SeccompNotify.IsValid(session.Listener, call.Id))
            return ValueTask.FromResult(SyscallDecision.Deny(Errno.EPERM));
        session.Kill($"cannot patch the vDSO of pid {call.Pid} for time_start/random_seed: {failure}");
        return ValueTask.FromResult(SyscallDecision.Deny(Errno.EPERM));
    }

    /// <summary>
    /// The clock has restarted (<see cref="VirtualClock.Restart"/>): the sandbox's first process gets the new offset in
    /// its patched clock_gettime. A thread reading the clock during the two writes may see a time off by under a second.
    /// </summary>
    public void Restart(ulong seed, SupervisedSession session)
    {
        if (_clock is null) return;
        if (Reoffset(session.RootPid, _clock.OffsetNanoseconds) is { } failure)
            session.Kill($"cannot restart the virtual clock of pid {session.RootPid}: {failure}");
    }

    private static string? Reoffset(int pid, long offsetNanoseconds)
    {
        var memory = ProcessMemory.OpenMemory(pid);
        if (memory < 0) return $"cannot open /proc/{pid}/mem: {Libc.ErrorText(Libc.LastError)}";
        try
        {
            MemoryMapping? mapping;
            try { mapping = MemoryMapping.Read(pid).FirstOrDefault(m => m.Path == "[vdso]"); }
            catch (IOException e) { return $"cannot read /proc/{pid}/maps: {e.Message}"; }
            if (mapping is null) return null;
            var image = new byte[mapping.End - mapping.Start];
            if (!ProcessMemory.ReadAt(memory, mapping.Start, image)) return $"cannot read the vDSO: {Libc.ErrorText(Libc.LastError)}";
            ElfImage vdso;
            try { vdso = ElfImage.Parse(image, "the vDSO"); }
            catch (FormatException e) { return e.Message; }
            if (!vdso.TryGetFunction("__vdso_clock_gettime", out var clockGettime, out _)) return "the vDSO has no __vdso_clock_gettime";
            // Where the offset's seconds (8 bytes) and nanoseconds (4 bytes) sit: in the trampoline or the plain stub.
            int secondsAt, nanosecondsAt;
            if (image[clockGettime] == 0xe9)
            {
                var trampoline = clockGettime + 5 + System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(image.AsSpan(clockGettime + 1)) - VdsoStubs.TrampolineClockGettime;
                (secondsAt, nanosecondsAt) = (trampoline + 0x39, trampoline + 0x45);
            }
            else if (image.AsSpan(clockGettime).StartsWith(VdsoStubs.ClockGettime(0).AsSpan(0, 0x29)))
                (secondsAt, nanosecondsAt) = (clockGettime + 0x2b, clockGettime + 0x37);
            else return null; // not patched yet: the patch will take the current offset
            var (seconds, nanoseconds) = VirtualClock.Split(offsetNanoseconds);
            var bytes = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes, seconds);
            if (!ProcessMemory.WriteAt(memory, mapping.Start + (ulong)secondsAt, bytes)) return $"cannot write into the vDSO: {Libc.ErrorText(Libc.LastError)}";
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)nanoseconds);
            if (!ProcessMemory.WriteAt(memory, mapping.Start + (ulong)nanosecondsAt, bytes.AsSpan(0, 4))) return $"cannot write into the vDSO: {Libc.ErrorText(Libc.LastError)}";
            return null;
        }
        finally
        {
            Libc.Close(memory);
        }
    }

    /// <summary>Null when the caller's vDSO is patched (now or already), else why it could not be.</summary>
    private string? Patch(SyscallEvent call, SupervisedSession session)
    {
        var memory = ProcessMemory.OpenMemory(call.Pid);
        if (memory < 0) return $"cannot open /proc/{call.Pid}/mem: {Libc.ErrorText(Libc.LastError)}";
        try
        {
            MemoryMapping? mapping;
            try { mapping = MemoryMapping.Read(call.Pid).FirstOrDefault(m => m.Path == "[vdso]"); }
            catch (IOException e) { return $"cannot read /proc/{call.Pid}/maps: {e.Message}"; }
            // No vDSO (vdso=0): every clock read is a syscall, which the filter holds.
            if (mapping is null) return SeccompNotify.IsValid(session.Listener, call.Id) ? null : "the caller is gone";
            var start = mapping.Start;
            var image = new byte[mapping.End - start];
            if (!ProcessMemory.ReadAt(memory, start, image)) return $"cannot read the vDSO: {Libc.ErrorText(Libc.LastError)}";
            // Still waiting, so the pid named the caller all along, and the mem fd is bound to its memory.
            if (!SeccompNotify.IsValid(session.Listener, call.Id)) return "the caller is gone";

            ElfImage vdso;
            try { vdso = ElfImage.Parse(image, "the vDSO"); }
            catch (FormatException e) { return e.Message; }
            var (writes, failure) = Plan(vdso, image, out _);
            if (failure is not null) return failure;
            foreach (var write in writes)
            {
                if (!ProcessMemory.WriteAt(memory, start + (ulong)write.Offset, write.Code))
                    return $"cannot write into the vDSO: {Libc.ErrorText(Libc.LastError)}";
            }
            return null;
        }
        finally
        {
            Libc.Close(memory);
        }
    }
}
